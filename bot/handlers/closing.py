"""Closing the loop with the reporter: the rating asked once after a case is resolved (1-5), and the
one-tap undo under the notice of a case closed after being idle (bot/outbox/case_reminders.py
closes it and builds both messages)."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update

from bot.callbacks import Callback
from bot.context import BotContext
from bot.handlers.common import answer_query
from bot.outbox import notices
from bot.outbox.case_reminders import rating_prompt
from bot.store import Case, Change


async def ask_rating(context: BotContext, case: Case, *, delay: int = 0) -> None:
    """After a staff member resolved the case: ask its reporter once (held `delay` seconds, like the
    resolved notice, so an undo cancels both)."""
    if case.user_id is not None and await context.store.ask_rating(case.id):
        await context.store.queue([replace(rating_prompt(context.services, case), delay=delay)])
        context.services.wake_outbox()


async def _reporters_case(update: Update, context: BotContext, case_id: str) -> Case | None:
    case = await context.store.case_by_id(int(case_id))
    return case if case is not None and case.user_id == update.effective_user.id else None


async def on_rating(update: Update, context: BotContext, data: Callback) -> None:
    """A star button: the rating is kept once; the buttons go away."""
    case = await _reporters_case(update, context, data.args[0])
    if case is None or not await context.store.rate(case.id, int(data.args[1])):
        await answer_query(update, context.text("user-stale-button"))
        return
    await answer_query(update, context.text("user-rate-thanks"))
    await update.callback_query.edit_message_reply_markup(None)


async def on_reopen(update: Update, context: BotContext, data: Callback) -> None:
    """The undo under an automatic closing: the case is open again and staff hear about it."""
    case = await _reporters_case(update, context, data.args[0])
    if case is None or not await context.store.undo_closure(case.id):
        await answer_query(update, context.text("user-stale-button"))
        return
    outgoing = await notices.to_staff(context.services, case, "", [], "reopened")
    change = Change(event="reopen", status="in_progress", outgoing=tuple(outgoing))
    await context.store.apply_change(case.id, update.effective_user.id, change)
    context.services.wake_outbox()
    await answer_query(update, context.text("user-case-reopened", case=case))
    await update.callback_query.edit_message_reply_markup(None)
