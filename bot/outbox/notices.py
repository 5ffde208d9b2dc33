"""What the bot sends on its own about cases, built as outbox rows: staff cards, status notices to
reporters, and messages relayed between staff and reporters (never showing who the staff member is)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import pack
from bot.context import Services
from bot.store import Case
from bot.store.outbox import CARD, NOTICE, STAFF_REPLY, URGENT_CARD, Outgoing
from bot.telegram_html import utf16_len

JAKARTA = timezone(timedelta(hours=7), "WIB")  # Asia/Jakarta has no daylight saving time
FILE_METHODS = {
    "photo": "sendPhoto",
    "document": "sendDocument",
    "voice": "sendVoice",
    "video": "sendVideo",
    "audio": "sendAudio",
}
STAFF_ACTIONS = ("take", "prog", "ref", "res", "note", "contact")


TEXT_ROOM, CAPTION_ROOM = 3500, 800  # UTF-16 units left for relayed words inside a header


def clip(text: str, units: int) -> str:
    """At most `units` UTF-16 code units of `text` (how Telegram counts), with … when cut."""
    if utf16_len(text) <= units:
        return text
    out, used = [], 0
    for ch in text:
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units - 1:
            break
        out.append(ch)
    return "".join(out) + "…"


def when(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).astimezone(JAKARTA).strftime("%d-%m-%Y %H:%M WIB")


def staff_targets(services: Services) -> list[int]:
    """Where case cards go: the staff group, or each staff member privately when there is none."""
    chat = services.staff_chat_id
    return [chat] if chat else sorted(services.settings.staff_ids)


def card_markup(services: Services, case: Case) -> InlineKeyboardMarkup:
    text = services.content.text
    lang = services.settings.default_language
    buttons = [
        InlineKeyboardButton(
            text(lang, f"staff-button-{action}"), callback_data=pack("st", str(case.id), action)
        )
        for action in STAFF_ACTIONS
    ]
    return InlineKeyboardMarkup([buttons[0:2], buttons[2:4], buttons[4:6]])


async def card_text(services: Services, case: Case) -> str:
    store, content = services.store, services.content
    lang = services.settings.default_language
    reporter = await store.get_user(case.user_id) if case.user_id else None
    assignee = await store.get_user(case.assignee) if case.assignee else None
    files = await store.case_attachments(case.id)
    return content.text(
        lang,
        "staff-case-card",
        case=case,
        reporter=reporter.first_name if reporter else "",
        assignee=assignee.first_name if assignee else "",
        created=when(case.created_at),
        country=content.country_name(case.country or "", lang),
        files=len(files),
    )


async def new_case(services: Services, case: Case) -> list[Outgoing]:
    """The card (and the case's files after it) for every staff target."""
    if not staff_targets(services):
        return []
    text = await card_text(services, case)
    markup = card_markup(services, case).to_dict()
    files = await services.store.case_attachments(case.id)
    priority = URGENT_CARD if case.urgent else CARD
    items = []
    for chat_id in staff_targets(services):
        items.append(
            Outgoing(
                chat_id,
                "sendMessage",
                {"text": text, "parse_mode": "HTML", "reply_markup": markup},
                kind="case_card",
                ref=case.id,
                priority=priority,
            )
        )
        items += [
            Outgoing(
                chat_id,
                FILE_METHODS.get(f.kind, "sendDocument"),
                {f.kind if f.kind in FILE_METHODS else "document": f.file_id, "caption": case.reference},
                kind="case_file",
                ref=case.id,
                priority=priority,
            )
            for f in files
        ]
    return items


def status_notice(services: Services, case: Case) -> Outgoing | None:
    """Tell the reporter, in their language, the new status and what it means."""
    if case.user_id is None:
        return None
    text = services.content.text(case.lang, "user-status-changed", case=case)
    return Outgoing(
        case.user_id, "sendMessage", {"text": text, "parse_mode": "HTML"}, kind="notice", ref=case.id
    )


def to_reporter(
    services: Services, case: Case, text: str | None, file: tuple[str, str] | None
) -> list[Outgoing]:
    """A staff message for the reporter: signed "Petugas"/"Staff", never with the staff member's name."""
    if case.user_id is None:
        return []
    room = CAPTION_ROOM if file else TEXT_ROOM
    header = services.content.text(case.lang, "user-staff-message", case=case, text=clip(text or "", room))
    if file is None:
        return [
            Outgoing(
                case.user_id,
                "sendMessage",
                {"text": header, "parse_mode": "HTML"},
                kind="relay_out",
                ref=case.id,
                priority=STAFF_REPLY,
            )
        ]
    kind, file_id = file
    method = FILE_METHODS.get(kind, "sendDocument")
    field = kind if kind in FILE_METHODS else "document"
    return [
        Outgoing(
            case.user_id,
            method,
            {field: file_id, "caption": header, "parse_mode": "HTML"},
            kind="relay_out",
            ref=case.id,
            priority=STAFF_REPLY,
        )
    ]


async def to_staff(
    services: Services, case: Case, text: str | None, files: Sequence[Sequence[str]], kind: str
) -> list[Outgoing]:
    """A reporter's message or added information, threaded under the case's card in each staff chat."""
    lang = services.settings.default_language
    header = services.content.text(
        lang, f"staff-reporter-{kind}", case=case, text=clip(text or "", TEXT_ROOM)
    )
    items = []
    for chat_id in staff_targets(services):
        cards = [m for c, m in await services.store.case_messages(case.id, "card") if c == chat_id]
        reply = (
            {"reply_parameters": {"message_id": cards[-1], "allow_sending_without_reply": True}}
            if cards
            else {}
        )
        items.append(
            Outgoing(
                chat_id,
                "sendMessage",
                {"text": header, "parse_mode": "HTML", **reply},
                kind="relay_in",
                ref=case.id,
                merge=True,
            )
        )
        items += [
            Outgoing(
                chat_id,
                FILE_METHODS.get(k, "sendDocument"),
                {k if k in FILE_METHODS else "document": fid, "caption": case.reference, **reply},
                kind="relay_in",
                ref=case.id,
            )
            for k, fid in files
        ]
    return items


async def mark_erased(
    services: Services, shown: list[tuple[int, int]], key: str, priority: int = NOTICE
) -> None:
    """Staff cards of erased cases now say why their text is gone (e.g. "[data deleted by the user]")."""
    if not shown:
        return
    text = services.content.text(services.settings.default_language, key)
    await services.store.queue(
        [
            Outgoing(chat, "editMessageText", {"text": text, "message_id": message}, priority=priority)
            for chat, message in shown
        ]
    )
    services.wake_outbox()
