"""Menus: /start, /menu, /faq, /help, /language, and the buttons that walk the FAQ tree."""

from __future__ import annotations

from telegram import Update

from bot.callbacks import parse
from bot.context import BotContext
from bot.handlers import broadcast, reports, screens, search, staff
from bot.handlers.common import answer_query, is_private, show
from bot.wizard import engine

# The flows a user may start from a button; staff and internal flows start from their own commands.
USER_FLOWS = frozenset({"register", "report"})


def _flows(context: BotContext) -> frozenset[str]:
    """The next-step actions an answer may offer: built-in screens plus the flows that exist."""
    return frozenset(context.application.bot_data.get("flows", ())) | {"contacts"}


async def start(update: Update, context: BotContext) -> None:
    """Greet in the user's language and show the main menu."""
    name = update.effective_user.first_name if update.effective_user else ""
    await show(update, context, screens.main_menu(context.content, context.lang, "user-welcome", name=name))


async def menu(update: Update, context: BotContext) -> None:
    """Show the main menu."""
    await show(update, context, screens.main_menu(context.content, context.lang))


async def faq(update: Update, context: BotContext) -> None:
    """Show the FAQ sections."""
    await show(update, context, screens.topics(context.content, context.lang))


async def help_text(update: Update, context: BotContext) -> None:
    """Explain how to use the bot."""
    await update.effective_message.reply_text(context.text("user-help"))


async def language(update: Update, context: BotContext) -> None:
    """Offer the languages."""
    await show(update, context, screens.languages(context.content, context.lang))


async def on_button(update: Update, context: BotContext) -> None:
    """Open the screen a menu button names, editing the message in place."""
    data = parse(update.callback_query.data)
    content, lang = context.content, context.lang
    if data.kind == "wz":
        await engine.on_button(update, context, data)
        return
    if data.kind == "bc":
        await broadcast.on_broadcast_button(update, context, data)
        return
    if data.kind in ("optout", "ann"):
        await broadcast.on_optout(update, context, data)
        return
    if data.kind == "st":
        await staff.on_card_button(update, context, data)
        return
    if data.kind == "cl":
        await staff.on_cases_page(update, context, data)
        return
    if data.kind == "sc":
        await staff.on_case_detail(update, context, data)
        return
    if data.kind == "ask":
        await reports.ask_staff(update, context)
        return
    if data.kind in ("case", "cfu"):
        await reports.on_case_button(update, context, data)
        return
    if data.kind == "fb":
        await search.on_feedback(update, context, data)
        return
    if data.kind == "flow" and data.arg in USER_FLOWS:
        await answer_query(update)
        await engine.begin(update, context, engine.flows(context)[data.arg])
        return
    if data.kind == "lang":
        await context.store.set_language(update.effective_user.id, data.arg)
        context.lang = lang = data.arg
        await answer_query(update, context.text("user-language-set"))
        await show(update, context, screens.main_menu(content, lang), edit=True)
        return
    screen = {
        "menu": lambda: screens.main_menu(content, lang),
        "sec": lambda: screens.section(content, lang, data.arg),
        "faq": lambda: screens.entry(content, lang, data.arg, _flows(context)),
        "ctc": lambda: screens.contacts(content, lang),
        "ctcc": lambda: (
            screens.more_countries(content, lang)
            if data.arg == "more"
            else screens.country_contacts(content, lang, data.arg)
        ),
        "langm": lambda: screens.languages(content, lang),
    }.get(data.kind, lambda: None)()
    if screen is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await show(update, context, screen, edit=True)


async def stale_button(update: Update, context: BotContext) -> None:
    """A button from an old message, an old version or a forged one: apologise, offer the menu."""
    await answer_query(update, context.text("user-stale-button"))
    if is_private(update):
        await show(update, context, screens.main_menu(context.content, context.lang, "user-stale-button"))
