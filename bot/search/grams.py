"""Pieces of words: a model of which FAQ entry a question looks like, from its letters.

People shorten and misspell ("gmn", "kerjo", "bpjes", "disnakir", "bp2mi"); the pieces of 3 to 5
letters of a word still match where the whole word does not, and neither the lexical search (whole
words, a few repairs per question) nor the sentence model sees them. Each question line (the FAQ's
own and the asked ones), title and out-of-scope example is a TF-IDF vector of its pieces; a ridge
regression of its entry (one-hot; the out-of-scope examples are one more class) on those vectors is
fitted. There are far more pieces (~23,000) than lines (~5,700), so it is solved in its dual form:
lines x lines, about 4 s and a few hundred MB for a moment here. So it is fitted when the FAQ's vectors
are written and shipped beside them (semantic.GRAMS); a start on other lines fits it once and caches
it. The weights per piece are then summed for a question: well under a millisecond.

Measured with bench/search.py in round 5: on heldout6, which never tuned anything, top-1 89.9 -> 92.9,
top-3 98.0 -> 99.0, out-of-scope rejected 82.5 -> 89.5 (wrong 3.2 -> 3.7 at a lower answer cut).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from bot.search.semantic import FaqTexts

log = logging.getLogger(__name__)

SIZES = (3, 4, 5)  # letters per piece; each word is padded with a space at both ends
RIDGE = 1.0  # the penalty: 0.3 to 3 measured within half a point
# Models kept in the cache directory (~5 MB each), the most recently used: a build on other lines
# (a fold of bench/search.py --cv, a test's small FAQ) then does not evict the bot's own model.
KEEP = 8
_WORD = re.compile(r"[a-z0-9]+")


def pieces(text: str) -> Counter[str]:
    """The pieces of every word of text, counted: "gaji" -> " ga", "gaj", "aji", "ji ", " gaj", ...
    A word shorter than a size counts whole for it ("ke" gives " ke" and " ke " twice): short words
    weigh a little more, as measured."""
    counts: Counter[str] = Counter()
    for word in _WORD.findall(text.lower()):
        word = f" {word} "
        for size in SIZES:
            counts.update(word[i : i + size] for i in range(max(1, len(word) - size + 1)))
    return counts


class GramModel:
    """Scores of a question for each entry and, last, for "out of scope" (about 0 to 1)."""

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray, weights: np.ndarray):
        self._vocabulary = vocabulary
        self._idf = idf
        self._weights = weights  # one row per piece, one column per class

    @classmethod
    def fit(
        cls,
        docs: Iterable[FaqTexts],
        outside: Iterable[str],
        ids: Sequence[str],
        cache_dir: Path | None = None,
        shipped: Path | None = None,
    ) -> GramModel:
        """Fit on the titles and question lines of docs (their entry: its place in ids) and the
        out-of-scope examples (class len(ids)). A model fitted before on the same lines is loaded
        instead (milliseconds; each `python -m bot ask` is a new process): the shipped file (see
        write), else one in cache_dir, where a new fit is saved."""
        texts, owners, key = cls._lines(docs, outside, ids)
        cache_file = cache_dir / f"grams-{key[:20]}.npz" if cache_dir else None
        model = (shipped and cls._load(shipped, key)) or (cache_file and cls._load(cache_file, key))
        if model is None:
            model = cls._fit(texts, owners, len(ids) + 1)
            if cache_file:
                model._save(cache_file, key)
        return model

    @classmethod
    def write(cls, docs: Iterable[FaqTexts], outside: Iterable[str], ids: Sequence[str], path: Path) -> None:
        """Fit afresh and write the model to path, to ship beside the FAQ's vectors: a fresh machine
        then loads it instead of fitting (the fit takes seconds and a few hundred MB for a moment)."""
        import numpy as np

        from bot.search.cache import write_arrays

        texts, owners, key = cls._lines(docs, outside, ids)
        write_arrays(path, key=np.array(key), **cls._fit(texts, owners, len(ids) + 1)._arrays())

    @staticmethod
    def _lines(
        docs: Iterable[FaqTexts], outside: Iterable[str], ids: Sequence[str]
    ) -> tuple[list[str], list[int], str]:
        """The texts learned, the class of each, and a key of both (with the settings)."""
        position = {doc_id: k for k, doc_id in enumerate(ids)}
        texts, owners = [], []
        for doc in docs:
            for text in (doc.title, *doc.questions):
                texts.append(str(text))
                owners.append(position[doc.id])
        for text in dict.fromkeys(map(str, outside)):
            texts.append(text)
            owners.append(len(ids))
        key = hashlib.sha1(repr((SIZES, RIDGE, len(ids), texts, owners)).encode("utf-8")).hexdigest()
        return texts, owners, key

    @classmethod
    def _fit(cls, texts: list[str], owners: list[int], classes: int) -> GramModel:
        import numpy as np

        if not texts:
            return cls({}, np.zeros(0), np.zeros((0, classes), dtype=np.float32))
        vocabulary: dict[str, int] = {}
        rows, columns, counts = [], [], []  # one array per text: no list of ~300,000 Python numbers
        for row, text in enumerate(texts):
            found = pieces(text)
            rows.append(np.full(len(found), row))
            columns.append(np.array([vocabulary.setdefault(p, len(vocabulary)) for p in found], dtype=int))
            counts.append(np.array(list(found.values()), dtype=float))
        lines = _Lines(*map(np.concatenate, (rows, columns, counts)), len(vocabulary))
        kernel = lines.kernel()
        kernel[np.diag_indices(len(texts))] += RIDGE
        dual = np.linalg.solve(kernel, np.eye(classes, dtype=np.float32)[owners])
        del kernel  # ~45 MB, before the next step's blocks
        model = cls(vocabulary, lines.idf, lines.transpose_times(dual))
        _give_back_memory()
        return model

    @classmethod
    def _load(cls, path: Path, key: str) -> GramModel | None:
        """The model in path if it was fitted on the lines of key; a cached one is marked used."""
        import numpy as np

        try:
            with np.load(path) as stored:
                if str(stored["key"]) != key:
                    return None  # fitted on other lines
                pieces_, idf, weights = stored["pieces"], stored["idf"], stored["weights"]
        except (OSError, ValueError, KeyError):
            return None  # none yet, or unreadable: fitted again and rewritten
        if path.name.startswith("grams-"):
            with contextlib.suppress(OSError):
                path.touch()  # used now: the last to be removed from the cache
        return cls({str(p): k for k, p in enumerate(pieces_)}, idf, weights)

    def _arrays(self) -> dict[str, np.ndarray]:
        import numpy as np

        return {"pieces": np.array(list(self._vocabulary)), "idf": self._idf, "weights": self._weights}

    def _save(self, path: Path, key: str) -> None:
        """Write the model to path, and remove all but the KEEP most recently used models beside it."""
        import numpy as np

        from bot.search.cache import write_arrays

        try:
            write_arrays(path, key=np.array(key), **self._arrays())
            models = sorted(path.parent.glob("grams-*.npz"), key=_last_used, reverse=True)
            for old in models[KEEP:]:
                old.unlink(missing_ok=True)
        except OSError as exc:
            log.info("word-piece model not cached (%s): the next start fits it again", exc)

    def scores(self, text: str) -> np.ndarray:
        """One score per entry of ids, then one for "out of scope"; zeros when no piece is known."""
        import numpy as np

        known = [(self._vocabulary[p], c) for p, c in pieces(text).items() if p in self._vocabulary]
        if not known:
            return np.zeros(self._weights.shape[1])
        columns, counts = map(np.array, zip(*known, strict=True))
        values = _tf_idf(counts, self._idf[columns])
        return (values / np.linalg.norm(values)) @ self._weights[columns]


def _last_used(path: Path) -> float:
    """When a cached model was last written or loaded (0 if it is gone already)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _give_back_memory() -> None:
    """Hand the fit's freed scratch memory back to the system: glibc keeps ~27 MB of freed heap
    pages from its many small blocks (the bot's resident memory at rest: 148 MB without this, 135 MB
    with it).
    Elsewhere than glibc (macOS, musl) there is nothing to do."""
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


def _tf_idf(counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
    import numpy as np

    return (1 + np.log(counts)) * idf


class _Lines:
    """The lines as a sparse matrix (rows in order): L2-normalised TF-IDF weights of their pieces."""

    def __init__(self, rows: np.ndarray, columns: np.ndarray, counts: np.ndarray, size: int):
        import numpy as np

        self.count = int(rows.max()) + 1 if len(rows) else 0
        self.idf = np.log((1 + self.count) / (1 + np.bincount(columns, minlength=size))) + 1
        values = _tf_idf(counts, self.idf[columns])
        values /= np.sqrt(np.bincount(rows, weights=values**2, minlength=self.count))[rows]
        values = values.astype(np.float32)
        self.columns, self.values = columns, values
        self.row_start = np.r_[0, np.cumsum(np.bincount(rows, minlength=self.count))]
        by_piece = np.argsort(columns, kind="stable")  # the same matrix, ordered by piece
        self.piece_rows, self.piece_values = rows[by_piece], values[by_piece]
        self.piece_start = np.r_[0, np.cumsum(np.bincount(columns, minlength=size))]

    def kernel(self) -> np.ndarray:
        """Lines x lines: the cosine of every two lines, one row at a time through the pieces."""
        import numpy as np

        kernel = np.zeros((self.count, self.count), dtype=np.float32)
        for row in range(self.count):
            part = slice(self.row_start[row], self.row_start[row + 1])
            start = self.piece_start[self.columns[part]]
            length = self.piece_start[self.columns[part] + 1] - start
            at = np.repeat(start - np.r_[0, np.cumsum(length)[:-1]], length) + np.arange(length.sum())
            weight = self.piece_values[at] * np.repeat(self.values[part], length)
            kernel[row] = np.bincount(self.piece_rows[at], weights=weight, minlength=self.count)
        return kernel

    def transpose_times(self, dual: np.ndarray) -> np.ndarray:
        """Pieces x classes: the matrix's transpose times dual (lines x classes), summed per piece
        over a block of pieces at a time (every piece has at least one line)."""
        import numpy as np

        pieces = len(self.piece_start) - 1
        weights = np.zeros((pieces, dual.shape[1]), dtype=np.float32)
        step = 500  # pieces per block: a block holds ~8,000 lines' products (small blocks: less memory kept)
        for first in range(0, pieces, step):
            last = min(first + step, pieces)
            start, end = self.piece_start[first], self.piece_start[last]
            products = self.piece_values[start:end, None] * dual[self.piece_rows[start:end]]
            weights[first:last] = np.add.reduceat(products, self.piece_start[first:last] - start)
        return weights
