"""The HTTP front: a local Bot API server (tornado) for a real bot process, plus webhook pushes.

Routes ``POST|GET /bot<token>/<method>`` (form-urlencoded, multipart or JSON bodies) and
``GET /file/bot<token>/<file_path>``. It runs on the caller's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import httpx
import tornado.httpserver
import tornado.netutil
import tornado.web

from .core import Emulator
from .world import Upload


class EmulatorServer:
    """``async with EmulatorServer(emu) as server:`` then point the bot at ``server.url``."""

    def __init__(
        self,
        emulator: Emulator,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_retry: float = 0.5,
    ):
        self.emulator = emulator
        self.host = host
        self.port = port
        self.webhook_retry = webhook_retry
        self._server: tornado.httpserver.HTTPServer | None = None
        self._client: httpx.AsyncClient | None = None
        self._pusher: asyncio.Task | None = None

    @property
    def url(self) -> str:
        """Base URL for ``TELEGRAM_API_URL`` / ``base_url``: the token is appended."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def file_url(self) -> str:
        """Base URL for ``base_file_url``."""
        return f"http://{self.host}:{self.port}/file/bot"

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind (port 0 picks a free one) and start serving and pushing webhooks."""
        routes = [
            (r"/bot([^/]+)/([A-Za-z0-9_]+)/?", _ApiHandler, {"emulator": self.emulator}),
            (r"/file/bot([^/]+)/(.+)", _FileHandler, {"emulator": self.emulator}),
        ]
        app = tornado.web.Application(routes, log_function=lambda handler: None)
        sockets = tornado.netutil.bind_sockets(self.port, self.host)
        self.port = sockets[0].getsockname()[1]
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)
        self._client = httpx.AsyncClient(timeout=5.0)
        self._pusher = asyncio.create_task(self._push_webhooks())

    async def stop(self) -> None:
        """Answer held polls, stop pushing, close every connection."""
        self.emulator.feed.release()
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
        if self._client is not None:
            await self._client.aclose()

    async def _push_webhooks(self) -> None:
        """POST pending updates one by one to the webhook; retry later when it fails."""
        emulator = self.emulator
        while True:
            hook = emulator.webhook
            batch = emulator.feed.ready() if hook else []
            if hook is None or not batch:
                await emulator.feed.changed(1.0)
                continue
            headers = {"Content-Type": "application/json"}
            if hook.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
            emulator.note_activity(+1)
            try:
                error = await self._post(hook.url, batch[0], headers)
            finally:
                emulator.note_activity(-1)
            if error is None:
                emulator.feed.remove(batch[0])
                continue
            hook.last_error_date, hook.last_error_message = emulator.unix_time(), error
            await asyncio.sleep(self.webhook_retry)

    async def _post(self, url: str, update: dict, headers: dict[str, str]) -> str | None:
        assert self._client is not None
        try:
            response = await self._client.post(url, content=json.dumps(update), headers=headers)
        except httpx.HTTPError as exc:
            return f"Connection failed: {type(exc).__name__}"
        if 200 <= response.status_code < 300:
            return None
        return f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"


class _ApiHandler(tornado.web.RequestHandler):
    """One Bot API call; a long poll is cancelled if the client hangs up."""

    def initialize(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._call: asyncio.Future | None = None

    async def get(self, token: str, method: str) -> None:
        await self._answer(token, method)

    async def post(self, token: str, method: str) -> None:
        await self._answer(token, method)

    async def _answer(self, token: str, method: str) -> None:
        try:
            params, files = self._params()
        except ValueError:
            self.set_status(400)
            self.finish({"ok": False, "error_code": 400, "description": "Bad Request: can't parse JSON"})
            return
        self._call = asyncio.ensure_future(self.emulator.call(method, params, files, token=token))
        try:
            reply = await self._call
        except asyncio.CancelledError:
            return
        self.set_status(reply.status)
        self.set_header("Content-Type", "application/json")
        self.finish(reply.json_bytes())

    def on_connection_close(self) -> None:
        if self._call is not None:
            self._call.cancel()

    def _params(self) -> tuple[dict[str, Any], dict[str, Upload]]:
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            body = json.loads(self.request.body or b"{}")
            params = body if isinstance(body, dict) else {}
        else:
            params = {name: values[-1].decode("utf-8") for name, values in self.request.arguments.items()}
        files = {
            name: Upload(parts[0].filename, parts[0].body, parts[0].content_type)
            for name, parts in self.request.files.items()
        }
        return params, files


class _FileHandler(tornado.web.RequestHandler):
    """Downloads for getFile paths."""

    def initialize(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def get(self, token: str, path: str) -> None:
        stored = self.emulator.file_by_path(path)
        if token not in self.emulator.tokens or stored is None:
            self.set_status(404)
            self.finish({"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.set_header("Content-Type", stored.mime_type or "application/octet-stream")
        self.finish(stored.data)
