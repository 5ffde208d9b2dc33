"""Steps as data. A flow is an ordered tuple of steps; nothing here imports `telegram`.

Every step names its prompt by content key. Text steps parse and validate their input (raising
`Invalid` with a content key); choice steps list their options; `when` skips a step that does not
apply to the answers so far.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import aiosqlite

from bot.content import Content
from bot.store import Store
from bot.store.drafts import Draft

Answers = Mapping[str, Any]
# What the engine (bot/handlers/wizard.py) passes to the hooks: a telegram.Update and the handlers'
# BotContext. Named here only, since this package never imports telegram.
Update = Any
BotContext = Any


class Finish(Protocol):
    """Writes the flow's result from its answers, inside the transaction that deletes the draft (so a
    double tap acts once); the flow module maps the answers to the store's typed fields."""

    async def __call__(self, db: aiosqlite.Connection, draft: Draft) -> Any: ...


class Prepare(Protocol):
    """Before a new draft starts: the first hidden answers (e.g. the user's registered workers), or
    raises Invalid(content key) to refuse (e.g. a daily limit reached)."""

    async def __call__(self, store: Store, user_id: int) -> dict[str, Any]: ...


class After(Protocol):
    """After the result is committed, before the user is told (e.g. a new case's card for staff)."""

    async def __call__(self, update: Update, context: BotContext, result: Any) -> None: ...


class PromptContext(Protocol):
    """Extra variables for every prompt, from the answers so far (e.g. a live recipient count)."""

    async def __call__(self, context: BotContext, answers: Answers) -> dict[str, Any]: ...


class Preview(Protocol):
    """Sends something before a summary, e.g. a broadcast exactly as recipients will see it."""

    async def __call__(self, update: Update, context: BotContext, draft: Draft) -> None: ...


class Invalid(ValueError):
    """A text answer that does not fit; `key` is the content message that says why."""

    def __init__(self, key: str, **context: Any) -> None:
        super().__init__(key)
        self.key = key
        self.context = context


@dataclass(frozen=True)
class Option:
    value: str  # short: it travels in callback data
    label: str


@dataclass(frozen=True)
class Step:
    key: str
    prompt: str  # content key of the question
    when: Callable[[Answers], bool] | None = None
    label: str = ""  # content key naming the answer in the summary ("" = not editable)

    def applies(self, answers: Answers) -> bool:
        return self.when is None or self.when(answers)


@dataclass(frozen=True)
class Choice(Step):
    """Buttons. `options` builds them from the content; `stop` values end the flow (e.g. no consent)."""

    options: Callable[[Content, str, Answers], Sequence[Option]] = lambda content, lang, answers: ()
    columns: int = 1
    stop: frozenset[str] = frozenset()
    more: Callable[[Content, str, Answers], Sequence[Option]] | None = None  # behind a "more" button


@dataclass(frozen=True)
class Text(Step):
    """Typed text, parsed by `parse` (which raises Invalid), at most `max_length` characters.

    `media` names file kinds accepted instead of text (e.g. a voice note): the file is kept with the
    answers and the answer reads as its icon."""

    parse: Callable[[str], Any] = str.strip
    max_length: int = 100
    media: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Media(Step):
    """Optional files (photos, documents...), several, then "done"."""

    kinds: frozenset[str] = frozenset({"photo", "document"})
    max_files: int = 10


@dataclass(frozen=True)
class Phone(Step):
    """A phone number: shared with Telegram's contact button or typed."""

    parse: Callable[[str], str] = str.strip


@dataclass(frozen=True)
class Post(Step):
    """A message as the staff member typed it: text with its formatting (kept as Telegram HTML), or a
    photo with a caption. The answer is {"html": ..., "photo": file_id or None}."""


@dataclass(frozen=True)
class Confirm(Step):
    """The summary: confirm, edit one answer, or cancel."""

    summary: str = ""  # content key of the summary template (receives `answers`)
    preview: Preview | None = None


@dataclass(frozen=True)
class Flow:
    name: str
    steps: tuple[Step, ...]
    finish: Finish
    done: str = ""  # content key shown after finishing (receives `result`)
    cancelled: str = "user-wizard-cancelled"
    prepare: Prepare | None = None
    after: After | None = None
    prompt_context: PromptContext | None = None

    def step(self, key: str) -> Step:
        return next(step for step in self.steps if step.key == key)

    def index(self, key: str) -> int:
        return next(i for i, step in enumerate(self.steps) if step.key == key)

    def next_step(self, key: str | None, answers: Answers) -> Step | None:
        """The first applicable step after `key` (or the first one when `key` is None)."""
        start = 0 if key is None else self.index(key) + 1
        return next((step for step in self.steps[start:] if step.applies(answers)), None)
