"""What is left over: free text, media, unknown commands, group chatter."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers import questions, relay, screens, urgent, wizard
from bot.handlers.common import show


async def free_text(update: Update, context: BotContext) -> None:
    """Typed text: danger first; then an open form's answer (danger is never taken as one unasked), a
    reply about a case, else a question for the FAQ search."""
    found = await urgent.reply_if_urgent(update, context)
    take = wizard.hold if found else wizard.on_message
    if await take(update, context) or await _relayed(update, context):
        return
    await questions.answer_question(update, context, urgent=found)


async def non_text(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice, locations...: a caption's danger first; a form's step or a case reply
    may take the file."""
    await urgent.reply_if_urgent(update, context)
    if await wizard.on_message(update, context) or await _relayed(update, context):
        return
    await show(update, context, screens.main_menu(context.content, context.lang, "user-non-text"))


async def _relayed(update: Update, context: BotContext) -> bool:
    return await relay.from_staff(update, context) or await relay.from_reporter(update, context)


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not know (also what non-staff get for staff commands)."""
    await update.effective_message.reply_text(context.text("user-unknown-command"))


async def cancel(update: Update, context: BotContext) -> None:
    """/cancel: drop the open form, or say there is none and show the menu."""
    if await wizard.cancel(update, context):
        return
    await show(update, context, screens.main_menu(context.content, context.lang, "user-cancel-nothing"))


async def group_command(update: Update, context: BotContext) -> None:
    """User commands sent in a group: ask for a private chat instead of answering in public."""
    await update.effective_message.reply_text(context.text("user-group-private"))
