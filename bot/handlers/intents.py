"""What a typed request to act does (bot/search/intents.py names it): the same screens and forms as
the commands and buttons, so "mau lapor" is /report, "LP-7K2M9Q" is /status LP-7K2M9Q, and so on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.handlers import menu, registration, reports, screens
from bot.handlers.common import show
from bot.search.intents import Intent, detect_intent


async def _status(update: Update, context: BotContext, intent: Intent) -> None:
    await reports.show_status(update, context, intent.reference)


async def _language(update: Update, context: BotContext, intent: Intent) -> None:
    """Switch the reply language, say so, and show the menu in it."""
    lang = intent.name.removeprefix("language-")
    await context.store.set_language(update.effective_user.id, lang)
    context.lang = lang
    await show(update, context, screens.main_menu(context.content, lang, "user-language-set"))


async def _staff(update: Update, context: BotContext, intent: Intent) -> None:
    """How to reach a person: a question is sent from under the bot's answer, a problem by report."""
    if context.settings.faq_only:  # nobody reads messages: the hotlines instead
        await update.effective_message.reply_text(context.text("user-faq-only"))
        return
    rows = []
    if "report" in context.application.bot_data.get("flows", {}):
        rows.append([screens.button(context.text("user-button-report"), "flow", "report")])
    rows.append([screens.button(context.text("user-button-contacts"), "ctc")])
    await update.effective_message.reply_text(
        context.text("user-intent-staff"), reply_markup=InlineKeyboardMarkup(rows)
    )


def _command(handler: Callable[[Update, BotContext], Awaitable[None]]):
    async def act(update: Update, context: BotContext, intent: Intent) -> None:
        await handler(update, context)

    return act


ACTIONS: dict[str, Callable[[Update, BotContext, Intent], Awaitable[None]]] = {
    "report": _command(reports.report),
    "status": _status,
    "menu": _command(menu.menu),
    "language-en": _language,
    "language-id": _language,
    "mydata": _command(registration.my_data),
    "staff": _staff,
}


# Asking for a person while talking with staff is a message for them: relayed, not answered.
RELAYED = frozenset({"staff"})


async def act_before_relay(update: Update, context: BotContext) -> bool:
    """A short, clear request to act ("menu", "english please", "LP-7K2M9Q") is done, not relayed to
    a case in conversation. bot/search/intents.py decides, as for the FAQ: the whole message must be
    the request, so "menu makan di sini tidak ada" or a long message naming the reference reach staff."""
    intent = detect_intent(update.effective_message.text or "")
    if intent is None or intent.name in RELAYED:
        return False
    await act(update, context, intent)
    return True


async def act(update: Update, context: BotContext, intent: Intent) -> None:
    """Do what the message asks (an intent named in the data but not here is a programming error)."""
    await ACTIONS[intent.name](update, context, intent)
