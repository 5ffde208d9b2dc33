"""What is left over: free text, media, unknown commands, group chatter."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers import screens
from bot.handlers.common import show


async def free_text(update: Update, context: BotContext) -> None:
    """Typed text that no flow is waiting for: the menu (until the search answers it)."""
    await show(update, context, screens.main_menu(context.content, context.lang, "user-free-text"))


async def non_text(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice, locations...: say what the bot can read."""
    await show(update, context, screens.main_menu(context.content, context.lang, "user-non-text"))


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not know (also what non-staff get for staff commands)."""
    await update.effective_message.reply_text(context.text("user-unknown-command"))


async def cancel(update: Update, context: BotContext) -> None:
    """Nothing to cancel yet outside a flow: show the menu."""
    await show(update, context, screens.main_menu(context.content, context.lang, "user-cancel-nothing"))


async def group_command(update: Update, context: BotContext) -> None:
    """User commands sent in a group: ask for a private chat instead of answering in public."""
    await update.effective_message.reply_text(context.text("user-group-private"))
