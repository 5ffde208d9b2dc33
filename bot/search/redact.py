"""Remove phone numbers, identity, passport, account and card numbers, e-mail addresses and likely
person names before a question is stored."""

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
NIK, PASSPORT, ACCOUNT, CARD = "[nik]", "[paspor]", "[rekening]", "[kartu]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER = re.compile(r"(?<![\w.,])\+?\(?\d[\d\s().-]{4,}\d(?![\w])")
# A passport number as printed: one or two letters and 6-8 digits ("C1234567", "AB1234567").
_PASSPORT = re.compile(r"(?<![\w.,])([A-Za-z]{1,2})\d{6,8}(?![\w])")
_MONEY = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
_RP_BEFORE = re.compile(r"(?:rp\.?|idr|nt\$?|hk\$|rm|sgd?\$?|usd?\$?)\s*$", re.IGNORECASE)
_CURRENCIES = frozenset({"rp", "nt", "hk", "rm", "sg", "us"})
_WORD = re.compile(r"\[(?:telepon|email|nama|nik|paspor|rekening|kartu)\]|[^\W_]+(?:['’][^\W_]+)?|\S")
_CUE_WORDS = re.compile(r"[^\W_]+")

# fmt: off
# Words just before a number that say what it is (the nearest of the last four words counts).
_NUMBER_CUES = {
    **dict.fromkeys(("nik", "ktp", "ektp", "kk", "identitas"), NIK),
    **dict.fromkeys(("paspor", "pasport", "passport", "pasp"), PASSPORT),
    **dict.fromkeys(("rekening", "rek", "norek", "account", "acc", "bank", "bri", "bni", "bca",
                     "mandiri", "bsi", "btn", "cimb", "danamon", "permata"), ACCOUNT),
    **dict.fromkeys(("kartu", "card", "atm", "debit", "kredit", "credit", "cc"), CARD),
}
# The first two digits of a NIK: the province codes.
_PROVINCES = frozenset({*range(11, 20), 21, *range(31, 37), 51, 52, 53, *range(61, 66),
                        *range(71, 77), 81, 82, *range(91, 97)})
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


def _number_cue(before: str) -> str | None:
    """What the words just before a number say it is: NIK, PASSPORT, ACCOUNT, CARD or None."""
    for word in reversed(_CUE_WORDS.findall(before.lower())[-4:]):
        if word in _NUMBER_CUES:
            return _NUMBER_CUES[word]
    return None


def _luhn(digits: str) -> bool:
    """The check digit of payment card numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _kind(digits: str, cue: str | None) -> str | None:
    """The placeholder for a number (None: keep it, e.g. a year or an amount)."""
    if cue and len(digits) >= 6:
        return cue
    if 7 <= len(digits) <= 15:
        return PHONE
    if len(digits) == 16 and int(digits[:2]) in _PROVINCES:
        return NIK
    if 13 <= len(digits) <= 19 and _luhn(digits):
        return CARD
    return ACCOUNT if len(digits) > 15 else None


def _redact_numbers(text: str) -> str:
    def number(m: re.Match[str]) -> str:
        raw, before = m[0], text[: m.start()]
        if _MONEY.match(raw.strip()) or _RP_BEFORE.search(before):
            return raw
        kind = _kind("".join(ch for ch in raw if ch.isdigit()), _number_cue(before))
        return f" {kind} " if kind else raw

    def passport(m: re.Match[str]) -> str:
        return m[0] if m[1].lower() in _CURRENCIES else f" {PASSPORT} "

    text = _EMAIL.sub(f" {EMAIL} ", text)
    text = _PASSPORT.sub(passport, text)
    return _NUMBER.sub(number, text)


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
    """Normalised text (lowercase words) with phone, identity, passport, account and card numbers,
    e-mails and likely names replaced."""
    words = _redact_names(_redact_numbers(text))
    return " ".join(tokenize(" ".join(words)))
