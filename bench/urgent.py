"""Measure the danger check: recall, self-harm labelling, false alarms and detection time,
the current detector side by side with the one before issue 17 (copied below as the baseline).

Sets: dev (shared), heldout (written before tuning), then probe, fresh, final and last: new lines
written after successive tuning rounds to see how the detector generalises. Each was scored once
before it was used for fixes; those first, unseen figures are in the commit log:
heldout 97.0/100/5.2, probe 81.4/72.7/10.4, fresh 76.6/57.1/4.1, final 77.5/87.5/3.8,
last 93.5/90.9/0.0 (recall / self-harm labelled / false alarms, %).

Run from the repository root: python bench/urgent.py [--show-misses]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.search.normalize import lexicon, tokenize  # noqa: E402
from bot.search.urgent import classify  # noqa: E402

EVAL = ROOT / "tests" / "eval"

# -- baseline: bot/search/urgent.py at e1cde2e (before issue 17), verbatim patterns ----------------

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
def _old_words(lang: str) -> dict[str, str]:
    return {k: v for k, v in lexicon(lang).items() if " " not in k}


def old_is_urgent(text: str) -> bool:
    """The old check: one yes/no, no self-harm label."""
    for lang in ("id", "en"):
        words = _old_words(lang)
        if _PATTERNS[lang].search(" ".join(words.get(t, t) for t in tokenize(text))):
            return True
    return False


def old_classify(text: str) -> str | None:
    return "danger" if old_is_urgent(text) else None


# -- measuring ---------------------------------------------------------------------------------


def lines(name: str) -> list[dict[str, str]]:
    with (EVAL / f"urgent-{name}.tsv").open(encoding="utf-8") as file:
        return list(csv.DictReader(file, delimiter="\t"))


def figures(detector: Callable[[str], str | None], rows: list[dict[str, str]]) -> tuple[float, float, float]:
    """(danger+self-harm recall, self-harm labelled self_harm, false alarms on none lines)."""
    got = [(row["label"], detector(row["text"])) for row in rows]
    urgent = [g for label, g in got if label != "none"]
    self_harm = [g for label, g in got if label == "self_harm"]
    none = [g for label, g in got if label == "none"]
    return (
        sum(g is not None for g in urgent) / len(urgent),
        sum(g == "self_harm" for g in self_harm) / len(self_harm),
        sum(g is not None for g in none) / len(none),
    )


def timings(detector: Callable[[str], str | None], texts: list[str], rounds: int) -> tuple[float, float]:
    """p50 and p99 in milliseconds over rounds x texts single calls."""
    samples = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            detector(text)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def best_of(detector: Callable[[str], str | None], text: str, runs: int) -> float:
    """The fastest of runs calls, in milliseconds: the cost without waiting for a core."""
    fastest = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        detector(text)
        fastest = min(fastest, time.perf_counter() - start)
    return fastest * 1000


def long_messages(rows: list[dict[str, str]]) -> list[str]:
    """4,096-character messages built from the eval lines, each ending in a different line."""
    texts = [row["text"] for row in rows]
    out = []
    for i, last in enumerate(texts[:40]):
        body = " ".join(texts[i + 1 :] + texts[: i + 1])
        out.append((body[: 4096 - len(last) - 1] + " " + last)[:4096])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    detectors = {"old (e1cde2e)": old_classify, "new": classify}
    print(f"{'set':<9} {'detector':<14} {'recall':>7} {'self_harm':>10} {'false alarms':>13}")
    for name in ("dev", "heldout", "probe", "fresh", "final", "last"):
        rows = lines(name)
        for label, detector in detectors.items():
            recall, labelled, false = figures(detector, rows)
            print(f"{name:<9} {label:<14} {recall:>7.1%} {labelled:>10.1%} {false:>13.1%}")
    rows = lines("dev") + lines("heldout") + lines("probe")
    classify("warm-up"), old_classify("warm-up")  # build the caches before timing
    short = [row["text"] for row in rows]
    long = long_messages(rows)
    load = os.getloadavg()[0]
    print(f"\n{'messages':<22} {'detector':<14} {'p50 ms':>8} {'p99 ms':>8} {'worst, best of 9':>17}")
    for kind, texts, rounds in (
        ("short (eval lines)", short, args.rounds),
        ("4,096 characters", long, args.rounds * 5),
    ):
        for label, detector in detectors.items():
            p50, p99 = timings(detector, texts, rounds)
            worst = max(best_of(detector, text, 9) for text in texts)
            print(f"{kind:<22} {label:<14} {p50:>8.3f} {p99:>8.3f} {worst:>17.3f}")
    print(f"(load average {load:.2f} on {os.cpu_count()} cores: p99 includes waiting for a core;")
    print(" 'worst, best of 9' is the slowest message's fastest run, what the detector itself costs)")
    if args.show_misses:
        for name in ("dev", "heldout", "probe", "fresh", "final", "last"):
            for row in lines(name):
                got = classify(row["text"])
                if (row["label"] == "none") != (got is None) or (
                    row["label"] == "self_harm" and got != "self_harm"
                ):
                    print(f"{name}\t{row['label']}\t{got}\t{row['text']}")


if __name__ == "__main__":
    main()
