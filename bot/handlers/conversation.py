"""A reporter and staff talk as in a chat: while a case is in conversation (staff wrote to the reporter,
or the reporter wrote to staff, within CONVERSATION_HOURS), the reporter's plain messages (text, photo
with caption, voice, document, location) go to that case, without Telegram's swipe-to-reply. With
several such cases the bot asks once which one. Media outside any case are offered to staff as a
question instead of being turned away."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update

from bot.callbacks import Callback
from bot.context import BotContext
from bot.handlers import questions, screens
from bot.handlers.common import answer_query
from bot.handlers.wizard import MEDIA_ICONS, file_of
from bot.outbox import notices, topics
from bot.search.urgent import classify
from bot.store import Case, ReporterMessage
from bot.store.conversations import Conversation

# What a reporter may send to a case (a sticker or a poll is not a message for staff).
RELAYABLE = ("text", "photo", "voice", "document", "video", "audio", "location")
MAPS = "https://maps.google.com/?q={latitude:.6f},{longitude:.6f}"


def words_and_files(message: Message) -> tuple[str | None, tuple[tuple[str, str, str], ...]]:
    """A message as words (typed, a caption, or a location as a map link) and its file with caption."""
    if message.location is not None:
        location = message.location
        return "📍 " + MAPS.format(latitude=location.latitude, longitude=location.longitude), ()
    text = message.text or message.caption
    file = file_of(message)
    return text, ((*file, message.caption or ""),) if file else ()


def relayable(message: Message) -> bool:
    return any(getattr(message, kind, None) for kind in RELAYABLE)  # an absent photo is ()


async def to_case(update: Update, context: BotContext) -> bool:
    """A private message from a reporter with a case in conversation: to that case (or asks which one
    when several; the danger check ran before). False when the user has no case in conversation."""
    message = update.effective_message
    if not relayable(message):
        return False
    since = context.store.db.now() - context.settings.conversation_hours * 3600
    talks = await context.store.conversations(update.effective_user.id, since)
    if not talks:
        return False
    case = await _current(context, update.effective_user.id, talks)
    if case is None:
        await _ask_which(update, context, talks)
    else:
        await deliver(context, case, message)
    return True


async def _current(context: BotContext, user_id: int, talks: list[Conversation]) -> Case | None:
    """The one case in conversation, or the one the user chose after every other case's last message."""
    if len(talks) == 1:
        return talks[0].case
    chosen = await context.store.chosen_case(user_id)
    if chosen is None:
        return None
    case_id, chosen_at = chosen
    others = [t.last for t in talks if t.case.id != case_id]
    mine = next((t.case for t in talks if t.case.id == case_id), None)
    return mine if mine is not None and chosen_at >= max(others) else None


async def _ask_which(update: Update, context: BotContext, talks: list[Conversation]) -> None:
    """Quote the message and ask which case it is about (the buttons find it again in the quote)."""
    rows = [[screens.button(_label(context, t.case), "cv", str(t.case.id))] for t in talks[:5]]
    if update.effective_message.text or update.effective_message.caption:
        rows.append([screens.button(context.text("user-button-ask-bot"), "cvb")])
    await update.effective_message.reply_text(
        context.text("user-conversation-which"), reply_markup=InlineKeyboardMarkup(rows), do_quote=True
    )


async def deliver(context: BotContext, case: Case, message: Message) -> Case:
    """The reporter's message to staff under the case, committed with the case reopened if it was
    resolved, and made urgent if the message reads as danger (the emergency reply went first); then
    one short line for the reporter naming the reference. A redelivered update is relayed once."""
    text, files = words_and_files(message)
    reopened = case.status == "resolved"
    danger = classify(text) if text and message.location is None else None
    plain = [file[:2] for file in files]
    outgoing = await notices.to_staff(
        context.services, case, text or icons(files), plain, "message_in", reopened=reopened, danger=danger
    )
    added = await context.store.add_reporter_message(
        case,
        ReporterMessage(text or icons(files), files, danger),
        outgoing,
        (message.chat.id, message.message_id),
    )
    if added is None:
        return case  # delivered already
    if reopened or added.urgent != case.urgent:
        await _show_change(context, added)
    case = added
    context.services.wake_outbox()
    rows = [[screens.button(context.text("user-button-ask-bot"), "cvb")]] if message.text else []
    await message.reply_text(
        context.text("user-conversation-sent", case=case, reopened=reopened),
        reply_markup=InlineKeyboardMarkup(rows) if rows else None,
        do_quote=True,
    )
    return case


async def _show_change(context: BotContext, case: Case) -> None:
    """Every staff card of a reopened case, or one now urgent, shows it (and its topic's name)."""
    await topics.sync(context.services, case)
    cards = await context.store.case_messages(case.id, "card")
    text = await notices.card_text(context.services, case)
    await context.store.queue(notices.card_edits(context.services, case, cards, text))


def _label(context: BotContext, case: Case) -> str:
    return f"{case.reference} · {context.text(f'user-category-{case.category}')}"


def icons(files: tuple[tuple[str, str, str], ...]) -> str:
    return " ".join(MEDIA_ICONS.get(file[0], "📎") for file in files)


async def on_choose_case(update: Update, context: BotContext, data: Callback) -> None:
    """ "Which case?" answered: remember it and send the quoted message there."""
    query = update.callback_query
    quoted = query.message.reply_to_message if query.message else None
    case = await context.store.case_by_id(int(data.arg))
    if quoted is None or case is None or case.user_id != update.effective_user.id:
        await answer_query(update, context.text("user-stale-button"))
        return
    await answer_query(update)
    await context.store.choose_case(update.effective_user.id, case.id)
    await query.edit_message_reply_markup(None)
    await deliver(context, case, quoted)


async def on_ask_bot(update: Update, context: BotContext, data: Callback) -> None:
    """ "Ask the bot instead": the quoted words go to the FAQ search (staff keep what they got)."""
    query = update.callback_query
    quoted = query.message.reply_to_message if query.message else None
    if quoted is None or not (quoted.text or quoted.caption):
        await answer_query(update, context.text("user-stale-button"))
        return
    await answer_query(update)
    await query.edit_message_reply_markup(None)
    await questions.answer_question(update, context, quoted)


async def offer_to_staff(update: Update, context: BotContext) -> bool:
    """A voice note, photo, document or location outside any form or case: offer to send it to staff
    as a question (the button finds it again in the quote). False for anything else."""
    message = update.effective_message
    if message.text is not None or not relayable(message):
        return False
    rows = [
        [screens.button(context.text("user-button-send-to-staff"), "ask")],
        [screens.button(context.text("user-button-menu"), "menu")],
    ]
    await message.reply_text(
        context.text("user-media-offer"), reply_markup=InlineKeyboardMarkup(rows), do_quote=True
    )
    return True
