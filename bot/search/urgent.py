"""Danger words (violence, rape, trafficking, confinement, escape, suicide), id and en."""

from __future__ import annotations

import re
from functools import cache

from bot.search.normalize import lexicon, tokenize

# Patterns run on normalised tokens joined by single spaces ("ga" -> "tidak", "pengen" -> "ingin").
_ID = (
    # violence: dipukul, dipukulin, memukul, mukulin, disiksa, ditampar, ...
    r"\b(?:di|ke)(?:pukul|siksa|aniaya|tampar|tendang|cekik|setrum|sundut|jambak|gebuk|"
    r"hajar|injak|bacok|tusuk|sabet|pecut|cambuk|sekap|kurung|perkosa|cabul|gerayang|raba)"
    r"(?:in|i|kan|nya)?\b",
    r"\b(?:memukul|mukul|mukulin|menyiksa|nyiksa|menganiaya|penganiayaan|penyiksaan|kekerasan|"
    r"menampar|nampar|menendang|nendang|mencekik|nyekik|menyekap|mengurung|ngurung)\b",
    # sexual violence
    r"\b(?:memperkosa|pemerkosaan|perkosaan|rudapaksa|dirudapaksa|pencabulan|dicabuli|disetubuhi)\b",
    r"\b(?:di)?leceh(?:kan|in|i)?\b|\bpelecehan\b|\bmelecehkan\b",
    r"\bdipaksa (?:berhubungan|tidur|melayani|berhubungan badan)\b",
    # confinement and escape
    r"\b(?:dikunci|dikonci)\b",
    r"\b(?:tidak|dilarang|nggak) (?:boleh|bisa|dikasih|diberi|diizinkan) (?:keluar|pulang|kabur)\b",
    r"\bdilarang (?:keluar|pulang)\b",
    r"\bkabur\b|\bmelarikan diri\b|\blari dari (?:majikan|rumah|agen|penampungan)\b",
    # trafficking and threats
    r"\btppo\b|\bperdagangan (?:orang|manusia)\b|\b(?:dijual|diperjualbelikan|dijualbelikan)\b",
    r"\b(?:diancam|mengancam|ngancam) (?:di)?bunuh\b|\bmau dibunuh\b|\bdibunuh\b",
    r"\btidak (?:dikasih|diberi) makan\b|\bkelaparan\b",
    # self-harm
    r"\bbunuh diri\b|\bgantung diri\b|\b(?:ingin|mau) mati\b|\b(?:meng)?akhiri hidup\b|"
    r"\bminum racun\b|\btidak kuat hidup\b|\bcapek hidup\b|\blelah hidup\b",
    # explicit calls for help
    r"\btolong (?:saya|aku|kami|kita)\b|\bsos\b",
)
_EN = (
    r"\b(?:hit|hits|hitting|beat|beats|beaten|beating|slap|slapped|slapping|kick|kicked|kicking|"
    r"punch|punched|punching|choke|choked|burned me|tortured?|torturing)\b",
    r"\b(?:abused?|abusing|abusive|assaulted|assault|violence|violent)\b",
    r"\b(?:rape|raped|raping|rapist|molested|molest|groped|harass(?:ed|ing|ment)?|sexually)\b",
    r"\block(?:ed|s)? (?:me|us|her|him) (?:in|up)\b|\blocked (?:in|up)\b",
    r"\b(?:can not|not allowed to|won t let me|will not let me) (?:leave|go out|go home)\b",
    r"\b(?:escape|escaped|run away|ran away|runaway)\b",
    r"\btrafficking\b|\b(?:sold me|being sold|was sold|were sold)\b",
    r"\b(?:kill|killing) (?:myself|me|her|him)\b|\bthreat(?:en|ened|ening)? to kill\b",
    r"\bsuicide\b|\bwant to die\b|\bend my life\b|\bno food\b|\bstarv(?:e|ed|ing)\b",
    r"\bplease help\b|\bhelp me please\b|\bsomebody help\b|\bsos\b",
)
_PATTERNS = {"id": re.compile("|".join(_ID)), "en": re.compile("|".join(_EN))}


@cache
def _words(lang: str) -> dict[str, str]:
    return {k: v for k, v in lexicon(lang).items() if " " not in k}


def _joined(text: str, lang: str) -> str:
    """Tokens with the project's chat spellings mapped ("ga" -> "tidak"), joined by spaces."""
    words = _words(lang)
    return " ".join(words.get(t, t) for t in tokenize(text))


def is_urgent(text: str) -> bool:
    """True when a message mentions danger, in either language (users mix them)."""
    return any(_PATTERNS[lang].search(_joined(text, lang)) for lang in _PATTERNS)
