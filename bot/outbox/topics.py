"""Forum topics of cases, as outbox rows: when the staff chat is a forum supergroup, each case gets
one topic named "LP-XXXXXX · category · status" (🚨 first when urgent) that holds its card and every
message of the case. A resolved case's topic is closed; a reporter's new message reopens it. Renames
wait RENAME_DELAY seconds and replace a rename still waiting, so a burst of changes is one call."""

from __future__ import annotations

import logging

from telegram.error import TelegramError

from bot.context import Services
from bot.store import Case, Topic
from bot.store.outbox import Outgoing
from bot.store.topics import RENAME
from bot.telegram_html import parse

log = logging.getLogger(__name__)

CREATE, STATE = "topic_create", "topic_state"  # outbox kinds (RENAME: bot/store/topics.py)
RENAME_DELAY = 10  # seconds a rename waits for the next change before it is sent
URGENT_COLOR = 16478047  # the red of Telegram's topic icon colours
NAME_ROOM = 128  # characters Telegram allows in a topic name


async def learn_forum(services: Services, bot) -> None:
    """Whether the staff chat is a forum, asked once (getChat) before the first case needs it."""
    if services.staff_forum is not None or not services.staff_chat_id:
        return
    try:
        chat = await bot.get_chat(services.staff_chat_id)
    except TelegramError as exc:
        log.warning("could not tell whether the staff chat is a forum: %s", exc.message)
        return
    services.staff_forum = bool(chat.is_forum)


def forum_chat(services: Services) -> int | None:
    """The staff forum cases get topics in, or None (a plain group: cards and replies)."""
    return services.staff_chat_id if services.staff_chat_id and services.staff_forum else None


def topic_name(services: Services, case: Case) -> str:
    lang = services.settings.default_language
    text = services.content.text(
        lang,
        "staff-topic-name",
        case=case,
        category=services.content.text(lang, f"user-category-{case.category}"),
        status=services.content.text(lang, f"user-status-{case.status}"),
    )
    return parse(text).text[:NAME_ROOM]


def create(services: Services, case: Case, chat_id: int) -> Outgoing:
    """The row that creates a case's topic; its card follows once Telegram gave the thread id
    (bot/outbox/hooks.py)."""
    payload: dict = {"name": topic_name(services, case)}
    if case.urgent:
        payload["icon_color"] = URGENT_COLOR
    return Outgoing(chat_id, "createForumTopic", payload, kind=CREATE, ref=case.id)


async def placement(services: Services, case: Case, chat_id: int) -> dict | None:
    """Where a message about the case goes in `chat_id`: its topic ({"message_thread_id": …},
    reopening a closed topic first), or None when the case has no topic there."""
    topic = await services.store.topic_of(case.id)
    if topic is None or topic.chat_id != chat_id:
        return None
    if topic.closed:
        await services.store.set_topic_closed(case.id, False, _state(topic, False))
    return {"message_thread_id": topic.thread_id}


async def sync(services: Services, case: Case) -> None:
    """After a status change: the topic closed (resolved) or reopened, and renamed (debounced)."""
    topic = await services.store.topic_of(case.id)
    if topic is None:
        return
    closed = case.status == "resolved"
    if closed != topic.closed:
        await services.store.set_topic_closed(case.id, closed, _state(topic, closed))
    name = topic_name(services, case)
    rename = Outgoing(
        topic.chat_id,
        "editForumTopic",
        {"message_thread_id": topic.thread_id, "name": name},
        kind=RENAME,
        ref=case.id,
        delay=RENAME_DELAY,
    )
    await services.store.queue_topic_rename(case.id, name, rename)
    services.wake_outbox()


def _state(topic: Topic, closed: bool) -> Outgoing:
    method = "closeForumTopic" if closed else "reopenForumTopic"
    return Outgoing(
        topic.chat_id, method, {"message_thread_id": topic.thread_id}, kind=STATE, ref=topic.case_id
    )
