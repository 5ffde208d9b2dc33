import asyncio
import logging

import pytest
from journeys import label
from telegram import Update
from telegram.ext import TypeHandler

from bot.emulator import DEFAULT_TOKEN
from bot.logs import setup_logging


@pytest.mark.parametrize(
    "action", ["send_sticker", "send_photo", "send_voice", "send_location", "send_document", "send_contact"]
)
async def test_non_text_messages_get_a_hint_and_the_menu(siti, action):
    await getattr(siti, action)()
    assert siti.last_text.startswith(label("user-non-text")) and siti.buttons


async def test_edited_messages_and_group_chatter_break_nothing(bot, siti):
    await siti.send("halo")
    await siti.edit_last("halo lagi")
    group = bot.emulator.group(id=-100555, title="Desa", members=[siti])
    await siti.send_in(group, "apa kabar semua")
    await siti.send("/start")
    assert siti.last_text == label("user-welcome", name="Siti")


async def test_user_commands_in_a_group_point_to_a_private_chat(bot, siti):
    group = bot.emulator.group(id=-100556, title="Desa", members=[siti])
    await siti.send_in(group, "/start")
    assert group.last_text.startswith(label("user-group-private"))


async def test_a_5000_character_message_is_answered(siti):
    await siti.send("gaji " * 1000)
    assert siti.last is not None and siti.buttons


async def test_user_text_with_html_never_breaks_html(bot):
    user = bot.emulator.user(id=77, first_name="<b>&</i>", language_code="id")
    await user.send("/start")
    await user.send("<b>& <script>")
    assert user.messages[0].text == label("user-welcome", name="<b>&</i>")  # escaped, shown as typed


async def test_unknown_commands_are_answered(siti):
    await siti.send("/frobnicate")
    assert siti.last_text.startswith(label("user-unknown-command"))


@pytest.mark.allow_api_errors
async def test_a_failing_handler_is_logged_and_answered_politely(bot, siti, caplog):
    async def explode(update, context):
        raise RuntimeError("boom")

    bot.app.add_handler(TypeHandler(Update, explode), group=min(bot.app.handlers) - 1)  # before all
    await siti.send("/start")
    assert any(m.text.startswith(label("error-generic")) for m in siti.messages)
    assert "error on update" in caplog.text and "RuntimeError" in caplog.text


async def test_the_bots_logging_set_up_keeps_the_token_out(bot, siti, caplog):
    caplog.set_level(logging.DEBUG)
    setup_logging("DEBUG")  # what `run` does: redaction on every handler, the capturing one included
    await siti.send("/start")
    logging.getLogger("telegram").debug("base url %s", f"https://x/bot{DEFAULT_TOKEN}/")
    assert DEFAULT_TOKEN not in caplog.text and "[token]" in caplog.text


async def test_a_slow_user_does_not_delay_another_and_order_is_kept(bot):
    """Through the application's real update queue and the ordered processor."""
    app, emulator = bot.app, bot.emulator
    seen = []
    release = asyncio.Event()

    async def record(update, context):
        if update.effective_message.text == "slow":
            await release.wait()
        seen.append((update.effective_user.id, update.effective_message.text))

    app.add_handler(TypeHandler(Update, record), group=min(app.handlers) - 1)  # before all
    slow, quick = emulator.user(id=1, first_name="A"), emulator.user(id=2, first_name="B")
    emulator.deliver = lambda u: app.update_queue.put(Update.de_json(u, app.bot))
    await app.start()
    for text in ("slow", "1", "2", "3"):
        await slow.send(text)
    await quick.send("hi")
    for _ in range(100):
        if (2, "hi") in seen:
            break
        await asyncio.sleep(0.01)
    assert seen == [(2, "hi")]
    release.set()
    await asyncio.sleep(0.2)
    await app.stop()
    assert [t for uid, t in seen if uid == 1] == ["slow", "1", "2", "3"]
