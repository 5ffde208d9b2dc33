"""One strict Telegram Bot API emulator with an in-process and an HTTP front.

emu = Emulator()
user = emu.user(id=42, first_name="Siti")
# in-process: Application.builder().token(emu.token).request(EmulatorRequest(emu))...
#             emu.deliver = lambda u: app.process_update(Update.de_json(u, app.bot))
# over HTTP:  async with EmulatorServer(emu) as server: ... base_url(server.url)
await user.send("/start"); assert "Selamat" in user.last_text
"""

from .core import DEFAULT_TOKEN, Emulator, Reply
from .driver import Button, Shown, SimGroup, SimUser
from .errors import ApiError
from .flood import FloodLimits
from .http import EmulatorServer
from .inprocess import EmulatorRequest
from .world import Call, Upload

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "Button",
    "Call",
    "Emulator",
    "EmulatorRequest",
    "EmulatorServer",
    "FloodLimits",
    "Reply",
    "Shown",
    "SimGroup",
    "SimUser",
    "Upload",
]
