"""Remove phone numbers, e-mail addresses and likely person names before a question is stored."""

from __future__ import annotations

import re

from bot.search.normalize import (
    colloquial_id,
    countries,
    lexicon,
    root_words,
    slang_id,
    stem_id,
    stopwords,
    tokenize,
)

PHONE, EMAIL, NAME = "[telepon]", "[email]", "[nama]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w.,])\+?\(?\d[\d\s().-]{5,}\d(?![\w])")
_MONEY = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
_RP_BEFORE = re.compile(r"(?:rp\.?|idr|nt\$?|hk\$|rm|sgd?\$?|usd?\$?)\s*$", re.IGNORECASE)
_WORD = re.compile(r"\[(?:telepon|email|nama)\]|[^\W_]+(?:['’][^\W_]+)?|\S")

# fmt: off
# Cues after which the next word(s) are a name when they look like one.
_NAME_CUES = ("nama saya", "nama aku", "nama ku", "namaku", "namanya", "bernama", "nama anak saya",
              "my name is", "my name s", "named")
_KIN_ID = frozenset({"anak", "suami", "istri", "adik", "kakak", "ibu", "bapak", "ayah", "mama",
                     "papa", "emak", "keponakan", "ponakan", "sepupu", "teman", "temen", "majikan",
                     "agen", "menantu", "cucu"})
_KIN_EN = frozenset({"son", "daughter", "husband", "wife", "sister", "brother", "mother", "father",
                     "mom", "dad", "friend", "employer", "cousin", "niece", "nephew", "child"})
_OWNERS_ID = frozenset({"saya", "aku", "kami", "gue", "gw"})
# fmt: on
_MAX_NAME_WORDS = 3


def _redact_numbers(text: str) -> str:
    def phone(m: re.Match[str]) -> str:
        raw = m[0]
        digits = sum(ch.isdigit() for ch in raw)
        if not 7 <= digits <= 15 or _MONEY.match(raw.strip()) or _RP_BEFORE.search(text[: m.start()]):
            return raw
        return f" {PHONE} "

    return _PHONE.sub(phone, _EMAIL.sub(f" {EMAIL} ", text))


def _is_common(word: str) -> bool:
    """A known Indonesian word (root, derived, slang) or a country: not taken for a name."""
    low = word.lower()
    return (
        low in countries()
        or low in root_words()
        or low in slang_id()
        or low in lexicon("id")
        or stem_id(colloquial_id(low)) in root_words()
    )


def _looks_like_name(word: str, mode: str) -> bool:
    """After an explicit cue any word; after kin words capitalised or (Indonesian) unknown words."""
    if not word.isalpha() or word.lower() in stopwords("id") or word.lower() in stopwords("en"):
        return False
    if mode == "explicit" or (word[0].isupper() and word.lower() not in countries()):
        return True
    return mode == "kin_id" and not _is_common(word)


_CUE_PARTS = tuple(tuple(cue.split()) for cue in _NAME_CUES)
_CUE_ENDS = frozenset(parts[-1] for parts in _CUE_PARTS)


def _cue(low: list[str], i: int) -> str | None:
    """The kind of name cue ending just before position i: explicit, kin_id, kin_en or None."""
    before = low[i - 1] if i >= 1 else ""
    if before in _CUE_ENDS:
        for parts in _CUE_PARTS:
            if tuple(low[max(0, i - len(parts)) : i]) == parts:
                return "explicit"
    if before.endswith("ku") and before[:-2] in _KIN_ID:
        return "kin_id"
    if i >= 2 and low[i - 2] in _KIN_ID and before in _OWNERS_ID:
        return "kin_id"
    if i >= 2 and low[i - 2] in ("my", "our") and before in _KIN_EN:  # "my son John"
        return "kin_en"
    return None


def _redact_names(text: str) -> list[str]:
    words = _WORD.findall(text)
    low = [w.lower() for w in words]
    out: list[str] = []
    i = 0
    while i < len(words):
        cue = _cue(low, i)
        taken = 0
        while cue and taken < _MAX_NAME_WORDS and i + taken < len(words):
            mode = cue if taken == 0 or cue != "explicit" else "kin_id"
            if not _looks_like_name(words[i + taken], mode):
                break
            taken += 1
        if taken:
            out.append(NAME)
            i += taken
        else:
            out.append(words[i])
            i += 1
    return out


def redact(text: str) -> str:
    """Normalised text (lowercase words) with phones, e-mails and likely names replaced."""
    words = _redact_names(_redact_numbers(text))
    return " ".join(tokenize(" ".join(words)))
