"""Danger first: every message a person types or captions is checked before anything else.

Danger gets the emergency reply for where the person is (the local emergency number and embassy, the
KP2MI lines; one tap to pick the country when it is not known); self-harm gets the crisis reply. Both
carry one tap to a person: an urgent case opens at once with the message as typed (the reply quotes it,
so nothing is stored before the tap), the reference is given, and country and contact are asked
afterwards as optional follow-ups (the URGENT flow). Any open form is set aside, never lost.
"""

from __future__ import annotations

import aiosqlite
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.callbacks import Callback, pack
from bot.content import Content
from bot.context import BotContext
from bot.handlers import screens, staff, wizard
from bot.handlers.common import answer_query, show
from bot.outbox import notices
from bot.search.urgent import Finding, Label, detect
from bot.store.cases import set_urgent_details
from bot.store.drafts import Draft
from bot.wizard import Choice, Flow, Option, Phone, options, validate


def _with_skip(main: bool):
    countries = options.countries(main, home=True)

    def build(content: Content, lang: str, answers) -> list[Option]:
        skip = [Option("skip", content.text(lang, "user-urgent-skip"))] if main else []
        return [*countries(content, lang, answers), *skip]

    return build


async def _tell_staff(update: Update, context: BotContext, result: dict) -> None:
    """The follow-up answers, threaded under the case's card (the phone number stays behind the
    card's contact button)."""
    case = await context.store.case_by_id(result["case_id"])
    lang = context.settings.default_language
    text = context.content.text(
        lang,
        "staff-urgent-details",
        country=context.content.country_name(case.country or "", lang),
        contact=context.content.text(lang, f"user-contact-by-{result['contact']}"),
    )
    await context.store.queue(await notices.to_staff(context.services, case, text, [], "info"))
    context.services.wake_outbox()


async def _save_details(db: aiosqlite.Connection, draft: Draft) -> dict:
    a = draft.answers
    country = a.get("country") if a.get("country") not in (None, "skip") else None
    await set_urgent_details(
        db, draft.user_id, a["_case"], country, a["contact"], a.get("phone"), draft.updated_at
    )
    return {"reference": a["_reference"], "case_id": a["_case"], "contact": a["contact"]}


URGENT = Flow(
    name="urgent",
    steps=(
        Choice(
            "country",
            "user-urgent-ask-country",
            options=_with_skip(True),
            more=_with_skip(False),
            columns=2,
            when=lambda a: not a.get("_country"),
        ),
        Choice(
            "contact",
            "user-urgent-ask-contact",
            options=options.labelled("user-contact-by", ("telegram", "phone")),
        ),
        Phone(
            "phone", "user-report-ask-phone", parse=validate.phone, when=lambda a: a.get("contact") == "phone"
        ),
    ),
    finish=_save_details,
    done="user-urgent-details-done",
    cancelled="user-urgent-details-skipped",
    after=_tell_staff,
    pauses_others=True,
)


# -- the reply ---------------------------------------------------------------------------------


async def reply_if_urgent(update: Update, context: BotContext) -> Label | None:
    """The danger check on the whole text or caption, before anything else; replies to danger or
    self-harm (quoting the message) and returns what it found. Staff messages are not checked: a note
    or a reply about a case describes someone else's danger."""
    message, user = update.effective_message, update.effective_user
    text = message.text or message.caption
    if not text or context.is_staff(user.id):
        return None
    finding = detect(text)
    if finding.label is None:
        return None
    country = await _known_country(context, user.id)
    await message.reply_text(
        _reply_text(context, finding, country),
        reply_markup=_markup(context, finding.label, country),
        do_quote=True,
    )
    return finding.label


def _reply_text(context: BotContext, finding: Finding, country: str | None) -> str:
    key = "user-self-harm" if finding.label == "self_harm" else "user-danger"
    name = context.content.country_name(country or "", context.lang)
    return context.text(key, country=country or "", country_name=name, danger=finding.danger)


def _markup(
    context: BotContext, label: Label, country: str | None, *, more: bool = False
) -> InlineKeyboardMarkup:
    """One tap to a person; under the emergency reply, the countries when the country is unknown."""
    send = "user-button-talk-to-person" if label == "self_harm" else "user-button-urgent-send"
    rows = [[InlineKeyboardButton(context.text(send), callback_data=pack("urg", label, country or "-"))]]
    if label == "danger" and not country:
        shown = [c for c in context.content.countries.values() if c.main != more and c.code != "ID"]
        if not more:
            shown.append(context.content.countries["ID"])
        buttons = [
            InlineKeyboardButton(c.name(context.lang), callback_data=pack("urgc", c.code)) for c in shown
        ]
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        if not more:
            other = context.text("user-button-other-country")
            rows.append([InlineKeyboardButton(other, callback_data=pack("urgc", "more"))])
    return InlineKeyboardMarkup(rows)


async def _known_country(context: BotContext, user_id: int) -> str | None:
    """Where the person (or their relative) is: the open form's answer, the registration, the last case."""
    draft = await context.store.get_draft(user_id)
    found = [draft.answers.get("country")] if draft else []
    registration = await context.store.registration(user_id)
    found += [w.country for w in registration.workers] if registration else []
    found += [c.country for c in await context.store.cases_of(user_id, limit=1)]
    return next((code for code in found if code in context.content.countries), None)


async def pick_country(update: Update, context: BotContext, data: Callback) -> None:
    """A country under the emergency reply: the reply again, with that country's numbers."""
    message = update.callback_query.message
    if data.arg != "more" and data.arg not in context.content.countries:
        await answer_query(update, context.text("user-stale-button"))
        return
    await answer_query(update)
    if data.arg == "more":
        await update.callback_query.edit_message_reply_markup(_markup(context, "danger", None, more=True))
        return
    text = _reply_text(context, Finding(danger=True, self_harm=False), data.arg)
    await show(
        update, context, screens.Screen(text, _markup(context, "danger", data.arg)), edit=message is not None
    )


# -- one tap to a person -----------------------------------------------------------------------


async def send_now(update: Update, context: BotContext, data: Callback) -> None:
    """ "Send to staff now": an urgent case at once with the quoted message, any open form set aside;
    then the reference, and country and contact as optional questions. A message that already went
    to a case in conversation (which it made urgent) is not opened again: its reference is given."""
    label, country = data.args
    query = update.callback_query
    quoted = query.message.reply_to_message if query.message else None
    await answer_query(update)
    delivered = quoted and await context.store.case_for_message(
        quoted.chat.id, quoted.message_id, ("incoming",)
    )
    if delivered:
        await context.bot.send_message(
            update.effective_chat.id, context.text("user-urgent-sent", result=delivered)
        )
        return
    if not (context.services.staff_chat_id or context.services.staff):  # nobody would read it
        await context.bot.send_message(update.effective_chat.id, context.text("user-urgent-no-staff"))
        return
    user = update.effective_user
    draft = await context.store.get_draft(user.id)
    if draft is not None and draft.flow == URGENT.name:  # the optional questions of an earlier tap
        await context.store.delete_draft(user.id, draft.token)
    await wizard.set_aside(update, context)
    country = None if country == "-" else country
    text = (quoted.text or quoted.caption) if quoted else None
    case, new = await context.store.open_urgent_case(
        user.id, label, text, country or await _known_country(context, user.id), context.lang
    )
    if new:
        await staff.announce_case(update, context, case)
    await context.bot.send_message(update.effective_chat.id, context.text("user-urgent-sent", result=case))
    answers = {"_case": case.id, "_reference": case.reference, "_country": case.country or ""}
    await wizard.begin(update, context, URGENT, answers)
