"""Staff work in Telegram: case cards and their buttons, notes, /cases, /case, /stats, /export, /chatid.

Staff are the user IDs in STAFF_IDS. Staff commands are registered with a filter on the sender's ID
(anyone else gets what an unknown command gets), and every staff button checks the presser's ID
again: a staff group can hold others.
"""

from __future__ import annotations

import logging
import tempfile
from typing import Any

import aiosqlite
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden

from bot import export, telegram_html
from bot.callbacks import Callback, pack
from bot.context import BotContext
from bot.handlers import wizard
from bot.handlers.common import answer_query, shows
from bot.outbox import notices
from bot.store import Case, Change, Outgoing
from bot.store.cases import Followup, Note, write_note
from bot.store.casework import CASE_FILTERS
from bot.store.drafts import Draft
from bot.wizard import Flow, Text

log = logging.getLogger(__name__)

REFERRALS = {"refk": "KP2MI", "refe": "KBRI/KJRI", "refp": "Polisi/Police"}
STATUS_OF_ACTION = {"prog": "in_progress", "res": "resolved", **dict.fromkeys(REFERRALS, "referred")}
# The buttons of a case card: take, change the status, referral menu, back, note, contact details.
CARD_ACTIONS = frozenset({"take", *STATUS_OF_ACTION, "ref", "back", "note", "contact"})


def _staff_lang(context: BotContext) -> str:
    return context.settings.default_language


def _text(context: BotContext, key: str, **kwargs: Any) -> str:
    return context.content.text(_staff_lang(context), key, **kwargs)


# -- new cases ---------------------------------------------------------------------------------


async def announce_case(update: Update, context: BotContext, case: Case) -> None:
    """After a report or question is committed: queue its card (and files) for staff."""
    await context.store.queue(await notices.new_case(context.services, case))
    context.services.wake_outbox()


async def announce_followup(update: Update, context: BotContext, followup: Followup) -> None:
    """After a reporter added information or a message: thread it under the case for staff."""
    case = await context.store.case_by_id(followup.case_id)
    await context.store.queue(
        await notices.to_staff(context.services, case, followup.text, followup.files, followup.kind)
    )
    context.services.wake_outbox()


# -- card buttons ------------------------------------------------------------------------------


async def on_card_button(update: Update, context: BotContext, data: Callback) -> None:
    """A staff button on a case card (the presser's ID is checked by the router: bot/handlers/__init__.py)."""
    case = await context.store.case_by_id(int(data.args[0]))
    action = data.args[1]
    if case is None or action not in CARD_ACTIONS:
        await answer_query(update, context.text("user-stale-button"))
        return
    if action == "contact":
        await _show_contact(update, context, case)
    elif action == "ref":
        await answer_query(update)
        await update.callback_query.edit_message_reply_markup(_referral_markup(context, case))
    elif action == "back":
        await answer_query(update)
        await update.callback_query.edit_message_reply_markup(notices.card_markup(context.services, case))
    elif action == "note":
        await answer_query(update)
        await wizard.begin(update, context, NOTE, {"_case": case.id, "_reference": case.reference})
    else:
        await _change(update, context, case, action)


def _referral_markup(context: BotContext, case: Case) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            _text(context, f"staff-button-{action}"), callback_data=pack("st", str(case.id), action)
        )
        for action in (*REFERRALS, "back")
    ]
    return InlineKeyboardMarkup([buttons[:3], buttons[3:]])


async def _change(update: Update, context: BotContext, case: Case, action: str) -> None:
    """Take, in progress, referred, resolved: one transaction with the reporter's notice; card edited."""
    presser = update.effective_user.id
    if action == "take":
        status = "in_progress" if case.status == "new" else None
        change = Change(event="assign", status=status, assignee=presser)
    else:
        status = STATUS_OF_ACTION[action]
        change = Change(event="status", status=status, body=REFERRALS.get(action))
    if change.status == case.status:
        change = Change(event=change.event, assignee=change.assignee, body=change.body)
    notice = (
        notices.status_notice(context.services, _with_status(case, change.status)) if change.status else None
    )
    change = Change(**{**change.__dict__, "outgoing": (notice,) if notice else ()})
    before = await notices.card_text(context.services, case)
    case = await context.store.apply_change(case.id, presser, change)
    context.services.wake_outbox()
    await answer_query(update, _text(context, "staff-done"))
    await _refresh_cards(update, context, case, before)


def _with_status(case: Case, status: str | None) -> Case:
    return Case(**{**case.__dict__, "status": status or case.status})


async def _refresh_cards(update: Update, context: BotContext, case: Case, before: str) -> None:
    """Edit the pressed card in place; other copies (one per staff member) through the outbox.
    Nothing is edited when the card reads as it did (`before`), or when the pressed message is a file."""
    text = await notices.card_text(context.services, case)
    markup = notices.card_markup(context.services, case)
    pressed = update.callback_query.message
    if getattr(pressed, "text", None) is not None and not shows(pressed, text, markup):
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    if text == before:
        return
    others = [
        (chat, message)
        for chat, message in await context.store.case_messages(case.id, "card")
        if (chat, message) != (pressed.chat.id, pressed.message_id)
    ]
    payload = {"text": text, "parse_mode": "HTML", "reply_markup": markup.to_dict()}
    await context.store.queue(
        [Outgoing(chat, "editMessageText", {**payload, "message_id": message}) for chat, message in others]
    )
    context.services.wake_outbox()


async def _show_contact(update: Update, context: BotContext, case: Case) -> None:
    """Contact details only to the presser, as an alert; the viewing is logged."""
    reporter = await context.store.get_user(case.user_id) if case.user_id else None
    registration = await context.store.registration(case.user_id) if case.user_id else None
    text = _text(
        context,
        "staff-contact",
        case=case,
        name=reporter.first_name if reporter else "",
        phone=case.contact_phone or (registration.phone if registration else ""),
    )
    await context.store.audit(update.effective_user.id, "show_contact", case.id)
    await answer_query(update, text[:200], alert=True)


# -- notes -------------------------------------------------------------------------------------


async def _save_note(db: aiosqlite.Connection, draft: Draft) -> Note:
    answers = draft.answers
    note = Note(case_id=answers["_case"], reference=answers["_reference"], text=answers["text"])
    return await write_note(db, draft.user_id, note, draft.updated_at)


NOTE = Flow(
    name="note",
    steps=(Text("text", "staff-note-ask", max_length=3000),),
    finish=_save_note,
    done="staff-note-done",
)


# -- commands ----------------------------------------------------------------------------------


def _staff_place(update: Update, context: BotContext) -> bool:
    """Case data is shown only in a private chat or the staff group, never in another group."""
    chat = update.effective_chat
    return chat.type == ChatType.PRIVATE or chat.id == context.services.staff_chat_id


async def cases(update: Update, context: BotContext) -> None:
    """/cases [open|mine|urgent|all]: ten at a time, newest activity first, urgent on top."""
    if not _staff_place(update, context):
        return
    which = context.args[0].lower() if context.args and context.args[0].lower() in CASE_FILTERS else "open"
    await _show_cases(update, context, which, 0, edit=False)


async def on_cases_page(update: Update, context: BotContext, data: Callback) -> None:
    """The arrows under /cases: the previous or next page."""
    await answer_query(update)
    await _show_cases(update, context, data.args[0], int(data.args[1]), edit=True)


async def _show_cases(update: Update, context: BotContext, which: str, offset: int, *, edit: bool) -> None:
    page = await context.store.list_cases(which, update.effective_user.id, offset)
    text = _text(
        context,
        "staff-cases",
        page=page,
        which=which,
        ages=[notices.when(c.updated_at) for c in page.cases],
    )
    rows = [[InlineKeyboardButton(c.reference, callback_data=pack("sc", str(c.id)))] for c in page.cases]
    nav = []
    if offset > 0:
        nav.append(
            InlineKeyboardButton("⬅️", callback_data=pack("cl", which, str(max(0, offset - page.limit))))
        )
    if offset + page.limit < page.total:
        nav.append(InlineKeyboardButton("➡️", callback_data=pack("cl", which, str(offset + page.limit))))
    buttons = [*_pairs(rows), nav] if nav else _pairs(rows)
    markup = InlineKeyboardMarkup(buttons) if buttons else None
    if edit:
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    else:
        await update.effective_message.reply_text(text, reply_markup=markup)


def _pairs(rows: list[list[InlineKeyboardButton]]) -> list[list[InlineKeyboardButton]]:
    flat = [button for row in rows for button in row]
    return [flat[i : i + 2] for i in range(0, len(flat), 2)]


async def case_detail(update: Update, context: BotContext) -> None:
    """/case LP-XXXXXX: the case with its full history and audit trail."""
    if not _staff_place(update, context):
        return
    reference = context.args[0] if context.args else ""
    case = await context.store.case_by_reference(reference) if reference else None
    if case is None:
        await update.effective_message.reply_text(
            _text(context, "staff-case-not-found", reference=reference[:20])
        )
        return
    await _send_detail(update, context, case)


async def on_case_detail(update: Update, context: BotContext, data: Callback) -> None:
    """A case's button in /cases: its full history."""
    await answer_query(update)
    await _send_detail(update, context, await context.store.case_by_id(int(data.arg)))


async def _send_detail(update: Update, context: BotContext, case: Case) -> None:
    events = await context.store.case_events(case.id)
    audit = await context.store.case_audit(case.id)
    names = {u: (await context.store.get_user(u)) for u in {e.actor for e in events if e.actor}}
    card = await notices.card_text(context.services, case)
    shown = {k: (v.first_name if v else str(k)) for k, v in names.items()}
    for keep in (30, 20, 12, 6, 3, 1, 0):  # the newest history that fits one message
        text = _text(
            context,
            "staff-case-detail",
            case=case,
            events=events[-keep:] if keep else [],
            audit=audit[-keep:] if keep else [],
            card=card,
            when=notices.when,
            names=shown,
        )
        if not telegram_html.validate(text):
            break
    await context.bot.send_message(
        update.effective_chat.id, text, reply_markup=notices.card_markup(context.services, case)
    )


async def stats(update: Update, context: BotContext) -> None:
    """/stats: users, registrations, cases by status, category and country; this week vs last."""
    if not _staff_place(update, context):
        return
    figures = await context.store.stats_report()
    await update.effective_message.reply_text(_text(context, "staff-stats", stats=figures))


async def export_data(update: Update, context: BotContext) -> None:
    """/export: CSV files sent privately to the staff member who asked, never to a group."""
    staff = update.effective_user.id
    try:
        for name in ("reports", "registrations"):
            with tempfile.TemporaryFile() as file:  # owner-only, and gone when closed
                await export.write(context.store, name, file)
                file.seek(0)
                await context.bot.send_document(staff, InputFile(file, filename=f"{name}.csv"))
    except (Forbidden, BadRequest):
        await update.effective_message.reply_text(_text(context, "staff-export-private-first"))
        return
    await context.store.audit(staff, "export")
    if update.effective_chat.id != staff:
        await update.effective_message.reply_text(_text(context, "staff-export-sent"))


async def chat_id(update: Update, context: BotContext) -> None:
    """/chatid: the ID of this chat, for STAFF_CHAT_ID."""
    await update.effective_message.reply_text(
        _text(context, "staff-chatid", chat_id=update.effective_chat.id)
    )


async def on_migrated(update: Update, context: BotContext) -> None:
    """The staff group became a supergroup: keep using its new ID (and say so in the log)."""
    message = update.effective_message
    if message.chat.id == context.services.staff_chat_id and message.migrate_to_chat_id:
        await context.services.remember_staff_chat(message.migrate_to_chat_id)
