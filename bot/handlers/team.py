"""/staff (admins only): who works the cases, with which role, for which places.

    /staff [list]                          everyone, with role and places
    /staff add <user ID> <role> [places]   role: admin, staff or officer; places: "all" (default for
                                           admin and staff) or "District, District/Village, ..."
    /staff add <role> [places]             as a reply to a forwarded message of the person
    /staff remove <user ID>                (or as a reply to a forwarded message)
    /staff chat <district>                 in a staff group (or topic): that district's cases go there

Every change is one audited store transaction; the roles the bot checks are reloaded right after,
so the change acts on the person's very next step."""

from __future__ import annotations

import logging

from telegram import (
    BotCommandScopeChat,
    BotCommandScopeChatMember,
    Message,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
)
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.context import BotContext
from bot.store.roles import ROLES, Place
from bot.wizard import Invalid, validate

log = logging.getLogger(__name__)


class _Refused(Exception):
    def __init__(self, key: str, **context: object) -> None:
        super().__init__(key)
        self.key, self.context = key, context


def _reply(context: BotContext, message: Message, key: str, **kwargs: object):
    return message.reply_text(context.content.text(context.settings.default_language, key, **kwargs))


async def staff_command(update: Update, context: BotContext) -> None:
    """/staff list | add | remove | chat: see the module's docstring."""
    message = update.effective_message
    action, *args = context.args or ["list"]
    handlers = {"list": _list, "add": _add, "remove": _remove, "chat": _chat}
    if action.lower() not in handlers:
        await _reply(context, message, "staff-team-help")
        return
    try:
        await handlers[action.lower()](update, context, args)
    except _Refused as refused:
        await _reply(context, message, refused.key, **refused.context)


async def _list(update: Update, context: BotContext, args: list[str]) -> None:
    members = sorted(context.services.staff.values(), key=lambda m: (ROLES.index(m.role), m.user_id))
    names = {m.user_id: await context.store.get_user(m.user_id) for m in members}
    shown = {k: (u.first_name if u else "") for k, u in names.items()}
    await _reply(context, update.effective_message, "staff-team-list", members=members, names=shown)


def _forwarded_sender(message: Message) -> int | None:
    """The user ID behind the forwarded message this command replies to, if any."""
    replied = message.reply_to_message
    origin = replied.forward_origin if replied is not None else None
    if isinstance(origin, MessageOriginHiddenUser):
        raise _Refused("staff-team-hidden-forward")
    return origin.sender_user.id if isinstance(origin, MessageOriginUser) else None


def _target(message: Message, args: list[str]) -> tuple[int, list[str]]:
    """(user ID, remaining args): from the forwarded message replied to, else the first argument."""
    forwarded = _forwarded_sender(message)
    if forwarded is not None:
        return forwarded, args
    if not args or not args[0].isdigit() or int(args[0]) <= 0:
        raise _Refused("staff-team-help")
    return int(args[0]), args[1:]


def _places(words: list[str]) -> list[Place]:
    """'Lombok Timur/Sakra, Lombok Tengah' -> [('Lombok Timur', 'Sakra'), ('Lombok Tengah', '')]."""
    text = " ".join(words).strip()
    if text.lower() in ("", "all", "semua"):
        return []
    places = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        district, _, village = part.partition("/")
        try:
            places.append((validate.place(district), validate.place(village) if village.strip() else ""))
        except Invalid:
            raise _Refused("staff-team-bad-place", place=part[:60]) from None
    return places


async def _changed(context: BotContext, user_id: int) -> None:
    """After any change: the checks read the new roles at once; menus and held broadcasts follow."""
    await context.services.reload_staff()
    await forget_staff_menus(context, user_id)
    context.services.wake_broadcaster()


async def _add(update: Update, context: BotContext, args: list[str]) -> None:
    message = update.effective_message
    user_id, rest = _target(message, args)
    role = rest[0].lower() if rest else ""
    if role not in ROLES:
        raise _Refused("staff-team-bad-role")
    places = _places(rest[1:])
    if role == "officer" and not places:
        raise _Refused("staff-team-need-place")
    await context.store.set_staff(update.effective_user.id, user_id, role, places)
    await _changed(context, user_id)
    await _reply(context, message, "staff-team-added", member=context.services.staff[user_id])


async def _remove(update: Update, context: BotContext, args: list[str]) -> None:
    message = update.effective_message
    user_id, _ = _target(message, args)
    member = context.services.staff.get(user_id)
    if member is None:
        raise _Refused("staff-team-not-found", user_id=user_id)
    removed = await context.store.remove_staff(update.effective_user.id, user_id)
    await _changed(context, user_id)
    if not removed or member.env_admin:
        raise _Refused("staff-team-env-admin", user_id=user_id)
    await _reply(context, message, "staff-team-removed", user_id=user_id)


async def _chat(update: Update, context: BotContext, args: list[str]) -> None:
    message = update.effective_message
    if message.chat.type == ChatType.PRIVATE:
        raise _Refused("staff-team-chat-in-group")
    places = _places(args)
    if len(places) != 1 or places[0][1]:
        raise _Refused("staff-team-help")
    thread = message.message_thread_id if message.is_topic_message else None
    district = places[0][0]
    await context.store.set_district_chat(update.effective_user.id, district, message.chat.id, thread)
    await _reply(context, message, "staff-team-chat-set", district=district)


async def forget_staff_menus(context: BotContext, user_id: int) -> None:
    """After a role change the menus are built again at the user's next update; after a removal their
    staff menus are deleted now: in their private chat, and in the staff chats where this run set one."""
    done: dict = context.application.bot_data.setdefault("staff_menus", {})
    chats = {chat_id for chat_id, member in done if member == user_id}
    for chat_id in chats:
        del done[(chat_id, user_id)]
    if context.is_staff(user_id):
        return
    chats.add(user_id)
    for chat_id in sorted(chats):
        private = chat_id == user_id
        scope = BotCommandScopeChat(chat_id) if private else BotCommandScopeChatMember(chat_id, user_id)
        try:
            await context.bot.delete_my_commands(scope=scope)
        except TelegramError as error:
            log.warning("could not remove a staff command menu: %s", error)
