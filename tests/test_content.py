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


# -- content round two (issue 21): new topics, review fixes, countries ---------------------------

ROUND_TWO = (
    "placement.wages",
    "placement.domestic_care",
    "placement.factory",
    "placement.plantation",
    "placement.ship_crew",
    "protection.pregnancy_dismissal",
    "family.death_abroad",
    "family.death_benefit",
)


def plain(content, lang, entry_id):
    from bot import telegram_html

    return telegram_html.parse(content.answer(lang, entry_id)).text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_round_two_topics_exist_with_sources_and_local_question_lines(content, lang):
    entries = [content.entry(lang, entry_id) for entry_id in ROUND_TWO]
    assert all(e and e.source and len(e.questions) >= 5 for e in entries)
    if lang == "id":  # Javanese or Sundanese lines, as people write them
        local = ("piye", "kudu", "nang", "kumaha", "abdi", "aku ", "iwak", "arep")
        assert all(any(w in q for q in e.questions for w in local) for e in entries)


@pytest.mark.parametrize(
    ("lang", "question", "expected"),
    [
        ("id", "upah minimum PRT hongkong tahun ini", "placement.wages"),
        ("id", "kerja di kapal nelayan taiwan, agennya resmi ga", "placement.ship_crew"),
        ("id", "majikan tahu sy mengandung terus sy diberhentikan", "protection.pregnancy_dismissal"),
        ("id", "adik saya wafat di malaysia, kami harus bagaimana", "family.death_abroad"),
        ("id", "klaim JKM untuk ahli waris pekerja migran", "family.death_benefit"),
        ("id", "pengen jadi buruh sawit di malaysia", "placement.plantation"),
        ("en", "what do caregivers in taiwan get paid", "placement.wages placement.domestic_care"),
        ("en", "I am pregnant and my boss dismissed me", "protection.pregnancy_dismissal"),
        ("en", "factory jobs overseas in malaysia", "placement.factory"),
    ],
)
def test_round_two_topics_are_found_for_new_phrasings(content, lang, question, expected):
    from bot.lifecycle import build_search

    assert build_search(content).search(question, lang).id in expected.split()  # both give the pay


@pytest.mark.parametrize("lang", LANGUAGES)
def test_review_fixes_hold(content, lang):
    age, embassy = plain(content, lang, "placement.age_limit"), plain(content, lang, "protection.embassy")
    assert "23" in age and "21–50" not in age  # Singapore domestic work: MOM's 23 to below 50
    assert "10" in plain(content, lang, "protection.repatriation")  # ten job types, not only carers
    assert "1955" in embassy  # Taiwan's labour line, not only the uncertain KDEI number
    assert "SIP" not in plain(content, lang, "placement.check_agency").split("\n")[2]  # no jargon first


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_medium_confidence_death_notice_is_attributed(content, lang):
    answers = [plain(content, lang, e) for e in content.entries[lang]]
    assert [a for a in answers if "3×24" in a and "SBMI" not in a] == []


def test_shipped_answers_stay_under_the_length_aim():
    assert [w for w in check_content().warnings if "answer is" in w] == []


def test_every_picker_offers_the_new_countries_and_not_in_list(content):
    wanted = {"KH", "MM", "TH", "LA", "PH", "MO", "BH", "JO", "DE", "NL", "GB", "ZZ"}
    assert wanted <= set(content.countries)
    assert all(content.countries[c].names[lang] for c in wanted for lang in LANGUAGES)


def test_asked_lines_teach_the_search_but_are_not_the_faq_s_own_question_lines(content, monkeypatch):
    from bot import lifecycle
    from bot.content import NONE_OF_THEM

    line = next(a for a in content.asked if a.id != NONE_OF_THEM)
    entry = content.entry(line.lang, line.id)
    assert line.question not in entry.questions  # editors and check-content see only their own
    none = next(a for a in content.asked if a.id == NONE_OF_THEM)
    assert none.question not in content.outside
    built = {}
    build = lambda docs, **kw: built.update(docs=list(docs), **kw)  # noqa: E731
    monkeypatch.setattr(lifecycle.SearchEngine, "build", build)
    lifecycle.build_search(content)
    taught = next(d for d in built["docs"] if (d.lang, d.id) == (line.lang, line.id))
    assert taught.questions[: len(entry.questions)] == entry.questions and line.question in taught.questions
    assert none.question in built["outside"] and set(content.outside) <= set(built["outside"])
