"""Staff work in Telegram: case cards and their buttons, notes, /cases, /case, /stats, /export, /chatid.

Staff are the members in the database (admins also from STAFF_IDS). Staff commands are registered
with a filter on the sender's ID (anyone else gets what an unknown command gets), and every staff
button checks the presser's ID again: a staff group can hold others. An officer serving some places
sees and acts only on cases from there: every case they name or press is checked (`may_act_on`),
whatever the callback data says.
"""

from __future__ import annotations

import logging
import tempfile
from typing import Any

import aiosqlite
from markupsafe import Markup
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
from bot.handlers import closing, dates, wizard
from bot.handlers.common import answer_query, shows
from bot.outbox import notices, topics
from bot.store import Case, Change, Outgoing
from bot.store.cases import Followup, Note, write_note
from bot.store.casework import CASE_FILTERS
from bot.store.drafts import Draft
from bot.wizard import Flow, Text

log = logging.getLogger(__name__)

REFERRALS = {"refk": "KP2MI", "refe": "KBRI/KJRI", "refp": "Polisi/Police"}
STATUS_OF_ACTION = {"prog": "in_progress", "res": "resolved", **dict.fromkeys(REFERRALS, "referred")}
# The buttons of a case card: take, change the status, referral menu, back, note, contact details,
# and undoing "resolved" for a minute (the reporter's notice waits a little longer than that).
CARD_ACTIONS = frozenset({"take", *STATUS_OF_ACTION, "ref", "back", "note", "contact", "undo"})
UNDO_SECONDS = 60
RESOLVED_NOTICE_DELAY = UNDO_SECONDS + 5


def _staff_lang(context: BotContext) -> str:
    return context.settings.default_language


def _text(context: BotContext, key: str, **kwargs: Any) -> str:
    return context.content.text(_staff_lang(context), key, **kwargs)


# -- new cases ---------------------------------------------------------------------------------


async def announce_case(update: Update, context: BotContext, case: Case) -> None:
    """After a report or question is committed: queue its card (and files) for staff (in a staff
    forum: its topic first)."""
    await topics.learn_forum(context.services, context.bot)
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
    if not await context.services.may_act_on(update.effective_user.id, case.id):
        await answer_query(update, context.text("staff-out-of-scope"))
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
        await _begin_note(update, context, case)
    elif action == "undo":
        await _undo_resolve(update, context, case)
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
    notice = None
    if change.status:
        referred_to = (
            context.content.text(case.lang, f"user-referral-{action}") if action in REFERRALS else None
        )
        delay = RESOLVED_NOTICE_DELAY if change.status == "resolved" else 0
        notice = notices.status_notice(
            context.services, _with_status(case, change.status), referred_to, delay
        )
    change = Change(**{**change.__dict__, "outgoing": (notice,) if notice else ()})
    before = await notices.card_text(context.services, case)
    case = await context.store.apply_change(case.id, presser, change)
    if case.erase_on_close and not case.is_open:  # the reporter asked to erase it once closed
        erased = await context.store.erase_closed_kept()
        copies = [c for c in erased.copies if (c.kind, c.case_id) != ("card", case.id)]  # edited below
        await notices.erase_copies(context.services, copies, "staff-data-deleted")
        case = await context.store.case_by_id(case.id)
    context.services.wake_outbox()
    if change.status == "resolved":
        await closing.ask_rating(context, case, delay=RESOLVED_NOTICE_DELAY)  # held while undo is possible
    await answer_query(update, _text(context, "staff-resolved-undo" if action == "res" else "staff-done"))
    await _refresh_cards(update, context, case, before, undo=action == "res" and change.status is not None)


async def _undo_resolve(update: Update, context: BotContext, case: Case) -> None:
    """ "Undo" within a minute of "resolved": the old status is back and the reporter's notice, still
    waiting in the outbox, is cancelled (they never hear of it)."""
    before = await notices.card_text(context.services, case)
    undone = await context.store.undo_resolve(case.id, update.effective_user.id, UNDO_SECONDS)
    if undone is None:
        await answer_query(update, _text(context, "staff-undo-too-late"), alert=True)
        await _refresh_cards(update, context, case, before)
        return
    await answer_query(update, _text(context, "staff-done"))
    await _refresh_cards(update, context, undone, before)


def _with_status(case: Case, status: str | None) -> Case:
    return Case(**{**case.__dict__, "status": status or case.status})


async def _refresh_cards(
    update: Update, context: BotContext, case: Case, before: str, *, undo: bool = False
) -> None:
    """Edit the pressed card in place (with "undo" just after "resolved"); other copies (one per staff
    member) through the outbox. Nothing is edited when the card reads as it did (`before`), or when
    the pressed message is a file. In a staff forum the case's topic follows the status."""
    await topics.sync(context.services, case)
    text = await notices.card_text(context.services, case)
    markup = notices.card_markup(context.services, case, undo=undo)
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
        [
            Outgoing(chat, "editMessageText", {**payload, "message_id": message}, "card_edit", case.id)
            for chat, message in others
        ]
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


async def _may_note(context: BotContext, draft: Draft) -> bool:
    """Checked at every step and at the finish: still staff, and the case still in their scope."""
    return await context.services.may_act_on(draft.user_id, draft.answers["_case"])


NOTE = Flow(
    name="note",
    steps=(Text("text", "staff-note-ask", max_length=3000),),
    finish=_save_note,
    done="staff-note-done",
    allowed=_may_note,
)


async def _begin_note(update: Update, context: BotContext, case: Case) -> None:
    """ "Note" on a card: a note draft for this case (an unwritten note for another case gives way),
    and its prompt remembered, so a reply to the prompt lands on this case whatever came after."""
    draft = await context.store.get_draft(update.effective_user.id)
    if draft is not None and draft.flow == NOTE.name and draft.answers.get("_case") != case.id:
        await context.store.delete_draft(draft.user_id, draft.token)
    prompt = await wizard.begin(update, context, NOTE, {"_case": case.id, "_reference": case.reference})
    if prompt is not None:
        await context.store.record_case_message(prompt.chat.id, prompt.message_id, case.id, "note")


async def note_reply(update: Update, context: BotContext, case: Case) -> None:
    """A staff member's reply to a note prompt: the note, on the prompt's case (and that case's
    draft, if still open, is done)."""
    message = update.effective_message
    text = (message.text or message.caption or "").strip()
    if not text:
        await message.reply_text(_text(context, "staff-note-ask"))
        return
    note = Note(case_id=case.id, reference=case.reference, text=text[:3000])
    await context.store.add_note(update.effective_user.id, note)
    draft = await context.store.get_draft(update.effective_user.id)
    if draft is not None and draft.flow == NOTE.name and draft.answers.get("_case") == case.id:
        await context.store.delete_draft(draft.user_id, draft.token)
    await message.reply_text(_text(context, "staff-note-done", result=note))


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
    if case is None or not await context.services.may_act_on(update.effective_user.id, case.id):
        await update.effective_message.reply_text(
            _text(context, "staff-case-not-found", reference=reference[:20])
        )
        return
    await _send_detail(update, context, case)


async def on_case_detail(update: Update, context: BotContext, data: Callback) -> None:
    """A case's button in /cases: its full history."""
    case = await context.store.case_by_id(int(data.arg))
    if case is None or not await context.services.may_act_on(update.effective_user.id, case.id):
        await answer_query(update, context.text("staff-out-of-scope"))
        return
    await answer_query(update)
    await _send_detail(update, context, case)


async def _send_detail(update: Update, context: BotContext, case: Case) -> None:
    """The card and the case's history in words (events, and who looked at the contact details)."""
    events = await context.store.case_events(case.id)
    looked = [a for a in await context.store.case_audit(case.id) if a.action == "show_contact"]
    names = {}
    for actor in {e.actor for e in events if e.actor} | {a.actor for a in looked}:
        user = await context.store.get_user(actor)
        names[actor] = user.first_name if user and user.first_name else str(actor)
    history = [_history_line(context, e.created_at, e.kind, names.get(e.actor, ""), e) for e in events]
    history += [_history_line(context, a.created_at, a.action, names.get(a.actor, "")) for a in looked]
    history.sort(key=lambda line: line["at"])
    card = Markup(await notices.card_text(context.services, case))  # already HTML
    for keep in (30, 20, 12, 6, 3, 1, 0):  # the newest history that fits one message
        shown = history[-keep:] if keep else []
        text = _text(context, "staff-case-detail", case=case, card=card, history=shown)
        if not telegram_html.validate(text):
            break
    await context.bot.send_message(
        update.effective_chat.id,
        text,
        reply_markup=notices.card_markup(context.services, case),
        protect_content=True,
    )


def _history_line(context: BotContext, at: int, kind: str, who: str, event: Any = None) -> dict:
    """One line of a case's history, in words (an unknown kind shows its code)."""

    def status(value: str | None) -> str:
        return _text(context, f"user-status-{value}") if value else ""

    key = f"staff-history-{kind}"
    words = _text(
        context,
        key if context.content.has_text(_staff_lang(context), key) else "staff-history-other",
        kind=kind,
        body=(event.body or "") if event else "",
        old=status(event.old_status) if event else "",
        new=status(event.new_status) if event else "",
    )
    return {"at": at, "when": notices.when(at), "who": who, "words": words}


async def stats(update: Update, context: BotContext) -> None:
    """/stats: users, registrations, cases by status, category and country; this week vs last."""
    if not _staff_place(update, context):
        return
    staff_id = update.effective_user.id
    figures = await context.store.stats_report(staff_id=staff_id)
    times = await context.store.response_report(staff_id=staff_id)
    ratings = await context.store.ratings(staff_id=staff_id)
    text = _text(context, "staff-stats", stats=figures)
    more = _text(context, "staff-stats-times", times=times, ratings=ratings)
    contracts = _text(context, "staff-stats-contracts", **await dates.contracts_ending(context))  # issue 23
    await update.effective_message.reply_text(f"{text}\n\n{more}\n\n{contracts}")


async def export_data(update: Update, context: BotContext) -> None:
    """/export: CSV files sent privately to the staff member who asked, never to a group."""
    staff = update.effective_user.id
    try:
        for name in ("reports", "registrations"):
            with tempfile.TemporaryFile() as file:  # owner-only, and gone when closed
                await export.write(context.store, name, file)
                file.seek(0)
                await context.bot.send_document(
                    staff, InputFile(file, filename=f"{name}.csv"), protect_content=True
                )
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
