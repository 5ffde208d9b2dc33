"""Simulated users and groups that talk to the bot through the emulator, and what they see.

Each action adds the emulator's ``think_time`` to its clock, so flood limits and callback
expiry behave as with a human, without sleeping. With ``emulator.deliver`` set (in-process),
an action returns after the bot has processed it; over HTTP, await ``emulator.wait_idle()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.telegram_html import utf16_len

from .world import Chat, Message, Query, Topic, User, media_object

if TYPE_CHECKING:
    from .core import Emulator

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,})?")


@dataclass(frozen=True)
class Button:
    """One keyboard button: its label and what it does."""

    text: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Shown:
    """A message as a chat member sees it: plain text (or caption), buttons, media."""

    message_id: int
    text: str
    html: str | None
    kind: str
    buttons: tuple[tuple[Button, ...], ...]
    from_bot: bool
    edited: bool
    entities: tuple[dict, ...] = ()
    file_name: str | None = None
    data: bytes | None = None
    reply_to: int | None = None
    thread: int | None = None  # the forum topic it is in

    @property
    def labels(self) -> list[str]:
        """Every button label, row by row."""
        return [button.text for row in self.buttons for button in row]


def show(message: Message, bot: User) -> Shown:
    """The reader's view of a stored message."""
    markup = message.reply_markup or {}
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    buttons = tuple(tuple(_button(b) for b in row) for row in rows)
    kind = next((k for k in _KINDS if k in message.content), "text")
    file = message.file
    return Shown(
        message_id=message.message_id,
        text=(message.text if message.text is not None else message.caption) or "",
        html=message.source,
        kind=kind,
        buttons=buttons,
        from_bot=message.sender is bot,
        edited=message.edit_date is not None,
        entities=tuple(message.entities or message.caption_entities),
        file_name=file.file_name if file else None,
        data=file.data if file else None,
        reply_to=message.reply_to.message_id if message.reply_to else None,
        thread=message.thread_id if message.in_topic else None,
    )


_KINDS = (
    "photo",
    "document",
    "voice",
    "sticker",
    "contact",
    "location",
    "new_chat_members",
    "migrate_to_chat_id",
    "migrate_from_chat_id",
    "forum_topic_created",
    "forum_topic_edited",
    "forum_topic_closed",
    "forum_topic_reopened",
)


def _button(raw: Any) -> Button:
    if isinstance(raw, str):
        return Button(raw)
    return Button(raw["text"], raw.get("callback_data"), raw.get("url"))


class _Reader:
    """What a chat shows; shared by users (their private chat) and groups."""

    emulator: Emulator
    chat: Chat

    @property
    def history(self) -> list[Shown]:
        """Every visible message in the chat, both sides, oldest first."""
        bot = self.emulator.bot
        return [show(m, bot) for m in self.emulator.messages_in(self.chat.id)]

    @property
    def messages(self) -> list[Shown]:
        """The bot's visible messages in the chat, newest last."""
        return [m for m in self.history if m.from_bot]

    @property
    def last(self) -> Shown | None:
        """The newest bot message, or None."""
        messages = self.messages
        return messages[-1] if messages else None

    @property
    def last_text(self) -> str:
        """Plain text of the newest bot message ("" when there is none)."""
        last = self.last
        return last.text if last else ""

    @property
    def buttons(self) -> list[str]:
        """Labels of the newest keyboard the bot showed (inline or reply keyboard)."""
        for message in reversed(self.messages):
            if message.buttons:
                return message.labels
        return []


class SimUser(_Reader):
    """A Telegram user talking to the bot in a private chat and in groups."""

    def __init__(self, emulator: Emulator, user: User):
        self.emulator = emulator
        self.user = user
        self.chat = emulator.chats[user.id]

    def __repr__(self) -> str:
        return f"SimUser(id={self.id}, first_name={self.user.first_name!r})"

    @property
    def id(self) -> int:
        return self.user.id

    async def send(self, text: str) -> Message:
        """Send text; a leading /command gets its bot_command entity."""
        return await self._say(self.chat, text)

    async def send_contact(self, phone: str = "+6281234567890", *, own: bool = True) -> Message:
        """Share a contact (own=True: the user's own number, as the share button does)."""
        contact = {"phone_number": phone, "first_name": self.user.first_name}
        if own:
            contact["user_id"] = self.id
        return await self._post(content={"contact": contact})

    async def send_photo(self, caption: str | None = None) -> Message:
        stored = self.emulator.new_file("photo", b"\xff\xd8\xff\xe0fake-jpeg", "photo.jpg")
        return await self._post(
            caption=caption, file=stored, content={"photo": media_object(stored, "photo")}
        )

    async def send_document(
        self,
        name: str = "dokumen.pdf",
        data: bytes = b"%PDF-1.4\n%fake\n",
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> Message:
        stored = self.emulator.new_file("document", data, name, mime_type)
        return await self._post(
            caption=caption, file=stored, content={"document": media_object(stored, "document")}
        )

    async def send_voice(self) -> Message:
        stored = self.emulator.new_file("voice", b"OggS-fake-voice", None, "audio/ogg")
        return await self._post(file=stored, content={"voice": media_object(stored, "voice")})

    async def send_sticker(self, emoji: str = "👍") -> Message:
        stored = self.emulator.new_file("sticker", b"RIFF-fake-webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "emoji": emoji,
        }
        return await self._post(content={"sticker": sticker})

    async def send_location(self, latitude: float = -6.2, longitude: float = 106.8) -> Message:
        location = {"latitude": latitude, "longitude": longitude}
        return await self._post(content={"location": location})

    async def edit_last(self, text: str) -> Message:
        """Edit this user's newest text message in the private chat (edited_message update)."""
        emulator = self.emulator
        mine = [m for m in emulator.messages_in(self.id) if m.sender is self.user and m.text]
        if not mine:
            raise LookupError(f"{self!r} has no text message to edit")
        message = mine[-1]
        emulator.advance(emulator.think_time)
        message.text, message.entities = text, _command_entities(text)
        message.edit_date = emulator.unix_time()
        await emulator.emit("edited_message", message.api())
        return message

    async def press(self, label: str, group: SimGroup | None = None) -> Query | Message:
        """Press the button with this label on the newest bot message showing it (in `group` if given)."""
        chat = self._member_of(group) if group is not None else self.chat
        for message in reversed(self.emulator.messages_in(chat.id)):
            rows = (message.reply_markup or {}).get("inline_keyboard") or []
            found = [b for row in rows for b in row if b.get("text") == label]
            if message.sender is self.emulator.bot and found:
                if "callback_data" not in found[0]:
                    raise ValueError(f"button {label!r} is not a callback button: {found[0]}")
                data = found[0]["callback_data"]
                return await self.emulator.click(self.user, chat, message.message_id, data)
        for button in (b for row in self._reply_keyboard() for b in row):
            if _button(button).text == label:
                if isinstance(button, dict) and button.get("request_contact"):
                    return await self.send_contact()
                return await self.send(label)
        raise LookupError(f"{self!r} sees no button {label!r}; visible buttons: {self.buttons}")

    async def press_data(self, data: str, message_id: int | None = None) -> Query:
        """Send a callback query with any data (forged or stale) for a message id."""
        if message_id is None:
            last = self.last
            message_id = last.message_id if last else 1
        return await self.emulator.click(self.user, self.chat, message_id, data)

    def answer(self, query: Query | str) -> dict[str, Any] | None:
        """The bot's answerCallbackQuery for a press (None if unanswered)."""
        query_id = query.id if isinstance(query, Query) else query
        return self.emulator.queries[query_id].answer

    async def block(self) -> None:
        """Block the bot: sends now answer 403; the bot gets a my_chat_member update."""
        self.user.blocked = True
        await self._member_update("member", "kicked")

    async def unblock(self) -> None:
        self.user.blocked = False
        await self._member_update("kicked", "member")

    async def join(self, group: SimGroup) -> Message:
        """Join a group (a new_chat_members service message)."""
        group.chat.members.add(self.id)
        return await self.emulator.post(
            self.user, group.chat, content={"new_chat_members": [self.user.api()]}, service=True
        )

    async def send_in(self, group: SimGroup, text: str) -> Message:
        """Send text in a group (the bot sees it only as privacy mode allows)."""
        return await self._say(self._member_of(group), text)

    async def send_in_topic(self, group: SimGroup, thread: int, text: str) -> Message:
        """Type in a forum topic, replying to nothing (the bot sees it if it is an administrator)."""
        chat = self._member_of(group)
        return await self.emulator.post(
            self.user, chat, text=text, entities=_command_entities(text), thread=thread
        )

    async def reply_in(self, group: SimGroup, to_message_id: int, text: str) -> Message:
        """Reply in a group to one of its messages."""
        chat = self._member_of(group)
        return await self._say(chat, text, reply_to=self._find(chat, to_message_id))

    async def reply_photo_in(
        self, group: SimGroup, to_message_id: int, caption: str | None = None
    ) -> Message:
        """Reply in a group to one of its messages with a photo (and a caption)."""
        chat = self._member_of(group)
        stored = self.emulator.new_file("photo", b"\xff\xd8\xff\xe0fake-jpeg", "photo.jpg")
        return await self.emulator.post(
            self.user,
            chat,
            caption=caption,
            file=stored,
            content={"photo": media_object(stored, "photo")},
            reply_to=self._find(chat, to_message_id),
        )

    def _find(self, chat: Chat, message_id: int) -> Message:
        target = self.emulator.find_message(chat, message_id)
        if target is None:
            raise LookupError(f"no message {message_id} in chat {chat.id}")
        return target

    def _member_of(self, group: SimGroup) -> Chat:
        if self.id not in group.chat.members:
            raise ValueError(f"{self!r} is not a member of group {group.id}; use join()")
        return group.chat

    async def _say(self, chat: Chat, text: str, reply_to: Message | None = None) -> Message:
        return await self.emulator.post(
            self.user, chat, text=text, entities=_command_entities(text), reply_to=reply_to
        )

    async def _post(self, **fields: Any) -> Message:
        return await self.emulator.post(self.user, self.chat, **fields)

    async def _member_update(self, old: str, new: str) -> None:
        emulator, bot = self.emulator, self.emulator.bot.api()
        emulator.advance(emulator.think_time)
        await emulator.emit(
            "my_chat_member",
            {
                "chat": self.chat.api(),
                "from": self.user.api(),
                "date": emulator.unix_time(),
                "old_chat_member": _status(old, bot),
                "new_chat_member": _status(new, bot),
            },
        )

    def _reply_keyboard(self) -> list[list[Any]]:
        for message in reversed(self.emulator.messages_in(self.id)):
            markup = message.reply_markup or {}
            if message.sender is self.emulator.bot and markup.get("remove_keyboard"):
                return []
            if message.sender is self.emulator.bot and "keyboard" in markup:
                return markup["keyboard"]
        return []


class SimGroup(_Reader):
    """A group or supergroup chat the bot is in."""

    def __init__(self, emulator: Emulator, chat: Chat):
        self.emulator = emulator
        self.chat = chat

    def __repr__(self) -> str:
        return f"SimGroup(id={self.id}, title={self.chat.title!r})"

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def topics(self) -> list[Topic]:
        """The forum's topics, oldest first."""
        return list(self.chat.topics.values())

    def in_topic(self, thread: int) -> list[Shown]:
        """Every visible message of one topic (both sides), oldest first."""
        return [m for m in self.history if m.thread == thread]


def _command_entities(text: str) -> list[dict]:
    match = _COMMAND.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


def _status(status: str, bot: dict) -> dict:
    member = {"status": status, "user": bot}
    if status == "kicked":
        member["until_date"] = 0
    return member
