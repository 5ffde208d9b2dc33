"""Messages between staff and reporters, through the bot: staff reply (a Telegram reply) to a case
card or a relayed message; reporters reply to what the bot relayed to them. The bot's own map of
message IDs to cases decides where a reply belongs (forward headers cannot be relied on)."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers import conversation, forum, staff, wizard
from bot.handlers.wizard import file_of
from bot.outbox import notices
from bot.store import Case, Change


async def _case_replied_to(update: Update, context: BotContext, kinds: tuple[str, ...] = ("card", "relay")):
    message = update.effective_message
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return None
    return await context.store.case_for_message(message.chat.id, replied.message_id, kinds)


async def staff_reply(update: Update, context: BotContext) -> bool:
    """A staff member's reply to a note prompt (the note, on that prompt's case) or to a case's card
    or message (to the reporter). Checked before any open form, so neither is taken as a form's answer."""
    if not context.is_staff(update.effective_user.id):
        return False
    case = await _case_replied_to(update, context, ("note",))
    if case is not None:
        await staff.note_reply(update, context, case)
        return True
    return await from_staff(update, context)


def _source(message) -> tuple[int, int]:
    return message.chat.id, message.message_id


async def from_staff(update: Update, context: BotContext) -> bool:
    """A staff member's reply to a case message: to the reporter, signed as staff. False if not one."""
    if not context.is_staff(update.effective_user.id):
        return False
    case = await _case_replied_to(update, context)
    if case is None:
        return False
    await to_reporter(update, context, case)
    return True


async def to_reporter(update: Update, context: BotContext, case: Case) -> None:
    """A staff member's message on a case (a reply on its card, or typed in its forum topic) to the
    reporter, signed as staff; the staff member is told it went (unless the topic is closed)."""
    message = update.effective_message
    if not await context.services.may_act_on(update.effective_user.id, case.id):
        await message.reply_text(
            context.content.text(context.settings.default_language, "staff-out-of-scope")
        )
        return True
    text, file = message.text or message.caption, file_of(message)
    outgoing = notices.to_reporter(context.services, case, text, file)
    body = text or (f"[{file[0]}]" if file else "")
    change = Change(event="message_out", body=body, outgoing=tuple(outgoing), source=_source(message))
    if await context.store.apply_change(case.id, update.effective_user.id, change) is None:
        return True  # a redelivered update: relayed already
    context.services.wake_outbox()
    key = "staff-relayed" if outgoing else "staff-relay-no-reporter"
    topic = await context.store.topic_of(case.id) if message.is_topic_message else None
    if topic is None or not topic.closed:  # the bot cannot post in a closed topic
        await message.reply_text(context.content.text(context.settings.default_language, key, case=case))


async def from_reporter(update: Update, context: BotContext) -> bool:
    """A reporter's reply to a staff message or status notice: threaded under the case for staff
    (a resolved case reopens)."""
    case = await _case_replied_to(update, context)
    if case is None or case.user_id != update.effective_user.id:
        return False
    await conversation.deliver(context, case, update.effective_message)
    return True


async def group_message(update: Update, context: BotContext) -> None:
    """A staff member's message in a group: a note, a reply to relay, or the answer to their open form."""
    if await staff_reply(update, context) or await forum.topic_message(update, context, to_reporter):
        return
    await wizard.on_message(update, context)
