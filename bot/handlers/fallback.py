"""What is left over: free text, media, unknown commands, group chatter."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers import conversation, intents, questions, relay, screens, urgent, wizard
from bot.handlers.common import show


async def free_text(update: Update, context: BotContext) -> None:
    """Typed text: danger first; then a staff reply, an open form's answer (danger is never taken as
    one unasked), a reporter's reply about a case, a request to act ("menu", "LP-7K2M9Q"), a message
    on a case in conversation, else a question for the FAQ search."""
    found = await urgent.reply_if_urgent(update, context)
    if await _form_or_reply(update, context, hold=found is not None):
        return
    if found is None and await intents.act_before_relay(update, context):
        return
    if await conversation.to_case(update, context):
        return
    asked = await questions.answer_question(update, context, urgent=found)
    if asked is not None and asked.intent is not None:  # "mau lapor", "menu": do it
        await intents.act(update, context, asked.intent)


async def non_text(update: Update, context: BotContext) -> None:
    """Photos, voice, documents, locations...: a caption's danger first; a form's step, a case reply
    or a case in conversation may take them; else they are offered to staff as a question. Stickers
    and the like get the menu."""
    await urgent.reply_if_urgent(update, context)
    if await _form_or_reply(update, context) or await conversation.to_case(update, context):
        return
    if await conversation.offer_to_staff(update, context):
        return
    await show(update, context, screens.main_menu(context.content, context.lang, "user-non-text"))


async def _form_or_reply(update: Update, context: BotContext, *, hold: bool = False) -> bool:
    """A staff reply (a note, a message for a reporter) first, then an open form's answer (held, not
    taken, when the text read as danger), then a reporter's reply to a case message."""
    take = wizard.hold if hold else wizard.on_message
    if await relay.staff_reply(update, context) or await take(update, context):
        return True
    return await relay.from_reporter(update, context)


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
