"""check-content fails on broken content (each case on a copy of the shipped content)."""

import shutil
import subprocess
import sys

import pytest
import yaml

from bot.content import content_dir
from bot.content_check import check_content


@pytest.fixture
def copy(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(content_dir(), root)
    return root


def edit_entry(root, lang, entry_id, **changes):
    path = root / lang / "faq" / f"{entry_id.split('.')[0]}.yaml"
    data = yaml.safe_load(path.read_text())
    entry = next(e for e in data["entries"] if e["id"] == entry_id)
    entry.update(changes)
    data["entries"] = [e for e in data["entries"] if e.get("id")]
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


def drop_entry(root, lang, entry_id):
    edit_entry(root, lang, entry_id, id=None)


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda r: drop_entry(r, "en", "placement.costs"), "en/faq: topic placement.costs is missing"),
        (
            lambda r: edit_entry(r, "id", "placement.costs", answer="Biaya {{ nonexistent_variable }}"),
            "entry placement.costs: answer does not render: 'nonexistent_variable' is undefined",
        ),
        (lambda r: edit_entry(r, "id", "placement.costs", answer="x" * 5000), "message is too long"),
        (
            lambda r: edit_entry(r, "en", "placement.costs", answer="Costs <b>unclosed"),
            "entry placement.costs:",
        ),
        (
            lambda r: edit_entry(r, "id", "placement.loan", answer='{{ contact("no_such_key") }}'),
            "unknown contact key 'no_such_key'",
        ),
        (
            lambda r: edit_entry(r, "id", "placement.loan", answer="Hubungi 0812 3456 7890"),
            "types a phone number",
        ),
        (
            lambda r: edit_entry(r, "id", "placement.loan", related=["placement.nope"]),
            "related topic placement.nope",
        ),
        (
            lambda r: edit_entry(r, "en", "protection.embassy", related=["about.contacts"]),
            "entry protection.embassy: related about.contacts repeats the 'contacts' button",
        ),
    ],
)
def test_broken_entries_are_errors_naming_file_and_entry(copy, breakage, expected):
    breakage(copy)
    report = check_content(copy)
    assert any(expected in error for error in report.errors), report.errors


def test_a_contact_without_source_is_an_error(copy):
    path = copy / "contacts.yaml"
    data = yaml.safe_load(path.read_text())
    data["contacts"][0]["source"] = ""
    data["contacts"][1]["source_date"] = None
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    errors = check_content(copy).errors
    assert any("kp2mi_callcenter: no source" in e for e in errors)
    assert any("kp2mi_abroad: no source date" in e for e in errors)


def test_a_missing_message_translation_is_an_error(copy):
    path = copy / "en" / "messages.yaml"
    data = yaml.safe_load(path.read_text())
    del data["user-help"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert "en/messages.yaml: user-help: missing translation" in check_content(copy).errors


def test_long_answers_and_unverified_contacts_are_warnings(copy):
    edit_entry(copy, "id", "placement.loan", answer="Pinjaman. " * 150)
    report = check_content(copy)
    assert not report.errors
    assert any("placement.loan: answer is" in w for w in report.warnings)
    assert any("not verified yet" in w for w in report.warnings)


def test_the_command_exits_1_on_errors_and_0_on_the_shipped_content(copy):
    ok = subprocess.run([sys.executable, "-m", "bot", "check-content"], capture_output=True, text=True)
    drop_entry(copy, "en", "placement.costs")
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "check-content", "--content", str(copy)], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout
    assert bad.returncode == 1 and "error: en/faq: topic placement.costs is missing" in bad.stdout


def edit_contacts(root, change):
    path = root / "contacts.yaml"
    data = yaml.safe_load(path.read_text())
    data["contacts"] = [c for c in data["contacts"] if change(c) is not False]
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


def test_a_country_without_an_emergency_number_is_reported(copy):
    edit_contacts(copy, lambda c: c["key"] not in ("tw_police", "tw_ambulance") and None)
    warnings = check_content(copy).warnings
    assert any("no emergency number" in w and "TW" in w for w in warnings)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda c: c.update(purpose="hot") if c["key"] == "tw_1955" else None, "tw_1955: purpose must be"),
        (lambda c: c.pop("note") if c["key"] == "tw_kdei" else None, "tw_kdei: confidence L needs"),
        (lambda c: c.update(source="") if c["key"] == "sg_sos" else None, "sg_sos: no source"),
    ],
)
def test_contact_rules_for_the_emergency_directory(copy, change, expected):
    edit_contacts(copy, change)
    assert any(expected in e for e in check_content(copy).errors)


def test_an_asked_line_with_an_unknown_entry_or_language_is_an_error(copy):
    with (copy / "asked" / "probe.tsv").open("a", encoding="utf-8") as file:
        file.write("id\tplacement.nope\tgmn cara daftar\nfr\tnone\tbonjour\n")
    errors = check_content(copy).errors
    assert any("asked/probe.tsv line" in e and "no entry 'placement.nope' in id" in e for e in errors)
    assert any("unknown language 'fr'" in e for e in errors)


def test_an_asked_line_without_three_fields_names_its_file_and_line(copy):
    (copy / "asked" / "new.tsv").write_text("lang\texpected_id\tquestion\nid\tgaji telat\n", encoding="utf-8")
    expected = "asked/new.tsv line 2: needs language, ID and question, tab-separated"
    assert check_content(copy).errors == [expected]
