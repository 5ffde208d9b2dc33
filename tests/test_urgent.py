"""The danger check: labels, real spellings, figurative uses, floors on the eval sets, ask --json."""

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.lifecycle import build_search
from bot.search import urgent
from bot.search.urgent import Finding, classify, detect, is_urgent

EVAL = Path(__file__).parent / "eval"
EVAL_SETS = ("dev", "heldout", "probe", "fresh", "final", "last")  # see bench/urgent.py for their history


def _lines(name: str) -> list[dict[str, str]]:
    with (EVAL / f"urgent-{name}.tsv").open(encoding="utf-8") as file:
        return list(csv.DictReader(file, delimiter="\t"))


@pytest.mark.parametrize(
    "text",
    [
        "di pukul", "sy di perkosa", "saya di sekap", "sy di pukul majikan", "di siksa majikan",
        "dipukulin", "digebukin", "aku digebuki bojone majikan", "abdi dikurung ku majikan",
        "majikan cabul", "dipaksa jadi psk", "disuruh jual diri", "nyawaku terancam",
        "ditahan di penampungan agen", "tolong anak saya dikurung majikan", "sy di jual agen",
        "my employer touches me", "my employer hits me", "I was raped", "they locked me in",
        "tolong", "tolong!!!", "tolong bantu sy", "tlg sy kak", "help me", "help!!", "sos",
        "adik saya jadi korban perdagangan orang", "I was trafficked and want to escape",
        "majikan nendang sy", "kapten suka mukul ABK", "sy tersiksa di sini", "abdi dipukulan",
        "anak majikan suka raba2 badan aku", "toloonggg kakk", "kepala sy dibenturin ke tembok",
        "sy dipkul majkan", "diprkosa anak majikan", "help i am being held against my will",
        "anak saya di saudi hilang kontak sudah 3 bulan", "i got hit by my boss", "sy diperbudak di sini",
    ],
)  # fmt: skip
def test_danger_is_recognised_however_it_is_spelt(text):
    assert classify(text) == "danger"


@pytest.mark.parametrize(
    "text",
    [
        "pengen bunuh diri", "i want to die", "pengen mati aja", "aku kepikiran bundir",
        "abdi hoyong maot wae", "i want to kill myself", "sy mau mengakhiri hidup sy malam ini",
        "teu hayang hirup deui", "kakak sy bilang mau mengakhiri hidupnya", "i feel like ending it all",
        "sy gk pengen bangun lagi", "no point living anymore",
    ],
)  # fmt: skip
def test_self_harm_has_its_own_label(text):
    assert classify(text) == "self_harm"


@pytest.mark.parametrize(
    "text",
    [
        "hp mati", "mati lampu", "apa itu TPPO", "cara lapor kekerasan", "sponsor kabur bawa uang",
        "tolong info biaya paspor", "tolong bantu sy, mau tanya biaya paspor", "kerja mulai pukul 8",
        "paspor ditahan majikan", "gaji blm dibayar", "send money home", "this heat is killing me",
        "besok masak buat 30 org, mati aku wkwk", "dulu sy pernah dipukul majikan, skrg udh aman",
        "please help me find the address of the consulate", "nomor darurat polisi di taiwan berapa",
        "nonton sepak bola", "tendangan bebas tadi keren", "takut siksa kubur", "beli tusuk sate",
        "jari sy ketusuk jarum", "akun bank sy dikunci", "bola ditendang anak majikan", "I'm starving lol",
        "iris bawang buat masak", "mandi air panas", "jangan putus asa ya", "beli racun serangga buat kecoa",
        "boleh bawa obat tidur ke taiwan", "ibu sy sakit keras di kampung", "klaim asuransi patah tulang",
        "hp saya tidak bisa dihubungi", "my phone got locked",
    ],
)  # fmt: skip
def test_figurative_and_general_uses_are_not_urgent(text):
    assert classify(text) is None


def test_a_message_with_both_is_labelled_self_harm_and_keeps_the_danger():
    finding = detect("sy dikurung majikan ... pengen bunuh diri")
    assert finding == Finding(danger=True, self_harm=True) and finding.label == "self_harm"


@pytest.mark.parametrize("length", [1000, 4096, 20000])
def test_the_whole_message_is_read_however_long(length):
    story = "sy kerja di hongkong, majikan baik, mau tanya soal kontrak dan cuti. "
    text = (story * (length // len(story) + 1))[: length - 29] + " sekarang sy dikurung majikan"
    assert len(text) == length and classify(text) == "danger" and is_urgent(text)


def test_search_checks_the_whole_message_for_danger(content):
    engine = build_search(content)
    story = "sy kerja di hongkong, majikan baik, mau tanya soal kontrak dan cuti. " * 60
    assert engine.search(story + "sekarang sy dikurung majikan", "id").urgent == "danger"
    assert engine.search("pengen bunuh diri", "id").urgent == "self_harm"


def test_windows_find_what_whole_clauses_find():
    """The speed-up (each pattern runs near its trigger words only) must not lose a match."""
    texts = [line["text"] for name in EVAL_SETS for line in _lines(name)]
    long = " ".join(texts)
    for text in [*texts, long, long.replace(",", " ").replace(".", " ")]:
        for tokens in urgent._clauses(text):
            joined = " ".join(tokens)
            whole = [any(r.pattern.search(joined) for r in urgent._RULES if r.self_harm == k) for k in (0, 1)]
            assert list(urgent._matches(tokens, True, True)) == whole, text


def _figures(name: str) -> tuple[float, float, float]:
    lines = _lines(name)
    found = [(line["label"], classify(line["text"])) for line in lines]
    urgent_lines = [got for label, got in found if label != "none"]
    self_harm = [got for label, got in found if label == "self_harm"]
    none = [got for label, got in found if label == "none"]
    recall = sum(got is not None for got in urgent_lines) / len(urgent_lines)
    labelled = sum(got == "self_harm" for got in self_harm) / len(self_harm)
    return recall, labelled, sum(got is not None for got in none) / len(none)


@pytest.mark.parametrize("name", ["dev", "heldout"])
def test_recall_and_false_alarm_floors(name):
    recall, self_harm_labelled, false_alarms = _figures(name)
    assert recall >= 0.97 and self_harm_labelled >= 0.95 and false_alarms <= 0.03


def test_the_heldout_set_is_large_and_varied():
    lines = _lines("heldout")
    labels = [line["label"] for line in lines]
    assert len(lines) >= 250 and {"danger", "self_harm", "none"} == set(labels)
    assert {line["lang"] for line in lines} == {"id", "en"} and labels.count("none") >= 100


def test_ask_json_reports_the_danger_check():
    out = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "--lang", "id"],
        input="sy di perkosa\npengen bunuh diri\nhp sy mati\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    rows = [json.loads(line) for line in out]
    assert [row["urgent"] for row in rows] == ["danger", "self_harm", None]
    assert all(set(row) == {"question", "id", "score", "candidates", "urgent"} for row in rows)
    assert re.search(r'"urgent": null', out[2])


# -- the contacts the emergency and crisis replies read


def test_every_main_destination_has_an_emergency_number_and_indonesia_has_crisis_lines(content):
    main = [code for code, country in content.countries.items() if country.main]
    assert all(content.contacts_by(code, "emergency") for code in main)
    assert {c.kind for c in content.contacts_by("ID", "kp2mi")} >= {"phone", "whatsapp"}
    assert len(content.contacts_by("ID", "crisis")) >= 3 and content.contacts_by("TW", "helpline")


def test_low_confidence_numbers_are_always_marked(content):
    low = [c for c in content.contacts.values() if c.low_confidence]
    assert low and all(c.note.get("id") and c.note.get("en") for c in low)
    assert "⚠️" in content.contacts_listing("id", country="TW")
