"""Request parameters as Telegram reads them, and the checks shared by several methods."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from bot.telegram_html import HtmlError, ParsedText, parse, utf16_len

from .errors import (
    BUTTON_DATA_INVALID,
    BUTTON_URL_INVALID,
    ApiError,
    bad_request,
)
from .world import Upload

_MISSING = object()
_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "web_app",
    "copy_text",
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}


class Params:
    """One request's parameters: Python-typed, form strings or JSON strings alike."""

    def __init__(self, raw: Mapping[str, Any], files: Mapping[str, Upload] | None = None):
        self.raw = {k: v for k, v in raw.items() if v is not None}
        self.files = dict(files or {})

    def has(self, name: str) -> bool:
        return name in self.raw

    def string(self, name: str, default: str | None = None) -> str | None:
        value = self.raw.get(name, default)
        return value if value is None or isinstance(value, str) else str(value)

    def integer(self, name: str, default: Any = _MISSING) -> int:
        value = self.raw.get(name, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise bad_request(f"{name} is empty")
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str, default: float = 0.0) -> float:
        value = self.raw.get(name, default)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.raw.get(name, default)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def json(self, name: str, default: Any = None) -> Any:
        value = self.raw.get(name, default)
        if isinstance(value, str | bytes):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_ref(self, name: str = "chat_id") -> int | str:
        """A chat id as int, or an ``@username`` string."""
        value = self.raw.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, str) and value.startswith("@"):
            return value
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None

    def file(self, name: str) -> Upload | str | None:
        """An upload, an ``attach://`` upload, or a file_id/URL string."""
        value = self.raw.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.files.get(value[len("attach://") :])
        if value is None:
            return self.files.get(name)
        return str(value)


def parse_text(
    params: Params, field: str, mode_field: str = "parse_mode", entities_field: str = "entities"
) -> ParsedText | None:
    """The text after entity parsing and trimming, as Telegram stores it."""
    raw = params.string(field)
    if raw is None:
        return None
    mode = (params.string(mode_field) or "").lower()
    if mode == "html":
        try:
            return parse(raw).strip()
        except HtmlError as exc:
            raise bad_request(exc.description) from None
    if mode:
        raise bad_request("unsupported parse_mode")
    return ParsedText(raw, list(params.json(entities_field) or [])).strip()


def check_text(parsed: ParsedText | None) -> ParsedText:
    """Enforce 1-4096 UTF-16 units for a message text."""
    if parsed is None or not parsed.text:
        raise bad_request("message text is empty")
    if utf16_len(parsed.text) > 4096:
        raise bad_request("message is too long")
    return parsed


def check_caption(parsed: ParsedText | None) -> ParsedText | None:
    """Enforce at most 1024 UTF-16 units for a caption."""
    if parsed is not None and utf16_len(parsed.text) > 1024:
        raise bad_request("message caption is too long")
    return parsed if parsed and parsed.text else None


def check_markup(markup: Any) -> dict | None:
    """Validate reply_markup like Telegram; return it unchanged."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _check_reply_keyboard(markup["keyboard"])
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard JSON object")
    if any(len(row) > 8 for row in rows) or sum(len(row) for row in rows) > 100:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    for button in (b for row in rows for b in row):
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request("can't parse inline keyboard button: Can't find field \"text\"")
        if not button["text"].strip():
            raise bad_request("BUTTON_TEXT_INVALID")
        actions = [key for key in _BUTTON_ACTIONS if key in button]
        if not actions:
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
            )
        if len(actions) > 1:
            raise bad_request("BUTTON_TYPE_INVALID")
        _check_button_action(button)


def _check_button_action(button: dict) -> None:
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise ApiError(400, BUTTON_DATA_INVALID)
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"(https?://[^\s/]+|tg://\w)", url):
            raise ApiError(400, BUTTON_URL_INVALID)


def _check_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse keyboard JSON object")
    for button in (b for row in rows for b in row):
        text = button if isinstance(button, str) else (button or {}).get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("BUTTON_TEXT_INVALID")


def check_commands(commands: Any) -> list[dict]:
    """Validate setMyCommands' ``commands``: 1-32 [a-z0-9_], description 1-256, <= 100."""
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    checked = []
    for item in commands:
        if not isinstance(item, dict) or "description" not in item:
            raise bad_request("can't parse BotCommand: Can't find field \"description\"")
        command, description = str(item.get("command", "")), str(item["description"])
        if not _COMMAND.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not description.strip():
            raise bad_request("command description must be non-empty")
        if len(description) > 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": command, "description": description})
    return checked


def scope_key(scope: Any) -> tuple:
    """A hashable key for a BotCommandScope; raises for unknown types or missing fields."""
    scope = scope or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    fields = _SCOPES[scope["type"]]
    if any(scope.get(name) in (None, "") for name in fields):
        raise bad_request("can't parse BotCommandScope JSON object")
    return (scope["type"], *(int(scope[name]) for name in fields))


def check_language(code: str | None) -> str:
    """A two-letter ISO 639-1 code or the empty string."""
    code = code or ""
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise bad_request("invalid language code specified")
    return code
