"""The in-process front: a PTB request class that answers from the emulator, no sockets."""

from __future__ import annotations

import re
from urllib.parse import unquote

from telegram.request import BaseRequest, RequestData

from .core import Emulator
from .world import Upload

_API_URL = re.compile(r"/bot([^/]+)/([A-Za-z0-9_]+)/?$")
_FILE_URL = re.compile(r"/file/bot([^/]+)/(.+)$")


class EmulatorRequest(BaseRequest):
    """Use as ``Application.builder().request(...)`` and ``.get_updates_request(...)``."""

    def __init__(self, emulator: Emulator, read_timeout: float | None = 5.0):
        self.emulator = emulator
        self._read_timeout = read_timeout

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Route ``<base><token>/<method>`` to the emulator; file URLs return the bytes."""
        if file_match := _FILE_URL.search(unquote(url)):
            stored = self.emulator.file_by_path(file_match.group(2))
            if file_match.group(1) not in self.emulator.tokens or stored is None:
                return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
            return 200, stored.data
        api_match = _API_URL.search(url)
        if api_match is None:
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
        token, api_method = api_match.groups()
        params = request_data.parameters if request_data else {}
        files = _uploads(request_data) if request_data and request_data.contains_files else {}
        reply = await self.emulator.call(api_method, params, files, token=token)
        return reply.status, reply.json_bytes()


def _uploads(request_data: RequestData) -> dict[str, Upload]:
    uploads = {}
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        data = content if isinstance(content, bytes) else content.read()
        uploads[name] = Upload(filename, data, mime_type)
    return uploads
