"""What the bot sends on its own about cases, built as outbox rows: staff cards, status notices to
reporters, and messages relayed between staff and reporters (never showing who the staff member is)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import pack
from bot.context import Services
from bot.outbox import topics
from bot.store import Case, Worker
from bot.store.outbox import NOTICE, Outgoing
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
CARD_STORY = 700  # characters of the description a card shows (content: staff-case-card)


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


def card_markup(services: Services, case: Case, *, undo: bool = False) -> InlineKeyboardMarkup:
    """The staff buttons of a card; just after "resolved", "undo" too."""
    text = services.content.text
    lang = services.settings.default_language
    buttons = [
        InlineKeyboardButton(
            text(lang, f"staff-button-{action}"), callback_data=pack("st", str(case.id), action)
        )
        for action in (*STAFF_ACTIONS, "undo")
        if undo or action != "undo"
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


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
        worker=await _worker(services, case),
        referred_to=await _referred_to(services, case),
        story=len(case.description or "") > CARD_STORY,
    )


async def _worker(services: Services, case: Case) -> Worker | None:
    """The registered family member a case is about, if any."""
    if case.worker_id is None or case.user_id is None:
        return None
    registration = await services.store.registration(case.user_id)
    workers = registration.workers if registration else ()
    return next((w for w in workers if w.id == case.worker_id), None)


async def _referred_to(services: Services, case: Case) -> str | None:
    """The body a referred case went to (the body of its last status event)."""
    if case.status != "referred":
        return None
    events = await services.store.case_events(case.id)
    return next((e.body for e in reversed(events) if e.new_status == "referred"), None)


async def new_case(services: Services, case: Case) -> list[Outgoing]:
    """The card (and the case's files after it) for every staff target; in a staff forum, first the
    case's topic (its card follows into it: bot/outbox/hooks.py)."""
    forum = topics.forum_chat(services)
    if forum is not None:
        return [topics.create(services, case, forum)]
    return await case_cards(services, case)


async def case_cards(
    services: Services, case: Case, only: int | None = None, extra: dict | None = None
) -> list[Outgoing]:
    """The card, story and files of a case for every staff target (or `only` that chat), each
    with `extra` payload (e.g. the topic's message_thread_id)."""
    if not staff_targets(services):
        return []
    text = await card_text(services, case)
    markup = card_markup(services, case).to_dict()
    files = await services.store.case_attachments(case.id)
    story = story_parts(services, case)
    items = []
    for chat_id in staff_targets(services) if only is None else [only]:
        items.append(
            Outgoing(
                chat_id,
                "sendMessage",
                {"text": text, "parse_mode": "HTML", "reply_markup": markup, **(extra or {})},
                kind="case_card",
                ref=case.id,
            )
        )
        items += [
            Outgoing(chat_id, "sendMessage", {"text": part, **(extra or {})}, kind="case_file", ref=case.id)
            for part in story
        ]
        items += [
            file_message(chat_id, case, (f.kind, f.file_id, f.caption or ""), "case_file", extra)
            for f in files
        ]
    return items


def story_parts(services: Services, case: Case) -> list[str]:
    """A description longer than the card shows, whole, in messages after the card."""
    description = case.description or ""
    if len(description) <= CARD_STORY:
        return []
    lang = services.settings.default_language
    chunks = _chunks(description, TEXT_ROOM)
    return [
        services.content.text(lang, "staff-case-story", case=case, part=n, parts=len(chunks), text=chunk)
        for n, chunk in enumerate(chunks, 1)
    ]


def _chunks(text: str, room: int) -> list[str]:
    """`text` cut between paragraphs into pieces of at most `room` characters (a longer paragraph is
    cut where it must)."""
    chunks: list[str] = []
    for paragraph in text.split("\n\n"):
        while len(paragraph) > room:
            chunks.append(paragraph[:room])
            paragraph = paragraph[room:]
        if chunks and len(chunks[-1]) + 2 + len(paragraph) <= room:
            chunks[-1] += "\n\n" + paragraph
        else:
            chunks.append(paragraph)
    return chunks


def file_message(
    chat_id: int, case: Case, file: Sequence[str], outbox_kind: str, extra: dict | None = None
) -> Outgoing:
    """One file of a case for staff ((kind, file_id) or (kind, file_id, caption)), captioned with the
    reference and the words the reporter sent with it."""
    kind, file_id, caption = file[0], file[1], (file[2] if len(file) > 2 else None)
    words = f"{case.reference} · {html.escape(clip(caption, CAPTION_ROOM))}" if caption else case.reference
    payload = {kind if kind in FILE_METHODS else "document": file_id, "caption": words, "parse_mode": "HTML"}
    return Outgoing(
        chat_id,
        FILE_METHODS.get(kind, "sendDocument"),
        {**payload, **(extra or {})},
        kind=outbox_kind,
        ref=case.id,
    )


def status_notice(
    services: Services, case: Case, referred_to: str | None = None, delay: int = 0
) -> Outgoing | None:
    """Tell the reporter, in their language, the new status and what it means (naming the body a
    referred case went to); `delay` seconds later when the change can still be undone."""
    if case.user_id is None:
        return None
    text = services.content.text(case.lang, "user-status-changed", case=case, referred_to=referred_to)
    return Outgoing(
        case.user_id,
        "sendMessage",
        {"text": text, "parse_mode": "HTML"},
        kind="notice",
        ref=case.id,
        delay=delay,
    )


def card_edits(services: Services, case: Case, cards: Sequence[tuple[int, int]], text: str) -> list[Outgoing]:
    """Every staff card of a case edited to read `text` (e.g. after the reporter reopened it)."""
    payload = {"text": text, "parse_mode": "HTML", "reply_markup": card_markup(services, case).to_dict()}
    return [Outgoing(chat, "editMessageText", {**payload, "message_id": message}) for chat, message in cards]


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
        )
    ]


async def to_staff(
    services: Services,
    case: Case,
    text: str | None,
    files: Sequence[Sequence[str]],
    kind: str,
    *,
    reopened: bool = False,
) -> list[Outgoing]:
    """A reporter's message or added information, threaded under the case's card in each staff chat
    (saying so when the message reopened a resolved case)."""
    lang = services.settings.default_language
    header = services.content.text(
        lang, f"staff-reporter-{kind}", case=case, text=clip(text or "", TEXT_ROOM), reopened=reopened
    )
    items = []
    for chat_id in staff_targets(services):
        cards = [m for c, m in await services.store.case_messages(case.id, "card") if c == chat_id]
        reply = await topics.placement(services, case, chat_id) or (
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
            )
        )
        items += [file_message(chat_id, case, file, "relay_in", reply) for file in files]
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
