"""Staff broadcasts (/broadcast): the message as typed, an audience with a live count, a preview
exactly as recipients see it, now or at a time in Asia/Jakarta, confirm. Delivery is the
broadcaster's and the outbox's job, never a handler's. Users stop announcements with the button
under each one and turn them back on from the menu."""

from __future__ import annotations

import re
from datetime import datetime

import aiosqlite
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.callbacks import Callback, pack
from bot.content import LANGUAGES
from bot.context import BotContext
from bot.handlers import wizard
from bot.handlers.common import answer_query, show
from bot.handlers.registration import STAGES
from bot.handlers.screens import Screen
from bot.outbox.broadcaster import progress_markup, recipient_payload
from bot.outbox.notices import JAKARTA, when
from bot.store import Broadcast
from bot.store.broadcasts import AUDIENCE_KEYS, NewBroadcast, write_broadcast
from bot.store.drafts import Draft
from bot.wizard import Choice, Confirm, Flow, Invalid, Post, Text, options, validate


def _optional_place(text: str) -> str:
    return "" if text.strip() in ("-", "semua", "all") else validate.place(text)


def jakarta_time(text: str) -> int:
    """'31-12-2026 08:00' (or 2026-12-31 08:00) in Asia/Jakarta time, in the future: unix seconds."""
    match = re.fullmatch(r"\s*(\d{1,2})-(\d{1,2})-(\d{4})\s+(\d{1,2})[:.](\d{2})\s*", text) or re.fullmatch(
        r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2})[:.](\d{2})\s*", text
    )
    if not match:
        raise Invalid("staff-broadcast-bad-time")
    a, b, c, hour, minute = (int(x) for x in match.groups())
    day, month, year = (a, b, c) if c > 31 else (c, b, a)
    try:
        moment = datetime(year, month, day, hour, minute, tzinfo=JAKARTA)
    except ValueError:
        raise Invalid("staff-broadcast-bad-time") from None
    if moment.timestamp() <= datetime.now(JAKARTA).timestamp():
        raise Invalid("staff-broadcast-past-time")
    return int(moment.timestamp())


def audience_of(answers) -> dict:
    return {key: answers.get(key) for key in AUDIENCE_KEYS if answers.get(key) not in (None, "", "all")}


async def _live_count(context: BotContext, answers) -> dict:
    count = await context.store.count_audience(audience_of(answers), context.settings.default_language)
    return {"recipients": count, "at": when(answers["at"]) if answers.get("at") else ""}


async def _preview(update: Update, context: BotContext, draft) -> None:
    """The message exactly as a recipient in the staff member's language will get it."""
    payload = recipient_payload(context.services, _draft_broadcast(draft), context.lang)
    chat = draft.chat_id
    if "photo" in payload:
        await context.bot.send_photo(chat, **payload)
    else:
        await context.bot.send_message(chat, **payload)


def _draft_broadcast(draft) -> Broadcast:
    post = draft.answers["post"]
    return Broadcast(
        id=0,
        created_by=draft.user_id,
        html=post["html"],
        photo=post.get("photo"),
        audience={},
        recipients=0,
        status="draft",
        scheduled_at=None,
        started_at=None,
        finished_at=None,
        progress_chat=None,
        progress_message=None,
        created_at=0,
    )


async def _save_broadcast(db: aiosqlite.Connection, draft: Draft) -> int:
    """A scheduled broadcast (due at once when sent now); returns its number."""
    answers = draft.answers
    new = NewBroadcast(
        html=answers["post"]["html"],
        photo=answers["post"].get("photo"),
        audience=audience_of(answers),
        scheduled_at=answers.get("at") or draft.updated_at,
    )
    return await write_broadcast(db, draft.user_id, new, draft.updated_at)


def _registered(answers) -> bool:
    return answers.get("registered") == "yes"


async def _wake_broadcaster(update: Update, context: BotContext, result: int) -> None:
    context.services.wake_broadcaster()


BROADCAST = Flow(
    name="broadcast",
    steps=(
        Post("post", "staff-broadcast-ask-post"),
        Choice(
            "lang",
            "staff-broadcast-ask-lang",
            label="staff-broadcast-label-lang",
            options=options.with_all(options.labelled("staff-broadcast-lang", LANGUAGES)),
        ),
        Choice(
            "registered",
            "staff-broadcast-ask-registered",
            label="staff-broadcast-label-registered",
            options=options.labelled("staff-broadcast-registered", ("all", "yes")),
        ),
        Choice(
            "country",
            "staff-broadcast-ask-country",
            label="staff-broadcast-label-country",
            options=options.with_all(options.countries(True)),
            more=options.countries(False),
            columns=2,
            when=_registered,
        ),
        Choice(
            "stage",
            "staff-broadcast-ask-stage",
            label="staff-broadcast-label-stage",
            options=options.with_all(options.labelled("user-stage", STAGES)),
            when=_registered,
        ),
        Choice(
            "province",
            "staff-broadcast-ask-province",
            label="staff-broadcast-label-province",
            options=options.with_all(options.provinces(True)),
            more=options.provinces(False),
            columns=2,
            when=_registered,
        ),
        Text(
            "district",
            "staff-broadcast-ask-district",
            label="staff-broadcast-label-district",
            parse=_optional_place,
            max_length=60,
            when=lambda a: _registered(a) and a.get("province") not in (None, "all"),
        ),
        Text(
            "village",
            "staff-broadcast-ask-village",
            label="staff-broadcast-label-village",
            parse=_optional_place,
            max_length=60,
            when=lambda a: bool(a.get("district")),
        ),
        Choice(
            "when",
            "staff-broadcast-ask-when",
            label="staff-broadcast-label-when",
            options=options.labelled("staff-broadcast-when", ("now", "later")),
        ),
        Text(
            "at",
            "staff-broadcast-ask-at",
            parse=jakarta_time,
            max_length=40,
            when=lambda a: a.get("when") == "later",
        ),
        Confirm("confirm", "", summary="staff-broadcast-summary", preview=_preview),
    ),
    finish=_save_broadcast,
    done="staff-broadcast-done",
    after=_wake_broadcaster,
    prompt_context=_live_count,
)


async def broadcast(update: Update, context: BotContext) -> None:
    """/broadcast (staff, private chat): recent and scheduled broadcasts, then a new one."""
    recent = await context.store.broadcasts(limit=5)
    if recent:
        rows = [
            [
                InlineKeyboardButton(
                    context.text("staff-broadcast-button-cancel") + f" #{b.id}",
                    callback_data=pack("bc", str(b.id), "cancel"),
                )
            ]
            for b in recent
            if b.status == "scheduled"
        ]
        counts = {b.id: await context.store.broadcast_counts(b.id) for b in recent}
        text = context.text("staff-broadcast-list", broadcasts=recent, counts=counts, when=when)
        await update.effective_message.reply_text(
            text, reply_markup=InlineKeyboardMarkup(rows) if rows else None
        )
    await wizard.begin(update, context, BROADCAST)


async def on_broadcast_button(update: Update, context: BotContext, data: Callback) -> None:
    """Cancel a scheduled or running broadcast, or re-send the rows whose delivery is unknown."""
    broadcast_id, action = int(data.args[0]), data.args[1]
    store = context.store
    if action == "cancel":
        done = await store.cancel_broadcast(broadcast_id)
        await answer_query(update, context.text("staff-broadcast-cancelled" if done else "user-stale-button"))
    else:
        count = await store.resend_unknown(kind="broadcast", ref=broadcast_id)
        await store.reopen_broadcast(broadcast_id)
        await answer_query(update, context.text("staff-broadcast-resending", count=count))
    context.services.wake_broadcaster()
    await store.audit(update.effective_user.id, f"broadcast_{action}", detail=str(broadcast_id))
    found = await store.broadcast(broadcast_id)
    if found is not None and found.progress_message == update.callback_query.message.message_id:
        markup = progress_markup(context.services, found, await store.broadcast_counts(broadcast_id))
        await update.callback_query.edit_message_reply_markup(markup)


async def on_optout(update: Update, context: BotContext, data: Callback) -> None:
    """The "stop announcements" button under a broadcast, and the switch in the menu."""
    user = update.effective_user.id
    if data.kind == "optout" or data.arg == "off":
        await context.store.set_opted_out(user, True)
        await answer_query(update, context.text("user-optout-done"))
    elif data.arg == "on":
        await context.store.set_opted_out(user, False)
        await answer_query(update, context.text("user-optin-done"))
    else:
        await answer_query(update)
    if data.kind == "ann":
        await show_announcements(update, context)


async def show_announcements(update: Update, context: BotContext) -> None:
    off = await context.store.opted_out(update.effective_user.id)
    button = InlineKeyboardButton(
        context.text("user-button-optin" if off else "user-button-optout"),
        callback_data=pack("ann", "on" if off else "off"),
    )
    menu = InlineKeyboardButton(context.text("user-button-menu"), callback_data=pack("menu"))
    text = context.text("user-announcements-off" if off else "user-announcements-on")
    await show(update, context, Screen(text, InlineKeyboardMarkup([[button], [menu]])), edit=True)


async def on_member_update(update: Update, context: BotContext) -> None:
    """my_chat_member in a private chat: the user blocked or unblocked the bot (no send spent)."""
    member = update.my_chat_member
    if member is None or member.chat.type != "private":
        return
    await context.store.set_blocked(member.chat.id, member.new_chat_member.status == "kicked")
