"""The emulator's HTTP front: a real PTB Application polling it, raw HTTP, webhook pushes."""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.emulator import Emulator, EmulatorServer


@pytest.fixture
async def served():
    emu = Emulator()
    async with EmulatorServer(emu, webhook_retry=0.05) as server:
        yield emu, server


async def _start(update, context):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="yes")]])
    await update.effective_message.reply_html("<b>Halo</b>, mulai?", reply_markup=keyboard)


async def _chosen(update, context):
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(f"Pilihan: {update.callback_query.data}")


@contextlib.asynccontextmanager
async def _polling(app: Application):
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0)
        yield app
        await app.updater.stop()
        await app.stop()


async def test_a_real_application_long_polls_over_http(served):
    emu, server = served
    app = Application.builder().token(emu.token).base_url(server.url).build()
    app.add_handlers([CommandHandler("start", _start), CallbackQueryHandler(_chosen)])
    user = emu.user(id=42, first_name="Siti")
    async with _polling(app):
        await user.send("/start")
        await emu.wait_idle()
        assert (user.last_text, user.buttons) == ("Halo, mulai?", ["Ya"])
        await user.press("Ya")
        await emu.wait_idle()
    assert user.last_text == "Pilihan: yes" and emu.errors == []
    assert [c.method for c in emu.requests[:2]] == ["getMe", "deleteWebhook"]


async def test_form_bodies_are_typed_like_telegram_reads_them(served):
    emu, server = served
    user = emu.user(id=42)
    markup = json.dumps({"inline_keyboard": [[{"text": "Ya", "callback_data": "y"}]]})
    form = {"chat_id": "42", "text": "menu", "reply_markup": markup, "protect_content": "true"}
    async with httpx.AsyncClient() as client:
        sent = await client.post(f"{server.url}{emu.token}/sendMessage", data=form)
        as_json = await client.post(f"{server.url}{emu.token}/SENDMESSAGE", json={"chat_id": 42, "text": "j"})
    assert sent.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Ya"
    assert as_json.status_code == 200 and user.last_text == "j"


@pytest.mark.parametrize(
    ("path", "status", "description"),
    [("0:bad/getMe", 401, "Unauthorized"), ("{token}/fly", 404, "Not Found")],
)
async def test_wrong_token_and_unknown_method(served, path, status, description):
    emu, server = served
    async with httpx.AsyncClient() as client:
        reply = await client.post(server.url + path.format(token=emu.token))
    assert (reply.status_code, reply.json()["description"]) == (status, description)


async def test_multipart_upload_and_file_download(served):
    emu, server = served
    user, csv = emu.user(id=42), b"nama,kota\nSiti,Blitar\n"
    async with Bot(emu.token, base_url=server.url, base_file_url=server.file_url) as bot:
        sent = await bot.send_document(user.id, InputFile(csv, filename="laporan.csv"), caption="ok")
        downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert (user.last.file_name, user.last.data, bytes(downloaded)) == ("laporan.csv", csv, csv)


async def test_two_pollers_get_409(served):
    emu, server = served
    url = f"{server.url}{emu.token}/getUpdates"
    async with httpx.AsyncClient() as client:
        older = asyncio.create_task(client.post(url, data={"timeout": "5"}))
        await emu.wait_polling(timeout=2)
        newer = await client.post(url, data={"timeout": "0"})
        first = await older
    assert first.status_code == 409 and "terminated by other getUpdates" in first.text
    assert newer.json() == {"ok": True, "result": []}


class _Hook(tornado.web.RequestHandler):
    def initialize(self, received: list) -> None:
        self.received = received

    def post(self) -> None:
        secret = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        self.received.append((secret, json.loads(self.request.body)))
        self.set_status(500 if len(self.received) == 1 else 200)


@contextlib.asynccontextmanager
async def _webhook_receiver(received: list):
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(
        tornado.web.Application([("/hook", _Hook, {"received": received})])
    )
    server.add_sockets(sockets)
    yield f"http://127.0.0.1:{sockets[0].getsockname()[1]}/hook"
    server.stop()
    await server.close_all_connections()


async def test_webhook_pushes_with_the_secret_and_retries(served):
    emu, server = served
    received: list = []
    async with _webhook_receiver(received) as url, httpx.AsyncClient() as client:
        api = f"{server.url}{emu.token}"
        await client.post(f"{api}/setWebhook", data={"url": url, "secret_token": "s3cret"})
        await emu.user(id=42).send("halo")
        await emu.wait_idle(timeout=3)
        info = (await client.post(f"{api}/getWebhookInfo")).json()["result"]
        polled = await client.post(f"{api}/getUpdates")
    assert [(s, u["message"]["text"]) for s, u in received] == [("s3cret", "halo")] * 2
    assert info["pending_update_count"] == 0 and "500" in info["last_error_message"]
    assert polled.status_code == 409 and "webhook is active" in polled.text
