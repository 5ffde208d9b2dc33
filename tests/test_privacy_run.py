"""The real `python -m bot run` process: what it writes (no personal data, no token) and when it
refuses to start (exit 2, one line)."""

import asyncio
import http.server
import os
import sys
import threading

import pytest
from journeys import fill_registration_until_phone, label, start_report

from bot.emulator import DEFAULT_TOKEN, Emulator, EmulatorServer
from bot.local import RIG_OPERATOR

STAFF = 9001
NAME, VILLAGE, PHONE = "Kinanti Larasati", "Kromengan", "0812-9876-5432"
STORY = "Majikan mengunci saya di gudang belakang sejak Lebaran"
QUESTION = "bagaimana cara mengurus warisan tanah almarhum Pak Sastrowardoyo"
SECRETS = (
    DEFAULT_TOKEN,
    DEFAULT_TOKEN.split(":")[1],
    "Kinanti",  # Telegram first name and the registered name
    "Larasati",
    VILLAGE,
    "98765432",  # the phone number, however it is formatted
    "9876 5432",
    "gudang belakang",
    "Sastrowardoyo",
    "warisan tanah",
    "770011",  # the user's Telegram ID
)


class Run:
    """`python -m bot run` with stdout and stderr in one pipe (what an operator's terminal shows),
    read while it runs (a full pipe would stall the bot)."""

    async def start(self, env: dict) -> "Run":
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env={**os.environ, "BOT_TOKEN": DEFAULT_TOKEN, **env},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self.reading = asyncio.ensure_future(self.process.stdout.read())
        return self

    async def finish(self, *, stop: bool = False) -> tuple[int, str]:
        """(exit code, everything it wrote); SIGTERM first when `stop`; never leaves it running."""
        if stop:
            self.process.terminate()
        try:
            output = await asyncio.wait_for(self.reading, 30)
            await asyncio.wait_for(self.process.wait(), 30)
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode, output.decode(errors="replace")


async def run(env: dict) -> tuple[int, str]:
    """Start `run`, wait for it to end by itself."""
    return await (await Run().start(env)).finish()


@pytest.fixture
def env(tmp_path):
    return {"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), **RIG_OPERATOR, "STAFF_IDS": str(STAFF)}


async def test_debug_log_of_a_whole_journey_holds_no_personal_data_and_no_token(env):
    emulator = Emulator()
    emulator.settle = (20.0, 1.1)  # the bot keeps ~1 message/s per private chat in real time
    emulator.user(id=STAFF, first_name="Staf")
    user = emulator.user(id=770011, first_name="Kinanti", language_code="id")
    async with EmulatorServer(emulator) as server:
        bot = await Run().start({**env, "TELEGRAM_API_URL": server.url, "LOG_LEVEL": "DEBUG"})
        await emulator.wait_polling(timeout=30)
        await fill_registration_until_phone(user, name=NAME)
        await user.send(PHONE)
        await user.press("✅ Benar, simpan")
        await start_report(user)
        for press in ("✅ Saya setuju", "🇭🇰 Hong Kong"):
            await user.press(press)
        await user.send(STORY)
        await user.press(label("user-button-done"))  # the story is told
        for press in ("⏭️ Lewati", "Lewat chat ini", "✅ Benar, kirim"):
            await user.press(press)
        await user.send(QUESTION)
        await user.press("🙋 Tanya petugas")
        await user.press("✅ Saya setuju")
        await user.press("✅ Benar, kirim")
        code, output = await bot.finish(stop=True)
    assert "Nomor: LP-" in user.last_text and code == 0
    assert "DEBUG" in output and "handled update" in output  # the level was on, and the log was written
    assert [secret for secret in SECRETS if secret in output] == []


class _Redirect(http.server.BaseHTTPRequestHandler):
    """A Bot API URL that redirects to itself, for ever (a misconfigured proxy)."""

    def do_POST(self):
        self.send_response(302)
        self.send_header("Location", self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST

    def log_message(self, *args):
        pass


@pytest.fixture
def redirecting_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/bot"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("where", ["redirect", "refused"])
async def test_a_start_up_connection_error_is_one_line_without_the_token(env, redirecting_url, where):
    url = redirecting_url if where == "redirect" else "http://127.0.0.1:9/bot"  # port 9: nobody listens
    code, output = await run({**env, "TELEGRAM_API_URL": url})
    last = output.strip().splitlines()[-1]
    assert code == 1 and last.startswith("cannot reach the Telegram Bot API at")
    assert DEFAULT_TOKEN.split(":")[1] not in output and "Traceback" not in output
    assert where == "refused" or "[token]" in last  # the URL in aiohttp's message, token redacted
