"""Measure FAQ search: lexical, semantic and gated side by side on every evaluation set.

Per set: confident-and-right (top-1), right among the shown candidates (top-3), confident-but-wrong,
out-of-scope rejected. Then p95 time per question, start-up time and resident memory at rest, each
in a fresh process: lexical only; gated with a warm vector cache; gated on a fresh machine (the
vectors shipped in bot/search/data only); gated with no stored vectors at all (the whole FAQ embedded).

Run from the repository root: python bench/search.py [--show-misses]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import yaml
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.search import SearchEngine, SearchResult, index, semantic  # noqa: E402

EVAL = ROOT / "tests" / "eval"


def load_docs(content: Path = ROOT / "content") -> list[SimpleNamespace]:
    """FAQ entries from content/<lang>/faq/*.yaml, read directly (no validation)."""
    docs = []
    for path in sorted(content.glob("*/faq/*.yaml")):
        for entry in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("entries") or []:
            docs.append(
                SimpleNamespace(
                    lang=path.parent.parent.name,
                    id=entry["id"],
                    title=entry.get("title", ""),
                    questions=entry.get("questions") or [],
                    keywords=[str(k) for k in entry.get("keywords") or []],
                    answer=entry.get("answer", ""),
                )
            )
    return docs


def load_eval(name: str) -> list[tuple[str, str, str]]:
    """(lang, expected_id, question) rows of a TSV eval file; # lines and the header are skipped."""
    rows = []
    for line in (EVAL / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip() or line.startswith("lang\t"):
            continue
        lang, expected, question = line.split("\t", 2)
        rows.append((lang, expected, question))
    return rows


@dataclass(frozen=True)
class Figures:
    top1: float
    top3: float
    wrong: float
    none_rejected: float
    n_topic: int
    n_none: int
    misses: tuple[str, ...]


def semantic_only(engine: SearchEngine, question: str, lang: str) -> SearchResult:
    """The model alone (small talk still first), with the gate's own thresholds."""
    lexical = engine.search(question, lang, semantic=False)
    if lexical.kind == "smalltalk" or engine.semantic is None:
        return lexical
    model = engine.semantic.scores(question)
    (pick, best), (_, second) = itertools.islice(model.items(), 2)
    if best >= index.ALONE_AT and best - second >= index.MODEL_LEAD:
        kind = "answer"
    else:
        kind = "suggest" if best >= 0.84 else "none"  # the model alone has no reliable out-of-scope cut
    shown = tuple(index.Candidate(i, round(v, 3)) for i, v in itertools.islice(model.items(), 3))
    return SearchResult(kind, pick if kind == "answer" else None, best, shown, False, None, "")


def evaluate(ask, rows: list[tuple[str, str, str]]) -> Figures:
    """Top-1 = confident answer with the right id; top-3 = right id among shown candidates;
    wrong = a confident answer with another id; small-talk lines are left out."""
    top1 = top3 = wrong = rejected = n_topic = n_none = 0
    misses = []
    for lang, expected, question in rows:
        if expected == "smalltalk":
            continue
        r = ask(question, lang)
        ids = [c.id for c in r.candidates] if r.kind in ("answer", "suggest") else []
        if expected == "none":
            n_none += 1
            ok = r.id is None
            rejected += ok
        else:
            n_topic += 1
            ok = r.id == expected
            top1 += ok
            top3 += expected in ids
            wrong += r.id is not None and not ok
        if not ok:
            got = ", ".join(f"{c.id}:{c.score}" for c in r.candidates) or "-"
            misses.append(f"{lang} {expected:32} {r.kind:9} {question!r} -> {got}")
    pct = lambda a, b: 100.0 * a / b if b else float("nan")  # noqa: E731
    return Figures(
        pct(top1, n_topic),
        pct(top3, n_topic),
        pct(wrong, n_topic),
        pct(rejected, n_none),
        n_topic,
        n_none,
        tuple(misses),
    )


def _near_dev(rows: list[tuple[str, str, str]], dev: list[tuple[str, str, str]]) -> set[str]:
    """Held-out questions that are near-copies of a dev question (written independently)."""
    dev_questions = [q.lower() for _, _, q in dev]
    return {q for _, _, q in rows if process.extractOne(q.lower(), dev_questions, scorer=fuzz.ratio)[1] >= 85}


_PROBE = """
import json, sys, time
t = time.perf_counter()
sys.path.insert(0, {root!r}); sys.path.insert(0, {root!r} + "/bench")
from search import load_docs
from bot.search import SearchEngine, semantic
if {no_vectors}:
    semantic.VECTORS = semantic.VECTORS.with_name("absent.npz")
engine = SearchEngine.build(load_docs(), semantic={semantic})
startup = time.perf_counter() - t
for q in ("gaji belum dibayar", "mau kerja ke korea", "paspor ditahan agen", "hak pekerja migran"):
    engine.search(q, "id")
rss = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:")][0] / 1024
print(json.dumps({{"startup": startup, "rss": rss, "semantic": engine.semantic is not None}}))
"""


def _process_figures(semantic: bool, cache_home: str | None = None, no_vectors: bool = False) -> dict:
    """Start-up (imports, content, index, model) and RSS at rest, in a fresh Python process."""
    env = dict(os.environ, **({"XDG_CACHE_HOME": cache_home} if cache_home else {}))
    code = _PROBE.format(root=str(ROOT), semantic=semantic, no_vectors=no_vectors)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _p95(ask, questions: list[tuple[str, str]]) -> tuple[float, float]:
    """p95 wall-clock and p95 CPU ms per question (CPU time does not count waiting for a core,
    which on a shared 2-core machine can triple the wall-clock figure)."""
    wall, cpu = [], []
    for lang, q in questions:
        t, c = time.perf_counter(), time.thread_time()
        ask(q, lang)
        wall.append(1000 * (time.perf_counter() - t))
        cpu.append(1000 * (time.thread_time() - c))
    return statistics.quantiles(wall, n=20)[18], statistics.quantiles(cpu, n=20)[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show-misses", action="store_true", help="misses of the gated search")
    parser.add_argument(
        "--write-vectors",
        action="store_true",
        help="re-embed the FAQ into the shipped vector file, then exit",
    )
    args = parser.parse_args()
    docs = load_docs()
    if args.write_vectors:
        count = semantic.write_vectors(docs)
        print(f"{count} FAQ texts embedded into {semantic.VECTORS.relative_to(ROOT)}")
        return
    start = time.perf_counter()
    engine = SearchEngine.build(docs, semantic=True)
    build_ms = 1000 * (time.perf_counter() - start)
    print(
        f"entries: {sum(d.lang == 'id' for d in docs)} id, {sum(d.lang == 'en' for d in docs)} en; "
        f"build incl. model {build_ms:.0f} ms; semantic layer: "
        f"{'on' if engine.semantic else 'OFF (model not available)'}"
    )
    dev, heldout = load_eval("faq-dev.tsv"), load_eval("faq-heldout.tsv")
    near = _near_dev(heldout, dev)
    sets = {
        "faq-dev.tsv (tuning)": dev,
        "faq-probe.tsv (tuning)": load_eval("faq-probe.tsv"),
        "faq-heldout.tsv": heldout,
        f"heldout minus {len(near)} ~dev": [r for r in heldout if r[2] not in near],
        "faq-heldout2.tsv": load_eval("faq-heldout2.tsv"),
    }
    modes = {
        "lexical": lambda q, lang: engine.search(q, lang, semantic=False),
        "semantic": lambda q, lang: semantic_only(engine, q, lang),
        "gated": engine.search,
    }
    print("targets (unseen): top-1 >= 92 (aim 95), top-3 >= 99, wrong <= 3, rejected >= 90; p95 <= 30 ms")
    print(f"{'set':26} {'mode':9} {'top-1':>6} {'top-3':>6} {'wrong':>6} {'rejected':>9}")
    for name, rows in sets.items():
        for mode, ask in modes.items():
            f = evaluate(ask, rows)
            print(
                f"{name:26} {mode:9} {f.top1:6.1f} {f.top3:6.1f} {f.wrong:6.1f} {f.none_rejected:9.1f}"
                f"   (n={f.n_topic} topics, {f.n_none} none)"
            )
            if args.show_misses and mode == "gated" and "minus" not in name:
                print("\n".join("   " + m for m in f.misses))
    questions = [(lang, q) for lang, _, q in dev + heldout + load_eval("faq-heldout2.tsv")]
    print(f"p95 ms per question, wall / CPU (load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores):")
    for mode, ask in modes.items():
        wall, cpu = _p95(ask, questions)
        print(f"  {mode:9} {wall:6.1f} / {cpu:5.1f}")
    lexical = _process_figures(False)
    warm = _process_figures(True)
    with tempfile.TemporaryDirectory() as empty:
        cold = _process_figures(True, empty)
    with tempfile.TemporaryDirectory() as empty:
        bare = _process_figures(True, empty, no_vectors=True)
    runs = {
        "lexical": lexical,
        "gated, warm cache": warm,
        "gated, fresh machine": cold,
        "gated, no vectors": bare,
    }
    for name, p in runs.items():
        print(
            f"fresh process, {name:20}: start-up {p['startup']:5.2f} s, RSS at rest {p['rss']:5.0f} MB"
            f"{'' if p['semantic'] == (name != 'lexical') else '  (model not loaded)'}"
        )
    print("targets: start-up <= 3 s, RSS <= 150 MB")


if __name__ == "__main__":
    main()
