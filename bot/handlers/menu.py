"""Menus: /start, /menu, /faq, /language, the buttons that walk the FAQ tree and contacts,
the language buttons, and the buttons that start a form."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.callbacks import Callback
from bot.context import BotContext
from bot.handlers import screens, wizard
from bot.handlers.common import answer_query, is_private, show

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


async def language(update: Update, context: BotContext) -> None:
    """Offer the languages."""
    await show(update, context, screens.languages(context.content, context.lang))


async def on_screen(update: Update, context: BotContext, data: Callback) -> None:
    """A menu button: open the screen it names in place (an old or vanished one is stale)."""
    screen = _screen(context, data)
    if screen is None:
        await stale_button(update, context)
        return
    # The answer and the edit are independent requests: sent together, the user waits for one.
    await asyncio.gather(answer_query(update), show(update, context, screen, edit=True))


def _screen(context: BotContext, data: Callback) -> screens.Screen | None:
    """The menu screen a button names, if it still exists."""
    content, lang = context.content, context.lang
    if data.kind == "menu":
        return screens.main_menu(content, lang)
    if data.kind == "sec":
        return screens.section(content, lang, data.arg)
    if data.kind == "faq":
        return screens.entry(content, lang, data.arg, _flows(context))
    if data.kind == "ctc":
        return screens.contacts(content, lang)
    if data.kind == "ctcc" and data.arg == "more":
        return screens.more_countries(content, lang)
    if data.kind == "ctcc":
        return screens.country_contacts(content, lang, data.arg)
    if data.kind == "langm":
        return screens.languages(content, lang)
    return None


async def begin_flow(update: Update, context: BotContext, data: Callback) -> None:
    """A "register" or "report" button under an answer or in the menu: start that form."""
    if data.arg not in USER_FLOWS:
        await stale_button(update, context)
        return
    await answer_query(update)
    await wizard.begin(update, context, wizard.flows(context)[data.arg])


async def set_language(update: Update, context: BotContext, data: Callback) -> None:
    """A language button: remember the choice and show the menu in it."""
    await context.store.set_language(update.effective_user.id, data.arg)
    context.lang = data.arg
    await answer_query(update, context.text("user-language-set"))
    await show(update, context, screens.main_menu(context.content, context.lang), edit=True)


async def stale_button(update: Update, context: BotContext) -> None:
    """A button from an old message, an old version or a forged one: apologise, offer the menu."""
    await answer_query(update, context.text("user-stale-button"))
    if is_private(update):
        await show(update, context, screens.main_menu(context.content, context.lang, "user-stale-button"))
