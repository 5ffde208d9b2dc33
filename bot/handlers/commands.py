"""Every command, declared once: its handler and its audience. The command menus (the default one per
language, and each staff member's own) are built from this table; each command has a
`user-command-<name>` or `staff-command-<name>` description in content."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application

from bot.content import LANGUAGES, Content
from bot.context import BotContext, Services
from bot.handlers import broadcast, dates, fallback, menu, registration, reports, staff, team
from bot.store.roles import BROADCASTERS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    name: str
    callback: Callable[[Update, BotContext], Awaitable[None]]
    staff: bool = False  # only for staff (checked on the sender's ID); others get "unknown command"
    groups: bool = False  # also in a group (staff: their staff group); user commands are private-only
    form: bool = False  # starts or ends a form itself: no "your form is still open" reminder after it
    roles: tuple[str, ...] = ()  # staff commands: only these roles (empty: every staff role)


async def help_text(update: Update, context: BotContext) -> None:
    """/help: every user command with its description, and the emergency numbers."""
    shown = [(c.name, description(context.content, context.lang, c)) for c in COMMANDS if not c.staff]
    await update.effective_message.reply_text(context.text("user-help", commands=shown))


# In the order of the command menus.
COMMANDS = (
    Command("start", menu.start),
    Command("menu", menu.menu),
    Command("faq", menu.faq),
    Command("help", help_text),
    Command("language", menu.language),
    Command("report", reports.report, form=True),
    Command("status", reports.status),
    Command("register", registration.register, form=True),
    Command("mydata", registration.my_data),
    Command("dates", dates.dates, form=True),
    Command("deletedata", registration.delete_data, form=True),
    Command("cancel", fallback.cancel, form=True),
    Command("cases", staff.cases, staff=True, groups=True),
    Command("case", staff.case_detail, staff=True, groups=True),
    Command("broadcast", broadcast.broadcast, staff=True, form=True, roles=BROADCASTERS),
    Command("stats", staff.stats, staff=True, groups=True),
    Command("export", staff.export_data, staff=True, groups=True, roles=BROADCASTERS),
    Command("chatid", staff.chat_id, staff=True, groups=True),
    Command("staff", team.staff_command, staff=True, groups=True, roles=("admin",)),
)
USER_COMMANDS = tuple(command.name for command in COMMANDS if not command.staff)
STAFF_COMMANDS = tuple(command.name for command in COMMANDS if command.staff)
FORM_COMMANDS = tuple(command.name for command in COMMANDS if command.form)


def description(content: Content, lang: str, command: Command) -> str:
    return content.text(lang, f"{'staff' if command.staff else 'user'}-command-{command.name}")


async def set_commands(app: Application) -> None:
    """Register the command menu per language (the default scope gets the default language)."""
    services: Services = app.bot_data["services"]

    def commands(lang: str) -> list[BotCommand]:
        return [BotCommand(c.name, description(services.content, lang, c)) for c in COMMANDS if not c.staff]

    await app.bot.set_my_commands(commands(services.settings.default_language))
    for lang in LANGUAGES:
        await app.bot.set_my_commands(commands(lang), language_code=lang)


async def staff_command_menu(update: Update, context: BotContext) -> None:
    """Runs for every update (group -1): staff commands appear only in a staff member's own scopes,
    their private chat and their membership of the staff group (never for a whole chat that non-staff
    can see), with the commands of their role. Set once per chat, staff member and role per run;
    `forget_staff_menus` takes them away again when the role goes."""
    user, chat = update.effective_user, update.effective_chat
    message = update.effective_message
    if user is None or chat is None or not context.is_staff(user.id):
        return
    if message is not None and (message.migrate_to_chat_id or message.migrate_from_chat_id):
        return  # the old group is gone; the new one gets its menu with the next staff message
    role = context.services.staff[user.id].role
    done = context.application.bot_data.setdefault("staff_menus", {})
    if done.get((chat.id, user.id)) == role:
        return
    staff_lang, content = context.settings.default_language, context.content
    mine = [c for c in COMMANDS if not c.staff or not c.roles or role in c.roles]
    if chat.type == ChatType.PRIVATE:
        shown = [(c, context.lang if not c.staff else staff_lang) for c in mine]
        scope = BotCommandScopeChat(chat.id)
    elif chat.id == context.services.staff_chat_id or chat.id in await context.store.district_chat_ids():
        shown = [(c, staff_lang) for c in mine if c.staff and c.groups]
        scope = BotCommandScopeChatMember(chat.id, user.id)
    else:
        return
    done[(chat.id, user.id)] = role
    commands = [BotCommand(c.name, description(content, lang, c)) for c, lang in shown]
    try:
        await context.bot.set_my_commands(commands, scope=scope)
    except TelegramError as error:
        log.warning("could not set the staff command menu: %s", error)
