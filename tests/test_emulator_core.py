"""The emulator core through the in-process front: Telegram's validation, errors and updates."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.emulator import Emulator, EmulatorRequest, FloodLimits


@pytest.fixture
def emu():
    return Emulator(flood=None)


@pytest.fixture
def user(emu):
    return emu.user(id=42, first_name="Siti")


@pytest.fixture
async def tg(emu):
    bot = Bot(emu.token, request=EmulatorRequest(emu), get_updates_request=EmulatorRequest(emu))
    async with bot:
        yield bot


def _keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(buttons)])


async def test_send_message_returns_a_message_the_user_sees(tg, user):
    sent = await tg.send_message(user.id, "<b>Halo</b> &amp; selamat", parse_mode="HTML")
    assert (sent.text, sent.chat.id, sent.from_user.id) == ("Halo & selamat", 42, tg.id)
    assert user.last_text == "Halo & selamat" and user.last.html == "<b>Halo</b> &amp; selamat"
    assert user.last.entities == ({"type": "bold", "offset": 0, "length": 4},)


@pytest.mark.parametrize(
    ("text", "parse_mode", "error"),
    [
        ("", None, "message text is empty"),
        ("   \n", None, "message text is empty"),
        ("<b> </b>", "HTML", "message text is empty"),
        ("x" * 4097, None, "message is too long"),
        ("😀" * 2049, None, "message is too long"),
        ("a & b", "HTML", "can't parse entities: unescaped"),
        ("<br>", "HTML", 'can\'t parse entities: unsupported start tag "br" at byte offset 0'),
        ("x", "Markdown", "unsupported parse_mode"),
    ],
)
async def test_message_text_is_validated(tg, user, text, parse_mode, error):
    with pytest.raises(BadRequest, match=f"(?i){error}"):
        await tg.send_message(user.id, text, parse_mode=parse_mode)


async def test_text_limit_counts_utf16_units_after_parsing(tg, user):
    await tg.send_message(user.id, "<b>" + "😀" * 2048 + "</b>", parse_mode="HTML")
    assert len(user.last_text) == 2048


async def test_caption_is_limited_to_1024(tg, user):
    await tg.send_document(user.id, b"a,b\n", filename="x.csv", caption="x" * 1024)
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await tg.send_document(user.id, b"a,b\n", filename="x.csv", caption="x" * 1025)


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        (_keyboard(InlineKeyboardButton("a", callback_data="x" * 65)), "BUTTON_DATA_INVALID"),
        (_keyboard(InlineKeyboardButton("a", callback_data="é" * 33)), "BUTTON_DATA_INVALID"),
        (_keyboard(InlineKeyboardButton("a", callback_data="")), "BUTTON_DATA_INVALID"),
        (_keyboard(InlineKeyboardButton("a", url="ftp://x.org")), "BUTTON_URL_INVALID"),
        (_keyboard(InlineKeyboardButton("a")), "Text buttons are unallowed"),
        (
            _keyboard(*[InlineKeyboardButton(str(i), callback_data="d") for i in range(9)]),
            "REPLY_MARKUP_TOO_LONG",
        ),
        (
            InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="d")]] * 101),
            "REPLY_MARKUP_TOO_LONG",
        ),
    ],
)
async def test_inline_keyboards_are_validated(tg, user, markup, error):
    with pytest.raises(BadRequest, match=f"(?i){error}"):
        await tg.send_message(user.id, "menu", reply_markup=markup)


async def test_a_full_legal_keyboard_is_accepted(tg, user):
    rows = [[InlineKeyboardButton("é" * 5, callback_data="é" * 32)] * 8] * 12
    rows.append([InlineKeyboardButton(f"b{i}", url="https://x.org") for i in range(4)])
    await tg.send_message(user.id, "menu", reply_markup=InlineKeyboardMarkup(rows))
    assert len(user.buttons) == 100


async def test_editing_checks_existence_and_changes(tg, user):
    keyboard = _keyboard(InlineKeyboardButton("Ya", callback_data="yes"))
    sent = await tg.send_message(user.id, "Pilih", reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified: specified new message"):
        await tg.edit_message_text("Pilih", user.id, sent.message_id, reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await tg.edit_message_text("Baru", user.id, 999)
    await tg.edit_message_text("Pilih", user.id, sent.message_id)
    assert user.last.edited and user.buttons == []


async def test_edit_reply_markup_and_caption(tg, user):
    keyboard = _keyboard(InlineKeyboardButton("Ya", callback_data="yes"))
    sent = await tg.send_photo(user.id, b"\xff\xd8jpeg", caption="a", reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await tg.edit_message_reply_markup(user.id, sent.message_id, reply_markup=keyboard)
    await tg.edit_message_caption(user.id, sent.message_id, caption="b", reply_markup=keyboard)
    assert (user.last.text, user.last.kind, user.buttons) == ("b", "photo", ["Ya"])


async def test_replying_to_a_missing_message(tg, user):
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await tg.send_message(user.id, "x", reply_parameters=ReplyParameters(77))
    lenient = ReplyParameters(77, allow_sending_without_reply=True)
    assert (await tg.send_message(user.id, "x", reply_parameters=lenient)).text == "x"


async def test_callback_queries_expire_and_answer_once(emu, tg, user):
    await tg.send_message(user.id, "?", reply_markup=_keyboard(InlineKeyboardButton("Ya", callback_data="y")))
    first, second = await user.press("Ya"), await user.press("Ya")
    assert await tg.answer_callback_query(first.id, text="ok")
    assert user.answer(first) == {"text": "ok", "show_alert": False, "url": None}
    emu.advance(15.1)
    for query_id in (first.id, second.id, "no-such-query"):
        with pytest.raises(BadRequest, match=r"(?i)query is too old and response timeout expired"):
            await tg.answer_callback_query(query_id)


async def test_chat_errors(emu, tg, user):
    group = emu.group(id=-4001, title="Staff", members=[user], type="group")
    new = await emu.migrate(group, new_id=-1004001)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await tg.send_message(999, "x")
    with pytest.raises(ChatMigrated) as migrated:
        await tg.send_message(group.id, "x")
    assert migrated.value.new_chat_id == new.id
    await user.block()
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await tg.send_message(user.id, "x")


async def test_a_user_who_never_started_cannot_be_messaged(emu, tg):
    stranger = emu.user(id=7, started=False)
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await tg.send_message(stranger.id, "x")


async def test_wrong_token_unknown_method_and_case_insensitive_names(emu):
    with pytest.raises(InvalidToken):
        await Bot("1:wrong", request=EmulatorRequest(emu)).initialize()
    assert (await emu.call("noSuchMethod")).body["description"] == "Not Found"
    assert (await emu.call("GETME", token=emu.token)).body["result"]["is_bot"] is True


@pytest.mark.parametrize(
    ("commands", "error"),
    [
        ([BotCommand("Start", "x")], "BOT_COMMAND_INVALID"),
        ([BotCommand("a" * 33, "x")], "BOT_COMMAND_INVALID"),
        ([BotCommand("start-x", "x")], "BOT_COMMAND_INVALID"),
        ([BotCommand("start", "")], "command description must be non-empty"),
        ([BotCommand("start", "x" * 257)], "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([BotCommand(f"c{i}", "x") for i in range(101)], "BOT_COMMANDS_TOO_MUCH"),
    ],
)
async def test_set_my_commands_is_validated(tg, commands, error):
    with pytest.raises(BadRequest, match=f"(?i){error}"):
        await tg.set_my_commands(commands)


async def test_commands_are_stored_per_scope_and_language(emu, tg, user):
    group = emu.group(id=-1005, members=[user])
    await tg.set_my_commands([BotCommand("start", "Mulai")], language_code="id")
    await tg.set_my_commands([BotCommand("cases", "Kasus")], scope=BotCommandScopeChat(user.id))
    member_scope = BotCommandScopeChatMember(group.id, user.id)
    await tg.set_my_commands([BotCommand("stats", "Statistik")], scope=member_scope)
    assert emu.commands_for(language_code="id") == [{"command": "start", "description": "Mulai"}]
    assert [c.command for c in await tg.get_my_commands(scope=member_scope)] == ["stats"]
    assert emu.visible_commands(user.id)[0]["command"] == "cases"
    assert emu.visible_commands(7, group.id, "id")[0]["command"] == "start"


async def test_private_chat_flood_limit_with_an_injected_clock(user, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # else PTB 22.8 warns on every RetryAfter
    now = [1000.0]
    emu = Emulator(clock=lambda: now[0], flood=FloodLimits())
    tg = Bot(emu.token, request=EmulatorRequest(emu), get_updates_request=EmulatorRequest(emu))
    emu.user(id=user.id)
    for _ in range(4):
        await tg.send_message(user.id, "x")
    with pytest.raises(RetryAfter) as caught:
        await tg.send_message(user.id, "x")
    assert caught.value.retry_after == dt.timedelta(seconds=1)
    now[0] += 1.0
    await tg.send_message(user.id, "x")


@pytest.mark.parametrize(
    ("limits", "group", "sends", "retry_after"),
    [
        (FloodLimits(), True, 20, 3),
        (FloodLimits(private_per_second=None), False, 30, 1),
    ],
)
async def test_group_and_overall_flood_limits(limits, group, sends, retry_after):
    emu = Emulator(clock=lambda: 0.0, flood=limits)
    chats = [emu.group(id=-100).id] if group else [emu.user(id=i).id for i in range(1, 40)]
    for i in range(sends):
        await emu.call("sendMessage", {"chat_id": chats[i % len(chats)], "text": "x"})
    reply = await emu.call("sendMessage", {"chat_id": chats[sends % len(chats)], "text": "x"})
    assert reply.status == 429 and reply.body["parameters"] == {"retry_after": retry_after}


async def test_callback_answers_and_polls_are_not_flood_limited(user):
    emu = Emulator(clock=lambda: 0.0)
    emu.user(id=user.id)
    for _ in range(10):
        await emu.call("getUpdates", {"timeout": 0})
        await emu.call("setMyCommands", {"commands": []})
    assert emu.errors == []


async def test_get_updates_confirms_by_offset_and_redelivers(emu, tg, user):
    await user.send("/start")
    await user.send("halo")
    first = await tg.get_updates(timeout=0)
    restarted = Bot(emu.token, request=EmulatorRequest(emu), get_updates_request=EmulatorRequest(emu))
    again = await restarted.get_updates(timeout=0)
    assert [u.update_id for u in first] == [u.update_id for u in again] == [1, 2]
    assert await tg.get_updates(offset=3, timeout=0) == ()
    assert emu.feed.pending == []


async def test_a_negative_offset_keeps_only_the_newest_updates(emu, tg, user):
    for text in ("a", "b", "c"):
        await user.send(text)
    assert [u.message.text for u in await tg.get_updates(offset=-1, timeout=0)] == ["c"]
    assert [u.update_id for u in await tg.get_updates(timeout=0)] == [3]


async def test_commands_carry_a_bot_command_entity(emu, tg, user):
    await user.send("/start@pmi_helpdesk_bot x")
    (update,) = await tg.get_updates(timeout=0)
    assert update.message.entities[0].length == len("/start@pmi_helpdesk_bot")
    assert update.message.text == "/start@pmi_helpdesk_bot x"


async def test_long_poll_holds_until_an_update_arrives(emu, tg, user):
    poll = asyncio.create_task(tg.get_updates(timeout=5))
    await emu.wait_polling(timeout=1)
    assert not poll.done()
    await user.send("halo")
    assert [u.message.text for u in await asyncio.wait_for(poll, 1)] == ["halo"]


async def test_allowed_updates_are_sticky(emu, user):
    await emu.call("getUpdates", {"timeout": 0, "allowed_updates": ["callback_query"]})
    await user.send("halo")
    await user.press_data("x")
    reply = await emu.call("getUpdates", {"timeout": 0})
    assert [list(u)[1] for u in reply.body["result"]] == ["callback_query"]


async def test_a_second_poller_terminates_the_first(emu, tg):
    older = asyncio.create_task(tg.get_updates(timeout=5))
    await emu.wait_polling(timeout=1)
    newer = asyncio.create_task(tg.get_updates(timeout=0.3))
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates request"):
        await older
    assert await newer == ()


async def test_conflict_knob_and_webhook_block_get_updates(emu, tg):
    emu.force_conflict = True
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
        await tg.get_updates(timeout=0)
    emu.force_conflict = False
    await tg.set_webhook("https://bot.example/hook", secret_token="s3cret")
    with pytest.raises(Conflict, match=r"(?i)can't use getUpdates method while webhook is active"):
        await tg.get_updates(timeout=0)
    assert (await tg.get_webhook_info()).url == "https://bot.example/hook"


async def test_upload_a_csv_and_download_it_again(tg, user):
    csv = b"nama,kota\nSiti,Blitar\n"
    sent = await tg.send_document(user.id, InputFile(csv, filename="laporan.csv"))
    assert (user.last.kind, user.last.file_name, user.last.data) == ("document", "laporan.csv", csv)
    downloaded = await (await tg.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == csv


async def test_copy_forward_delete_and_chat_action(emu, tg, user):
    sent = await tg.send_message(user.id, "asli")
    copied = await tg.copy_message(user.id, user.id, sent.message_id)
    forwarded = await tg.forward_message(user.id, user.id, sent.message_id)
    assert copied.message_id == 2 and forwarded.forward_origin.sender_user.id == tg.id
    assert await tg.delete_message(user.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await tg.delete_message(user.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await tg.send_chat_action(user.id, "dancing")


async def test_get_chat_and_chat_member_parse_in_ptb(emu, tg, user):
    group = emu.group(id=-1009, title="Staff", members=[user], admins=[emu.user(id=5)])
    assert (await tg.get_chat(user.id)).first_name == "Siti"
    assert (await tg.get_chat_member(group.id, user.id)).status == "member"
    assert (await tg.get_chat_member(group.id, 5)).status == "administrator"
    assert (await tg.get_chat_member(group.id, tg.id)).status == "member"


async def test_every_request_is_recorded_with_its_outcome(emu, tg, user):
    await tg.send_message(user.id, "x")
    with pytest.raises(BadRequest):
        await tg.send_message(user.id, "")
    assert [c.method for c in emu.calls("sendmessage")] == ["sendMessage", "sendMessage"]
    assert [(e.status, e.description) for e in emu.errors] == [(400, "Bad Request: message text is empty")]


async def _start(update, context):
    keyboard = _keyboard(InlineKeyboardButton("Ya", callback_data="yes"))
    await update.effective_message.reply_text("Mulai?", reply_markup=keyboard)


async def _chosen(update, context):
    await update.callback_query.answer("ok")
    await update.callback_query.edit_message_text(f"Pilihan: {update.callback_query.data}")


async def test_in_process_delivery_runs_handlers_before_returning(emu, user):
    app = Application.builder().token(emu.token).request(EmulatorRequest(emu)).updater(None).build()
    app.add_handlers([CommandHandler("start", _start), CallbackQueryHandler(_chosen)])
    async with app:
        emu.deliver = lambda update: app.process_update(Update.de_json(update, app.bot))
        await user.send("/start")
        query = await user.press("Ya")
    assert user.last_text == "Pilihan: yes" and user.answer(query)["text"] == "ok"
    assert emu.errors == [] and [u["update_id"] for u in emu.feed.history] == [1, 2]


async def test_press_names_the_visible_buttons_when_missing(tg, user):
    await tg.send_message(user.id, "?", reply_markup=_keyboard(InlineKeyboardButton("Ya", callback_data="y")))
    with pytest.raises(LookupError, match=r"no button 'Tidak'; visible buttons: \['Ya'\]"):
        await user.press("Tidak")


async def test_group_privacy_mode_hides_plain_chatter(emu, tg, user):
    group = emu.group(id=-1007, members=[user])
    sent = await tg.send_message(group.id, "Kasus baru")
    await user.send_in(group, "apa kabar")
    await user.send_in(group, "/cases@pmi_helpdesk_bot")
    await user.reply_in(group, sent.message_id, "saya ambil")
    texts = [u.message.text for u in await tg.get_updates(timeout=0)]
    assert texts == ["/cases@pmi_helpdesk_bot", "saya ambil"]


async def test_blocking_emits_my_chat_member(emu, tg, user):
    await user.block()
    await user.unblock()
    updates = await tg.get_updates(timeout=0)
    statuses = [u.my_chat_member.new_chat_member.status for u in updates]
    assert statuses == ["kicked", "member"]


async def test_delete_messages_takes_1_to_100_ids_and_skips_missing_ones(emu, tg, user):
    sent = [await tg.send_message(user.id, f"pesan {n}") for n in range(3)]
    assert await tg.delete_messages(user.id, [sent[0].message_id, sent[1].message_id, 999])
    assert [m.text for m in emu.messages_in(user.id)] == ["pesan 2"]
    for ids in ([], list(range(1, 102))):
        with pytest.raises(BadRequest):
            await tg.delete_messages(user.id, ids)


async def test_messages_older_than_48_hours_cannot_be_deleted(emu, tg, user):
    old = await tg.send_message(user.id, "lama")
    emu.advance(48 * 3600)
    new = await tg.send_message(user.id, "baru")
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
        await tg.delete_messages(user.id, [old.message_id, new.message_id])
    assert len(emu.messages_in(user.id)) == 2  # all or nothing
    assert await tg.delete_message(user.id, new.message_id)


async def test_protected_content_is_marked_and_cannot_be_forwarded(emu, tg, user):
    sent = await tg.send_message(user.id, "rahasia", protect_content=True)
    assert sent.has_protected_content
    with pytest.raises(BadRequest, match=r"(?i)can't be forwarded"):
        await tg.forward_message(user.id, user.id, sent.message_id)
