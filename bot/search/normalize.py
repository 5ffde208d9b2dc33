"""Text normalisation for FAQ search: tokens, slang, loan words, typos, countries and stems."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

DATA_DIR = Path(__file__).parent / "data"
COUNTRY_PREFIX = "@"  # country slot terms look like "@taiwan": never a real word
PLACEHOLDERS = frozenset({"[telepon]", "[email]", "[nama]", "[nik]", "[paspor]", "[rekening]", "[kartu]"})

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_CONTRACTIONS = (
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'m\b"), " am"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'d\b"), " would"),
    (re.compile(r"'s\b"), ""),
)
_REDUP = re.compile(r"\b([a-z]{2,})2(nya|an|kan|i)?\b")  # ciri2 -> ciri ciri, anak2nya
_ELONGATION = re.compile(r"([a-z])\1{2,}")  # bangettt -> banget
_TOKEN = re.compile(r"\[(?:telepon|email|nama|nik|paspor|rekening|kartu)\]|[a-z0-9]+")
_MAX_PHRASE = 4
UNREAD = "?"  # prefix of a word left as typed because the question's budget of new words ran out
_MET_MAX = 50_000  # words remembered as met before the memory starts again


def tokenize(text: str) -> list[str]:
    """Lowercase, squeeze elongations, expand reduplication and split into word tokens."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    text = _ELONGATION.sub(r"\1", text)
    text = _REDUP.sub(lambda m: f"{m[1]} {m[1]}{m[2] or ''}", text)
    return _TOKEN.findall(text)


def _read_pairs(name: str) -> dict[str, str]:
    """Read a two-column TSV data file, skipping comments and the IndoCollex header."""
    pairs: dict[str, str] = {}
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, value = line.partition("\t")
        key, value = key.strip().lower(), value.strip().strip('"').lower()
        if key and value and key != "informal":
            pairs.setdefault(key, value)
    return pairs


def _read_words(name: str) -> frozenset[str]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


@cache
def slang_id() -> Mapping[str, str]:
    """IndoCollex informal -> formal, one-word keys only (phrases are rare and noisy there)."""
    return {k: v for k, v in _read_pairs("indocollex-informal-formal.tsv").items() if " " not in k}


@cache
def lexicon(lang: str) -> Mapping[str, str]:
    """The project's own loan-word, chat-spelling and domain-synonym lexicon for a language."""
    return _read_pairs(f"lexicon-{lang}.tsv")


@cache
def countries() -> Mapping[str, str]:
    """Country and city aliases -> slot token (prefixed with COUNTRY_PREFIX)."""
    return {k: COUNTRY_PREFIX + v for k, v in _read_pairs("countries.tsv").items()}


@cache
def stopwords(lang: str) -> frozenset[str]:
    """The short hand-picked stopword list of a language."""
    return _read_words(f"stopwords-{lang}.txt")


@cache
def root_words() -> frozenset[str]:
    """Sastrawi's Indonesian root-word dictionary."""
    import Sastrawi.Stemmer

    path = Path(Sastrawi.Stemmer.__file__).parent / "data" / "kata-dasar.txt"
    return frozenset(w.strip() for w in path.read_text(encoding="utf-8").split("\n") if w.strip())


@cache
def _sastrawi():
    from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
    from Sastrawi.Stemmer.Stemmer import Stemmer

    return Stemmer(ArrayDictionary(list(root_words())))


@lru_cache(maxsize=8192)
def stem_id(word: str) -> str:
    """Sastrawi stem of one Indonesian word, with a bounded cache (CachedStemmer's is unbounded)."""
    if not word.isalpha() or len(word) <= 3:
        return word
    return _sastrawi().stem(word) or word


@lru_cache(maxsize=4096)
def colloquial_id(word: str) -> str:
    """Rewrite Jakarta-style affixes Sastrawi ignores (nawarin, dilecehin, ngecek) to standard."""
    if not word.isalpha() or len(word) <= 4 or word in root_words() or stem_id(word) != word:
        return word
    stems: list[str] = [word]
    if word.endswith("in"):
        stems += [word[:-2] + "kan", word[:-2] + "i", word[:-2]]
    for base in stems:
        candidates = [base]
        if base.startswith(("ng", "ny", "n", "m")):
            candidates.append("me" + base)
        if base.startswith("nge"):
            candidates.append(base[3:])
        for candidate in candidates:
            stem = stem_id(candidate)
            if stem in root_words() and (stem != candidate or candidate != word):
                return candidate
    return word


_VOWELS = re.compile(r"[aeiouy]")
_EN_KEEP = frozenset({"was", "has", "is", "does", "this", "bus", "us", "yes", "news", "its"})


@lru_cache(maxsize=4096)
def stem_en(word: str) -> str:
    """A light English suffix stripper: consistent on both sides, not linguistically exact."""
    if len(word) <= 3 or not word.isalpha() or word in _EN_KEEP or not _VOWELS.search(word[:-1]):
        return word
    for suffix, repl, min_len in (
        ("ies", "y", 5),
        ("sses", "ss", 5),
        ("ing", "", 6),
        ("ied", "y", 5),
        ("ed", "", 5),
        ("s", "", 4),
    ):
        if word.endswith(suffix) and len(word) >= min_len:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            base = word[: -len(suffix)] + repl
            if suffix in ("ing", "ed") and len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            return base
    return word


def _is_age(tok: str) -> bool:
    """A number that can be the age of someone asking about work abroad."""
    return tok.isdigit() and 14 <= int(tok) <= 80


@dataclass(frozen=True)
class _Phrases:
    """Multi-word replacements, with the set of their first words for a quick skip."""

    replace: Mapping[str, str]
    starts: frozenset[str]

    @classmethod
    def of(cls, replace: Mapping[str, str]) -> _Phrases:
        return cls(replace, frozenset(k.split()[0] for k in replace))

    def apply(self, tokens: list[str], done: set[int]) -> list[str]:
        """Replace phrases (longest first); output positions of replacements go into done."""
        out: list[str] = []
        i = 0
        while i < len(tokens):
            size = self._match(tokens, i) if tokens[i] in self.starts else 0
            if size:
                repl = self.replace[" ".join(tokens[i : i + size])].split()
                done.update(range(len(out), len(out) + len(repl)))
                out += repl
                i += size
            else:
                out.append(tokens[i])
                i += 1
        return out

    def _match(self, tokens: list[str], i: int) -> int:
        for size in range(min(_MAX_PHRASE, len(tokens) - i), 1, -1):
            if " ".join(tokens[i : i + size]) in self.replace:
                return size
        return 0


class Normalizer:
    """One language's pipeline: surface normalisation, then index terms (stems, slots)."""

    def __init__(
        self,
        lang: str,
        protected: Iterable[str] = (),
        vocabulary: Iterable[str] = (),
        foreign: Iterable[str] = (),
    ):
        """protected: never rewritten by IndoCollex; vocabulary: typo-repair targets;
        foreign: words of the other language's FAQ, never taken for typos."""
        self.lang = lang
        self.protected = frozenset(protected)
        self.foreign = frozenset(foreign)
        self.vocabulary = tuple(sorted(set(vocabulary)))
        self._vocab_set = frozenset(self.vocabulary)
        lex = lexicon(lang)
        phrases = {k: v for k, v in lex.items() if " " in k}
        phrases.update({k: v for k, v in countries().items() if " " in k})
        self._phrases = _Phrases.of(phrases)
        self._words = {k: v for k, v in lex.items() if " " not in k}
        self._countries = {k: v for k, v in countries().items() if " " not in k}
        self._slang = slang_id() if lang == "id" else {}
        self._stop = stopwords(lang)
        self._token = lru_cache(maxsize=8192)(self._token_uncached)
        self._met: set[tuple[str, bool]] = set()  # words normalised before (cheap to do again)

    def surface(self, text: str, *, repair: bool = True, new_words: int | None = None) -> list[str]:
        """Surface tokens after phrases, countries, lexicon, slang, colloquial affixes, typos.

        With `new_words`, at most that many words never met before get the costly steps (stemming,
        typo repair: about 0.5 ms each); the others come back as UNREAD + the word, so a crafted
        1,000-character message costs a few milliseconds, not a few hundred."""
        done: set[int] = set()
        tokens = self._phrases.apply(tokenize(text), done)
        out: list[str] = []
        for i, tok in enumerate(tokens):
            if i in done:
                out.append(tok)
                continue
            if new_words is not None and (tok, repair) not in self._met and self._costly(tok):
                if new_words <= 0:
                    out.append(UNREAD + tok)
                    continue
                new_words -= 1
            if len(self._met) >= _MET_MAX:
                self._met.clear()
            self._met.add((tok, repair))
            out += self._token(tok, repair).split()
        # "I'm 50" / "im 17": a person's age, which would otherwise be dropped as a bare number
        out = ["age" if p == "am" and _is_age(tok) else tok for p, tok in itertools.pairwise(["", *out])]
        return self._phrases.apply(out, set())

    def _token_uncached(self, tok: str, repair: bool) -> str:
        if tok in PLACEHOLDERS or tok.isdigit():
            return tok
        if tok in self._countries:
            return self._countries[tok]
        if tok in self._words:
            return self._words[tok]
        if tok in self.protected:
            return tok
        if tok in self._slang:
            return self._slang[tok]
        if self.lang == "id":
            tok = colloquial_id(tok)
        if not repair or self._known(tok):
            return tok
        return self._repair(tok)

    def _costly(self, tok: str) -> bool:
        """Whether normalising `tok` may take stemming or typo repair (no table has it)."""
        tables = (self._countries, self._words, self.protected, self._slang, self._vocab_set, self._stop)
        return len(tok) > 3 and not tok.isdigit() and not any(tok in table for table in tables)

    def _known(self, tok: str) -> bool:
        """Words never repaired: FAQ vocabulary, stopwords, short words, Indonesian root words
        and their derivations ("enak" must not become "anak"), words of the other language."""
        if tok in self._vocab_set or tok in self._stop or tok in self.foreign or len(tok) < 5:
            return True
        if self.lang == "id":
            return tok in root_words() or stem_id(tok) in root_words()
        return False

    def _repair(self, tok: str) -> str:
        """Nearest FAQ-vocabulary word for an out-of-vocabulary token, if close enough.

        Edit distance counts a swap of two letters as one edit ("kontark" -> "kontrak"); among
        equally close words, one of the same length wins, then the closer by plain ratio.
        """
        cutoff = 0.84 if self.lang == "en" else 0.8
        matches = process.extract(
            tok, self.vocabulary, scorer=OSA.normalized_similarity, score_cutoff=cutoff, limit=5
        )
        if not matches:
            return tok
        best = max(matches, key=lambda m: (m[1], len(m[0]) == len(tok), fuzz.ratio(tok, m[0])))
        return best[0]

    def terms(self, text: str, *, repair: bool = True, new_words: int | None = None) -> list[str]:
        """Index terms of a text: surface tokens minus stopwords, stemmed; countries as slots."""
        surface = self.surface(text, repair=repair, new_words=new_words)
        return [self.term(tok) for tok in surface if self.is_content(tok)]

    def is_content(self, tok: str) -> bool:
        """True for tokens that carry meaning (not stopwords, not placeholders, not one letter)."""
        return tok not in self._stop and tok not in PLACEHOLDERS and len(tok) > 1

    def term(self, tok: str) -> str:
        """The index term of one surface token."""
        if tok.startswith((COUNTRY_PREFIX, UNREAD)):
            return tok
        stem = stem_id(tok) if self.lang == "id" else stem_en(tok)
        synonym = self._words.get(stem) if stem != tok else None
        if synonym and " " not in synonym:  # "tandanya" -> tanda -> ciri
            return stem_id(synonym) if self.lang == "id" else stem_en(synonym)
        return stem

    def text(self, text: str, *, new_words: int | None = None) -> str:
        """Readable normalised text (no stems, no typo repair), e.g. for storing a question."""
        surface = self.surface(text, repair=False, new_words=new_words)
        return " ".join(t.removeprefix(COUNTRY_PREFIX).removeprefix(UNREAD) for t in surface)
