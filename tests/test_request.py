"""bot/request.py: the aiohttp client for Bot API calls, against the emulator's HTTP front and bad servers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.emulator import Emulator, EmulatorServer
from bot.request import AiohttpRequest


@pytest.fixture
async def served():
    emu = Emulator()
    async with EmulatorServer(emu) as server:
        yield emu, server


@contextlib.asynccontextmanager
async def silent_server():
    """A server that accepts connections and never answers; yields its base URL."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/bot"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_messages_keyboards_and_api_errors_go_through(served):
    emu, server = served
    user = emu.user(id=42, first_name="Siti")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="y")]])
    async with Bot(emu.token, base_url=server.url, request=AiohttpRequest(4)) as bot:
        sent = await bot.send_message(42, "<b>Halo</b> Siti", parse_mode="HTML", reply_markup=keyboard)
        with pytest.raises(BadRequest, match="parse entities"):
            await bot.send_message(42, "<b>unclosed", parse_mode="HTML")
    assert sent.text == "Halo Siti" and sent.chat.id == 42
    assert (user.last_text, user.buttons) == ("Halo Siti", ["Ya"])


async def test_calls_without_files_send_a_json_body():
    """JSON, not the urlencoded form PTB's HTTPXRequest sends: no per-byte quoting of each text."""
    seen: list[tuple[bytes, bytes]] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(
            next(line for line in head.lower().split(b"\r\n") if line.startswith(b"content-length"))[15:]
        )
        seen.append((head.lower(), await reader.readexactly(length)))
        me = b'{"id": 1, "is_bot": true, "first_name": "Bot", "username": "bot"}'
        body = b'{"ok": true, "result": %s}' % (me if b"/getme " in head.lower() else b"true")
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n")
        writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ya & tidak", callback_data="y")]])
    try:
        async with Bot("1:A", base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest()) as bot:
            await bot.set_my_description("Halo <b>Siti</b> 👋")
            await bot.edit_message_reply_markup(inline_message_id="É&1", reply_markup=keyboard)
    finally:
        server.close()
        await server.wait_closed()
    head, body = seen[-1]
    assert b"content-type: application/json" in head
    assert json.loads(seen[-2][1]) == {"description": "Halo <b>Siti</b> 👋"}
    sent = json.loads(body)  # reply_markup stays a "JSON-serialized object", as the Bot API documents it
    assert sent["inline_message_id"] == "É&1"
    assert json.loads(sent["reply_markup"]) == {
        "inline_keyboard": [[{"text": "Ya & tidak", "callback_data": "y"}]]
    }


async def test_uploads_are_multipart_with_name_type_and_bytes(served):
    emu, server = served
    user = emu.user(id=42)
    async with Bot(emu.token, base_url=server.url, request=AiohttpRequest()) as bot:
        await bot.send_document(
            42, b"a;b\n1;2\n", filename="kasus.csv", caption="Ekspor <i>kasus</i>", parse_mode="HTML"
        )
    last = user.last
    assert (last.kind, last.file_name, last.data, last.text) == (
        "document",
        "kasus.csv",
        b"a;b\n1;2\n",
        "Ekspor kasus",
    )


async def test_a_closed_port_is_a_network_error():
    with socket_port() as port:
        pass  # the port is free again: nothing listens there
    async with AiohttpRequest() as request:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{port}/botTOKEN/getMe")
    assert not isinstance(raised.value, TimedOut)


async def test_no_answer_in_time_is_timed_out_and_may_have_been_sent():
    async with silent_server() as url, AiohttpRequest(read_timeout=0.2) as request:
        with pytest.raises(TimedOut) as raised:
            await request.post(f"{url}TOKEN/sendMessage", read_timeout=0.2)
    assert "pool timeout" not in raised.value.message.lower()


async def test_no_free_connection_is_a_pool_timeout_and_nothing_was_sent():
    async with (
        silent_server() as url,
        AiohttpRequest(1, read_timeout=5, connect_timeout=0.1, pool_timeout=0.2) as request,
    ):
        first = asyncio.create_task(request.post(f"{url}TOKEN/sendMessage"))
        await asyncio.sleep(0.05)  # the only connection is now taken by a request that hangs
        with pytest.raises(TimedOut, match="Pool timeout") as raised:
            await request.post(f"{url}TOKEN/sendMessage")
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimedOut):
            await first
    assert "not sent" in raised.value.message


def test_proxies_come_from_the_environment_once_per_host(monkeypatch):
    monkeypatch.setenv("https_proxy", "http://proxy.desa.example:3128")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    request = AiohttpRequest()
    assert request._proxy("https://api.telegram.org/botT/getMe") == "http://proxy.desa.example:3128"
    assert request._proxy("http://127.0.0.1:8081/botT/getMe") is None
    monkeypatch.setenv("https_proxy", "http://changed.example:1")
    assert request._proxy("https://api.telegram.org/botT/sendMessage") == "http://proxy.desa.example:3128"


async def test_requests_need_initialize():
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:1/botT/getMe", "POST")


@contextlib.contextmanager
def socket_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
