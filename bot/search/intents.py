"""Intents: a message asking the bot to do something (open the report form, show a case, switch
language...) rather than asking a question. Phrases are data (data/intents.tsv); this module never
answers, it only names the intent (and a case reference when one is typed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from bot.search.normalize import DATA_DIR, tokenize

# The contract's reference (LP-XXXXXX), also typed as "lp abc234", "LPABC234" or lower case.
_REFERENCE = re.compile(r"\bLP[-\s]?([2-9A-HJ-NP-Z]{6})\b", re.IGNORECASE)
# Six reference characters alone: taken as a reference when typed in capitals or holding a digit
# (so an ordinary six-letter word in lower case, "malang", stays a word).
_BARE = re.compile(r"(?<![\w-])([2-9A-HJ-NP-Z]{6})(?![\w-])", re.IGNORECASE)
MAX_WORDS = 12  # a reference inside a long story is still a story: the FAQ and staff read it


@dataclass(frozen=True)
class Intent:
    name: str  # report | status | menu | language-en | language-id | mydata | staff
    reference: str | None = None  # "LP-XXXXXX" when a case reference was typed


@dataclass(frozen=True)
class _Phrases:
    by_words: dict[tuple[str, ...], str]
    fillers: frozenset[str]


@cache
def _phrases() -> _Phrases:
    by_words: dict[tuple[str, ...], str] = {}
    fillers: set[str] = set()
    phrases: list[tuple[str, list[str]]] = []
    for line in (DATA_DIR / "intents.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, phrase = line.partition("\t")
        if name == "filler":
            fillers.add(phrase.strip())
        else:
            phrases.append((name, phrase.split()))
    for name, words in phrases:  # fillers go from phrases as from messages: "talk to a person"
        by_words.setdefault(tuple(w for w in words if w not in fillers) or tuple(words), name)
    return _Phrases(by_words, frozenset(fillers))


def _words(text: str) -> tuple[str, ...]:
    fillers = _phrases().fillers
    return tuple(t for t in tokenize(text) if t not in fillers)


def _reference(text: str) -> tuple[str | None, str, bool]:
    """The case reference in `text` (normalised to LP-XXXXXX), the text without it, and whether it
    was typed with its "LP" prefix."""
    found = _REFERENCE.search(text)
    prefixed = found is not None
    if found is None:
        found = next(
            (m for m in _BARE.finditer(text) if m[1].isupper() or any(c.isdigit() for c in m[1])), None
        )
    if found is None:
        return None, text, False
    return f"LP-{found[1].upper()}", text[: found.start()] + " " + text[found.end() :], prefixed


def detect_intent(text: str, original: str | None = None) -> Intent | None:
    """The intent a whole (short) message expresses, or None when it is a question or a story.
    `text` is the message to read (small talk already taken off); `original`, when given, is the
    message as typed, where a case reference is looked for (capitals tell a bare one from a word)."""
    if len(tokenize(text)) > MAX_WORDS:
        return None
    reference, _, prefixed = _reference(original if original is not None else text)
    words = _words(text)
    if reference is not None:  # "LP-..." anywhere in a short message; six bare characters with status words
        code = reference[3:]
        typed = {"lp", *tokenize(code), *tokenize(f"LP{code}")}  # "HWYTY2" reads "hwyty hwyty"
        words = tuple(w for w in words if w not in typed)
        status_words = {w for key, name in _phrases().by_words.items() if name == "status" for w in key}
        return Intent("status", reference) if prefixed or set(words) <= status_words else None
    name = _phrases().by_words.get(words)
    return Intent(name) if name else None
