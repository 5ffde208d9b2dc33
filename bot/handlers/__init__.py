"""Every handler of the bot, in the order PTB tries them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.callbacks import parse
from bot.handlers import broadcast, common, fallback, menu, registration, relay, reports, staff, wizard
from bot.handlers.commands import USER_COMMANDS
from bot.processor import traced

# Commands shown in the command menu, each with a `user-command-<name>` description in content.
FLOWS = (
    registration.REGISTER,
    registration.DELETE,
    reports.REPORT,
    reports.QUESTION,
    reports.FOLLOWUP,
    staff.NOTE,
    broadcast.BROADCAST,
)
STAFF_COMMANDS = {
    "cases": staff.cases,
    "case": staff.case_detail,
    "stats": staff.stats,
    "export": staff.export_data,
    "chatid": staff.chat_id,
}

# The update types the handlers below handle; polling asks Telegram for exactly these.
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]

PRIVATE = filters.ChatType.PRIVATE
NEW_MESSAGE = filters.UpdateType.MESSAGE


# The private-chat command handlers; every name in USER_COMMANDS has one.
PRIVATE_COMMANDS = {
    "start": menu.start,
    "menu": menu.menu,
    "faq": menu.faq,
    "help": menu.help_text,
    "language": menu.language,
    "report": reports.report,
    "status": reports.status,
    "register": registration.register,
    "mydata": registration.my_data,
    "deletedata": registration.delete_data,
    "cancel": fallback.cancel,
}


def _is_known_button(data: object) -> bool:
    parsed = parse(data) if isinstance(data, str) else None
    return parsed is not None


def register(app: Application) -> None:
    """Add every handler and the error handler to `app`."""
    # Group -1 runs for every update before any other handler: record the user, settle the language.
    app.add_handler(TypeHandler(Update, common.gate), group=-1)
    app.bot_data["flows"] = {flow.name: flow for flow in FLOWS}

    staff_only = filters.User(user_id=app.bot_data["services"].settings.staff_ids, allow_empty=False)
    for name, callback in STAFF_COMMANDS.items():
        app.add_handler(CommandHandler(name, callback, filters=staff_only & NEW_MESSAGE))
    app.add_handler(
        CommandHandler("broadcast", broadcast.broadcast, filters=staff_only & PRIVATE & NEW_MESSAGE)
    )
    app.add_handler(ChatMemberHandler(broadcast.on_member_update, ChatMemberHandler.MY_CHAT_MEMBER))
    for name, callback in PRIVATE_COMMANDS.items():
        app.add_handler(CommandHandler(name, callback, filters=PRIVATE & NEW_MESSAGE))
    app.add_handler(
        CommandHandler(USER_COMMANDS, fallback.group_command, filters=filters.ChatType.GROUPS & NEW_MESSAGE)
    )

    app.add_handler(CallbackQueryHandler(menu.on_button, pattern=_is_known_button))
    app.add_handler(CallbackQueryHandler(menu.stale_button))

    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, staff.on_migrated))
    app.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & NEW_MESSAGE & staff_only & ~filters.COMMAND, relay.group_message
        )
    )
    app.add_handler(MessageHandler(PRIVATE & NEW_MESSAGE & filters.COMMAND, fallback.unknown_command))
    app.add_handler(MessageHandler(PRIVATE & NEW_MESSAGE & filters.TEXT, fallback.free_text))
    app.add_handler(MessageHandler(PRIVATE & NEW_MESSAGE, fallback.non_text))

    # Group 1 runs after the command was answered: a user in the middle of a form is told how to go on.
    flow_commands = filters.Regex(r"^/(cancel|register|report|deletedata)(@\w+)?\b")
    app.add_handler(
        MessageHandler(PRIVATE & NEW_MESSAGE & filters.COMMAND & ~flow_commands, wizard.remind_if_busy),
        group=1,
    )

    app.add_error_handler(common.on_error)
    for group, handlers in app.handlers.items():
        for handler in handlers if group >= 0 else ():  # the gate runs for every update: not named
            handler.callback = traced(handler.callback)
