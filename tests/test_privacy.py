"""Privacy and an honest set-up: phone numbers from contacts, the operator details, the refusal of
`run`, FAQ-only mode, the template sandbox."""

import io
import os
import shutil

import jinja2
import pytest
import yaml
from journeys import fill_registration_until_phone, rows

from bot.cli import COMMANDS, main
from bot.config import load_settings
from bot.content import content_dir, load_content
from bot.content_check import check_content
from bot.emulator import Emulator
from bot.lifecycle import require_operator
from bot.local import local_bot
from bot.search.redact import redact

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ_0123456789"
OPERATOR = {"OPERATOR_NAME": "Yayasan Migran & Keluarga", "OPERATOR_CONTACT": "Kantor Desa Kromengan"}


# -- phone numbers from Telegram's contact button


@pytest.mark.parametrize(
    ("shared", "stored"),
    [("85261234567", "+85261234567"), ("+85261234567", "+85261234567"), ("6281234567890", "+6281234567890")],
)
async def test_a_shared_contact_is_an_international_number(siti, settings, shared, stored):
    await fill_registration_until_phone(siti)
    await siti.send_contact(shared)
    await siti.press("✅ Benar, simpan")
    assert rows(settings, "SELECT phone FROM registrations") == [(stored,)]


async def test_someone_elses_contact_is_refused_politely(siti, settings):
    await fill_registration_until_phone(siti)
    await siti.send_contact("85261234567", own=False)
    assert siti.last_text.startswith("Itu nomor orang lain.") and "📱 Kirim nomor HP saya" in siti.last_text
    assert siti.last.labels[0] == "📱 Kirim nomor HP saya"  # the step is asked again
    await siti.send_contact("+6281234567890")
    await siti.press("✅ Benar, simpan")
    assert rows(settings, "SELECT phone FROM registrations") == [("+6281234567890",)]


# -- operator details


def test_operator_from_the_environment_wins_over_operator_yaml():
    content = load_content()
    assert content.operator_unset == ("name", "contact")
    content.set_operator(OPERATOR["OPERATOR_NAME"], OPERATOR["OPERATOR_CONTACT"])
    consent = content.text("id", "user-register-consent", data_retention_days=730)
    assert "Yayasan Migran &amp; Keluarga — Kantor Desa Kromengan" in consent  # escaped, as all values
    assert content.operator_unset == () and "belum diisi" not in consent


def test_the_demo_operator_fills_only_what_is_unset():
    content = load_content()
    content.set_operator(contact="Kantor Desa Kromengan")
    content.use_demo_operator()
    assert content.operator_for("en")["name"].startswith("DEMO")
    assert content.operator_for("en")["contact"] == "Kantor Desa Kromengan"
    assert content.operator_unset == ("name",)  # a demo is not a set-up: `run` still refuses


def test_a_filled_in_operator_yaml_is_enough(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(content_dir(), root)
    data = yaml.safe_load((root / "operator.yaml").read_text())
    data.update(configured=True, name={"id": "Desa X", "en": "Village X"}, contact="Kantor desa")
    (root / "operator.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    content = load_content(root)
    require_operator(content)  # does not raise
    assert content.operator_for("en")["name"] == "Village X" and content.operator_unset == ()


def test_chat_shows_a_visible_demo_operator(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("/register\n"))
    main(["chat"], {"DATABASE_PATH": str(tmp_path / "chat.sqlite3")})
    assert "*Pengelola:* DEMO: layanan contoh" in capsys.readouterr().out


# -- `run` refuses to start without an operator and staff


def refusal(tmp_path, monkeypatch, capsys, env, command="run") -> tuple[int, list[str]]:
    """`python -m bot run` in-process: its exit code and what it wrote to stderr."""
    monkeypatch.chdir(tmp_path)  # no .env from the developer's folder
    with pytest.raises(SystemExit) as stopped:
        main([command], {"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), **env})
    return stopped.value.code, capsys.readouterr().err.splitlines()


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "BOT_TOKEN: not set"),  # the token is checked first, whatever else is missing
        ({"BOT_TOKEN": TOKEN}, "OPERATOR_NAME and OPERATOR_CONTACT: not set, and /"),
        ({"BOT_TOKEN": TOKEN, "OPERATOR_NAME": "Desa X"}, "OPERATOR_CONTACT: not set, and /"),
        ({"BOT_TOKEN": TOKEN, **OPERATOR}, "STAFF_IDS: no staff member is configured"),
        ({"BOT_TOKEN": TOKEN, **OPERATOR, "FAQ_ONLY": "0"}, "STAFF_IDS: no staff member is configured"),
        ({"BOT_TOKEN": TOKEN, **OPERATOR, "FAQ_ONLY": "perhaps"}, "FAQ_ONLY: use 1 (on) or 0 (off)"),
    ],
)
def test_run_refuses_to_start_with_one_line(tmp_path, monkeypatch, capsys, env, named):
    code, lines = refusal(tmp_path, monkeypatch, capsys, env)
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"configuration error: {named}")
    assert "OPERATOR" not in named or "content/operator.yaml says configured: false" in lines[0]
    assert not (tmp_path / "bot.sqlite3").exists()  # refused before anything was created


def test_the_operator_and_staff_may_come_from_a_dotenv_file(tmp_path, monkeypatch, capsys):
    (tmp_path / ".env").write_text("OPERATOR_NAME=Desa X\nOPERATOR_CONTACT=Kantor desa\nFAQ_ONLY=1\n")
    code, lines = refusal(
        tmp_path, monkeypatch, capsys, {"BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": "http://127.0.0.1:9/bot"}
    )
    assert code == 1 and lines[-1].startswith("cannot reach the Telegram Bot API")  # past every check


def test_a_bug_shows_its_traceback_without_the_token(tmp_path, monkeypatch, capsys):
    async def crash(settings, args):
        raise RuntimeError(f"POST {settings.telegram_api_url}{settings.bot_token}/getMe failed")

    monkeypatch.setitem(COMMANDS, "stats", crash)
    code, lines = refusal(tmp_path, monkeypatch, capsys, {"BOT_TOKEN": TOKEN}, "stats")
    assert code == 1 and lines[0] == "Traceback (most recent call last):"
    assert lines[-1] == "RuntimeError: POST https://api.telegram.org/bot[token]/getMe failed"


# -- FAQ-only mode


@pytest.fixture
async def faq_only(tmp_path):
    settings = load_settings({"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), "FAQ_ONLY": "1"})
    async with local_bot(settings, emulator=Emulator(), content=load_content()) as running:
        yield running.emulator.user(id=1001, first_name="Siti", language_code="id")


@pytest.mark.parametrize(
    "steps",
    [
        [("send", "/report")],
        [("send", "/menu"), ("press", "🆘 Laporkan masalah")],
        [("send", "resep rendang padang enak"), ("press", "🙋 Tanya petugas")],
    ],
)
async def test_faq_only_says_plainly_that_no_reports_are_taken(faq_only, tmp_path, steps):
    for action, value in steps:
        await getattr(faq_only, action)(value)
    assert faq_only.last_text.startswith("ℹ️ Layanan ini hanya menjawab pertanyaan.")
    assert "tidak menerima laporan" in faq_only.last_text and "0-800-1000" in faq_only.last_text
    assert rows(
        load_settings({"DATABASE_PATH": str(tmp_path / "bot.sqlite3")}), "SELECT COUNT(*) FROM drafts"
    ) == [(0,)]


# -- the template sandbox


def test_a_template_cannot_reach_python(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "getuid", lambda: calls.append("getuid") or 0)
    content = load_content()
    template = content.env.from_string("{{ cycler.__init__.__globals__.os.getuid() }}")
    with pytest.raises(jinja2.exceptions.SecurityError):
        template.render()
    assert calls == []


def test_a_template_cannot_change_its_values():
    template = load_content().env.from_string("{{ items.append(4) }}{{ items }}")
    with pytest.raises(jinja2.exceptions.SecurityError):
        template.render(items=[1, 2, 3])


# -- identifiers masked in unanswered questions


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("NIK saya 3507123456780001 hilang", "nik saya [nik] hilang"),
        ("ktp 3507 1234 5678 0001", "ktp [nik]"),
        ("3507123456780001", "[nik]"),  # a 16-digit number starting with a province code
        ("no paspor C1234567 ditahan", "no paspor [paspor] ditahan"),
        ("my passport is AB1234567", "my passport is [paspor]"),
        ("paspor saya nomor 12345678", "paspor saya nomor [paspor]"),
        ("rekening BRI 0123-01-123456-50-1 belum masuk", "rekening bri [rekening] belum masuk"),
        ("transfer ke BCA 1234567890 gagal", "transfer ke bca [rekening] gagal"),
        ("kartu 4111 1111 1111 1111 diblokir", "kartu [kartu] diblokir"),
        ("4111111111111111", "[kartu]"),  # no cue: the card check digit
        ("1234567890123456789", "[rekening]"),
        ("gaji Rp5000000 dan Rp 1.500.000", "gaji rp5000000 dan rp 1 500 000"),  # amounts stay
        ("kontrak 2 tahun mulai 12/03/2024", "kontrak 2 tahun mulai 12 03 2024"),
    ],
)
def test_identifiers_are_masked(text, stored):
    assert redact(text) == stored


async def test_an_unanswered_question_is_stored_without_identifiers(siti, settings):
    await siti.send(
        "cara masak rendang padang yg empuk, NIK 3507123456780001 paspor C1234567 kartu 4111111111111111"
    )
    assert rows(settings, "SELECT question FROM unanswered") == [
        ("cara masak rendang padang yang empuk nik [nik] paspor [paspor] kartu [kartu]",)
    ]


def test_check_content_reports_a_template_that_reaches_for_python(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(content_dir(), root)
    path = root / "id" / "faq" / "placement.yaml"
    data = yaml.safe_load(path.read_text())
    data["entries"][0]["answer"] = "{{ cycler.__init__.__globals__.os.getuid() }}"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    errors = check_content(root).errors
    assert any(
        "does not render: access to attribute '__init__'" in error and "is unsafe" in error
        for error in errors
    )
