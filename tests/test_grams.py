"""The word-piece model (bot.search.grams): pieces of words, and a linear model that learns which
entry a misspelt or shortened question looks like."""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import pytest

from bot.search import grams
from bot.search.grams import GramModel, pieces

DOCS = [
    SimpleNamespace(id="wages", title="Gaji tidak dibayar", questions=["gaji saya belum dibayar majikan"]),
    SimpleNamespace(id="passport", title="Paspor ditahan", questions=["paspor saya ditahan agen"]),
    SimpleNamespace(id="wages", title="Unpaid wages", questions=["my salary was not paid"]),
]
IDS = ["wages", "passport"]


@pytest.fixture(scope="module")
def model():
    return GramModel.fit(DOCS, ["resep kue bolu", "jadwal bola malam ini"], IDS)


def test_a_word_gives_its_pieces_of_three_to_five_letters():
    assert set(pieces("Gaji!")) == {" ga", "gaj", "aji", "ji ", " gaj", "gaji", "aji ", " gaji", "gaji "}
    assert pieces("ke ke")[" ke "] == 4 and pieces("") == {}  # a short word counts whole per size


@pytest.mark.parametrize(
    ("question", "best"),
    [
        ("gajih sy blm dibyar", 0),  # misspelt and shortened: the whole words match nothing
        ("pasport sy ditahn", 1),
        ("salarynya not payed", 0),  # English lines of the same entry count for it
        ("resep kue lapis", 2),  # like an out-of-scope example: the last score
    ],
)
def test_the_model_scores_the_entry_whose_lines_share_the_pieces(model, question, best):
    scores = model.scores(question)
    assert scores.shape == (3,) and int(np.argmax(scores)) == best


def test_a_question_of_unknown_pieces_scores_nothing(model):
    assert not model.scores("xyzq 123456789").any() and not model.scores("").any()


def test_a_line_of_the_model_scores_its_own_entry_near_one(model):
    assert model.scores("paspor saya ditahan agen")[1] > 0.5 > model.scores("paspor saya ditahan agen")[0]


def test_a_model_of_no_lines_scores_nothing():
    assert not GramModel.fit([], [], ["wages"]).scores("gaji").any()


def test_a_fitted_model_is_cached_and_only_the_most_recently_used_are_kept(tmp_path, monkeypatch):
    first = GramModel.fit(DOCS, [], IDS, tmp_path)
    (mine,) = tmp_path.glob("grams-*.npz")
    os.utime(mine, (1, 1))  # written long ago
    monkeypatch.setattr(GramModel, "_fit", None)  # a second fit of the same lines must load it
    again = GramModel.fit(DOCS, [], IDS, tmp_path)
    assert np.array_equal(first.scores("gajih blm dibyar"), again.scores("gajih blm dibyar"))
    assert mine.stat().st_mtime > 1  # loaded: used now
    monkeypatch.undo()
    monkeypatch.setattr(grams, "KEEP", 3)
    GramModel.fit(DOCS[:1], [], IDS, tmp_path)
    GramModel.fit(DOCS[:2], [], IDS, tmp_path)
    for used, path in enumerate(sorted(tmp_path.glob("grams-*.npz"), key=lambda p: p != mine)):
        os.utime(path, (10 - used, 10 - used))  # mine last used, then the others
    GramModel.fit(DOCS, ["resep rendang"], IDS, tmp_path)  # a fourth model: the least recently used goes
    times = sorted(p.stat().st_mtime for p in tmp_path.glob("grams-*.npz"))
    assert len(times) == 3 and mine.exists() and times[0] == 9


def test_a_shipped_model_of_the_same_lines_is_loaded_instead_of_fitted(tmp_path, monkeypatch):
    shipped = tmp_path / "shipped.npz"
    GramModel.write(DOCS, ["resep rendang"], IDS, shipped)
    fitted = GramModel.fit(DOCS, ["resep rendang"], IDS)
    monkeypatch.setattr(GramModel, "_fit", None)  # loading it must not fit
    loaded = GramModel.fit(DOCS, ["resep rendang"], IDS, tmp_path / "cache", shipped)
    assert np.array_equal(fitted.scores("gajih blm dibyar"), loaded.scores("gajih blm dibyar"))
    assert not (tmp_path / "cache").exists()
    monkeypatch.undo()
    other = GramModel.fit(DOCS[:2], ["resep rendang"], IDS, tmp_path / "cache", shipped)  # other lines
    assert len(list((tmp_path / "cache").glob("grams-*.npz"))) == 1 and other.scores("paspor")[1] > 0
