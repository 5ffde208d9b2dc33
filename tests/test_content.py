"""Registry coverage: every content key the code can ask for exists, in every language."""

import re
from pathlib import Path

import pytest

from bot.content import LANGUAGES
from bot.content_check import check_content
from bot.handlers import FLOWS, USER_COMMANDS
from bot.handlers.reports import CATEGORIES
from bot.search.talk import PRIORITY as TALK_LABELS
from bot.store.cases import OPEN_STATUSES
from bot.wizard import Choice

BOT = Path(__file__).resolve().parent.parent / "bot"


def flow_keys():
    for flow in FLOWS:
        yield from (flow.done, flow.cancelled, f"user-flow-{flow.name}")
        for step in flow.steps:
            yield from filter(None, (step.prompt, step.label, getattr(step, "summary", "")))
            if isinstance(step, Choice):
                yield from (f"user-{flow.name}-{step.key}-{value}" for value in step.stop)


def dynamic_keys():
    yield from flow_keys()
    yield from (f"user-command-{name}" for name in USER_COMMANDS)
    yield from (f"user-talk-{label}" for label in TALK_LABELS)
    yield from (f"user-category-{c}" for c in (*CATEGORIES, "question"))
    for status in (*OPEN_STATUSES, "resolved"):
        yield from (f"user-status-{status}", f"user-status-meaning-{status}")


def literal_keys():
    for path in BOT.rglob("*.py"):
        yield from re.findall(r'"((?:user|staff|error)-[a-z0-9_-]+[a-z0-9])"', path.read_text())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_the_code_uses_exists(content, lang):
    known = content.message_sources[lang]
    prefixes = {key for key in literal_keys() if any(k.startswith(key + "-") for k in known)}
    wanted = {*literal_keys(), *dynamic_keys()} - prefixes
    assert sorted(key for key in wanted if key not in known) == []


def test_the_shipped_content_passes_check_content():
    report = check_content()
    assert report.errors == []
