"""FAQ search: normalisation steps, small talk, urgency, redaction, outcomes and dev-set floors."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from bot.search import Candidate, SearchEngine, SearchResult
from bot.search.normalize import Normalizer, colloquial_id, tokenize
from bot.search.redact import redact
from bot.search.talk import detect_talk
from bot.search.urgent import is_urgent

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "tests" / "eval" / "faq-dev.tsv"


def _doc(lang, id, title, questions, keywords=()):
    return SimpleNamespace(lang=lang, id=id, title=title, questions=questions, keywords=keywords)


FIXTURE = [
    _doc("id", "wages", "Gaji tidak dibayar", ["gaji saya belum dibayar majikan"], ["gaji"]),
    _doc("id", "passport", "Paspor ditahan", ["paspor saya ditahan agen"], ["paspor"]),
    _doc("id", "korea", "Kerja ke Korea", ["cara daftar kerja ke korea"], ["EPS"]),
    _doc("id", "docs", "Dokumen", ["dokumen apa saja, KTP dan KK"], ["KK", "KTP"]),
    _doc("id", "recruit", "Ciri calo", ["ciri ciri calo penipu"], ["calo"]),
    _doc("en", "wages", "Unpaid wages", ["my employer has not paid my salary"], ["salary"]),
    _doc("en", "passport", "Passport held", ["my employer keeps my passport"], ["passport"]),
]


@pytest.fixture(scope="module")
def small() -> SearchEngine:
    return SearchEngine.build(FIXTURE)


def _load_content() -> list[SimpleNamespace]:
    docs = []
    for path in sorted((ROOT / "content").glob("*/faq/*.yaml")):
        for e in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("entries") or []:
            keywords = [str(k) for k in e.get("keywords") or []]
            lang = path.parent.parent.name
            docs.append(_doc(lang, e["id"], e["title"], e.get("questions") or [], keywords))
    return docs


@pytest.fixture(scope="module")
def real() -> SearchEngine:
    docs = _load_content()
    if len({(d.lang, d.id) for d in docs}) < 88:
        pytest.skip("FAQ content incomplete: accuracy floors need all 44 entries in id and en")
    return SearchEngine.build(docs)


# -- normalisation steps


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Gajiii BANGETTT!!", ["gaji", "banget"]),
        ("ciri2 agen", ["ciri", "ciri", "agen"]),
        ("ciri-ciri agen", ["ciri", "ciri", "agen"]),
        ("anak2nya", ["anak", "anaknya"]),
        ("I'm fine, it isn't", ["i", "am", "fine", "it", "is", "not"]),
    ],
)
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("gaji blm dibayar gmn", ["gaji", "belum", "dibayar", "bagaimana"]),  # slang
        ("tkw di hong kong", ["pmi", "di", "@hongkong"]),  # domain synonym, country slot
        ("ngecek pt", ["mengecek", "pt"]),  # colloquial affix
        ("kk saya", ["kk", "saya"]),  # FAQ vocabulary wins over IndoCollex (kk -> kakak)
        ("kontark kerja", ["kontrak", "kerja"]),  # typo repair, a swap is one edit
        ("enak kerja", ["enak", "kerja"]),  # a root word is never "repaired" into anak
    ],
)
def test_surface_normalisation(text, surface):
    norm = Normalizer("id", protected={"kk"}, vocabulary={"kontrak", "kontak", "anak", "kk"})
    assert norm.surface(text) == surface


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("I'm 50, can I still work", ["i", "am", "age", "can", "i", "still", "work"]),
        ("im 17", ["i", "am", "age"]),  # chat spelling: im -> i am
        ("i am 5 minutes away", ["i", "am", "5", "minutes", "away"]),  # not an age of a worker
        ("room 50", ["room", "50"]),
        ("\ufeff", []),  # nothing left after tokenising (found by the fuzz run)
    ],
)
def test_a_stated_age_is_kept(text, surface):
    assert Normalizer("en").surface(text) == surface


@pytest.mark.parametrize(
    ("word", "standard"),
    [("dilecehin", "dilecehkan"), ("nawarin", "menawarkan"), ("gaji", "gaji")],
)
def test_colloquial_affixes(word, standard):
    assert colloquial_id(word) == standard


def test_terms_drop_stopwords_and_stem():
    assert Normalizer("id").terms("perjanjian kerja yang dibayar") == ["janji", "kerja", "bayar"]


# -- small talk


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("halo", "greeting"),
        ("Assalamualaikum min", "greeting"),
        ("makasih ya kak", "thanks"),
        ("Terima kasih banyak!", "thanks"),
        ("thank you so much", "thanks"),
        ("apa kabar", "howareyou"),
        ("kamu siapa", "who"),
        ("wkwkwk", "laugh"),
        ("ok siap", "ok"),
        ("dadah", "bye"),
        ("good morning", "greeting"),
    ],
)
def test_small_talk(small, text, label):
    r = small.search(text, "id")
    assert (r.kind, r.talk, r.id, r.candidates) == ("smalltalk", label, None, ())


def test_thanks_never_hits_unpaid_wages(small):
    assert small.search("makasih", "id").kind == "smalltalk"


def test_talk_around_a_question_is_stripped(small):
    r = small.search("halo min, gaji saya belum dibayar. makasih", "id")
    assert (r.kind, r.id, r.talk) == ("answer", "wages", "thanks")  # thanks outranks greeting


def test_talk_words_inside_a_question_stay():
    assert detect_talk("pulang dengan selamat").label is None


# -- urgency


@pytest.mark.parametrize(
    "text",
    [
        "saya dipukulin majikan",
        "aku dilecehin anak majikan",
        "sy dikunci di kamar gak boleh keluar",
        "mau kaburrr dari majikan",
        "pengen mati aja",
        "adik saya jadi korban perdagangan orang",
        "my employer hits me",
        "I was raped",
        "they locked me in",
        "i want to kill myself",
    ],
)
def test_urgent(text):
    assert is_urgent(text)


@pytest.mark.parametrize(
    "text", ["gaji blm dibayar", "paspor ditahan majikan", "kerja mulai pukul 8", "send money home"]
)
def test_not_urgent(text):
    assert not is_urgent(text)


def test_urgent_is_independent_of_kind(small):
    assert small.search("tolong saya dipukul", "id").urgent


# -- redaction


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("Nama saya Siti Aminah, hp 0812-3456-7890", "nama saya [nama] hp [telepon]"),
        ("email: siti.a@gmail.com", "email [email]"),
        ("hubungi +852 6773 0466", "hubungi [telepon]"),
        ("anak saya Budi di Taiwan", "anak saya [nama] di taiwan"),
        ("my son John works in Taiwan", "my son [nama] works in taiwan"),
        ("gaji Rp 1.500.000 belum dibayar", "gaji rp 1 500 000 belum dibayar"),
        ("anak saya sakit", "anak saya sakit"),
    ],
)
def test_redact(text, stored):
    assert redact(text) == stored


def test_normalized_is_redacted(small):
    r = small.search("nama saya Siti, gaji blm dibayar", "id")
    assert r.normalized == "nama saya [nama] gaji belum dibayar"


# -- outcomes


def test_answer(small):
    r = small.search("gaji blm dibayar 3 bln", "id")
    assert (r.kind, r.id, r.candidates[0]) == ("answer", "wages", Candidate("wages", r.score))


def test_none(small):
    r = small.search("resep nasi goreng", "id")
    assert (r.kind, r.id, r.score) == ("none", None, 0.0)


def test_suggest_has_no_id(small):
    r = small.search("calo", "id")
    assert r.kind == "suggest" and r.id is None and r.candidates[0].id == "recruit"


def test_other_language_is_searched(small):
    assert small.search("my employer keeps my passport", "id").candidates[0].id == "passport"


def test_country_alone_is_not_the_topic(small):
    assert small.search("gaji belum dibayar di korea", "id").id == "wages"


def test_result_is_frozen(small):
    r = small.search("paspor ditahan", "id")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.id = "x"  # type: ignore[misc]
    assert isinstance(r, SearchResult) and len(r.candidates) <= 3


def test_faq_abbreviations_are_not_slang(small):
    assert small.search("kk saya", "id").candidates[0].id == "docs"  # IndoCollex: kk -> kakak


def test_words_side_by_side_outweigh_the_same_words_apart():
    family = _doc(
        "id",
        "family",
        "Mendaftar sebagai keluarga",
        ["cara daftar keluarga di sini", "daftar suami yang kerja di malaysia", "daftar gratis?"],
        ["daftar"],
    )
    job = _doc(
        "id",
        "job",
        "Syarat bekerja di luar negeri",
        [
            "cara daftar jadi pekerja migran, mulai dari mana",
            "syarat kerja di luar negeri",
            "umur berapa boleh kerja",
            "cara daftar kerja ke luar negeri",
        ],
    )
    docs = [d for d in FIXTURE if d.id != "korea"] + [family, job]
    r = SearchEngine.build(docs).search("gmn cara daftar kerja", "id")
    assert [c.id for c in r.candidates[:2]] == ["job", "family"]  # "daftar" alone favours family


def test_the_guides_example_question(real):
    assert real.search("gmn cara daftar kerja ke taiwan", "id").id == "placement.requirements"


# -- accuracy floors (real content): on the dev set the thresholds were tuned on, and on the held-out
# set written before reading the content or the search code and never used for tuning (measured on
# held-out when this floor was set: top-1 0.947, top-3 0.992, out of scope 14/14, small talk 14/14).

HELDOUT = ROOT / "tests" / "eval" / "faq-heldout.tsv"
FLOORS = {  # file: (top-1, top-3, out of scope rejected, small talk recognised)
    DEV: (0.96, 0.98, 0.6, 1.0),  # lexical alone answers 6 of 17 out-of-scope lines since round 4's
    # question lines (64.7% rejected; the fused search, tests/test_semantic.py, rejects 88%)
    HELDOUT: (0.93, 0.98, 0.90, 0.90),
}


def _rows(path):
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return [line.split("\t", 2) for line in lines[1:] if line.strip()]


@pytest.mark.parametrize("path", FLOORS, ids=lambda path: path.stem)
def test_accuracy_floors(real, path):
    top1_floor, top3_floor, none_floor, talk_floor = FLOORS[path]
    results = [(expected, real.search(q, lang)) for lang, expected, q in _rows(path)]
    topics = [(e, r) for e, r in results if e not in ("none", "smalltalk")]
    top1 = sum(r.id == e for e, r in topics) / len(topics)
    top3 = sum(e in [c.id for c in r.candidates] and r.kind != "none" for e, r in topics)
    rejected = [r.id is None for e, r in results if e == "none"]
    talk = [r.kind == "smalltalk" for e, r in results if e == "smalltalk"] or [True]
    assert top1 >= top1_floor and top3 / len(topics) >= top3_floor
    assert sum(rejected) / len(rejected) >= none_floor and sum(talk) / len(talk) >= talk_floor
