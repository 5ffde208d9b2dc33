"""Free-text questions: urgent help first, then the answer, suggestions, or an honest "don't know"."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.callbacks import Callback
from bot.context import BotContext
from bot.handlers import screens
from bot.handlers.common import answer_query
from bot.search import SearchResult
from bot.search.redact import redact

MAX_QUESTION = 1000  # characters searched; longer messages are cut (search time grows with length)


async def answer_question(update: Update, context: BotContext) -> None:
    """Search the typed text and reply with the outcome (the urgent reply always comes first)."""
    message = update.effective_message
    result = context.services.search.search(message.text[:MAX_QUESTION], context.lang)
    if result.urgent:
        await _urgent(update, context)
    if result.kind == "smalltalk":
        await message.reply_text(context.text(f"user-talk-{result.talk}"))
    elif result.kind == "answer":
        await _answer(update, context, result.id)
    elif result.kind == "suggest":
        await _suggest(update, context, result)
    elif not result.urgent:
        await _dont_know(update, context, result)
    if result.kind == "none":
        await context.store.record_unanswered(redact(result.normalized), context.lang)


async def _urgent(update: Update, context: BotContext) -> None:
    flows = context.application.bot_data.get("flows", {})
    rows = (
        [[screens.button(context.text("user-button-report"), "flow", "report")]] if "report" in flows else []
    )
    rows.append([screens.button(context.text("user-button-contacts"), "ctc")])
    await update.effective_message.reply_text(
        context.text("user-urgent"), reply_markup=InlineKeyboardMarkup(rows)
    )


async def _answer(update: Update, context: BotContext, entry_id: str) -> None:
    actions = frozenset(context.application.bot_data.get("flows", ())) | {"contacts"}
    screen = screens.entry(context.content, context.lang, entry_id, actions)
    feedback = [
        screens.button(context.text("user-feedback-yes"), "fb", entry_id, "y"),
        screens.button(context.text("user-feedback-no"), "fb", entry_id, "n"),
    ]
    markup = InlineKeyboardMarkup([feedback, *screen.markup.inline_keyboard])
    await update.effective_message.reply_text(screen.text, reply_markup=markup)


async def _suggest(update: Update, context: BotContext, result: SearchResult) -> None:
    rows = [
        [screens.button(entry.title, "faq", entry.id)]
        for entry in (context.content.entry(context.lang, c.id) for c in result.candidates)
        if entry is not None
    ]
    rows.append([screens.button(context.text("user-button-ask-staff"), "ask")])
    rows.append([screens.button(context.text("user-button-menu"), "menu")])
    # Quoting the question lets "ask staff" find it again without storing it first.
    await update.effective_message.reply_text(
        context.text("user-search-suggest"), reply_markup=InlineKeyboardMarkup(rows), do_quote=True
    )


async def _dont_know(update: Update, context: BotContext, result: SearchResult) -> None:
    rows = [
        [screens.button(context.text("user-button-ask-staff"), "ask")],
        [
            screens.button(context.text("user-button-contacts"), "ctc"),
            screens.button(context.text("user-button-menu"), "menu"),
        ],
    ]
    await update.effective_message.reply_text(
        context.text("user-search-none"), reply_markup=InlineKeyboardMarkup(rows), do_quote=True
    )


async def on_feedback(update: Update, context: BotContext, data: Callback) -> None:
    """ "Was this helpful?": record the vote once and take the two buttons off the answer."""
    entry_id, vote = data.args
    message = update.callback_query.message
    markup = getattr(message, "reply_markup", None)
    rows = markup.inline_keyboard if markup else ()
    kept = [row for row in rows if not any((b.callback_data or "").startswith("fb:") for b in row)]
    if len(kept) == len(rows):  # already answered (a double tap): count the vote once
        await answer_query(update, context.text("user-feedback-thanks"))
        return
    await context.store.record_feedback(update.effective_user.id, entry_id, context.lang, vote == "y")
    await answer_query(update, context.text("user-feedback-thanks"))
    await update.callback_query.edit_message_reply_markup(InlineKeyboardMarkup(kept))
