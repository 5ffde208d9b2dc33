"""Shared handler plumbing: the per-update gate, showing screens, and the error handler."""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden

from bot import telegram_html
from bot.content import pick_language
from bot.context import BotContext
from bot.handlers.screens import Screen

log = logging.getLogger(__name__)

HARMLESS = ("message is not modified", "query is too old", "query id is invalid")


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


async def gate(update: Update, context: BotContext) -> None:
    """Runs first for every update (group -1): record the user and settle the reply language."""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    await context.store.touch_user(user.id, user.first_name or "", user.language_code)
    chosen = await context.store.user_language(user.id)
    context.lang = pick_language(chosen, user.language_code, context.settings.default_language)


def shows(message: object, text: str, markup: object) -> bool:
    """Whether a message already shows this HTML text and keyboard (an edit would be refused)."""
    current = getattr(message, "reply_markup", None)
    try:
        same_text = telegram_html.parse(text).text == getattr(message, "text", None)
    except telegram_html.HtmlError:
        return False
    return same_text and (current.to_dict() if current else None) == (markup.to_dict() if markup else None)


async def show(update: Update, context: BotContext, screen: Screen, *, edit: bool = False) -> None:
    """Edit the pressed message in place when asked (menus), else send a new message."""
    query = update.callback_query
    message = query.message if query is not None else None
    if edit and message is not None and getattr(message, "text", None) is not None:
        if shows(message, screen.text, screen.markup):
            return  # a double tap: nothing to change
        try:
            await query.edit_message_text(screen.text, reply_markup=screen.markup)
            return
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return
            if "message to edit not found" not in str(error).lower():
                raise
    await context.bot.send_message(update.effective_chat.id, screen.text, reply_markup=screen.markup)


_ANSWERED: OrderedDict[str, None] = OrderedDict()  # recent query IDs already answered


def answered(update: Update) -> bool:
    return update.callback_query is not None and update.callback_query.id in _ANSWERED


async def answer_query(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a button press once; a late or repeated answer is harmless."""
    _ANSWERED[update.callback_query.id] = None
    while len(_ANSWERED) > 10_000:
        _ANSWERED.popitem(last=False)
    try:
        await update.callback_query.answer(text, show_alert=alert)
    except BadRequest as error:
        if not any(h in str(error).lower() for h in HARMLESS):
            raise


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure (update ID and error type only), then answer the user politely."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, BadRequest) and any(h in str(error).lower() for h in HARMLESS):
        log.info("harmless error on update %s: %s", update_id, error)
        return
    log.error("error on update %s: %s", update_id, type(error).__name__, exc_info=error)
    if not isinstance(update, Update) or isinstance(error, Forbidden):
        return
    with contextlib.suppress(Exception):
        if update.callback_query is not None and not answered(update):
            await answer_query(update)
        if is_private(update):
            await context.bot.send_message(update.effective_chat.id, context.text("error-generic"))
