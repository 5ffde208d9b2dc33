"""BM25 over FAQ titles, questions and keywords, one index per language, with confidence tiers."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from bot.search.intents import Intent, detect_intent
from bot.search.normalize import COUNTRY_PREFIX, Normalizer, tokenize
from bot.search.redact import redact
from bot.search.semantic import SemanticIndex
from bot.search.talk import detect_talk
from bot.search.urgent import Label, classify, warm_up

K1, B = 1.2, 0.75  # textbook BM25; field weights (title, keywords x2) measured no better
PAIR_WEIGHT = 0.5  # two words side by side ("daftar kerja") add to entries that use them together
COUNTRY_WEIGHT = 0.5  # a country in a question counts half, and only for entries titled with it
OTHER_LANGUAGE = 0.8  # users mix languages: the other index is searched too, at a discount
# Confidence tiers on SearchResult.score (BM25 of the best entry x the share of the question's
# informative weight it explains). Chosen on the dev set and a private tuning set (the middle of a
# plateau from 3.5 to 4.0); re-check with bench/search.py whenever the content changes.
ANSWER_AT = 3.8
SUGGEST_AT = 1.5
CANDIDATE_AT = 0.5
# The semantic gate (scores of bot.search.semantic, which sit between about 0.75 and 0.95). Chosen on
# faq-dev.tsv, faq-probe.tsv and a 5-fold split of the FAQ's own questions (each asked of an index
# built without it), never on faq-heldout.tsv or faq-heldout2.tsv, which measure them.
SURE_AT = 2 * ANSWER_AT  # a lexical answer this strong is never sent to the model (saves ~20-80 ms)
VETO_GAP = 0.02  # a lexical answer the model ranks this far below its own pick becomes suggestions
AGREE_AT = 0.86  # lexically unsure, the model's pick is the lexical top and this close: answer
ALONE_AT = 0.88  # lexically unsure and the model alone is this close: answer
# ...and in both cases the pick leads the next entry by this much: one vague word ("kerja", "keluarga")
# is close to many entries at once and gets suggestions, not one answer.
MODEL_LEAD = 0.015
# No suggestions from the model alone: out-of-scope lines of faq-dev.tsv score up to 0.91 with it.
RANKED_CHARS = 1000  # characters ranked against the FAQ (search time grows with length); danger: all
# Words of one question never seen before (and in no word list) that get stemmed and repaired; the
# rest count as unknown words. Real questions bring none to a few; a crafted 1,000-character one
# brings 150: 45 ms of CPU before this cap, 4.4 ms with it (median; dev and held-out accuracy the same).
NEW_WORDS = 4


class FaqDoc(Protocol):
    """What the index reads from a FAQ entry (bot.content.FaqEntry fits)."""

    lang: str
    id: str
    title: str
    questions: Iterable[str]
    keywords: Iterable[str]


@dataclass(frozen=True)
class Candidate:
    """One FAQ entry and its score."""

    id: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    """The outcome of one search; `id` is set only when kind == "answer"."""

    kind: str  # "answer" | "suggest" | "none" | "smalltalk" | "intent"
    id: str | None
    score: float
    candidates: tuple[Candidate, ...]
    urgent: Label | None  # "danger" | "self_harm" | None: the danger check, whatever the kind
    talk: str | None
    normalized: str
    semantic: bool = False  # True when the semantic layer changed the lexical outcome
    intent: Intent | None = None  # kind == "intent": what the user asks the bot to do


class _LangIndex:
    """BM25 postings for one language."""

    def __init__(self, lang: str, docs: list[FaqDoc], foreign: frozenset[str] = frozenset()):
        self.lang = lang
        self.ids = [d.id for d in docs]
        self.norm = self._normalizer(lang, docs, foreign)
        weighted: list[Counter[str]] = []
        self.lengths: list[int] = []
        for doc in docs:
            title_slots = {t for t in self.norm.terms(doc.title, repair=False) if t[0] == COUNTRY_PREFIX}
            tf: Counter[str] = Counter()
            pairs: Counter[str] = Counter()
            for text in (doc.title, *doc.questions, *doc.keywords):
                terms = self.norm.terms(str(text), repair=False)
                for term in terms:
                    if not term.startswith(COUNTRY_PREFIX) or term in title_slots:
                        tf[term] += 1
                pairs.update(_pairs(terms))
            self.lengths.append(sum(tf.values()))
            weighted.append(tf + pairs)
        self.avg_len = sum(self.lengths) / max(1, len(self.lengths))
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, tf in enumerate(weighted):
            for term, count in tf.items():
                self.postings[term].append((i, count))
        n = len(docs)
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5) / 2  # an unseen word: rare, half-trusted

    @staticmethod
    def _normalizer(lang: str, docs: list[FaqDoc], foreign: frozenset[str]) -> Normalizer:
        """FAQ vocabulary: words of titles and keywords and all-caps abbreviations in questions
        are kept as written (IndoCollex would turn "KK" into kakak); informal spellings in
        questions ("negri", "gmn") are normalised like the users' ones. All are typo targets."""
        protected: set[str] = set()
        for doc in docs:
            protected.update(tokenize(" ".join(map(str, (doc.title, *doc.keywords)))))
            for text in doc.questions:
                protected.update(w.lower() for w in str(text).split() if w.isalpha() and w.isupper())
        base = Normalizer(lang, protected)
        texts = [str(text) for d in docs for text in (d.title, *d.questions, *d.keywords)]
        vocab = {
            t
            for text in texts
            for t in base.surface(text, repair=False)
            if base.is_content(t) and t.isalpha()
        }
        return Normalizer(lang, protected, vocab, foreign)

    def score(self, text: str) -> list[tuple[float, int]]:
        """(score, doc index) pairs, best first; score = BM25 x explained share of the query."""
        all_terms = [t for t in self.norm.terms(text, new_words=NEW_WORDS) if not t.isdigit()]
        terms = list(dict.fromkeys(all_terms))
        # A country is a slot: it adds to entries titled with it but is not part of the topic,
        # unless the question is nothing but a country ("korea?").
        slot = COUNTRY_PREFIX if any(t[0] != COUNTRY_PREFIX for t in terms) else None
        total = sum(self.idf.get(t, self.unknown_idf) for t in terms if t[0] != slot)
        if not total:
            return []
        bm25: dict[int, float] = defaultdict(float)
        explained: dict[int, float] = defaultdict(float)
        for term in terms:
            is_slot = term[0] == slot
            idf = self.idf.get(term, 0.0)
            for i, tf in self.postings.get(term, ()):
                bm25[i] += (COUNTRY_WEIGHT if is_slot else 1.0) * idf * self._saturate(tf, i)
                if not is_slot:
                    explained[i] += idf
        for pair in dict.fromkeys(_pairs(all_terms)):
            idf = self.idf.get(pair, 0.0)
            for i, tf in self.postings.get(pair, ()):
                bm25[i] += PAIR_WEIGHT * idf * self._saturate(tf, i)
        ranked = [(bm25[i] * min(1.0, explained[i] / total), i) for i in bm25]
        return sorted(ranked, reverse=True)

    def _saturate(self, tf: int, i: int) -> float:
        """BM25's term-frequency part for entry i: more mentions count less and less."""
        norm = K1 * (1 - B + B * self.lengths[i] / self.avg_len)
        return tf * (K1 + 1) / (tf + norm)


# Question words say what kind of answer is wanted, not what it is about: they never start or end a pair.
_ASKING = frozenset(
    {"apa", "gimana", "bagaimana", "berapa", "kapan", "mana", "dimana", "siapa", "kenapa", "mengapa"}
    | {"what", "when", "where", "who", "why", "which", "how", "much", "many"}
)


def _pairs(terms: list[str]) -> list[str]:
    """Neighbouring terms as one term ("daftar kerja"); countries and question words break a pair."""
    return [
        f"{a} {b}"
        for a, b in itertools.pairwise(terms)
        if COUNTRY_PREFIX not in (a[0], b[0]) and a not in _ASKING and b not in _ASKING
    ]


class SearchEngine:
    """Free-text FAQ search; build once at start-up, then call search() per message."""

    def __init__(self, indexes: dict[str, _LangIndex], semantic: SemanticIndex | None = None):
        self._indexes = indexes
        self.semantic = semantic

    @classmethod
    def build(cls, docs: Iterable[FaqDoc], *, semantic: bool = False) -> SearchEngine:
        """Index FAQ entries (objects with .lang .id .title .questions .keywords) per language;
        semantic=True adds the model's layer when it can load (lexical only, logged, if not)."""
        docs = list(docs)
        by_lang: dict[str, list[FaqDoc]] = defaultdict(list)
        words: dict[str, set[str]] = defaultdict(set)
        for doc in docs:
            by_lang[doc.lang].append(doc)
            words[doc.lang].update(tokenize(" ".join(map(str, (doc.title, *doc.questions, *doc.keywords)))))
        indexes = {}
        for lang, items in by_lang.items():
            foreign = frozenset().union(*(words[other] for other in by_lang if other != lang))
            indexes[lang] = _LangIndex(lang, items, foreign)
        warm_up()  # the danger check's tables, built before the first message
        return cls(indexes, SemanticIndex.build(docs) if semantic else None)

    def search(self, question: str, lang: str = "id", *, semantic: bool = True) -> SearchResult:
        """Classify a message: an intent (data/intents.tsv), small talk, a confident answer,
        suggestions, or nothing (semantic=False: the lexical outcome alone, for comparison)."""
        lang = lang if lang in self._indexes else next(iter(self._indexes), lang)
        urgent = classify(question)  # the whole message, however long
        question = question[:RANKED_CHARS]
        text = redact(question)
        talk = detect_talk(text)
        index = self._indexes.get(lang)
        normalized = index.norm.text(talk.rest, new_words=NEW_WORDS) if index and talk.rest else text
        intent = detect_intent(talk.rest, question) if talk.rest.strip() else None
        if intent is not None:  # "mau lapor", "LP-7K2M9Q", "english please": an action, not a question
            return SearchResult("intent", None, 0.0, (), urgent, talk.label, normalized, intent=intent)
        if talk.only_talk:
            return SearchResult("smalltalk", None, 0.0, (), urgent, talk.label, text)
        candidates = self._rank(talk.rest, lang)
        top = candidates[0].score if candidates else 0.0
        if top >= ANSWER_AT:
            kind = "answer"
        elif top >= SUGGEST_AT:
            kind = "suggest"
        else:
            kind = "none"
        answer_id = candidates[0].id if kind == "answer" else None
        result = SearchResult(kind, answer_id, round(top, 3), candidates, urgent, talk.label, normalized)
        gated = semantic and self.semantic is not None and talk.rest.strip()
        return self._gate(result, talk.rest) if gated else result

    def _gate(self, lexical: SearchResult, text: str) -> SearchResult:
        """Let the model check a lexical answer and decide where the lexical search is unsure."""
        assert self.semantic is not None
        if lexical.kind == "answer" and lexical.score >= SURE_AT:
            return lexical
        model = self.semantic.scores(text)
        (pick, best), (_, second) = itertools.islice(itertools.chain(model.items(), [("", 0.0)]), 2)
        ids = [c.id for c in lexical.candidates]
        if lexical.kind == "answer":
            if pick == lexical.id or model.get(lexical.id or "", 0.0) >= best - VETO_GAP:
                return lexical
            return self._decided(lexical, "suggest", None, [*ids, pick], model)
        agree = bool(ids) and ids[0] == pick
        close = best >= (AGREE_AT if agree else ALONE_AT)
        if close and best - second >= MODEL_LEAD:
            return self._decided(lexical, "answer", pick, [pick, *ids], model)
        if lexical.kind == "suggest":
            return self._decided(lexical, "suggest", None, [pick, *ids, *model], model)
        return lexical

    @staticmethod
    def _decided(
        lexical: SearchResult, kind: str, answer: str | None, ids: list[str], model: dict[str, float]
    ) -> SearchResult:
        """The lexical result with the gate's outcome; candidates carry the model's scores."""
        shown = tuple(Candidate(i, round(model[i], 3)) for i in list(dict.fromkeys(ids))[:3])
        changed = kind != lexical.kind or answer != lexical.id
        return dataclasses.replace(lexical, kind=kind, id=answer, candidates=shown, semantic=changed)

    def _rank(self, text: str, lang: str) -> tuple[Candidate, ...]:
        """Best entries over the user's language and, discounted, the other one."""
        best: dict[str, float] = {}
        for other, index in self._indexes.items():
            factor = 1.0 if other == lang else OTHER_LANGUAGE
            for score, i in index.score(text)[:3]:
                doc_id = index.ids[i]
                best[doc_id] = max(best.get(doc_id, 0.0), score * factor)
        ranked = sorted(best.items(), key=lambda kv: kv[1], reverse=True)
        return tuple(Candidate(d, round(s, 3)) for d, s in ranked[:3] if s >= CANDIDATE_AT)
