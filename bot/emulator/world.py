"""The emulated world's records: users, chats, messages, files, queries and API calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    """A Telegram user; ``blocked`` means this user blocked the bot."""

    id: int
    first_name: str
    language_code: str | None = "id"
    username: str | None = None
    last_name: str | None = None
    is_bot: bool = False
    started: bool = True
    blocked: bool = False

    def api(self) -> dict[str, Any]:
        """The Bot API User object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass
class Chat:
    """A private chat (id == user id) or a group/supergroup (negative id)."""

    id: int
    type: str
    title: str | None = None
    user: User | None = None
    members: set[int] = field(default_factory=set)
    admins: set[int] = field(default_factory=set)
    bot_member: bool = True
    migrated_to: int | None = None
    is_forum: bool = False  # a supergroup with topics
    bot_rights: frozenset[str] = frozenset()  # the bot's admin rights, when it is in `admins`
    topics: dict[int, Topic] = field(default_factory=dict)  # by message_thread_id

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def api(self) -> dict[str, Any]:
        """The Bot API Chat object."""
        if self.user is not None:
            data = {"id": self.id, "type": "private", "first_name": self.user.first_name}
            if self.user.username:
                data["username"] = self.user.username
            return data
        data = {"id": self.id, "type": self.type, "title": self.title}
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass
class Topic:
    """A forum topic: its thread id is the id of the service message that created it."""

    thread_id: int
    name: str
    icon_color: int
    closed: bool = False


@dataclass
class StoredFile:
    """A file known to the emulator: uploaded by the bot or sent by a simulated user."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes = b""
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def path(self) -> str:
        return f"{self.kind}s/{self.file_id}"


@dataclass
class Message:
    """One message as its chat sees it; ``content`` holds the Bot API media fields."""

    chat: Chat
    message_id: int
    sender: User
    date: int
    text: str | None = None
    entities: list[dict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict] = field(default_factory=list)
    content: dict[str, Any] = field(default_factory=dict)
    reply_markup: dict | None = None
    reply_to: Message | None = None
    source: str | None = None
    edit_date: int | None = None
    deleted: bool = False
    file: StoredFile | None = None
    protected: bool = False  # sent with protect_content: clients cannot forward or save it
    thread_id: int | None = None  # the forum topic the message is in

    @property
    def in_topic(self) -> bool:
        return self.thread_id is not None and self.chat.is_forum

    def api(self, nested: bool = True) -> dict[str, Any]:
        """The Bot API Message object."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat.api(),
            "from": self.sender.api(),
        }
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.caption:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = self.caption_entities
        data.update(self.content)
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        if self.reply_to is not None and nested:
            data["reply_to_message"] = self.reply_to.api(nested=False)
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.protected:
            data["has_protected_content"] = True
        if self.in_topic:
            data["message_thread_id"] = self.thread_id
            data["is_topic_message"] = True
        return data


@dataclass
class Query:
    """A callback query waiting for answerCallbackQuery."""

    id: str
    user: User
    message: Message | None
    data: str
    created: float
    answered: bool = False
    answer: dict[str, Any] | None = None


@dataclass(frozen=True)
class Call:
    """One API request and its outcome, as the emulator answered it."""

    method: str
    params: dict[str, Any]
    status: int
    description: str | None
    at: float
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status < 300


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    data: bytes
    mime_type: str = "application/octet-stream"


@dataclass
class Webhook:
    """The webhook setting, with the last delivery error as getWebhookInfo reports it."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


def media_object(stored: StoredFile, kind: str) -> Any:
    ids = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_size": len(stored.data)}
    if kind == "photo":
        return [{**ids, "width": 320, "height": 240}, {**ids, "width": 1280, "height": 960}]
    if kind == "voice":
        return {**ids, "duration": 3, "mime_type": stored.mime_type or "audio/ogg"}
    extra = {"file_name": stored.file_name} if stored.file_name else {}
    return {**ids, **extra, "mime_type": stored.mime_type or "application/octet-stream"}
