"""The one strict Telegram Bot API emulator: the world, the methods and the request log."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .driver import SimGroup, SimUser
from .errors import (
    BLOCKED,
    CANT_INITIATE,
    CHAT_NOT_FOUND,
    CONFLICT_POLLER,
    CONFLICT_WEBHOOK,
    EDIT_NOT_FOUND,
    KICKED,
    MIGRATED,
    NO_TOPIC_DELETE_RIGHTS,
    NO_TOPIC_EDIT_RIGHTS,
    NO_TOPIC_RIGHTS,
    NOT_A_FORUM,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    REPLY_NOT_FOUND,
    THREAD_NOT_FOUND,
    TOPIC_CLOSED,
    TOPIC_ID_INVALID,
    TOPIC_NOT_MODIFIED,
    ApiError,
    bad_request,
)
from .flood import FloodControl, FloodLimits
from .params import (
    Params,
    check_caption,
    check_commands,
    check_language,
    check_markup,
    check_text,
    parse_text,
    scope_key,
)
from .updates import UpdateFeed
from .world import Call, Chat, Message, Query, StoredFile, Topic, Upload, User, Webhook, media_object

DEFAULT_TOKEN = "7000000001:AAEmulatorTokenForTestsOnly_1234567"
DELETE_WINDOW = 48 * 3600  # a message older than this cannot be deleted
_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_METHODS: dict[str, Callable[..., Any]] = {}
# The colours Telegram allows for a topic icon (createForumTopic icon_color).
TOPIC_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)


def api_method(name: str) -> Callable:
    """Register a Bot API method; names are matched case-insensitively."""

    def register(func: Callable) -> Callable:
        _METHODS[name.lower()] = func
        return func

    return register


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status code and Bot API envelope."""

    status: int
    body: dict[str, Any]

    def json_bytes(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


class Emulator:
    """Holds the bot, users, chats, messages and updates; answers Bot API calls strictly.

    The clock (``clock() + advance()d offset``) drives message dates, flood control and
    callback-query expiry. Long-poll hold times always use real asyncio time.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        extra_tokens: Iterable[str] = (),
        bot_username: str = "pmi_helpdesk_bot",
        bot_first_name: str = "PMI Helpdesk",
        clock: Callable[[], float] | None = None,
        flood: FloodLimits | None = FloodLimits(),  # noqa: B008 (frozen, safe as default)
        think_time: float = 1.5,
        callback_timeout: float = 15.0,
        privacy_mode: bool = True,
        conflict_grace: float = 0.1,
    ):
        self.token = token
        self.tokens = {token, *extra_tokens}
        self.bot = User(int(token.split(":")[0]), bot_first_name, None, bot_username, is_bot=True)
        self._clock = clock or time.monotonic
        self._offset = 0.0
        self._epoch = time.time() - self.now()
        self.think_time = think_time
        self.callback_timeout = callback_timeout
        self.privacy_mode = privacy_mode
        self.flood = FloodControl(flood, self.now)
        self.feed = UpdateFeed(conflict_grace)
        self.deliver: Callable[[dict[str, Any]], Awaitable[Any]] | None = None
        # For the HTTP front: (timeout, quiet) to wait_idle after each simulated action, so
        # end-to-end tests read the bot's answer as soon as the driver call returns.
        self.settle: tuple[float, float] | None = None
        self.force_conflict = False
        self.webhook: Webhook | None = None
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.queries: dict[str, Query] = {}
        self.commands: dict[tuple, list[dict]] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.requests: list[Call] = []
        self._messages: dict[int, list[Message]] = {}
        self._ids = itertools.count(1)
        self._busy = 0
        self._last_activity = time.monotonic()

    # ---- time -------------------------------------------------------------------------

    def now(self) -> float:
        """Emulated seconds (monotonic); see ``advance``."""
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the emulated clock forward (think time, or expiring callback queries)."""
        self._offset += seconds

    def unix_time(self) -> int:
        return int(self._epoch + self.now())

    # ---- the request entry point ------------------------------------------------------

    async def call(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, Upload] | None = None,
        *,
        token: str | None = None,
    ) -> Reply:
        """Answer one Bot API request; ``token=None`` skips the token check (direct use).

        The call is appended to ``requests`` when it is answered (a long poll: when it returns).
        """
        at, params = self.now(), dict(params or {})
        polling = method.lower() == "getupdates"
        self.note_activity(0 if polling else 1)
        try:
            reply = await self._answer(method, Params(params, files), token)
        finally:
            self.note_activity(0 if polling else -1)
        result, description = reply.body.get("result"), reply.body.get("description")
        self.requests.append(Call(method, params, reply.status, description, at, result))
        return reply

    async def _answer(self, method: str, p: Params, token: str | None) -> Reply:
        try:
            if token is not None and token not in self.tokens:
                raise ApiError(401, "Unauthorized")
            handler = _METHODS.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            result = handler(self, p)
            if inspect.isawaitable(result):
                result = await result
            return Reply(200, {"ok": True, "result": result})
        except ApiError as exc:
            return Reply(exc.code, exc.envelope())

    def note_activity(self, busy: int = 0) -> None:
        self._busy += busy
        self._last_activity = time.monotonic()

    # ---- what tests read --------------------------------------------------------------

    @property
    def errors(self) -> list[Call]:
        """Every 4xx/429 answer the emulator gave."""
        return [call for call in self.requests if call.status >= 400]

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded requests, optionally of one method (case-insensitive)."""
        return [c for c in self.requests if method is None or c.method.lower() == method.lower()]

    def messages_in(self, chat_id: int) -> list[Message]:
        """Every message still visible in a chat, oldest first."""
        return [m for m in self._messages.get(chat_id, []) if not m.deleted]

    def commands_for(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        """The command list stored for exactly this scope and language."""
        return list(self.commands.get((scope_key(scope), language_code), []))

    def visible_commands(self, user_id: int, chat_id: int | None = None, lang: str = "") -> list:
        """The commands a user sees in a chat, resolved like Telegram's scope precedence."""
        chat = self.chats[user_id if chat_id is None else chat_id]
        if chat.is_group:
            scopes = [("chat_member", chat.id, user_id)]
            if user_id in chat.admins:
                scopes += [("chat_administrators", chat.id)]
            scopes += [("chat", chat.id)]
            scopes += [("all_chat_administrators",)] if user_id in chat.admins else []
            scopes += [("all_group_chats",), ("default",)]
        else:
            scopes = [("chat", chat.id), ("all_private_chats",), ("default",)]
        for key in scopes:
            for language in ([lang] if lang else []) + [""]:
                if (key, language) in self.commands:
                    return list(self.commands[(key, language)])
        return []

    async def wait_polling(self, timeout: float = 10.0) -> None:
        """Return once the bot holds a getUpdates long poll (a started bot process)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.feed.polling:
            if loop.time() > deadline:
                raise TimeoutError(f"the bot did not poll within {timeout}s")
            await self.feed.changed(deadline - loop.time())

    async def wait_idle(self, timeout: float = 5.0, quiet: float = 0.05) -> None:
        """Return once no update is pending and no request came or ran for ``quiet`` s.

        For the HTTP/polling front: an update counts as done once the bot confirmed it with
        its next getUpdates offset, which PTB sends before its handler finishes, so a handler
        that stays silent for longer than ``quiet`` seconds is not waited for.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.feed.pending or self._busy or time.monotonic() - self._last_activity < quiet:
            if loop.time() > deadline:
                raise TimeoutError(
                    f"emulator not idle after {timeout}s: {len(self.feed.pending)} pending "
                    f"updates, {self._busy} requests running"
                )
            await asyncio.sleep(0.01)

    # ---- the world --------------------------------------------------------------------

    def user(
        self,
        id: int | None = None,
        first_name: str = "Budi",
        language_code: str | None = "id",
        username: str | None = None,
        *,
        started: bool = True,
    ) -> SimUser:
        """A simulated user with a private chat (the same handle again for a known id)."""
        if id is None:
            id = 100000 + len(self.users) + 1
        if id not in self.users:
            user = User(id, first_name, language_code, username, started=started)
            self.users[id] = user
            self.chats[id] = Chat(id, "private", user=user)
        return SimUser(self, self.users[id])

    def group(
        self,
        id: int | None = None,
        title: str = "Staff",
        members: Iterable[SimUser | int] = (),
        *,
        admins: Iterable[SimUser | int] = (),
        type: str = "supergroup",
        forum: bool = False,
        bot_rights: Iterable[str] | None = None,
    ) -> SimGroup:
        """A group the bot is in; ids are negative (-100... for supergroups). A `forum` must be a
        supergroup; with `bot_rights` (e.g. ("can_manage_topics",)) the bot is an administrator."""
        if id is None:
            id = -1001000000000 - len(self.chats)
        if forum and type != "supergroup":
            raise ValueError("only a supergroup can be a forum")
        ids = {getattr(m, "id", m) for m in members}
        admin_ids = {getattr(m, "id", m) for m in admins}
        if bot_rights is not None:
            admin_ids.add(self.bot.id)
        self.chats[id] = Chat(
            id,
            type,
            title,
            members=ids | admin_ids,
            admins=admin_ids,
            is_forum=forum,
            bot_rights=frozenset(bot_rights or ()),
        )
        return SimGroup(self, self.chats[id])

    async def migrate(self, group: SimGroup | int, new_id: int | None = None) -> SimGroup:
        """Upgrade a group to a supergroup; sends to the old id then answer 400 + new id."""
        old = self.chats[getattr(group, "id", group)]
        new_id = new_id or int(f"-100{abs(old.id)}")
        self.chats[new_id] = Chat(
            new_id, "supergroup", old.title, members=set(old.members), admins=set(old.admins)
        )
        old.migrated_to = new_id
        actor = self.users.get(next(iter(old.admins or old.members), 0)) or self.bot
        await self.post(actor, old, content={"migrate_to_chat_id": new_id}, service=True)
        await self.post(actor, self.chats[new_id], content={"migrate_from_chat_id": old.id}, service=True)
        return SimGroup(self, self.chats[new_id])

    async def emit(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create an update; hand it to ``deliver`` (in-process) or queue it for the bot."""
        update = self.feed.create(kind, payload)
        if self.deliver is not None:
            await self.deliver(update)
        else:
            self.feed.enqueue(update)
            if self.settle is not None:
                await self.wait_idle(*self.settle)
        return update

    async def post(
        self,
        sender: User,
        chat: Chat,
        *,
        text: str | None = None,
        entities: list[dict] | None = None,
        caption: str | None = None,
        content: dict[str, Any] | None = None,
        reply_to: Message | None = None,
        file: StoredFile | None = None,
        service: bool = False,
        thread: int | None = None,
    ) -> Message:
        """A user's message in a chat; the bot gets it unless group privacy mode hides it. In a
        forum topic (`thread`), a message that replies to nothing replies to the topic's first
        message, as Telegram shows it; only administrators may write in a closed topic."""
        self.advance(0 if service else self.think_time)
        if chat.user is not None:
            chat.user.started = True
        if thread is None and reply_to is not None and reply_to.in_topic:
            thread = reply_to.thread_id
        if thread is not None:
            topic = self._topic(chat, thread)
            if topic.closed and sender.id not in chat.admins:
                raise PermissionError(f"topic {thread} is closed: only administrators may write")
            reply_to = reply_to or self.find_message(chat, thread)
        message = self._store(
            chat,
            sender,
            text=text,
            entities=entities or [],
            caption=caption,
            content=content or {},
            reply_to=reply_to,
            file=file,
            thread_id=thread,
        )
        if self._bot_sees(message, service):
            await self.emit("message", message.api())
        return message

    def _bot_sees(self, message: Message, service: bool) -> bool:
        chat = message.chat
        if not chat.is_group or not self.privacy_mode or service or not chat.bot_member:
            return chat.bot_member or not chat.is_group
        if self.bot.id in chat.admins:  # privacy mode does not apply to an administrator bot
            return True
        text = message.text or message.caption or ""
        mention = f"@{self.bot.username}".lower()
        command = text.startswith("/") and (
            "@" not in text.split()[0] or text.split()[0].lower().endswith(mention)
        )
        replied = message.reply_to is not None and message.reply_to.sender is self.bot
        return command or replied or mention in text.lower()

    async def click(self, user: User, chat: Chat, message_id: int, data: str) -> Query:
        """A callback-button press (or a forged one): a callback_query update."""
        self.advance(self.think_time)
        message = self.find_message(chat, message_id)
        query = Query(f"{next(self._ids)}{user.id}", user, message, data, self.now())
        self.queries[query.id] = query
        shown = message.api() if message else {"chat": chat.api(), "message_id": message_id, "date": 0}
        await self.emit(
            "callback_query",
            {
                "id": query.id,
                "from": user.api(),
                "chat_instance": f"ci{chat.id}",
                "data": data,
                "message": shown,
            },
        )
        return query

    def new_file(
        self, kind: str, data: bytes = b"", name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Register a file and give it Telegram-looking ids."""
        n = next(self._ids)
        stored = StoredFile(f"{kind[:3].upper()}-{n:06d}-emu", f"u{n:06d}", kind, data, name, mime_type)
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        """The file a getFile ``file_path`` points at."""
        return next((f for f in self.files.values() if f.path == path), None)

    def _store(self, chat: Chat, sender: User, **fields: Any) -> Message:
        history = self._messages.setdefault(chat.id, [])
        message_id = history[-1].message_id + 1 if history else 1
        message = Message(chat, message_id, sender, self.unix_time(), **fields)
        history.append(message)
        return message

    def find_message(self, chat: Chat, message_id: int) -> Message | None:
        found = (m for m in self._messages.get(chat.id, []) if m.message_id == message_id)
        message = next(found, None)
        return message if message is not None and not message.deleted else None

    def _chat(self, ref: int | str, *, sending: bool = True) -> Chat:
        """Resolve a chat_id the way Telegram does, with its 400/403 answers."""
        chat = (
            self.chats.get(ref)
            if isinstance(ref, int)
            else next((c for c in self.chats.values() if c.user and f"@{c.user.username}" == ref), None)
        )
        if chat is None:
            raise ApiError(400, CHAT_NOT_FOUND)
        if chat.migrated_to is not None:
            raise ApiError(400, MIGRATED, migrate_to_chat_id=chat.migrated_to)
        if sending and chat.user is not None and chat.user.blocked:
            raise ApiError(403, BLOCKED)
        if sending and chat.user is not None and not chat.user.started:
            raise ApiError(403, CANT_INITIATE)
        if sending and chat.is_group and not chat.bot_member:
            raise ApiError(403, KICKED)
        return chat

    def _reply_target(self, p: Params, chat: Chat) -> Message | None:
        reply = p.json("reply_parameters") or {}
        message_id = reply.get("message_id", p.raw.get("reply_to_message_id"))
        if message_id is None:
            return None
        target_chat = self._chat(int(reply["chat_id"])) if reply.get("chat_id") else chat
        target = self.find_message(target_chat, int(message_id))
        lenient = reply.get("allow_sending_without_reply", p.flag("allow_sending_without_reply"))
        if target is None and not lenient:
            raise ApiError(400, REPLY_NOT_FOUND)
        return target

    def _edit_target(self, p: Params) -> Message:
        if p.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(p.chat_ref())
        message = self.find_message(chat, p.integer("message_id"))
        if message is None:
            raise ApiError(400, EDIT_NOT_FOUND)
        if message.sender is not self.bot:
            raise bad_request("message can't be edited")
        return message

    def _send(self, chat: Chat, p: Params | None = None, **fields: Any) -> dict[str, Any]:
        """Store a bot message (in the topic `message_thread_id` names, or the replied message's)."""
        thread = self._send_thread(chat, p, fields.get("reply_to")) if p is not None else None
        self.flood.check(chat.id, chat.is_group)
        return self._store(chat, self.bot, thread_id=thread, **fields).api()

    def _topic(self, chat: Chat, thread: int) -> Topic:
        topic = chat.topics.get(thread)
        if topic is None:
            raise ApiError(400, THREAD_NOT_FOUND)
        return topic

    def _send_thread(self, chat: Chat, p: Params, reply_to: Message | None) -> int | None:
        """The forum topic a bot message goes to; a closed topic takes none (strict: Telegram lets
        topic managers post there, the emulator does not, so the bot must reopen a topic first)."""
        thread = p.integer("message_thread_id", None)
        if thread is None and reply_to is not None and reply_to.in_topic:
            thread = reply_to.thread_id
        if thread is None:
            return None
        if not chat.is_forum:
            if chat.is_group and thread and self.find_message(chat, thread) is not None:
                return None  # a reply thread in a plain supergroup: no topic
            raise ApiError(400, THREAD_NOT_FOUND)
        if self._topic(chat, thread).closed:
            raise ApiError(400, TOPIC_CLOSED)
        return thread

    # ---- Bot API methods --------------------------------------------------------------

    @api_method("getMe")
    def _get_me(self, p: Params) -> dict:
        return {
            **self.bot.api(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
        }

    @api_method("getUpdates")
    async def _get_updates(self, p: Params) -> list[dict]:
        if self.force_conflict:
            raise ApiError(409, CONFLICT_POLLER)
        if self.webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK)
        limit = min(max(p.integer("limit", 100), 1), 100)
        timeout = max(p.number("timeout"), 0.0)
        return await self.feed.poll(p.integer("offset", 0), limit, timeout, p.json("allowed_updates"))

    @api_method("setWebhook")
    def _set_webhook(self, p: Params) -> bool:
        url = p.string("url") or ""
        if not url:
            return self._delete_webhook(p)
        if not url.startswith(("https://", "http://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.string("secret_token")
        if secret is not None and not (
            1 <= len(secret) <= 256 and all(c.isalnum() or c in "_-" for c in secret)
        ):
            raise bad_request("secret token contains unallowed characters")
        if p.has("allowed_updates"):
            self.feed.allowed_updates = p.json("allowed_updates")
        if p.flag("drop_pending_updates"):
            self.feed.drop_all()
        self.webhook = Webhook(url, secret, p.integer("max_connections", 40))
        self.feed.release()
        return True

    @api_method("deleteWebhook")
    def _delete_webhook(self, p: Params) -> bool:
        self.webhook = None
        if p.flag("drop_pending_updates"):
            self.feed.drop_all()
        return True

    @api_method("getWebhookInfo")
    def _get_webhook_info(self, p: Params) -> dict:
        hook = self.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.feed.ready()),
        }
        if hook:
            info["max_connections"] = hook.max_connections
            if hook.last_error_date:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        if self.feed.allowed_updates:
            info["allowed_updates"] = self.feed.allowed_updates
        return info

    @api_method("sendMessage")
    def _send_message(self, p: Params) -> dict:
        chat = self._chat(p.chat_ref())
        parsed = check_text(parse_text(p, "text"))
        markup = check_markup(p.json("reply_markup"))
        reply_to = self._reply_target(p, chat)
        return self._send(
            chat,
            p,
            text=parsed.text,
            entities=parsed.entities,
            reply_markup=markup,
            reply_to=reply_to,
            source=p.string("text"),
            protected=p.flag("protect_content"),
        )

    @api_method("sendPhoto")
    def _send_photo(self, p: Params) -> dict:
        return self._send_file(p, "photo")

    @api_method("sendDocument")
    def _send_document(self, p: Params) -> dict:
        return self._send_file(p, "document")

    @api_method("sendVoice")
    def _send_voice(self, p: Params) -> dict:
        return self._send_file(p, "voice")

    def _send_file(self, p: Params, kind: str) -> dict:
        chat = self._chat(p.chat_ref())
        caption = check_caption(parse_text(p, "caption", entities_field="caption_entities"))
        markup = check_markup(p.json("reply_markup"))
        reply_to = self._reply_target(p, chat)
        stored = self._resolve_file(p, kind)
        return self._send(
            chat,
            p,
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else [],
            content={kind: media_object(stored, kind)},
            reply_markup=markup,
            reply_to=reply_to,
            source=p.string("caption"),
            file=stored,
            protected=p.flag("protect_content"),
        )

    def _resolve_file(self, p: Params, kind: str) -> StoredFile:
        given = p.file(kind)
        if given is None:
            raise bad_request(f"there is no {kind} in the request")
        if isinstance(given, Upload):
            return self.new_file(kind, given.data, given.filename, given.mime_type)
        if given in self.files:
            return self.files[given]
        if given.startswith(("http://", "https://")):
            return self.new_file(kind, b"", given.rsplit("/", 1)[-1] or None)
        raise bad_request("wrong file identifier/HTTP URL specified")

    @api_method("editMessageText")
    def _edit_message_text(self, p: Params) -> dict:
        message = self._edit_target(p)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        parsed = check_text(parse_text(p, "text"))
        markup = self._inline_markup(p)
        same = (parsed.text, parsed.entities, markup)
        if same == (message.text, message.entities, message.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        self.flood.check(message.chat.id, message.chat.is_group)
        message.text, message.entities, message.reply_markup = same
        message.source = p.string("text")
        message.edit_date = self.unix_time()
        return message.api()

    @api_method("editMessageCaption")
    def _edit_message_caption(self, p: Params) -> dict:
        message = self._edit_target(p)
        if message.text is not None:
            raise bad_request("there is no caption in the message to edit")
        parsed = check_caption(parse_text(p, "caption", entities_field="caption_entities"))
        markup = self._inline_markup(p)
        caption, entities = (parsed.text, parsed.entities) if parsed else (None, [])
        if (caption, entities, markup) == (
            message.caption,
            message.caption_entities,
            message.reply_markup,
        ):
            raise ApiError(400, NOT_MODIFIED)
        self.flood.check(message.chat.id, message.chat.is_group)
        message.caption, message.caption_entities, message.reply_markup = caption, entities, markup
        message.edit_date = self.unix_time()
        return message.api()

    @api_method("editMessageReplyMarkup")
    def _edit_message_reply_markup(self, p: Params) -> dict:
        message = self._edit_target(p)
        markup = self._inline_markup(p)
        if markup == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        self.flood.check(message.chat.id, message.chat.is_group)
        message.reply_markup = markup
        message.edit_date = self.unix_time()
        return message.api()

    def _inline_markup(self, p: Params) -> dict | None:
        markup = check_markup(p.json("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        return markup or None

    @api_method("deleteMessage")
    def _delete_message(self, p: Params) -> bool:
        chat = self._chat(p.chat_ref(), sending=False)
        message = self.find_message(chat, p.integer("message_id"))
        if message is None:
            raise bad_request("message to delete not found")
        self._check_deletable(chat, message)
        message.deleted = True
        return True

    @api_method("deleteMessages")
    def _delete_messages(self, p: Params) -> bool:
        """1-100 ids; ids not found are skipped; one that cannot be deleted fails the whole call."""
        chat = self._chat(p.chat_ref(), sending=False)
        ids = p.json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be a list of 1-100 identifiers")
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise bad_request("can't parse message_ids JSON object")
        found = [m for m in (self.find_message(chat, i) for i in ids) if m is not None]
        for message in found:
            self._check_deletable(chat, message)
        for message in found:
            message.deleted = True
        return True

    def _check_deletable(self, chat: Chat, message: Message) -> None:
        """Telegram's rules: at most 48 hours old; in a group another's message only as an admin."""
        if self.unix_time() - message.date >= DELETE_WINDOW:
            raise bad_request("message can't be deleted")
        if chat.is_group and message.sender is not self.bot and self.bot.id not in chat.admins:
            raise bad_request("message can't be deleted")

    @api_method("answerCallbackQuery")
    def _answer_callback_query(self, p: Params) -> bool:
        query = self.queries.get(p.string("callback_query_id") or "")
        if query is None or query.answered or self.now() - query.created > self.callback_timeout:
            raise ApiError(400, QUERY_TOO_OLD)
        if len(p.string("text") or "") > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        query.answer = {
            "text": p.string("text"),
            "show_alert": p.flag("show_alert"),
            "url": p.string("url"),
        }
        return True

    @api_method("sendChatAction")
    def _send_chat_action(self, p: Params) -> bool:
        chat = self._chat(p.chat_ref())
        action = p.string("action") or ""
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append((chat.id, action))
        return True

    @api_method("copyMessage")
    def _copy_message(self, p: Params) -> dict:
        source = self._source_message(p, "copy")
        chat = self._chat(p.chat_ref())
        caption = check_caption(parse_text(p, "caption", entities_field="caption_entities"))
        fields = _copied_fields(source)
        if caption is not None and source.text is None:
            fields.update(caption=caption.text, caption_entities=caption.entities)
        markup = check_markup(p.json("reply_markup"))
        sent = self._send(chat, p, reply_markup=markup, reply_to=self._reply_target(p, chat), **fields)
        return {"message_id": sent["message_id"]}

    @api_method("forwardMessage")
    def _forward_message(self, p: Params) -> dict:
        source = self._source_message(p, "forward")
        chat = self._chat(p.chat_ref())
        fields = _copied_fields(source)
        origin = {"type": "user", "sender_user": source.sender.api(), "date": source.date}
        fields["content"] = {**fields["content"], "forward_origin": origin}
        return self._send(chat, p, **fields)

    def _source_message(self, p: Params, verb: str) -> Message:
        source_chat = self._chat(p.chat_ref("from_chat_id"), sending=False)
        source = self.find_message(source_chat, p.integer("message_id"))
        if source is None:
            raise bad_request(f"message to {verb} not found")
        if source.protected:
            raise bad_request(f"message can't be {'copied' if verb == 'copy' else 'forwarded'}")
        return source

    @api_method("setMyCommands")
    def _set_my_commands(self, p: Params) -> bool:
        commands = check_commands(p.json("commands"))
        key = self._scope(p)
        self.commands[key] = commands
        return True

    @api_method("getMyCommands")
    def _get_my_commands(self, p: Params) -> list[dict]:
        return list(self.commands.get(self._scope(p), []))

    @api_method("deleteMyCommands")
    def _delete_my_commands(self, p: Params) -> bool:
        self.commands.pop(self._scope(p), None)
        return True

    def _scope(self, p: Params) -> tuple:
        key = scope_key(p.json("scope"))
        if len(key) > 1:
            self._chat(key[1], sending=False)
        if key[0] == "chat_member" and key[2] not in self.users:
            raise bad_request("user not found")
        return key, check_language(p.string("language_code"))

    @api_method("getChat")
    def _get_chat(self, p: Params) -> dict:
        chat = self._chat(p.chat_ref(), sending=False)
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {**chat.api(), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

    @api_method("getChatMember")
    def _get_chat_member(self, p: Params) -> dict:
        chat = self._chat(p.chat_ref(), sending=False)
        user_id = p.integer("user_id")
        user = self.bot if user_id == self.bot.id else self.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        return _member(chat, user)

    @api_method("getFile")
    def _get_file(self, p: Params) -> dict:
        stored = self.files.get(p.string("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }

    @api_method("setChatMenuButton")
    @api_method("setMyDescription")
    @api_method("setMyShortDescription")
    @api_method("setMyName")
    @api_method("close")
    @api_method("logOut")
    def _accept(self, p: Params) -> bool:
        return True

    # ---- forum topics -------------------------------------------------------------------

    def _forum(self, p: Params, missing_rights: str) -> Chat:
        """The forum a topic method names; the bot must manage its topics."""
        chat = self._chat(p.chat_ref())
        if not chat.is_forum:
            raise ApiError(400, NOT_A_FORUM)
        if self.bot.id not in chat.admins or "can_manage_topics" not in chat.bot_rights:
            raise ApiError(400, missing_rights)
        return chat

    def _topic_service(self, chat: Chat, thread: int, content: dict[str, Any]) -> Message:
        self.flood.check(chat.id, chat.is_group)
        return self._store(chat, self.bot, content=content, thread_id=thread)

    @api_method("createForumTopic")
    def _create_forum_topic(self, p: Params) -> dict:
        chat = self._forum(p, NO_TOPIC_RIGHTS)
        name = _topic_name(p.string("name"))
        color = p.integer("icon_color", TOPIC_COLORS[0])
        if color not in TOPIC_COLORS:
            raise bad_request("TOPIC_COLOR_INVALID")
        history = self._messages.get(chat.id, [])
        thread = history[-1].message_id + 1 if history else 1
        chat.topics[thread] = Topic(thread, name, color)
        created = {"forum_topic_created": {"name": name, "icon_color": color}}
        self._topic_service(chat, thread, created)
        return {"message_thread_id": thread, "name": name, "icon_color": color}

    @api_method("editForumTopic")
    def _edit_forum_topic(self, p: Params) -> bool:
        chat = self._forum(p, NO_TOPIC_EDIT_RIGHTS)
        topic = self._topic(chat, p.integer("message_thread_id"))
        name = _topic_name(p.string("name")) if p.has("name") else topic.name
        if name == topic.name:
            raise ApiError(400, TOPIC_NOT_MODIFIED)
        topic.name = name
        self._topic_service(chat, topic.thread_id, {"forum_topic_edited": {"name": name}})
        return True

    @api_method("closeForumTopic")
    def _close_forum_topic(self, p: Params) -> bool:
        return self._set_topic_closed(p, True)

    @api_method("reopenForumTopic")
    def _reopen_forum_topic(self, p: Params) -> bool:
        return self._set_topic_closed(p, False)

    def _set_topic_closed(self, p: Params, closed: bool) -> bool:
        chat = self._forum(p, NO_TOPIC_EDIT_RIGHTS)
        topic = self._topic(chat, p.integer("message_thread_id"))
        if topic.closed == closed:
            raise ApiError(400, TOPIC_NOT_MODIFIED)
        topic.closed = closed
        event = "forum_topic_closed" if closed else "forum_topic_reopened"
        self._topic_service(chat, topic.thread_id, {event: {}})
        return True

    @api_method("deleteForumTopic")
    def _delete_forum_topic(self, p: Params) -> bool:
        """The topic and every message in it; the bot needs can_delete_messages (managing topics is
        not enough)."""
        chat = self._chat(p.chat_ref())
        if not chat.is_forum:
            raise ApiError(400, NOT_A_FORUM)
        if self.bot.id not in chat.admins or "can_delete_messages" not in chat.bot_rights:
            raise ApiError(400, NO_TOPIC_DELETE_RIGHTS)
        topic = chat.topics.get(p.integer("message_thread_id"))
        if topic is None:
            raise ApiError(400, TOPIC_ID_INVALID)
        self.flood.check(chat.id, chat.is_group)
        del chat.topics[topic.thread_id]
        for message in self._messages.get(chat.id, []):
            if message.thread_id == topic.thread_id:
                message.deleted = True
        return True

    @api_method("getChatMenuButton")
    def _get_chat_menu_button(self, p: Params) -> dict:
        return {"type": "commands"}


def _topic_name(name: str | None) -> str:
    """A topic name as Telegram takes it: 1-128 characters."""
    if not name or not name.strip():
        raise bad_request("TOPIC_TITLE_EMPTY")
    if len(name) > 128:
        raise bad_request("TOPIC_TITLE_INVALID")
    return name


def _copied_fields(source: Message) -> dict[str, Any]:
    content = {k: v for k, v in source.content.items() if k in _COPYABLE}
    return {
        "text": source.text,
        "entities": list(source.entities),
        "caption": source.caption,
        "caption_entities": list(source.caption_entities),
        "content": content,
        "file": source.file,
        "source": source.source,
    }


_COPYABLE = {"photo", "document", "voice", "sticker", "contact", "location"}


def _member(chat: Chat, user: User) -> dict:
    if chat.user is not None:
        return {"status": "member", "user": user.api()}
    if user.id in chat.admins:
        topics = {"can_manage_topics": user.is_bot and "can_manage_topics" in chat.bot_rights}
        rights = dict.fromkeys(
            (
                "can_be_edited",
                "is_anonymous",
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
            ),
            False,
        )
        granted = dict.fromkeys(chat.bot_rights & rights.keys(), True) if user.is_bot else {}
        return {"status": "administrator", "user": user.api(), **rights, **topics, **granted}
    if user.id in chat.members or (user.is_bot and chat.bot_member):
        return {"status": "member", "user": user.api()}
    return {"status": "left", "user": user.api()}
