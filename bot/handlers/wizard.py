"""Runs any flow of steps over Telegram. The draft is committed before every reply, so a restart
(even kill -9) resumes where the user was; buttons carry the draft's token and the step's index,
so buttons of an old step or an old draft are refused; finishing deletes the draft in the same
transaction that writes the result, so a double tap acts once."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot import telegram_html
from bot.callbacks import Callback, pack
from bot.context import BotContext
from bot.handlers import screens
from bot.handlers.common import answer_query, show
from bot.store.drafts import Draft, DraftGone
from bot.wizard import validate
from bot.wizard.steps import Choice, Confirm, Flow, Invalid, Media, Option, Phone, Post, Step, Story, Text

log = logging.getLogger(__name__)

BACK, CANCEL, OK, EDIT, MORE, LESS, SHOW, USE = (
    "_back",
    "_cancel",
    "_ok",
    "_edit",
    "_more",
    "_less",
    "_show",
    "_use",
)
HELD = "_held"  # an urgent message kept aside at a text step, until the user says it was the answer


def flows(context: BotContext) -> dict[str, Flow]:
    return context.application.bot_data.setdefault("flows", {})


def _button(draft: Draft, flow: Flow, label: str, value: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        label, callback_data=pack("wz", draft.token, str(flow.index(draft.step)), value)
    )


def _rows(buttons: list[InlineKeyboardButton], columns: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + columns] for i in range(0, len(buttons), columns)]


# -- showing a step -------------------------------------------------------------------------


def _options(context: BotContext, step: Choice, answers: dict, *, more: bool) -> list[Option]:
    source = step.more if more and step.more else step.options
    return list(source(context.content, context.lang, answers))


def _markup(context: BotContext, flow: Flow, draft: Draft, step: Step, *, more: bool) -> Any:
    text = context.text
    nav = [_button(draft, flow, text("user-button-back"), BACK)] if len(draft.path) > 1 else []
    if more:  # "back" on the second page of options is the first page, not the previous question
        nav = [_button(draft, flow, text("user-button-back"), LESS)]
    if isinstance(step, Text) and HELD in draft.answers:
        nav.insert(0, _button(draft, flow, text("user-button-use-as-answer"), USE))
    nav.append(_button(draft, flow, text("user-button-cancel"), CANCEL))
    if isinstance(step, Phone):
        return ReplyKeyboardMarkup(
            [
                [KeyboardButton(text("user-button-share-phone"), request_contact=True)],
                [text("user-button-back"), text("user-button-cancel")],
            ],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    rows: list[list[InlineKeyboardButton]] = []
    if isinstance(step, Choice):
        buttons = [
            _button(draft, flow, o.label, o.value) for o in _options(context, step, draft.answers, more=more)
        ]
        rows = _rows(buttons, step.columns)
        if step.more and not more:
            rows.append([_button(draft, flow, text("user-button-more"), MORE)])
    elif isinstance(step, Confirm):
        rows = [[_button(draft, flow, text(step.button), OK)]]
        if _editable(flow, draft):
            rows.append([_button(draft, flow, text("user-button-edit"), EDIT)])
    elif isinstance(step, Media):
        label = "user-button-done" if _files(draft, step.key) else "user-button-skip"
        rows = [[_button(draft, flow, text(label), OK)]]
    elif isinstance(step, Story) and _received(draft, step.key):
        rows = [[_button(draft, flow, text("user-button-done"), OK)]]
    return InlineKeyboardMarkup([*rows, nav])


async def _prompt(context: BotContext, flow: Flow, draft: Draft, step: Step) -> str:
    extra = await flow.prompt_context(context, draft.answers) if flow.prompt_context else {}
    if isinstance(step, Confirm):
        return context.text(
            step.summary, answers=draft.answers, summary=summarise(context, flow, draft), **extra
        )
    count = _received(draft, step.key) if isinstance(step, Story) else len(_files(draft, step.key))
    return context.text(step.prompt, answers=draft.answers, count=count, **extra)


def _files(draft: Draft, key: str) -> list[list[str]]:
    """Files received at one step, as [kind, file_id, caption] (kept in the draft's answers)."""
    return draft.answers.get("_files", {}).get(key, [])


def _parts(draft: Draft, key: str) -> list[str]:
    """The texts of a story received so far, in order."""
    return draft.answers.get("_story", {}).get(key, [])


def _received(draft: Draft, key: str) -> int:
    """How many messages a story step has kept (a file is a part too: its icon and caption)."""
    return len(_parts(draft, key))


def _with_file(answers: dict, key: str, file: tuple[str, ...]) -> dict:
    files = {**answers.get("_files", {})}
    files[key] = [*files.get(key, []), list(file)]
    return {**answers, "_files": files}


def summarise(context: BotContext, flow: Flow, draft: Draft) -> list[tuple[str, str]]:
    """(label, shown value) of every answered, labelled step, for summaries and /mydata."""
    lines = []
    for step in flow.steps:
        if step.label and step.key in draft.answers and step.applies(draft.answers):
            lines.append((context.text(step.label), display(context, step, draft.answers)))
    return lines


def display(context: BotContext, step: Step, answers: dict) -> str:
    """How an answer reads: a choice shows its label, text shows itself."""
    value = answers.get(step.key)
    if isinstance(step, Media):
        return context.text("user-wizard-files", count=value or 0)
    if isinstance(step, Choice):
        every = [*step.options(context.content, context.lang, answers)]
        if step.more:
            every += step.more(context.content, context.lang, answers)
        return next((o.label for o in every if o.value == value), str(value))
    return str(value)


async def show_step(
    update: Update,
    context: BotContext,
    flow: Flow,
    draft: Draft,
    *,
    error: str = "",
    edit: bool = False,
    more: bool = False,
) -> Message | None:
    """Ask the current step's question (after an error line when the last answer did not fit);
    returns the question when it was sent as a new message."""
    step = flow.step(draft.step)
    if isinstance(step, Confirm) and step.preview is not None and not error:
        await step.preview(update, context, draft)
        edit = False
    text = await _prompt(context, flow, draft, step)
    if error:
        text = f"{error}\n\n{text}"
    markup = _markup(context, flow, draft, step, more=more)
    if isinstance(markup, ReplyKeyboardMarkup) or not edit:
        return await context.bot.send_message(draft.chat_id, text, reply_markup=markup)
    await show(update, context, screens.Screen(text, markup), edit=True)
    return None


# -- entering, leaving ----------------------------------------------------------------------


async def begin(
    update: Update, context: BotContext, flow: Flow, answers: dict | None = None
) -> Message | None:
    """Start `flow`, or continue it when the user has its draft open (or set aside, unless `answers`
    start it afresh). Another open form is set aside when `flow` goes first, else the user is told
    how to continue it. Returns the question sent, if any."""
    user, chat = update.effective_user, update.effective_chat
    if flow.staffed and context.settings.faq_only:  # nobody would read it: say so, give the hotlines
        await update.effective_message.reply_text(context.text("user-faq-only"))
        return None
    draft = await _live_draft(context, user.id)
    if draft is not None and draft.flow == flow.name:
        return await show_step(update, context, flow, draft)
    if draft is not None and not flow.pauses_others:
        await _remind(update, context, draft)
        return None
    if draft is None and answers is None:
        paused = await context.store.resume_draft(user.id, flow.name)
        if paused is not None:
            return await show_step(update, context, flow, paused)
    answers = {**(answers or {}), "_lang": context.lang}
    if flow.prepare is not None:
        try:
            answers.update(await flow.prepare(context.store, user.id))
        except Invalid as refused:  # refused before anything is set aside: the open form stays open
            await update.effective_message.reply_text(context.text(refused.key, **refused.context))
            return None
    if draft is not None:
        await _set_aside(context, draft)
    first = flow.next_step(None, answers)
    draft = await context.store.start_draft(user.id, chat.id, flow.name, first.key, answers)
    return await show_step(update, context, flow, draft)


async def cancel(update: Update, context: BotContext) -> bool:
    """/cancel: drop the user's draft, if any. Returns whether there was one."""
    draft = await context.store.get_draft(update.effective_user.id)
    if draft is None:
        return False
    await context.store.delete_draft(draft.user_id)
    flow = flows(context).get(draft.flow)
    await _close(update, context, draft, flow.cancelled if flow else "user-wizard-cancelled")
    return True


async def remind_if_busy(update: Update, context: BotContext) -> None:
    """After another command mid-wizard: the draft is intact; say how to continue."""
    if update.effective_user is None or update.effective_chat is None:
        return
    draft = await _live_draft(context, update.effective_user.id)
    if draft is not None and draft.chat_id == update.effective_chat.id:
        await _remind(update, context, draft)


async def _remind(update: Update, context: BotContext, draft: Draft) -> None:
    flow = flows(context)[draft.flow]
    markup = InlineKeyboardMarkup([[_button(draft, flow, context.text("user-button-continue"), SHOW)]])
    await context.bot.send_message(
        draft.chat_id,
        context.text("user-wizard-paused", flow=context.text(f"user-flow-{flow.name}")),
        reply_markup=markup,
    )


async def _close(update: Update, context: BotContext, draft: Draft, key: str, **kwargs: Any) -> None:
    """End of a flow: the closing text with the main menu (and any reply keyboard removed), then the
    offer to go back to a form that was set aside for it."""
    if isinstance(flows(context)[draft.flow].step(draft.step), Phone):
        await context.bot.send_message(
            draft.chat_id, context.text("user-wizard-noted"), reply_markup=ReplyKeyboardRemove()
        )
    screen = screens.main_menu(context.content, context.lang, key, **kwargs)
    await context.bot.send_message(draft.chat_id, screen.text, reply_markup=screen.markup)
    paused = await context.store.paused_flow(draft.user_id)
    if paused in flows(context):
        button = InlineKeyboardButton(context.text("user-button-continue"), callback_data=pack("wzr", paused))
        await context.bot.send_message(
            draft.chat_id,
            context.text("user-wizard-resume", flow=context.text(f"user-flow-{paused}")),
            reply_markup=InlineKeyboardMarkup([[button]]),
        )


async def _set_aside(context: BotContext, draft: Draft) -> None:
    """Keep the open form for later (a report or an urgent case goes first), and say so."""
    await context.store.pause_draft(draft.user_id)
    flow = flows(context).get(draft.flow)
    name = context.text(f"user-flow-{draft.flow}") if flow else draft.flow
    phone = flow is not None and isinstance(flow.step(draft.step), Phone)
    await context.bot.send_message(
        draft.chat_id,
        context.text("user-wizard-set-aside", flow=name),
        reply_markup=ReplyKeyboardRemove() if phone else None,
    )


async def set_aside(update: Update, context: BotContext) -> None:
    """Set the user's open form aside, if there is one (the one-tap urgent case goes first)."""
    draft = await _live_draft(context, update.effective_user.id)
    if draft is not None:
        await _set_aside(context, draft)


async def on_resume(update: Update, context: BotContext, data: Callback) -> None:
    """ "Continue" under the offer to go back to a form that was set aside."""
    flow = flows(context).get(data.arg)
    draft = await _live_draft(context, update.effective_user.id)
    if draft is None and flow is not None:
        draft = await context.store.resume_draft(update.effective_user.id, flow.name)
    if draft is None or draft.flow != data.arg:
        await answer_query(update, context.text("user-stale-button"))
        return
    await answer_query(update)
    await show_step(update, context, flow, draft)


async def _live_draft(context: BotContext, user_id: int) -> Draft | None:
    """The user's draft, unless it has expired (then it is deleted)."""
    draft = await context.store.get_draft(user_id)
    ttl = context.settings.draft_ttl_hours * 3600
    if draft is not None and context.store.db.now() - draft.updated_at > ttl:
        await context.store.delete_draft(user_id, draft.token)
        return None
    return draft


# -- answers --------------------------------------------------------------------------------


async def on_button(update: Update, context: BotContext, data: Callback) -> None:
    """A wizard button: check it belongs to the current step of the current draft, then act."""
    token, index, value = data.args
    draft = await _live_draft(context, update.effective_user.id)
    flow = flows(context).get(draft.flow) if draft else None
    stale = flow is None or int(index) >= len(flow.steps) or draft.token != token
    if stale or flow.steps[int(index)].key != draft.step:
        await answer_query(update, context.text("user-stale-button"))
        return
    await answer_query(update)
    step = flow.step(draft.step)
    if value == CANCEL:
        await cancel(update, context)
    elif value == BACK:
        await _back(update, context, flow, draft)
    elif value == SHOW:
        await show_step(update, context, flow, draft)
    elif value == LESS:
        await show_step(update, context, flow, draft, edit=True)
    elif value == USE and isinstance(step, Text) and HELD in draft.answers:
        await _use_held(update, context, flow, draft, step)
    elif isinstance(step, Confirm):
        await _on_confirm(update, context, flow, draft, value)
    elif isinstance(step, Media) and value == OK:
        await _advance(
            update, context, flow, draft, {**draft.answers, step.key: len(_files(draft, step.key))}
        )
    elif isinstance(step, Story) and value == OK and _received(draft, step.key):
        await _advance(update, context, flow, draft, {**draft.answers, step.key: _story_text(draft, step)})
    elif isinstance(step, Choice):
        await _on_choice(update, context, flow, draft, step, value)


async def _on_choice(
    update: Update, context: BotContext, flow: Flow, draft: Draft, step: Choice, value: str
) -> None:
    if value == MORE and step.more:
        await show_step(update, context, flow, draft, edit=True, more=True)
        return
    known = {o.value for o in _options(context, step, draft.answers, more=False)}
    if step.more:
        known |= {o.value for o in _options(context, step, draft.answers, more=True)}
    if value not in known:
        await show_step(update, context, flow, draft, error=context.text("user-stale-button"))
        return
    if value in step.stop:
        await context.store.delete_draft(draft.user_id, draft.token)
        await _close(update, context, draft, f"user-{flow.name}-{step.key}-{value}")
        return
    await _advance(update, context, flow, draft, {**draft.answers, step.key: value}, edit=True)


async def _on_confirm(update: Update, context: BotContext, flow: Flow, draft: Draft, value: str) -> None:
    if value == OK:
        await _advance(update, context, flow, draft, draft.answers)
    elif value == EDIT and _editable(flow, draft):
        editable = _editable(flow, draft)
        buttons = [_button(draft, flow, context.text(s.label), f"~{s.key}") for s in editable]
        text = context.text("user-wizard-edit-which")
        await show(update, context, screens.Screen(text, InlineKeyboardMarkup(_rows(buttons, 2))), edit=True)
    elif value.startswith("~") and value[1:] in {s.key for s in flow.steps if s.label}:
        target = flow.step(value[1:])
        draft = await context.store.save_draft(
            replace(draft, step=target.key, path=(*draft.path, target.key), editing=True)
        )
        await show_step(update, context, flow, draft)


async def _use_held(update: Update, context: BotContext, flow: Flow, draft: Draft, step: Text) -> None:
    """The urgent message kept aside was the answer after all: take it, as if typed now."""
    try:
        value = step.parse(draft.answers[HELD])
    except Invalid as invalid:
        await show_step(update, context, flow, draft, error=context.text(invalid.key, **invalid.context))
        return
    await _advance(update, context, flow, draft, {**draft.answers, step.key: value})


def _editable(flow: Flow, draft: Draft) -> list[Step]:
    return [s for s in flow.steps if s.label and s.applies(draft.answers)]


async def _back(update: Update, context: BotContext, flow: Flow, draft: Draft) -> None:
    if len(draft.path) < 2:
        await show_step(update, context, flow, draft)
        return
    path, answers = draft.path[:-1], {k: v for k, v in draft.answers.items() if k != HELD}
    draft = await context.store.save_draft(
        replace(draft, step=path[-1], path=path, answers=answers, editing=False)
    )
    await show_step(update, context, flow, draft, edit=update.callback_query is not None)


async def _advance(
    update: Update,
    context: BotContext,
    flow: Flow,
    draft: Draft,
    answers: dict,
    *,
    edit: bool = False,
    message_id: int | None = None,
) -> None:
    """Commit the answer and the next step, then ask it (the commit comes before any reply)."""
    answers = {k: v for k, v in answers.items() if k != HELD}
    following = flow.next_step(draft.step, answers)
    if draft.editing:  # back to the summary, unless the change made a new question apply
        while following is not None and following.key in answers and not isinstance(following, Confirm):
            following = flow.next_step(following.key, answers)
    if following is None:
        await _finish(update, context, flow, replace(draft, answers=answers))
        return
    was_phone = isinstance(flow.step(draft.step), Phone)
    draft = await context.store.save_draft(
        replace(
            draft,
            step=following.key,
            answers=answers,
            path=(*draft.path, following.key),
            editing=draft.editing and not isinstance(following, Confirm),  # a new question, then the summary
            last_message_id=max(draft.last_message_id, message_id or 0),
        )
    )
    if was_phone:
        await context.bot.send_message(
            draft.chat_id, context.text("user-wizard-noted"), reply_markup=ReplyKeyboardRemove()
        )
        edit = False
    await show_step(update, context, flow, draft, edit=edit)


async def _finish(update: Update, context: BotContext, flow: Flow, draft: Draft) -> None:
    """Write the result and delete the draft in one transaction; a repeated tap finds no draft."""
    try:
        result = await context.store.complete_draft(draft, flow.finish)
    except DraftGone:
        return
    if flow.after is not None:
        try:
            await flow.after(update, context, result)
        except Exception:  # the result is committed: the user must still be told
            log.exception("after-hook of flow %s failed", flow.name)
    await _close(update, context, draft, flow.done, result=result)


async def on_message(update: Update, context: BotContext) -> bool:
    """A private message while a draft is open: the answer to its step. False when no draft."""
    message = update.effective_message
    draft = await _live_draft(context, update.effective_user.id)
    if draft is None or draft.chat_id != update.effective_chat.id:
        return False
    flow = flows(context).get(draft.flow)
    if flow is None:
        return False
    if message.message_id <= draft.last_message_id:
        return True  # a redelivered update we already answered
    step = flow.step(draft.step)
    if message.text in (context.text("user-button-back"), context.text("user-button-cancel")):
        if message.text == context.text("user-button-cancel"):
            await cancel(update, context)
        else:
            await _back(update, context, flow, draft)
        return True
    typed = _typed_option(context, step, draft.answers, message.text) if isinstance(step, Choice) else None
    if typed is not None:  # the label of a button, typed instead of pressed
        await _on_choice(update, context, flow, draft, step, typed)
        return True
    file = file_of(message)
    if isinstance(step, Story):
        await _add_part(update, context, flow, draft, step, message)
        return True
    if isinstance(step, Media) and file and file[0] in step.kinds:
        await _add_file(
            update, context, flow, draft, step, (*file, message.caption or ""), message.message_id
        )
        return True
    answers = draft.answers
    try:
        if isinstance(step, Text) and file and file[0] in step.media:
            value = (message.caption or "").strip() or MEDIA_ICONS.get(file[0], "📎")
            answers = _with_file(answers, step.key, (*file, message.caption or ""))
        else:
            value = _read(step, message, context)
    except Invalid as invalid:
        await show_step(update, context, flow, draft, error=context.text(invalid.key, **invalid.context))
        return True
    await _advance(update, context, flow, draft, {**answers, step.key: value}, message_id=message.message_id)
    return True


def _plain(label: str) -> str:
    """A label as words only: case, emoji, punctuation and spacing do not count."""
    return " ".join("".join(c if c.isalnum() else " " for c in label.casefold()).split())


def _typed_option(context: BotContext, step: Choice, answers: dict, text: str | None) -> str | None:
    """The option (or "more") whose label the user typed, if any."""
    wanted = _plain(text or "")
    every = _options(context, step, answers, more=False)
    if step.more:
        every += [
            *_options(context, step, answers, more=True),
            Option(MORE, context.text("user-button-more")),
        ]
    return next((o.value for o in every if wanted and _plain(o.label) == wanted), None)


async def hold(update: Update, context: BotContext) -> bool:
    """An urgent message while a form is open, after the emergency reply: it is not taken as the answer.
    At a story step it is the story itself and is taken as told; at a text step it is kept aside and the
    user is asked whether it was the answer; at any other step the question is asked again. The form
    stays as it was. False when no form is open in this chat."""
    message = update.effective_message
    draft = await _live_draft(context, update.effective_user.id)
    flow = flows(context).get(draft.flow) if draft else None
    if flow is None or draft.chat_id != update.effective_chat.id:
        return False
    if message.message_id <= draft.last_message_id:
        return True  # a redelivered update we already answered
    step, text = flow.step(draft.step), (message.text or "").strip()
    if isinstance(step, Story):
        return await on_message(update, context)
    answers = {k: v for k, v in draft.answers.items() if k != HELD}
    if isinstance(step, Text) and text and len(text) <= step.max_length:
        answers[HELD] = text
    draft = await context.store.save_draft(
        replace(draft, answers=answers, last_message_id=message.message_id)
    )
    key = "user-wizard-held" if HELD in answers else "user-wizard-asked-again"
    await show_step(update, context, flow, draft, error=context.text(key))
    return True


def _read_post(message: Message) -> dict[str, Any]:
    """A staff post: its formatting kept as Telegram HTML (from the message's entities), checked."""
    if message.photo:
        html, photo, limit = message.caption_html or "", message.photo[-1].file_id, 1024
    elif message.text:
        html, photo, limit = message.text_html, None, 4096
    else:
        raise Invalid("staff-broadcast-expect-post")
    problems = telegram_html.validate(html, limit=limit) if html else []
    if problems:
        raise Invalid("staff-broadcast-bad-post", problem=problems[0])
    return {"html": html, "photo": photo}


MEDIA_ICONS = {"voice": "🎤", "photo": "🖼️", "document": "📄", "video": "🎞️", "audio": "🎵"}


def file_of(message: Message) -> tuple[str, str] | None:
    """(kind, file_id) of a message's file, if it carries one."""
    if message.photo:
        return "photo", message.photo[-1].file_id
    for kind in ("document", "voice", "video", "audio"):
        media = getattr(message, kind)
        if media is not None:
            return kind, media.file_id
    return None


async def _add_part(
    update: Update, context: BotContext, flow: Flow, draft: Draft, step: Story, message: Message
) -> None:
    """Keep one more message of a story (committed): its text, or its file with the caption."""
    file = file_of(message)
    text = (message.text or message.caption or "").strip()
    parts = _parts(draft, step.key)
    error = None
    if (file is None and not text) or (file is not None and file[0] not in step.kinds):
        error = context.text("user-wizard-story-expect")
    elif file is not None and len(_files(draft, step.key)) >= step.max_files:
        error = context.text("user-wizard-too-many-files", limit=step.max_files)
    elif text and len("\n\n".join([*parts, text])) > step.max_length:
        error = context.text("user-wizard-story-full", limit=step.max_length)
    if error:
        await show_step(update, context, flow, draft, error=error)
        return
    answers = draft.answers
    if file is not None:
        answers = _with_file(answers, step.key, (*file, message.caption or ""))
    part = f"{MEDIA_ICONS.get(file[0], '📎')} {text}".strip() if file else text
    answers = {**answers, "_story": {**answers.get("_story", {}), step.key: [*parts, part]}}
    draft = await context.store.save_draft(
        replace(draft, answers=answers, last_message_id=message.message_id)
    )
    await show_step(update, context, flow, draft)


def _story_text(draft: Draft, step: Story) -> str:
    """The whole story, its messages in order (a file shows as its icon and caption)."""
    return "\n\n".join(_parts(draft, step.key))


async def _add_file(
    update: Update,
    context: BotContext,
    flow: Flow,
    draft: Draft,
    step: Media,
    file: tuple[str, ...],
    message_id: int,
) -> None:
    """Keep one more file of a Media step (committed), and say how many there are."""
    if len(_files(draft, step.key)) >= step.max_files:
        await show_step(
            update,
            context,
            flow,
            draft,
            error=context.text("user-wizard-too-many-files", limit=step.max_files),
        )
        return
    answers = _with_file(draft.answers, step.key, file)
    draft = await context.store.save_draft(replace(draft, answers=answers, last_message_id=message_id))
    await show_step(update, context, flow, draft)


def _read(step: Step, message: Message, context: BotContext) -> Any:
    """The typed (or shared) answer to `step`, parsed; raises Invalid with a content key."""
    if isinstance(step, Phone) and message.contact is not None:
        contact = message.contact
        return step.parse(validate.own_contact(contact.phone_number, contact.user_id, message.from_user.id))
    if isinstance(step, Post):
        return _read_post(message)
    if isinstance(step, Choice | Confirm):
        raise Invalid("user-wizard-use-buttons")
    if isinstance(step, Media):
        raise Invalid("user-wizard-send-files")
    if message.text is None:
        raise Invalid(
            "user-wizard-expect-voice" if isinstance(step, Text) and step.media else "user-wizard-expect-text"
        )
    text = message.text.strip()
    if isinstance(step, Text) and len(text) > step.max_length:
        raise Invalid("user-wizard-too-long", limit=step.max_length)
    if not text:
        raise Invalid("user-wizard-expect-text")
    return step.parse(text)
