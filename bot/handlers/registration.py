"""Families register themselves and their relative abroad (/register), see (/mydata) and delete
(/deletedata) what is stored. The steps below are the flow: the wizard engine runs them."""

from __future__ import annotations

import aiosqlite
from telegram import InlineKeyboardMarkup, Update

from bot.callbacks import Callback
from bot.context import BotContext
from bot.handlers import screens, wizard
from bot.handlers.common import answer_query
from bot.handlers.dates import worker_dates_in_words
from bot.outbox import notices
from bot.store import Store
from bot.store.cases import OPEN_STATUSES
from bot.store.drafts import Draft
from bot.store.privacy import Erasure, erase_user
from bot.store.registrations import NewRegistration, change_phone, change_worker, write_registration
from bot.wizard import Choice, Confirm, Flow, Phone, Text, options, validate

RELATIONS = ("self", "spouse", "parent", "child", "sibling", "other")
STAGES = ("preparing", "abroad", "returned")


async def _save_registration(db: aiosqlite.Connection, draft: Draft) -> int:
    """The family and the named worker; returns how many workers the family has registered."""
    answers = draft.answers
    fields = ("phone", "province", "district", "village", "relation", "name", "country", "stage")
    new = NewRegistration(
        **{field: answers[field] for field in fields} | {"country": options.country_of(answers)}
    )
    return await write_registration(db, draft.user_id, new, draft.updated_at)


async def _prepare_registration(store: Store, user_id: int) -> dict:
    """Another worker of a registered family: the address and phone are kept, not asked again."""
    registration = await store.registration(user_id)
    if registration is None:
        return {}
    return {
        "_registered": True,
        **{field: getattr(registration, field) for field in ("phone", "province", "district", "village")},
    }


def _new_family(answers) -> bool:
    return not answers.get("_registered")


async def _prepare_delete(store: Store, user_id: int) -> dict:
    """The user's open cases, so the question can say what happens to them."""
    cases = [case for case in await store.cases_of(user_id, limit=1000) if case.status in OPEN_STATUSES]
    return {"_open": [case.reference for case in cases]}


async def _erase(db: aiosqlite.Connection, draft: Draft) -> Erasure:
    """/deletedata confirmed: every personal field of the user, open cases kept if the user chose so."""
    keep = draft.answers.get("open") == "keep"
    return await erase_user(db, draft.user_id, draft.updated_at, keep_open=keep)


async def _erased(update: Update, context: BotContext, erased: Erasure) -> None:
    """Copies in staff chats are deleted or edited; the user row is gone from the cache too."""
    context.store.forget_user(update.effective_user.id)
    await notices.erase_copies(context.services, erased, "staff-data-deleted")


REGISTER = Flow(
    name="register",
    steps=(
        Choice(
            "consent",
            "user-register-consent",
            options=options.labelled("user-consent", ("yes", "no")),
            stop=frozenset({"no"}),
        ),
        Choice(
            "relation",
            "user-register-ask-relation",
            label="user-register-label-relation",
            options=options.labelled("user-relation", RELATIONS),
            columns=2,
        ),
        Text("name", "user-register-ask-name", label="user-register-label-name", parse=validate.person_name),
        Choice(
            "country",
            "user-register-ask-country",
            label="user-register-label-country",
            options=options.countries(True),
            more=options.countries(False),
            columns=2,
        ),
        options.country_typed("user-ask-country-typed", "user-label-country-typed"),
        Choice(
            "stage",
            "user-register-ask-stage",
            label="user-register-label-stage",
            options=options.labelled("user-stage", STAGES),
        ),
        Choice(
            "province",
            "user-register-ask-province",
            when=_new_family,
            label="user-register-label-province",
            options=options.provinces(True),
            more=options.provinces(False),
            columns=2,
        ),
        Text(
            "district",
            "user-register-ask-district",
            when=_new_family,
            label="user-register-label-district",
            parse=validate.place,
            max_length=60,
        ),
        Text(
            "village",
            "user-register-ask-village",
            when=_new_family,
            label="user-register-label-village",
            parse=validate.place,
            max_length=60,
        ),
        Phone(
            "phone",
            "user-register-ask-phone",
            label="user-register-label-phone",
            parse=validate.phone,
            when=_new_family,
        ),
        Confirm("confirm", "", summary="user-register-summary", button="user-button-save"),
    ),
    finish=_save_registration,
    done="user-register-done",
    prepare=_prepare_registration,
)

DELETE = Flow(
    name="deletedata",
    steps=(
        Choice(
            "sure",
            "user-deletedata-ask",
            options=options.labelled("user-deletedata", ("yes", "no")),
            stop=frozenset({"no"}),
            when=lambda a: not a.get("_open"),
        ),
        Choice(  # with open cases: keep them until staff close them, or erase them now
            "open",
            "user-deletedata-ask-open",
            options=options.labelled("user-deletedata-choice", ("keep", "erase", "no")),
            stop=frozenset({"no"}),
            when=lambda a: bool(a.get("_open")),
        ),
    ),
    finish=_erase,
    done="user-deletedata-done",
    prepare=_prepare_delete,
    after=_erased,
)


async def _save_phone(db: aiosqlite.Connection, draft: Draft) -> str:
    return await change_phone(db, draft.user_id, draft.answers["phone"], draft.updated_at)


CHANGE_PHONE = Flow(
    name="phone",
    steps=(
        Phone("phone", "user-register-ask-phone", label="user-register-label-phone", parse=validate.phone),
        Confirm("confirm", "", summary="user-register-summary", button="user-button-save"),
    ),
    finish=_save_phone,
    done="user-phone-done",
)


async def _save_worker(db: aiosqlite.Connection, draft: Draft) -> str:
    answers = draft.answers
    return await change_worker(
        db, draft.user_id, answers["_worker"], answers["country"], answers["stage"], draft.updated_at
    )


CHANGE_WORKER = Flow(
    name="worker",
    steps=(
        REGISTER.step("country"),
        REGISTER.step("stage"),
        Confirm("confirm", "", summary="user-register-summary", button="user-button-save"),
    ),
    finish=_save_worker,
    done="user-worker-done",
)


async def register(update: Update, context: BotContext) -> None:
    """/register: start (or continue) the registration wizard with its consent step."""
    await wizard.begin(update, context, REGISTER)


async def delete_data(update: Update, context: BotContext) -> None:
    """/deletedata: ask for confirmation, then remove the user's personal data."""
    await wizard.begin(update, context, DELETE)


async def my_data(update: Update, context: BotContext) -> None:
    """/mydata: everything stored about the user, in their language, with buttons to change it."""
    store, user_id = context.store, update.effective_user.id
    user = await store.get_user(user_id)
    registration = await store.registration(user_id)
    draft = await store.get_draft(user_id)
    content = context.content
    province = content.province_name(registration.province) if registration else ""
    countries = {code: content.country_name(code, context.lang) for code in content.countries}
    text = context.text(
        "user-mydata",
        user=user,
        registration=registration,
        draft=draft,
        province=province,
        countries=countries,
        dates=await worker_dates_in_words(context, user_id),  # issue 23: bot/handlers/dates.py
    )
    rows = []
    if registration:
        rows.append([screens.button(context.text("user-button-change-phone"), "my", "phone")])
        rows += [
            [screens.button(context.text("user-button-change-worker", name=w.name), "my", f"w{w.id}")]
            for w in registration.workers
        ]
    markup = InlineKeyboardMarkup(rows) if rows else None
    await update.effective_message.reply_text(text, reply_markup=markup, protect_content=True)


async def on_mydata_button(update: Update, context: BotContext, data: Callback) -> None:
    """A /mydata button: change the phone, or one worker's country and stage (a short wizard)."""
    registration = await context.store.registration(update.effective_user.id)
    worker = next((w for w in registration.workers if f"w{w.id}" == data.arg), None) if registration else None
    if registration is None or (data.arg != "phone" and worker is None):
        await answer_query(update, context.text("user-stale-button"))
        return
    await answer_query(update)
    if worker is None:
        await wizard.begin(update, context, CHANGE_PHONE)
        return
    answers = {"_worker": worker.id, "name": worker.name, "country": worker.country, "stage": worker.stage}
    await wizard.begin(update, context, CHANGE_WORKER, answers)
