"""Families register themselves and their relative abroad (/register), see (/mydata) and delete
(/deletedata) what is stored. The steps below are the flow: the wizard engine runs them."""

from __future__ import annotations

import aiosqlite
from telegram import Update

from bot.context import BotContext
from bot.handlers import wizard
from bot.outbox import notices
from bot.store.drafts import Draft
from bot.store.privacy import erase_user
from bot.store.registrations import NewRegistration, write_registration
from bot.wizard import Choice, Confirm, Flow, Phone, Text, options, validate

RELATIONS = ("self", "spouse", "parent", "child", "sibling", "other")
STAGES = ("preparing", "abroad", "returned")


async def _save_registration(db: aiosqlite.Connection, draft: Draft) -> int:
    """The family and the named worker; returns how many workers the family has registered."""
    answers = draft.answers
    fields = ("phone", "province", "district", "village", "relation", "name", "country", "stage")
    new = NewRegistration(**{field: answers[field] for field in fields})
    return await write_registration(db, draft.user_id, new, draft.updated_at)


async def _erase(db: aiosqlite.Connection, draft: Draft) -> list[tuple[int, int]]:
    """/deletedata confirmed: every personal field of the user; returns the staff cards to edit."""
    return await erase_user(db, draft.user_id)


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
        Choice(
            "stage",
            "user-register-ask-stage",
            label="user-register-label-stage",
            options=options.labelled("user-stage", STAGES),
        ),
        Choice(
            "province",
            "user-register-ask-province",
            label="user-register-label-province",
            options=options.provinces(True),
            more=options.provinces(False),
            columns=2,
        ),
        Text(
            "district",
            "user-register-ask-district",
            label="user-register-label-district",
            parse=validate.place,
            max_length=60,
        ),
        Text(
            "village",
            "user-register-ask-village",
            label="user-register-label-village",
            parse=validate.place,
            max_length=60,
        ),
        Phone("phone", "user-register-ask-phone", label="user-register-label-phone", parse=validate.phone),
        Confirm("confirm", "", summary="user-register-summary"),
    ),
    finish=_save_registration,
    done="user-register-done",
)

DELETE = Flow(
    name="deletedata",
    steps=(
        Choice(
            "sure",
            "user-deletedata-ask",
            options=options.labelled("user-deletedata", ("yes", "no")),
            stop=frozenset({"no"}),
        ),
    ),
    finish=_erase,
    done="user-deletedata-done",
    after=lambda update, context, shown: notices.mark_erased(context.services, shown, "staff-data-deleted"),
)


async def register(update: Update, context: BotContext) -> None:
    """/register: start (or continue) the registration wizard with its consent step."""
    await wizard.begin(update, context, REGISTER)


async def delete_data(update: Update, context: BotContext) -> None:
    """/deletedata: ask for confirmation, then remove the user's personal data."""
    await wizard.begin(update, context, DELETE)


async def my_data(update: Update, context: BotContext) -> None:
    """/mydata: everything stored about the user, in their language."""
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
    )
    await update.effective_message.reply_text(text)
