"""Forum topics in the emulator, through PTB's Bot as the bot uses it: Telegram's rules and words."""

from __future__ import annotations

import pytest
from telegram import Bot, Update
from telegram.error import BadRequest

from bot.emulator import Emulator, EmulatorRequest

MANAGE = ("can_manage_topics",)


@pytest.fixture
def emu():
    return Emulator(flood=None)


@pytest.fixture
async def tg(emu):
    bot = Bot(emu.token, request=EmulatorRequest(emu), get_updates_request=EmulatorRequest(emu))
    async with bot:
        yield bot


async def test_a_topic_holds_the_messages_sent_to_its_thread(tg, emu):
    forum = emu.group(id=-1001, forum=True, bot_rights=MANAGE)
    topic = await tg.create_forum_topic(forum.id, "LP-ABC234 · Gaji · Baru")
    sent = await tg.send_message(forum.id, "kartu", message_thread_id=topic.message_thread_id)
    assert sent.is_topic_message and sent.message_thread_id == topic.message_thread_id
    assert [m.text for m in forum.in_topic(topic.message_thread_id)] == ["", "kartu"]
    assert (await tg.get_chat(forum.id)).is_forum


@pytest.mark.parametrize(
    ("forum", "rights", "error"),
    [
        (False, MANAGE, "Bad Request: the chat is not a forum"),
        (True, None, "Bad Request: not enough rights to create a topic"),
        (True, (), "Bad Request: not enough rights to create a topic"),
    ],
)
async def test_only_a_forum_whose_topics_the_bot_manages_gets_topics(tg, emu, forum, rights, error):
    group = emu.group(id=-1001, forum=forum, bot_rights=rights)
    with pytest.raises(BadRequest):
        await tg.create_forum_topic(group.id, "LP-ABC234")
    assert emu.errors[-1].description == error


async def test_a_closed_topic_takes_no_message_until_reopened(tg, emu):
    forum = emu.group(id=-1001, forum=True, bot_rights=MANAGE)
    thread = (await tg.create_forum_topic(forum.id, "LP-ABC234")).message_thread_id
    await tg.close_forum_topic(forum.id, thread)
    with pytest.raises(BadRequest):
        await tg.send_message(forum.id, "halo", message_thread_id=thread)
    assert emu.errors[-1].description == "Bad Request: TOPIC_CLOSED"
    await tg.reopen_forum_topic(forum.id, thread)
    assert (await tg.send_message(forum.id, "halo", message_thread_id=thread)).message_thread_id == thread


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda tg, chat, t: tg.edit_forum_topic(chat, t, name="LP-ABC234"), "TOPIC_NOT_MODIFIED"),
        (lambda tg, chat, t: tg.reopen_forum_topic(chat, t), "TOPIC_NOT_MODIFIED"),
        (lambda tg, chat, t: tg.send_message(chat, "x", message_thread_id=t + 9), "message thread not found"),
        (lambda tg, chat, t: tg.create_forum_topic(chat, " "), "TOPIC_TITLE_EMPTY"),
        (lambda tg, chat, t: tg.create_forum_topic(chat, "x" * 129), "TOPIC_TITLE_INVALID"),
    ],
)
async def test_topic_calls_are_refused_as_telegram_words_it(tg, emu, call, error):
    forum = emu.group(id=-1001, forum=True, bot_rights=MANAGE)
    thread = (await tg.create_forum_topic(forum.id, "LP-ABC234")).message_thread_id
    with pytest.raises(BadRequest):
        await call(tg, forum.id, thread)
    assert emu.errors[-1].description == f"Bad Request: {error}"


async def test_a_plain_supergroup_has_no_topic_threads(tg, emu):
    group = emu.group(id=-1001)
    with pytest.raises(BadRequest):
        await tg.send_message(group.id, "x", message_thread_id=99)
    assert emu.errors[-1].description == "Bad Request: message thread not found"


async def test_a_member_typing_in_a_topic_reaches_an_admin_bot_as_a_topic_message(tg, emu):
    staff = emu.user(id=7)
    forum = emu.group(id=-1001, members=[staff], forum=True, bot_rights=MANAGE)
    thread = (await tg.create_forum_topic(forum.id, "LP-ABC234")).message_thread_id
    await staff.send_in_topic(forum, thread, "halo")  # privacy mode on, no reply, no mention
    (update,) = [Update.de_json(u, tg) for u in emu.feed.pending]
    assert update.message.is_topic_message and update.message.message_thread_id == thread
    assert update.message.chat.is_forum and update.message.reply_to_message.forum_topic_created


async def test_only_administrators_may_write_in_a_closed_topic(tg, emu):
    staff = emu.user(id=7)
    forum = emu.group(id=-1001, members=[staff], forum=True, bot_rights=MANAGE)
    thread = (await tg.create_forum_topic(forum.id, "LP-ABC234")).message_thread_id
    await tg.close_forum_topic(forum.id, thread)
    with pytest.raises(PermissionError):
        await staff.send_in_topic(forum, thread, "halo")


DELETE = ("can_manage_topics", "can_delete_messages")


async def test_deleting_a_topic_removes_it_and_its_messages(tg, emu):
    forum = emu.group(id=-1001, forum=True, bot_rights=DELETE)
    thread = (await tg.create_forum_topic(forum.id, "LP-ABC234")).message_thread_id
    await tg.send_message(forum.id, "kartu", message_thread_id=thread)
    kept = await tg.send_message(forum.id, "umum")
    assert await tg.delete_forum_topic(forum.id, thread)
    assert forum.topics == [] and forum.in_topic(thread) == []
    assert [m.message_id for m in forum.messages] == [kept.message_id]
    assert (await tg.get_chat_member(forum.id, emu.bot.id)).can_delete_messages


@pytest.mark.parametrize(
    ("forum", "rights", "thread", "error"),
    [
        (False, DELETE, 0, "Bad Request: the chat is not a forum"),
        (True, MANAGE, 0, "Bad Request: not enough rights to delete the topic"),
        (True, None, 0, "Bad Request: not enough rights to delete the topic"),
        (True, DELETE, 9, "Bad Request: TOPIC_ID_INVALID"),  # unknown, or deleted already
    ],
)
async def test_only_a_topic_there_is_deleted_and_only_with_the_right(tg, emu, forum, rights, thread, error):
    group = emu.group(id=-1001, forum=True, bot_rights=DELETE)
    made = (await tg.create_forum_topic(group.id, "LP-ABC234")).message_thread_id
    group.chat.is_forum, group.chat.bot_rights = forum, frozenset(rights or ())
    if rights is None:
        group.chat.admins.discard(emu.bot.id)
    with pytest.raises(BadRequest):
        await tg.delete_forum_topic(group.id, made + thread)
    assert emu.errors[-1].description == error and list(group.chat.topics) == [made]
