"""Staff in a forum staff chat: one topic per case (bot/outbox/topics.py). Whatever a staff member
writes in a case's topic goes to the reporter, signed as staff like a reply on a card; a message
starting with NOTE_PREFIX ("//") is an internal note on the case and never leaves the group."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.context import BotContext
from bot.handlers import staff
from bot.store import Case
from bot.store.cases import Note

NOTE_PREFIX = "//"


ToReporter = Callable[[Update, BotContext, Case], Awaitable[None]]


async def topic_message(update: Update, context: BotContext, to_reporter: ToReporter) -> bool:
    """A staff member's message in a case's topic: a note ("// …") or a message to the reporter.
    False when the message is in no case's topic, or answers the sender's open note on this case."""
    message = update.effective_message
    chat = update.effective_chat
    if chat.id != context.services.staff_chat_id:
        return False
    context.services.staff_forum = bool(chat.is_forum)  # Topics can be turned on or off any time
    if not message.is_topic_message:
        return False
    case = await context.store.case_for_topic(chat.id, message.message_thread_id)
    if case is None or not context.is_staff(update.effective_user.id):
        return False
    text = (message.text or message.caption or "").strip()
    if text.startswith(NOTE_PREFIX):
        await _save_note(update, context, case, text[len(NOTE_PREFIX) :].strip())
        return True
    draft = await context.store.get_draft(update.effective_user.id)
    if draft is not None and draft.flow == staff.NOTE.name and draft.answers.get("_case") == case.id:
        return False  # the note the "Note" button asked for (bot/handlers/staff.py)
    await to_reporter(update, context, case)
    return True


async def _save_note(update: Update, context: BotContext, case: Case, text: str) -> None:
    """The note on the case; the staff member is told in the topic, unless it is closed (the bot
    cannot post there; only admins can write in it)."""
    topic = await context.store.topic_of(case.id)
    note = Note(case_id=case.id, reference=case.reference, text=text[:3000])
    if text:
        await context.store.add_note(update.effective_user.id, note)
    if topic is not None and not topic.closed:
        key = "staff-note-done" if text else "staff-note-ask"
        await update.effective_message.reply_text(
            context.content.text(context.settings.default_language, key, result=note)
        )
