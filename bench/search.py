"""Measure FAQ search: lexical, semantic and fused side by side on every evaluation set.

Per set: confident-and-right (top-1), right among the shown candidates (top-3), confident-but-wrong,
out-of-scope rejected. Then p95 time per question, start-up time and resident memory at rest, each
in a fresh process: lexical only; fused with a warm vector cache; fused on a fresh machine (the
vectors shipped in bot/search/data only); fused with no stored vectors at all (the whole FAQ embedded).

Tuning signals (--cv): a 5-fold split of the FAQ's question lines, its own and the asked ones
(content/asked/; line i of an entry is in fold i mod 5 and is asked of an index built without its
fold), and the TUNING sets. --fit fits the ranking
(RANK) and the confidence model (CONFIDENCE) of bot.search.index on them and prints their constants.
The held-out sets only measure: their misses are never printed.

Run from the repository root: python bench/search.py [--cv [--fit]] [--show-misses]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import functools
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

import numpy as np
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import Content, load_content  # noqa: E402
from bot.search import SearchEngine, SearchResult, index, semantic, talk  # noqa: E402
from bot.search.redact import redact  # noqa: E402

EVAL = ROOT / "tests" / "eval"
# Sets that tune the search (their misses may be shown); faq-heldout.tsv and faq-heldout7.tsv only
# measure. The sets written for earlier rounds (probe, offtopic, heldout2-6) each measured a round,
# then tuned the next; since round 6 they are content/asked/: the search learns from them, and they
# tune as part of the CV split (each line asked of an index built without its fold).
TUNING = ("dev",)


@functools.cache
def _content(root: Path) -> Content:
    """The content as the bot loads it, once per run (docs, out-of-scope lines and ASKED share it)."""
    return load_content(root)


def load_docs(content: Path = ROOT / "content") -> list[SimpleNamespace]:
    """FAQ entries as the bot's search learns them (bot.content: their question lines, then the
    asked lines they answer, in the bot's order), as objects whose question lines a fold can change."""
    return [
        SimpleNamespace(
            lang=e.lang,
            id=e.id,
            title=e.title,
            questions=list(e.questions),
            keywords=list(e.keywords),
            answer=e.answer,
        )
        for e in _content(content).search_docs()
    ]


def load_outside(content: Path = ROOT / "content") -> list[str]:
    """The out-of-scope examples of content/outside.yaml, then the asked lines no entry answers."""
    return list(_content(content).search_outside())


ASKED = frozenset(line.question for line in _content(ROOT / "content").asked)  # other people's lines


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


MODEL_ANSWER_AT, MODEL_LEAD, MODEL_SUGGEST_AT = 0.88, 0.015, 0.84  # the model alone: the old gate's cuts


def semantic_only(engine: SearchEngine, question: str, lang: str) -> SearchResult:
    """The model alone (intents and small talk still first), with the earlier gate's thresholds."""
    lexical = engine.search(question, lang, semantic=False)
    if lexical.kind in ("smalltalk", "intent") or engine.semantic is None:
        return lexical
    model = engine.semantic.scores(question)
    (pick, best), (_, second) = itertools.islice(model.items(), 2)
    if best >= MODEL_ANSWER_AT and best - second >= MODEL_LEAD:
        kind = "answer"
    else:
        kind = (
            "suggest" if best >= MODEL_SUGGEST_AT else "none"
        )  # the model alone has no reliable out-of-scope cut
    shown = tuple(index.Candidate(i, round(v, 3)) for i, v in itertools.islice(model.items(), 3))
    return SearchResult(kind, pick if kind == "answer" else None, best, shown, None, None, "")


def evaluate(ask, rows: list[tuple[str, str, str]]) -> Figures:
    """Ask every question (small-talk lines are left out) and score the results."""
    return figures([(lang, e, q, ask(q, lang)) for lang, e, q in rows if e != "smalltalk"])


def figures(results: list[tuple[str, str, str, SearchResult]]) -> Figures:
    """Top-1 = confident answer with the right id; top-3 = right id among shown candidates;
    wrong = a confident answer with another id; rejected = an out-of-scope line not answered."""
    top1 = top3 = wrong = rejected = n_topic = n_none = 0
    misses = []
    for lang, expected, question, r in results:
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


FOLDS = 5


def folds(docs: list[SimpleNamespace], outside: list[str], k: int = FOLDS):
    """(docs without fold f's question lines, out-of-scope examples without fold f's, and
    [(lang, id, line) of fold f]: its question lines, and its examples as "none") for each fold f."""
    for fold in range(k):
        kept, asked = [], []
        for doc in docs:
            kept.append(copy.copy(doc))
            kept[-1].questions = [q for i, q in enumerate(doc.questions) if i % k != fold]
            asked += [(doc.lang, doc.id, str(q)) for i, q in enumerate(doc.questions) if i % k == fold]
        asked += [("id", "none", q) for i, q in enumerate(outside) if i % k == fold]
        yield kept, [q for i, q in enumerate(outside) if i % k != fold], asked


def fold_indexes(docs: list[SimpleNamespace]) -> list[tuple[SearchEngine, list[tuple[str, str, str]]]]:
    """Each fold's index, built without its lines, and those lines (built once: the CV figures and
    the fit's decisions both ask them)."""
    return [
        (SearchEngine.build(kept, semantic=True, outside=outside), asked)
        for kept, outside, asked in folds(docs, load_outside())
    ]


def cross_validate(built, modes) -> dict[tuple[str, str], Figures]:
    """Figures per part (the FAQ's own lines, the asked lines) and mode over every fold (built:
    fold_indexes): each line asked of an index built without its fold."""
    results: dict[tuple[str, str], list] = {}
    for engine, asked in built:
        for mode, make in modes.items():
            ask = make(engine)
            for lang, e, q in asked:
                part = "asked lines" if q in ASKED else "FAQ lines"
                results.setdefault((part, mode), []).append((lang, e, q, ask(q, lang)))
    return {key: figures(rows) for key, rows in sorted(results.items())}


@dataclass(frozen=True)
class Decision:
    """One tuning question: the lexical outcome, and the fusion's entry ids and feature rows (None
    where the search does not ask the model: intents, small talk)."""

    set: str
    expected: str
    lexical: SearchResult
    ids: tuple[str, ...] = ()
    features: np.ndarray | None = None


def decisions(built, engine: SearchEngine, tuning: dict[str, list[tuple[str, str, str]]]) -> list[Decision]:
    """Every CV line asked of its fold's index (built: fold_indexes), then the tuning sets asked of
    the full index (engine)."""
    out = []

    def collect(engine: SearchEngine, name: str, rows: list[tuple[str, str, str]]) -> None:
        for lang, expected, q in rows:
            lexical = engine.search(q, lang, semantic=False)
            rest = talk.detect_talk(redact(q[: index.RANKED_CHARS])).rest
            if expected == "smalltalk" or lexical.kind in ("smalltalk", "intent"):
                continue
            kind = "asked" if name == "cv" and q in ASKED else name  # FAQ lines and asked lines
            if not rest.strip():
                out.append(Decision(kind, expected, lexical))
                continue
            ids, features = engine.features(rest, engine._lexical(rest, lang))
            out.append(Decision(kind, expected, lexical, tuple(ids), features))

    for fold_engine, asked in built:
        collect(fold_engine, "cv", asked)
    for name, rows in tuning.items():
        collect(engine, name, rows)
    return out


def _weights(rows: list[Decision]) -> np.ndarray:
    """Per row: the FAQ's own lines weigh as much as the asked lines and the tuning sets together
    (other people's wording: closer to users)."""
    is_cv = np.array([r.set == "cv" for r in rows])
    return np.where(is_cv, 1.0 / max(1, is_cv.sum()), 1.0 / max(1, (~is_cv).sum())) * len(rows) / 2


def fit_rank(rows: list[Decision], l2: float = 1.0) -> tuple[float, ...]:
    """RANK: a conditional logit (softmax over entries) of the right entry on the feature rows,
    by Newton's method with a little L2, on standardised features."""
    rows = [r for r in rows if r.features is not None and r.expected in r.ids]
    x = np.stack([r.features for r in rows])  # questions x entries x features
    y = np.array([r.ids.index(r.expected) for r in rows])
    weight = _weights(rows)
    mean, scale = x.reshape(-1, x.shape[2]).mean(axis=0), x.reshape(-1, x.shape[2]).std(axis=0) + 1e-9
    z = (x - mean) / scale
    rows_ = np.arange(len(y))

    def loss(w: np.ndarray) -> float:
        s = z @ w
        top = s.max(axis=1)
        return float(
            weight @ (top + np.log(np.exp(s - top[:, None]).sum(axis=1)) - s[rows_, y]) + l2 * w @ w / 2
        )

    w = np.zeros(x.shape[2])
    for _ in range(30):
        s = z @ w
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        expected = np.einsum("nk,nkd->nd", p, z)
        gradient = weight @ (expected - z[rows_, y]) + l2 * w
        second = np.einsum("n,nk,nkd,nke->de", weight, p, z, z)
        second -= np.einsum("n,nd,ne->de", weight, expected, expected)
        step = np.linalg.solve(second + l2 * np.eye(len(w)), gradient)
        while loss(w - step) > loss(w) and np.abs(step).max() > 1e-9:  # a full Newton step can overshoot
            step /= 2
        w -= step
    return tuple(map(float, w / scale))  # raw units: the shift by the mean cancels in the softmax


def evidence(rows: list[Decision], rank: tuple[float, ...]) -> list[tuple[Decision, tuple[str, ...], tuple]]:
    """(row, its ranked ids, the evidence for the pick) for every row the model decides."""
    out = []
    for r in rows:
        if r.features is not None:
            candidates, ev = index.rank(list(r.ids), r.features, rank)
            out.append((r, tuple(c.id for c in candidates), dataclasses.astuple(ev)))
    return out


def fit_confidence(rows: list[tuple[Decision, tuple[str, ...], tuple]], l2: float = 1.0) -> tuple[float, ...]:
    """CONFIDENCE: logistic regression (Newton's method, a little L2) of "the pick is right" on
    the evidence; out-of-scope lines count as wrong picks."""
    x = np.array([ev for _, _, ev in rows], dtype=float)
    y = np.array([ranked[0] == r.expected for r, ranked, _ in rows], dtype=float)
    weight = _weights([r for r, _, _ in rows])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.c_[np.ones(len(x)), (x - mean) / scale]
    w = np.zeros(z.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ w))
        gradient = z.T @ (weight * (p - y)) + l2 * np.r_[0, w[1:]]
        hessian = z.T @ (z * (weight * p * (1 - p))[:, None]) + l2 * np.diag(np.r_[0, np.ones(len(w) - 1)])
        w -= np.linalg.solve(hessian, gradient)
    weights = w[1:] / scale  # back to raw feature units
    return (float(w[0] - weights @ mean), *map(float, weights))


def sweep(rows: list[Decision], rank: tuple[float, ...], confidence: tuple[float, ...]) -> None:
    """Top-1 / top-3 / wrong / rejected per tuning set for a range of answer thresholds."""
    decided = {id(r): (ranked, ev) for r, ranked, ev in evidence(rows, rank)}
    for answer_p in (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9):
        line = []
        for name in dict.fromkeys(r.set for r in rows):
            results = []
            for r in (r for r in rows if r.set == name):
                if id(r) not in decided:
                    results.append(("", r.expected, "", r.lexical))
                    continue
                ranked, ev = decided[id(r)]
                p = 1 / (1 + np.exp(-(confidence[0] + np.dot(confidence[1:], ev))))
                kind = "answer" if p >= answer_p else "suggest" if p >= index.SUGGEST_P else "none"
                shown = tuple(index.Candidate(i, 0.0) for i in ranked)
                answer = ranked[0] if kind == "answer" else None
                lexical = dataclasses.replace(r.lexical, kind=kind, id=answer, candidates=shown)
                results.append(("", r.expected, "", lexical))
            f = figures(results)
            line.append(f"{name} {f.top1:5.1f} {f.top3:5.1f} {f.wrong:4.1f} {f.none_rejected:5.1f}")
        print(f"  answer at {answer_p:.2f}: " + " | ".join(line))


_PROBE = """
import json, sys, time
t = time.perf_counter()
sys.path.insert(0, {root!r}); sys.path.insert(0, {root!r} + "/bench")
from search import load_docs, load_outside
from bot.search import SearchEngine, semantic
if {no_vectors}:
    semantic.VECTORS = semantic.VECTORS.with_name("absent.npz")
engine = SearchEngine.build(load_docs(), semantic={semantic}, outside=load_outside())
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


def _p95(ask, questions: list[tuple[str, str]], rounds: int = 3) -> tuple[float, float]:
    """p95 wall-clock and p95 CPU ms per question (CPU time does not count waiting for a core,
    which on a shared 2-core machine can triple the wall-clock figure), the median of `rounds`
    passes: this machine has slow spells (one pass read 40 ms where the next read 28)."""
    passes = []
    for _ in range(rounds):
        wall, cpu = [], []
        for lang, q in questions:
            t, c = time.perf_counter(), time.thread_time()
            ask(q, lang)
            wall.append(1000 * (time.perf_counter() - t))
            cpu.append(1000 * (time.thread_time() - c))
        passes.append((statistics.quantiles(wall, n=20)[18], statistics.quantiles(cpu, n=20)[18]))
    return statistics.median(w for w, _ in passes), statistics.median(c for _, c in passes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--show-misses", action="store_true", help="misses of the fused search on tuning sets"
    )
    parser.add_argument("--cv", action="store_true", help="tuning figures only: the CV split and tuning sets")
    parser.add_argument("--fit", action="store_true", help="with --cv: fit the confidence model, print it")
    parser.add_argument(
        "--write-vectors",
        action="store_true",
        help="re-embed the FAQ into the shipped vector file, then exit",
    )
    args = parser.parse_args()
    docs = load_docs()
    if args.write_vectors:
        count = semantic.write_vectors(docs, load_outside())
        print(f"{count} FAQ texts embedded into {semantic.VECTORS.relative_to(ROOT)}")
        return
    start = time.perf_counter()
    engine = SearchEngine.build(docs, semantic=True, outside=load_outside())
    build_ms = 1000 * (time.perf_counter() - start)
    print(
        f"entries: {sum(d.lang == 'id' for d in docs)} id, {sum(d.lang == 'en' for d in docs)} en, "
        f"{sum(len(d.questions) for d in docs)} question lines; build incl. model {build_ms:.0f} ms; "
        f"semantic layer: {'on' if engine.semantic else 'OFF (model not available)'}"
    )
    modes = {
        "lexical": lambda e: lambda q, lang: e.search(q, lang, semantic=False),
        "semantic": lambda e: lambda q, lang: semantic_only(e, q, lang),
        "fused": lambda e: e.search,
    }
    tuning = {name: load_eval(f"faq-{name}.tsv") for name in TUNING}
    print("targets (unseen): top-1 >= 92 (aim 95), top-3 >= 99, wrong <= 3, rejected >= 90; p95 <= 30 ms")
    print(f"{'set':26} {'mode':9} {'top-1':>6} {'top-3':>6} {'wrong':>6} {'rejected':>9}")

    def show(name: str, f: Figures, mode: str, misses: bool) -> None:
        print(
            f"{name:26} {mode:9} {f.top1:6.1f} {f.top3:6.1f} {f.wrong:6.1f} {f.none_rejected:9.1f}"
            f"   (n={f.n_topic} topics, {f.n_none} none)"
        )
        if misses and args.show_misses and mode == "fused":
            print("\n".join("   " + m for m in f.misses))

    built = fold_indexes(docs) if args.cv else []
    if args.cv:
        for (part, mode), f in cross_validate(built, modes).items():
            show(f"CV {FOLDS}-fold {part}", f, mode, True)
    sets = {f"faq-{name}.tsv (tuning)": rows for name, rows in tuning.items()}
    if not args.cv:  # the held-out sets measure: figures only, never their misses
        dev, heldout = tuning["dev"], load_eval("faq-heldout.tsv")
        near = _near_dev(heldout, dev)
        sets |= {
            "faq-heldout.tsv": heldout,
            f"heldout minus {len(near)} ~dev": [r for r in heldout if r[2] not in near],
            "faq-heldout7.tsv": load_eval("faq-heldout7.tsv"),
        }
    for name, rows in sets.items():
        for mode, make in modes.items():
            show(name, evaluate(make(engine), rows), mode, name.endswith("(tuning)"))
    if args.cv and args.fit:
        rows = decisions(built, engine, tuning)
        rank = fit_rank(rows)
        confidence = fit_confidence(evidence(rows, rank))
        print("RANK = (" + ", ".join(f"{w:.3f}" for w in rank) + ")  # fitted")
        print(
            "CONFIDENCE = (" + ", ".join(f"{w:.3f}" for w in confidence) + ")  # fitted; tiers it would give:"
        )
        sweep(rows, rank, confidence)
    if args.cv:
        return
    questions = [(lang, q) for name, rows in sets.items() if "minus" not in name for lang, _, q in rows]
    print(f"p95 ms per question, wall / CPU (load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores):")
    for mode, make in modes.items():
        wall, cpu = _p95(make(engine), questions)
        print(f"  {mode:9} {wall:6.1f} / {cpu:5.1f}")
    lexical = _process_figures(False)
    warm = _process_figures(True)
    with tempfile.TemporaryDirectory() as empty:
        cold = _process_figures(True, empty)
    with tempfile.TemporaryDirectory() as empty:
        bare = _process_figures(True, empty, no_vectors=True)
    runs = {
        "lexical": lexical,
        "fused, warm cache": warm,
        "fused, fresh machine": cold,
        "fused, no vectors": bare,
    }
    for name, p in runs.items():
        print(
            f"fresh process, {name:20}: start-up {p['startup']:5.2f} s, RSS at rest {p['rss']:5.0f} MB"
            f"{'' if p['semantic'] == (name != 'lexical') else '  (model not loaded)'}"
        )
    print("targets: start-up <= 3 s, RSS <= 150 MB")


if __name__ == "__main__":
    main()
