"""The command names by audience, each with a `user-command-<name>` or `staff-command-<name>`
description in content, and the per-user staff command menus."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.context import BotContext

log = logging.getLogger(__name__)

USER_COMMANDS = (
    "start",
    "menu",
    "faq",
    "help",
    "language",
    "report",
    "status",
    "register",
    "mydata",
    "deletedata",
    "cancel",
)
STAFF_COMMANDS = ("cases", "case", "broadcast", "stats", "export", "chatid")


async def ensure_command_menu(update: Update, context: BotContext) -> None:
    """Staff commands appear only in a staff member's own scopes: their private chat, and their
    membership of the staff group (never for a whole chat that non-staff can see). Set once per run."""
    user, chat = update.effective_user, update.effective_chat
    message = update.effective_message
    if user is None or chat is None or not context.is_staff(user.id):
        return
    if message is not None and (message.migrate_to_chat_id or message.migrate_from_chat_id):
        return  # the old group is gone; the new one gets its menu with the next staff message
    done = context.application.bot_data.setdefault("staff_menus", set())
    if (chat.id, user.id) in done:
        return
    staff_lang = context.settings.default_language
    staff = [
        BotCommand(name, context.content.text(staff_lang, f"staff-command-{name}")) for name in STAFF_COMMANDS
    ]
    if chat.type == ChatType.PRIVATE:
        users = [BotCommand(name, context.text(f"user-command-{name}")) for name in USER_COMMANDS]
        commands, scope = [*users, *staff], BotCommandScopeChat(chat.id)
    elif chat.id == context.services.staff_chat_id:
        group = [command for command in staff if command.command != "broadcast"]  # private chat only
        commands, scope = group, BotCommandScopeChatMember(chat.id, user.id)
    else:
        return
    done.add((chat.id, user.id))
    try:
        await context.bot.set_my_commands(commands, scope=scope)
    except TelegramError as error:
        log.warning("could not set the staff command menu: %s", error)
