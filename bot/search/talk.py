"""Greetings, thanks and other small talk in Indonesian and English, checked before FAQ matching."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from bot.search.normalize import DATA_DIR, tokenize

# Most specific first: "halo, apa kabar" is "howareyou", "makasih, bye" is "thanks".
PRIORITY = ("howareyou", "who", "thanks", "bye", "greeting", "laugh", "ok")
_END_LABELS = frozenset({"thanks", "bye", "laugh"})  # only these are stripped from a message's end
_LAUGH = re.compile(r"^(?:w?k?wk(?:wk)*w?|(?:ha){2,}h?|(?:he){2,}h?|(?:hi){2,}|(?:xi){2,})$")
_DOUBLE = re.compile(r"([a-z])\1+")


@dataclass(frozen=True)
class Talk:
    """Small talk found at the edges of a message, and what is left to search."""

    label: str | None
    rest: str
    only_talk: bool


@dataclass(frozen=True)
class _Phrases:
    by_words: dict[tuple[str, ...], str]
    fillers: frozenset[str]
    words: frozenset[str]
    longest: int


@cache
def _phrases() -> _Phrases:
    """Phrases from data/talk.tsv keyed by their word tuple."""
    by_words: dict[tuple[str, ...], str] = {}
    fillers: set[str] = set()
    for line in (DATA_DIR / "talk.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, _, phrase = line.partition("\t")
        if label == "filler":
            fillers.add(phrase.strip())
        else:
            by_words.setdefault(tuple(phrase.split()), label)
    words = frozenset(w for key in by_words for w in key) | fillers
    return _Phrases(by_words, frozenset(fillers), words, max(map(len, by_words)))


def _talk_word(tok: str) -> str:
    """Squeeze doubled letters ("kakk", "makasihh") when that yields a small-talk word."""
    words = _phrases().words
    if tok in words:
        return tok
    squeezed = _DOUBLE.sub(r"\1", tok)
    return squeezed if squeezed in words else tok


def _label_at(tokens: list[str], from_end: bool) -> tuple[str, int] | None:
    """The longest talk phrase at the start (or end) of tokens, as (label, length)."""
    p = _phrases()
    for size in range(min(p.longest, len(tokens)), 0, -1):
        label = p.by_words.get(tuple(tokens[-size:] if from_end else tokens[:size]))
        if label and (not from_end or label in _END_LABELS):
            return label, size
    edge = tokens[-1] if from_end else tokens[0]
    return ("laugh", 1) if _LAUGH.match(edge) else None


def _strip(tokens: list[str], labels: list[str], from_end: bool) -> list[str]:
    """Remove talk phrases (and fillers once one is found) from one edge, collecting labels."""
    while tokens:
        edge = tokens[-1] if from_end else tokens[0]
        filler = bool(labels) and edge in _phrases().fillers
        found = None if filler else _label_at(tokens, from_end)
        if not (filler or found):
            return tokens
        if found:
            labels.append(found[0])
        size = found[1] if found else 1
        tokens = tokens[:-size] if from_end else tokens[size:]
    return tokens


def detect_talk(text: str) -> Talk:
    """Find greetings, thanks and other small talk at the start and end of a message."""
    labels: list[str] = []
    tokens = [_talk_word(t) for t in tokenize(text)]
    rest = _strip(_strip(tokens, labels, from_end=False), labels, from_end=True)
    if not labels:
        return Talk(None, text, False)
    return Talk(min(labels, key=PRIORITY.index), " ".join(rest), not rest)
