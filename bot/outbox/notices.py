"""What the bot sends on its own about cases, built as outbox rows: staff cards, status notices to
reporters, and messages relayed between staff and reporters (never showing who the staff member is)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import pack
from bot.context import Services
from bot.outbox import topics
from bot.store import Case, Worker
from bot.store.outbox import CARD, HOUSEKEEPING, NOTICE, STAFF_REPLY, URGENT_CARD, OutboxRow, Outgoing
from bot.store.privacy import ERASURE, Copy, Erasure
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


# Messages carrying personal data cannot be forwarded or saved from Telegram's clients.
PROTECTED = {"protect_content": True}
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


async def staff_targets(services: Services, case: Case) -> list[tuple[int, dict]]:
    """Where a case's cards go, as (chat, extra fields): the staff chat (or topic) of the case's
    district when one is set, else the main staff group, else each staff member whose scope covers
    the case, privately."""
    district = await services.store.district_chat(case.id)
    if district is not None:
        chat, thread = district
        return [(chat, {"message_thread_id": thread} if thread else {})]
    if services.staff_chat_id:
        return [(services.staff_chat_id, {})]
    return [(m, {}) for m in sorted(services.staff) if await services.may_act_on(m, case.id)]


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
    if case.erased_at is not None:  # the shell staff keep once the personal data is gone
        return content.text(
            lang, "staff-case-shell", case=case, created=when(case.created_at), updated=when(case.updated_at)
        )
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
    """The card (and the case's files after it) for every staff target of the case (its district's
    chat or topic when configured); in a staff forum, first the case's own topic (its card follows
    into it: bot/outbox/hooks.py). An urgent case's go first."""
    targets = await staff_targets(services, case)
    forum = topics.forum_chat(services)
    if forum is not None and targets == [(forum, {})]:
        return [topics.create(services, case, forum)]
    return await case_cards(services, case, targets=targets)


async def case_cards(
    services: Services,
    case: Case,
    only: int | None = None,
    extra: dict | None = None,
    *,
    targets: list[tuple[int, dict]] | None = None,
) -> list[Outgoing]:
    """The card, story and files of a case for every staff target (or `only` that chat), each
    with `extra` payload (e.g. the topic's message_thread_id)."""
    if only is not None:
        targets = [(only, extra or {})]
    elif targets is None:
        targets = await staff_targets(services, case)
    if not targets:
        return []
    text = await card_text(services, case)
    markup = card_markup(services, case).to_dict()
    files = await services.store.case_attachments(case.id)
    story = story_parts(services, case)
    priority = URGENT_CARD if case.urgent else CARD
    items = []
    for chat_id, extra in targets:
        items.append(
            Outgoing(
                chat_id,
                "sendMessage",
                {"text": text, "parse_mode": "HTML", "reply_markup": markup, **extra, **PROTECTED},
                kind="case_card",
                ref=case.id,
                priority=priority,
            )
        )
        items += [
            Outgoing(
                chat_id,
                "sendMessage",
                {"text": part, **extra, **PROTECTED},
                kind="case_file",
                ref=case.id,
                priority=priority,
            )
            for part in story
        ]
        items += [
            replace(
                file_message(chat_id, case, (f.kind, f.file_id, f.caption or ""), "case_file", extra),
                priority=priority,
            )
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
        {**payload, **PROTECTED, **(extra or {})},
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
        {"text": text, "parse_mode": "HTML", **PROTECTED},
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
                {"text": header, "parse_mode": "HTML", **PROTECTED},
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
            {field: file_id, "caption": header, "parse_mode": "HTML", **PROTECTED},
            kind="relay_out",
            ref=case.id,
            priority=STAFF_REPLY,
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
    danger: str | None = None,
) -> list[Outgoing]:
    """A reporter's message or added information, threaded under the case's card in each staff chat
    (saying so when the message reopened a resolved case). A message that reads as `danger`
    ("danger" or "self_harm") is marked 🚨, says so when it makes the case urgent, and goes ahead of
    everything else, on its own (not merged into a waiting message)."""
    lang = services.settings.default_language
    header = services.content.text(
        lang,
        f"staff-reporter-{kind}",
        case=case,
        text=clip(text or "", TEXT_ROOM),
        reopened=reopened,
        danger=danger,
        now_urgent=bool(danger) and not case.urgent,
    )
    priority = URGENT_CARD if danger else NOTICE
    items = []
    for chat_id, extra in await staff_targets(services, case):
        cards = [m for c, m in await services.store.case_messages(case.id, "card") if c == chat_id]
        reply = await topics.placement(services, case, chat_id) or (
            {"reply_parameters": {"message_id": cards[-1], "allow_sending_without_reply": True}}
            if cards
            else {}
        )
        reply.update(extra)
        items.append(
            Outgoing(
                chat_id,
                "sendMessage",
                {"text": header, "parse_mode": "HTML", **reply, **PROTECTED},
                kind="relay_in",
                ref=case.id,
                priority=priority,
                merge=not danger,
            )
        )
        items += [
            replace(file_message(chat_id, case, file, "relay_in", reply), priority=priority) for file in files
        ]
    return items


async def warn_idle(services: Services, case_ids: Sequence[int], closes: int) -> None:
    """Tell staff, under each card, that an idle open case will be closed and its data erased."""
    lang, items = services.settings.default_language, []
    for case_id in case_ids:
        case = await services.store.case_by_id(case_id)
        text = services.content.text(lang, "staff-case-idle", case=case, closes=when(closes))
        for chat_id, extra in await staff_targets(services, case):
            cards = [m for c, m in await services.store.case_messages(case_id, "card") if c == chat_id]
            reply = {"reply_parameters": {"message_id": cards[-1], "allow_sending_without_reply": True}}
            payload = {"text": text, "parse_mode": "HTML", **extra, **(reply if cards else {})}
            items.append(Outgoing(chat_id, "sendMessage", payload, "idle_warning", case_id))
    await services.store.queue(items)
    services.wake_outbox()


DELETE_WINDOW = 47 * 3600  # Telegram deletes a bot's message up to 48 h old; an hour to spare
DELETE_BATCH = 100  # deleteMessages takes 1-100 ids


async def erase_copies(
    services: Services, erased: Erasure | Sequence[Copy], key: str, priority: int = HOUSEKEEPING
) -> None:
    """The copies of erased cases in staff chats: cards become the shell (reference, category,
    status, dates, buttons); relayed words and files are deleted while Telegram allows it (48 h),
    else edited to `key` (e.g. "[data deleted by the user]"); a case's forum topic is deleted whole,
    last (if that is refused, the copies in it were erased one by one already). All through the
    outbox, after everything else."""
    copies = list(erased.copies if isinstance(erased, Erasure) else erased)
    if not copies:
        return
    store, now = services.store, services.store.db.now()
    reason = services.content.text(services.settings.default_language, key)
    items, deletable, topics = [], {}, []
    for copy in copies:
        if copy.kind == "topic":
            payload = {"message_thread_id": copy.message_id}
            topics.append(
                Outgoing(copy.chat_id, "deleteForumTopic", payload, ERASURE, copy.case_id, priority)
            )
        elif copy.kind == "card":
            case = await store.case_by_id(copy.case_id)
            payload = {"text": await card_text(services, case), "parse_mode": "HTML"}
            payload["reply_markup"] = card_markup(services, case).to_dict()
            items.append(_erasure(copy, "editMessageText", payload, priority))
        elif now - copy.sent_at < DELETE_WINDOW:
            deletable.setdefault(copy.chat_id, []).append(copy)
        elif copy.kind == "file":
            items.append(_erasure(copy, "editMessageCaption", {"caption": reason}, priority))
        else:
            items.append(_erasure(copy, "editMessageText", {"text": reason}, priority))
    for chat_id, chat_copies in deletable.items():
        for i in range(0, len(chat_copies), DELETE_BATCH):
            batch = chat_copies[i : i + DELETE_BATCH]
            ids = [copy.message_id for copy in batch]
            items.append(Outgoing(chat_id, "deleteMessages", {"message_ids": ids}, ERASURE, None, priority))
    if await store.queue_erasure(copies, items + topics):
        services.wake_outbox()


def _erasure(copy: Copy, method: str, payload: dict, priority: int) -> Outgoing:
    return Outgoing(
        copy.chat_id, method, {**payload, "message_id": copy.message_id}, ERASURE, copy.case_id, priority
    )


async def erase_failed(services: Services, row: OutboxRow, reason: str) -> None:
    """An erasure Telegram refused: messages too old to delete are edited instead, and an edit of a
    file's message (no text) becomes a caption edit; a topic the bot may not delete is closed (its
    messages were erased one by one). Nothing to do for a message or topic already gone."""
    text = services.content.text(services.settings.default_language, "staff-data-deleted")
    if row.method == "deleteMessages":
        items = [
            Outgoing(
                row.chat_id, "editMessageText", {"text": text, "message_id": m}, ERASURE, None, row.priority
            )
            for m in row.payload.get("message_ids", [])
        ]
    elif row.method == "editMessageText" and "no text" in reason:
        payload = {"caption": text, "message_id": row.payload["message_id"]}
        items = [Outgoing(row.chat_id, "editMessageCaption", payload, ERASURE, None, row.priority)]
    elif row.method == "deleteForumTopic" and "not enough rights" in reason.lower():
        payload = {"message_thread_id": row.payload["message_thread_id"]}
        items = [Outgoing(row.chat_id, "closeForumTopic", payload, ERASURE, None, row.priority)]
    else:
        return
    await services.store.queue(items)
    services.wake_outbox()
