"""Every handler of the bot, in the order PTB tries them: commands (bot/handlers/commands.py), buttons
(the table below), then messages."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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

from bot.callbacks import Callback, parse
from bot.context import BotContext
from bot.handlers import (
    broadcast,
    closing,
    common,
    conversation,
    dates,
    fallback,
    floodgate,
    menu,
    questions,
    registration,
    relay,
    reports,
    staff,
    urgent,
    wizard,
)
from bot.handlers.commands import COMMANDS, FORM_COMMANDS, USER_COMMANDS, staff_command_menu
from bot.processor import traced
from bot.store.roles import BROADCASTERS

__all__ = ["ALLOWED_UPDATES", "BUTTONS", "FLOWS", "USER_COMMANDS", "register"]

# Every form the wizard engine runs (bot/handlers/wizard.py), by name.
FLOWS = (
    registration.REGISTER,
    registration.DELETE,
    registration.CHANGE_PHONE,
    registration.CHANGE_WORKER,
    reports.REPORT,
    reports.QUESTION,
    reports.FOLLOWUP,
    urgent.URGENT,
    staff.NOTE,
    broadcast.BROADCAST,
    dates.DATES,
)

# The update types the handlers below handle; polling asks Telegram for exactly these.
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]

PRIVATE = filters.ChatType.PRIVATE
NEW_MESSAGE = filters.UpdateType.MESSAGE


@dataclass(frozen=True)
class Button:
    """What a button press runs, given the parsed callback data; `staff` buttons check the presser."""

    callback: Callable[[Update, BotContext, Callback], Awaitable[None]]
    staff: bool = False
    roles: tuple[str, ...] = ()  # staff buttons: only these roles (empty: any staff role)


# Every callback kind (bot/callbacks.py) and its one handler.
BUTTONS: dict[str, Button] = {
    "menu": Button(menu.on_screen),
    "sec": Button(menu.on_screen),
    "faq": Button(menu.on_screen),
    "ctc": Button(menu.on_screen),
    "ctcc": Button(menu.on_screen),
    "langm": Button(menu.on_screen),
    "lang": Button(menu.set_language),
    "flow": Button(menu.begin_flow),
    "fb": Button(questions.on_feedback),
    "ask": Button(reports.ask_staff),
    "cv": Button(conversation.on_choose_case),
    "cvb": Button(conversation.on_ask_bot),
    "case": Button(reports.on_case_button),
    "cfu": Button(reports.on_case_button),
    "my": Button(registration.on_mydata_button),
    "stp": Button(reports.on_status_page),
    "optout": Button(broadcast.on_optout),
    "rt": Button(closing.on_rating),
    "ru": Button(closing.on_reopen),
    "ann": Button(broadcast.on_optout),
    "wz": Button(wizard.on_button),
    "wzr": Button(wizard.on_resume),
    "urg": Button(urgent.send_now),
    "urgc": Button(urgent.pick_country),
    "st": Button(staff.on_card_button, staff=True),
    "cl": Button(staff.on_cases_page, staff=True),
    "sc": Button(staff.on_case_detail, staff=True),
    "bc": Button(broadcast.on_broadcast_button, staff=True, roles=BROADCASTERS),
    "bh": Button(broadcast.on_held_button, staff=True, roles=("admin",)),
    "rem": Button(dates.on_reminder_button),
}


def _press(button: Button) -> Callable[[Update, BotContext], Awaitable[None]]:
    """The handler of a button: a staff button checks the presser's ID before anything else (a staff
    group can hold others), then the feature's handler gets the parsed data."""

    @functools.wraps(button.callback)
    async def press(update: Update, context: BotContext) -> None:
        if button.staff and not context.is_staff(update.effective_user.id, button.roles):
            await common.answer_query(update, context.text("staff-not-allowed"))
            return
        await button.callback(update, context, parse(update.callback_query.data))

    return press


class StaffSender(filters.MessageFilter):
    """The sender is staff at this moment (with one of `roles`, when given): read from the database's
    roles (Services.staff, reloaded on every change), so adding or removing someone acts at once."""

    def __init__(self, services: object, roles: tuple[str, ...] = ()) -> None:
        super().__init__(name=f"StaffSender{roles or ''}")
        self.services, self.roles = services, roles

    def filter(self, message: object) -> bool:
        sender = getattr(message, "from_user", None)
        return sender is not None and self.services.is_staff(sender.id, self.roles)


def _of_kind(kind: str) -> Callable[[object], bool]:
    def matches(data: object) -> bool:
        parsed = parse(data) if isinstance(data, str) else None
        return parsed is not None and parsed.kind == kind

    return matches


def register(app: Application) -> None:
    """Add every handler and the error handler to `app`."""
    # Groups -3 to -1 run for every update before any other handler, each doing one thing: refuse
    # a flood cheaply; record the user and settle the language; give staff their own command menu.
    # The flood gate counts arrivals on the send path's clock (the emulator's in tests).
    app.bot_data["flood_gate"] = floodgate.FloodGate(getattr(app.bot.rate_limiter, "clock", time.monotonic))
    app.add_handler(TypeHandler(Update, floodgate.refuse_floods), group=-3)
    app.add_handler(TypeHandler(Update, common.gate), group=-2)
    app.add_handler(TypeHandler(Update, staff_command_menu), group=-1)
    app.bot_data["flows"] = {flow.name: flow for flow in FLOWS}

    services = app.bot_data["services"]
    staff_only = StaffSender(services)
    for command in COMMANDS:
        chats = filters.ALL if command.groups else PRIVATE
        where = StaffSender(services, command.roles) & chats if command.staff else chats
        app.add_handler(CommandHandler(command.name, command.callback, filters=where & NEW_MESSAGE))
    app.add_handler(
        CommandHandler(USER_COMMANDS, fallback.group_command, filters=filters.ChatType.GROUPS & NEW_MESSAGE)
    )
    app.add_handler(ChatMemberHandler(broadcast.on_member_update, ChatMemberHandler.MY_CHAT_MEMBER))

    for kind, button in BUTTONS.items():
        app.add_handler(CallbackQueryHandler(_press(button), pattern=_of_kind(kind)))
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
    # An edited question is answered like a new one (people fix a typo instead of sending again).
    app.add_handler(
        MessageHandler(
            PRIVATE & filters.UpdateType.EDITED_MESSAGE & filters.TEXT & ~filters.COMMAND, fallback.free_text
        )
    )

    # Group 1 runs after the command was answered: a user in the middle of a form is told how to go on.
    form_commands = filters.Regex(rf"^/({'|'.join(FORM_COMMANDS)})(@\w+)?\b")
    app.add_handler(
        MessageHandler(PRIVATE & NEW_MESSAGE & filters.COMMAND & ~form_commands, wizard.remind_if_busy),
        group=1,
    )

    app.add_error_handler(common.on_error)
    for group, handlers in app.handlers.items():
        for handler in handlers if group >= 0 else ():  # the pre-handlers run for every update: not named
            handler.callback = traced(handler.callback)
