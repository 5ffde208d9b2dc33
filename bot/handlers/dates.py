"""Dates per registered worker (/dates, and from /mydata): contract end, passport and permit expiry,
planned departure, entered through the wizard and shown back in words; the buttons under a reminder
snooze it a week or stop that kind (issue 23). Sending is bot/outbox/reminders.py's job."""

from __future__ import annotations

from datetime import date

import aiosqlite
from telegram import Update

from bot import reminders
from bot.callbacks import Callback
from bot.context import BotContext
from bot.handlers import wizard
from bot.handlers.common import answer_query
from bot.outbox.reminders import in_words, remind_once
from bot.store import Store
from bot.store.drafts import Draft
from bot.store.reminders import worker_of, write_date
from bot.wizard import Choice, Confirm, Flow, Invalid, Option, Text, options


async def _workers(store: Store, user_id: int) -> dict:
    """Only registered workers have dates (their registration carries the consent)."""
    registration = await store.registration(user_id)
    if registration is None or not registration.workers:
        raise Invalid("user-dates-register-first")
    workers = {str(w.id): w.name for w in registration.workers}
    return {"_workers": workers, **({"worker": next(iter(workers))} if len(workers) == 1 else {})}


def _worker_options(content, lang: str, answers) -> list[Option]:
    return [Option(worker_id, name) for worker_id, name in answers.get("_workers", {}).items()]


def _check_day(day: str, answers, now: int) -> None:
    """Not in the past (Jakarta's today), not implausibly far ahead for its kind."""
    reminders.check_day(date.fromisoformat(day), answers["kind"], reminders.local_today(now))


async def _save_date(db: aiosqlite.Connection, draft: Draft) -> int:
    """The worker's date of that kind (replacing an earlier one); returns the date's id."""
    answers = draft.answers
    if await worker_of(db, draft.user_id, int(answers["worker"])) is None:
        return 0  # deleted meanwhile (/deletedata): nothing to date
    return await write_date(db, int(answers["worker"]), answers["kind"], answers["day"], draft.updated_at)


async def _remind_now(update: Update, context: BotContext, date_id: int) -> None:
    """A reminder whose time passed while the date was typed goes out now (only the latest)."""
    if date_id:
        await remind_once(context.services, only=date_id, at_once=True)


async def _in_words(context: BotContext, answers) -> dict:
    if not answers.get("day"):
        return {}
    today = reminders.local_today(context.store.db.now())
    return {
        "when": in_words(context.content, context.lang, date.fromisoformat(answers["day"]), today),
        "worker_name": answers.get("_workers", {}).get(answers.get("worker"), ""),
    }


DATES = Flow(
    name="dates",
    steps=(
        Choice(
            "worker",
            "user-dates-ask-worker",
            label="user-dates-label-worker",
            options=_worker_options,
            when=lambda answers: len(answers.get("_workers", {})) > 1,
        ),
        Choice(
            "kind",
            "user-dates-ask-kind",
            label="user-dates-label-kind",
            options=options.labelled("user-dates-kind", reminders.KINDS),
        ),
        Text(
            "day",
            "user-dates-ask-day",
            label="user-dates-label-day",
            max_length=40,
            parse=reminders.read_day,
            check=_check_day,
        ),
        Confirm("confirm", "", summary="user-dates-summary"),
    ),
    finish=_save_date,
    done="user-dates-done",
    prepare=_workers,
    after=_remind_now,
    prompt_context=_in_words,
)


async def dates(update: Update, context: BotContext) -> None:
    """/dates: add or change a registered worker's date."""
    await wizard.begin(update, context, DATES)


async def on_reminder_button(update: Update, context: BotContext, data: Callback) -> None:
    """Under a reminder: snooze it a week, or stop reminders of that date. Only its reader may."""
    date_id, action = int(data.args[0]), data.args[1]
    user_id, store = update.effective_user.id, context.store
    found = await store.own_date(user_id, date_id)
    if found is None or found.stopped:
        await answer_query(update, context.text("user-stale-button"))
        return
    await answer_query(update)
    if action == "stop":
        await store.stop_date(user_id, date_id)
    else:
        registration = await store.registration(user_id)
        worker = next(w for w in registration.workers if w.id == found.worker_id)
        zone_name = reminders.zone_for(worker.country, worker.stage, worker.relation)
        days = found.next_days if found.round else _last_sent(found, context)
        plan = reminders.snooze(
            date.fromisoformat(found.day),
            context.settings.reminder_days[found.kind],
            zone_name,
            store.db.now(),
            days,
            found.round,
        )
        await store.snooze_date(user_id, date_id, plan.next_days, plan.next_at, plan.round)
    await update.effective_message.edit_reply_markup(None)
    await update.effective_message.reply_text(context.text(f"user-reminder-{action}-done", kind=found.kind))


def _last_sent(found, context: BotContext) -> int:
    """The offset of the reminder just read: the one before the offset now waited for."""
    offsets = context.settings.reminder_days[found.kind]
    earlier = [d for d in offsets if found.next_days is None or d > found.next_days]
    return min(earlier) if earlier else offsets[-1]


async def worker_dates_in_words(context: BotContext, user_id: int) -> dict[int, list[tuple[str, str]]]:
    """/mydata: each worker's dates as (kind, '12 Maret 2027, 98 hari lagi'), by worker id."""
    today = reminders.local_today(context.store.db.now())
    return {
        worker_id: [
            (d.kind, in_words(context.content, context.lang, date.fromisoformat(d.day), today)) for d in found
        ]
        for worker_id, found in (await context.store.worker_dates(user_id)).items()
    }


STATS_WINDOWS = (30, 90, 120)  # /stats: contracts ending within these many days, per district


async def contracts_ending(context: BotContext) -> dict:
    """/stats for staff: how many registered workers' contracts end soon, per district (the
    variables of staff-stats-contracts)."""
    today = reminders.local_today(context.store.db.now()).isoformat()
    rows = await context.store.contracts_ending(today, STATS_WINDOWS)
    places = [
        (context.content.province_name(province), district, counts) for province, district, counts in rows
    ]
    return {"windows": STATS_WINDOWS, "places": places[:30], "more": len(places) > 30}
