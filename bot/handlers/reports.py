"""Problem reports become cases (/report), people follow them (/status), and questions go to staff.

The steps below are the flows; the wizard engine runs them."""

from __future__ import annotations

import aiosqlite
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.callbacks import Callback, pack
from bot.content import Content
from bot.context import BotContext
from bot.handlers import screens, staff, wizard
from bot.handlers.common import answer_query, show
from bot.store import Store
from bot.store.cases import URGENT_CATEGORIES, Case, Followup, NewCase, insert_case, write_followup
from bot.store.drafts import Draft
from bot.wizard import Choice, Confirm, Flow, Invalid, Media, Option, Phone, Text, options, validate

CATEGORIES = (
    "unpaid_wages",
    "abuse",
    "documents_held",
    "lost_contact",
    "sick_accident",
    "trafficking",
    "go_home",
    "not_as_promised",
    "overcharged",
    "other",
)
DAILY_LIMIT = 5
DESCRIPTION_LIMIT = 3000


def _subjects(content: Content, lang: str, answers) -> list[Option]:
    """Me, each registered family member by name, someone else."""
    workers = [Option(f"w{w[0]}", w[1]) for w in answers.get("_workers", [])]
    return [
        Option("me", content.text(lang, "user-subject-me")),
        *workers,
        Option("other", content.text(lang, "user-subject-other")),
    ]


def _vital(answers) -> bool:
    """An urgent report about someone else is taken even without their consent (vital interest)."""
    return answers.get("category") in URGENT_CATEGORIES and answers.get("subject") == "other"


async def _prepare_report(store: Store, user_id: int) -> dict:
    if await store.cases_since(user_id, store.db.now() - 86400) >= DAILY_LIMIT:
        raise Invalid("user-report-limit", limit=DAILY_LIMIT)
    registration = await store.registration(user_id)
    workers = [[w.id, w.name, w.country] for w in registration.workers] if registration else []
    return {"_workers": workers}


def _files(answers, *keys: str) -> tuple[tuple[str, str], ...]:
    """The files kept with the answers to these steps, in order."""
    kept = answers.get("_files", {})
    return tuple((kind, file_id) for key in keys for kind, file_id in kept.get(key, []))


def report_case(answers) -> NewCase:
    """The report's answers as a case. A registered family member is chosen as "w<worker id>": the
    case is then about "family", in that worker's country."""
    subject = answers["subject"]
    worker = int(subject[1:]) if subject.startswith("w") else None
    workers = {w[0]: w[2] for w in answers.get("_workers", [])}
    return NewCase(
        category=answers["category"],
        subject="family" if worker else subject,
        worker_id=worker,
        country=answers.get("country") or workers.get(worker),
        description=answers.get("description"),
        contact_method=answers["contact"],
        contact_phone=answers.get("phone"),
        lang=answers.get("_lang", "id"),
        files=_files(answers, "description", "evidence"),
    )


async def _save_report(db: aiosqlite.Connection, draft: Draft) -> Case:
    return await insert_case(db, draft.user_id, report_case(draft.answers), draft.updated_at)


REPORT = Flow(
    name="report",
    steps=(
        Choice(
            "category",
            "user-report-ask-category",
            label="user-report-label-category",
            options=options.labelled("user-category", CATEGORIES),
            columns=2,
        ),
        Choice("subject", "user-report-ask-subject", label="user-report-label-subject", options=_subjects),
        Choice(
            "consent",
            "user-report-consent",
            options=options.labelled("user-consent", ("yes", "no")),
            stop=frozenset({"no"}),
            when=lambda a: not _vital(a),
        ),
        Choice("vital", "user-report-vital", options=options.labelled("user-vital", ("ok",)), when=_vital),
        Choice(
            "country",
            "user-report-ask-country",
            label="user-report-label-country",
            options=options.countries(True, home=True),
            more=options.countries(False, home=True),
            columns=2,
            when=lambda a: not str(a.get("subject", "")).startswith("w"),
        ),
        Text(
            "description",
            "user-report-ask-description",
            label="user-report-label-description",
            max_length=DESCRIPTION_LIMIT,
            media=frozenset({"voice"}),
        ),
        Media("evidence", "user-report-ask-evidence", label="user-report-label-evidence"),
        Choice(
            "contact",
            "user-report-ask-contact",
            label="user-report-label-contact",
            options=options.labelled("user-contact-by", ("telegram", "phone", "none")),
        ),
        Phone(
            "phone",
            "user-report-ask-phone",
            label="user-register-label-phone",
            parse=validate.phone,
            when=lambda a: a.get("contact") == "phone",
        ),
        Confirm("confirm", "", summary="user-report-summary"),
    ),
    finish=_save_report,
    done="user-report-done",
    prepare=_prepare_report,
    after=staff.announce_case,
)


async def _prepare_question(store: Store, user_id: int) -> dict:
    if await store.cases_since(user_id, store.db.now() - 86400) >= DAILY_LIMIT:
        raise Invalid("user-report-limit", limit=DAILY_LIMIT)
    return {}


async def _save_question(db: aiosqlite.Connection, draft: Draft) -> Case:
    """'Ask staff': a case of category 'question' about the asker, answered in this chat."""
    answers = draft.answers
    question = NewCase(
        category="question",
        subject="me",
        description=answers["question"],
        contact_method="telegram",
        lang=answers.get("_lang", "id"),
    )
    return await insert_case(db, draft.user_id, question, draft.updated_at)


QUESTION = Flow(
    name="question",
    steps=(Confirm("confirm", "", summary="user-question-summary"),),
    finish=_save_question,
    done="user-question-done",
    prepare=_prepare_question,
    after=staff.announce_case,
)


async def _save_followup(db: aiosqlite.Connection, draft: Draft) -> Followup:
    answers = draft.answers
    followup = Followup(
        case_id=answers["_case"],
        reference=answers["_reference"],
        kind=answers["_kind"],
        text=answers["text"],
        files=_files(answers, "text"),
    )
    return await write_followup(db, draft.user_id, followup, draft.updated_at)


FOLLOWUP = Flow(
    name="followup",
    steps=(
        Text(
            "text",
            "user-followup-ask",
            max_length=DESCRIPTION_LIMIT,
            media=frozenset({"voice", "photo", "document"}),
        ),
    ),
    finish=_save_followup,
    done="user-followup-done",
    after=staff.announce_followup,
)


async def report(update: Update, context: BotContext) -> None:
    """/report: start (or continue) the problem report wizard."""
    await wizard.begin(update, context, REPORT)


async def ask_staff(update: Update, context: BotContext, data: Callback) -> None:
    """ "Ask staff" under a reply the search could not answer: confirm, then a question case."""
    message = update.callback_query.message
    question = message.reply_to_message.text if message and message.reply_to_message else None
    if not question:
        await answer_query(update, context.text("user-stale-button"))
        return
    await answer_query(update)
    await wizard.begin(update, context, QUESTION, {"question": question[:DESCRIPTION_LIMIT]})


async def status(update: Update, context: BotContext) -> None:
    """/status: the user's own cases; /status LP-XXXXXX: one of them (others read "not found")."""
    if context.args:
        await _show_case(update, context, context.args[0], edit=False)
        return
    cases = await context.store.cases_of(update.effective_user.id)
    rows = [[_case_button(context, c)] for c in cases]
    key = "user-status-list" if cases else "user-status-none"
    markup = InlineKeyboardMarkup([*rows, [screens.button(context.text("user-button-menu"), "menu")]])
    await update.effective_message.reply_text(context.text(key), reply_markup=markup)


def _case_button(context: BotContext, case) -> InlineKeyboardButton:
    category = context.text(f"user-category-{case.category}")
    label = f"{case.reference} · {category} · {context.text(f'user-status-{case.status}')}"
    return InlineKeyboardButton(label, callback_data=pack("case", case.reference))


async def on_case_button(update: Update, context: BotContext, data: Callback) -> None:
    """A case button from /status: its detail, or start adding information / a message."""
    if data.kind == "case":
        await answer_query(update)
        await _show_case(update, context, data.arg, edit=True)
        return
    reference, kind = data.args
    case = await context.store.case_by_reference(reference, user_id=update.effective_user.id)
    if case is None or not case.is_open:
        await answer_query(update, context.text("user-stale-button"))
        return
    await answer_query(update)
    answers = {
        "_case": case.id,
        "_reference": case.reference,
        "_kind": "info" if kind == "info" else "message_in",
    }
    await wizard.begin(update, context, FOLLOWUP, answers)


async def _show_case(update: Update, context: BotContext, reference: str, *, edit: bool) -> None:
    case = await context.store.case_by_reference(reference.strip(), user_id=update.effective_user.id)
    if case is None:
        await update.effective_message.reply_text(
            context.text("user-status-not-found", reference=reference[:20])
        )
        return
    events = [e for e in await context.store.case_events(case.id) if e.kind in ("message_out", "status")]
    text = context.text(
        "user-status-detail",
        case=case,
        events=events[-5:],
        country=context.content.country_name(case.country or "", context.lang),
    )
    rows = []
    if case.is_open:
        rows = [
            [screens.button(context.text("user-button-add-info"), "cfu", case.reference, "info")],
            [screens.button(context.text("user-button-message-staff"), "cfu", case.reference, "msg")],
        ]
    rows.append([screens.button(context.text("user-button-menu"), "menu")])
    await show(update, context, screens.Screen(text, InlineKeyboardMarkup(rows)), edit=edit)
