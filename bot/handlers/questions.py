"""Free-text questions: the answer, suggestions, or an honest "don't know". Danger was answered before
(bot/handlers/urgent.py): after it, only a confident answer; after self-harm, nothing."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update

from bot.callbacks import Callback
from bot.context import BotContext
from bot.handlers import screens
from bot.handlers.common import answer_query
from bot.search import SearchResult
from bot.search.redact import redact
from bot.search.urgent import Label

MAX_QUESTION = 1000  # characters searched; longer messages are cut (search time grows with length)


async def answer_question(
    update: Update, context: BotContext, message: Message | None = None, *, urgent: Label | None = None
) -> SearchResult | None:
    """Search the typed text (or `message`'s words, e.g. a quoted one) and reply to it with the
    outcome; `urgent` says what the danger check already answered (then no suggestions, no "don't
    know", nothing stored). A request to act ("mau lapor", "menu") is returned for the caller to do
    (handlers/intents.py), unanswered here."""
    message = message or update.effective_message
    if urgent == "self_harm":
        return None
    result = context.services.search.search((message.text or message.caption)[:MAX_QUESTION], context.lang)
    if urgent:
        if result.kind == "answer":
            await _answer(message, context, result.id)
        return None
    if result.kind == "intent":
        return result
    if result.kind == "smalltalk":
        await message.reply_text(context.text(f"user-talk-{result.talk}"))
    elif result.kind == "answer":
        await _answer(message, context, result.id)
    elif result.kind == "suggest":
        await _suggest(message, context, result)
    else:
        await _dont_know(message, context, result)
    if result.kind == "none":
        await context.store.record_unanswered(redact(result.normalized), context.lang)
    return None


async def _answer(message: Message, context: BotContext, entry_id: str) -> None:
    actions = frozenset(context.application.bot_data.get("flows", ())) | {"contacts"}
    screen = screens.entry(context.content, context.lang, entry_id, actions)
    feedback = [
        screens.button(context.text("user-feedback-yes"), "fb", entry_id, "y"),
        screens.button(context.text("user-feedback-no"), "fb", entry_id, "n"),
    ]
    markup = InlineKeyboardMarkup([feedback, *screen.markup.inline_keyboard])
    # Quoted, so "ask staff" (offered after a 👎) finds the question again.
    await message.reply_text(screen.text, reply_markup=markup, do_quote=True)


async def _suggest(message: Message, context: BotContext, result: SearchResult) -> None:
    rows = [
        [screens.button(entry.title, "faq", entry.id)]
        for entry in (context.content.entry(context.lang, c.id) for c in result.candidates)
        if entry is not None
    ]
    rows.append([screens.button(context.text("user-button-ask-staff"), "ask")])
    rows.append([screens.button(context.text("user-button-menu"), "menu")])
    # Quoting the question lets "ask staff" find it again without storing it first.
    await message.reply_text(
        context.text("user-search-suggest"), reply_markup=InlineKeyboardMarkup(rows), do_quote=True
    )


async def _dont_know(message: Message, context: BotContext, result: SearchResult) -> None:
    rows = [
        [screens.button(context.text("user-button-ask-staff"), "ask")],
        [
            screens.button(context.text("user-button-contacts"), "ctc"),
            screens.button(context.text("user-button-menu"), "menu"),
        ],
    ]
    await message.reply_text(
        context.text("user-search-none"), reply_markup=InlineKeyboardMarkup(rows), do_quote=True
    )


async def on_feedback(update: Update, context: BotContext, data: Callback) -> None:
    """ "Was this helpful?": record the vote once and take the two buttons off the answer; after a 👎
    "ask staff" takes their place."""
    entry_id, vote = data.args
    message = update.callback_query.message
    markup = getattr(message, "reply_markup", None)
    rows = markup.inline_keyboard if markup else ()
    kept = [row for row in rows if not any((b.callback_data or "").startswith("fb:") for b in row)]
    if len(kept) == len(rows):  # already answered (a double tap): count the vote once
        await answer_query(update, context.text("user-feedback-thanks"))
        return
    await context.store.record_feedback(update.effective_user.id, entry_id, context.lang, vote == "y")
    if vote != "y" and getattr(message, "reply_to_message", None) is not None:
        kept = [[screens.button(context.text("user-button-ask-staff"), "ask")], *kept]
    await answer_query(update, context.text("user-feedback-thanks" if vote == "y" else "user-feedback-sorry"))
    await update.callback_query.edit_message_reply_markup(InlineKeyboardMarkup(kept))
