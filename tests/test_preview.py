"""`python -m bot preview ID [--lang id|en]`: one answer as a user reads it, then its buttons."""

import shutil

import pytest
import yaml

from bot import cli
from bot.content import content_dir, load_content


def preview(capsys, *argv):
    cli.main(["preview", *argv], environ={})
    return capsys.readouterr().out.splitlines()


def test_prints_the_answer_as_plain_text_then_the_buttons(capsys):
    lines = preview(capsys, "placement.costs")
    assert lines[0] == "Biaya penempatan"
    assert not any("<b>" in line or "</" in line for line in lines)
    assert any(line.startswith("Sumber: ") for line in lines)
    assert lines[-3:] == ["[🆘 Laporkan masalah]", "[⬅️ Kembali]", "[🏠 Menu]"]
    assert "[Pinjaman KUR untuk PMI]" in lines  # a related entry


def test_lang_en_shows_the_english_entry(capsys):
    lines = preview(capsys, "placement.costs", "--lang", "en")
    assert lines[0] == "Placement costs"
    assert lines[-1] == "[🏠 Menu]" and any(line.startswith("Source: ") for line in lines)


def test_html_entities_are_unescaped(capsys, tmp_path, monkeypatch):
    root = tmp_path / "content"
    shutil.copytree(content_dir(), root)
    path = root / "id" / "faq" / "placement.yaml"
    data = yaml.safe_load(path.read_text())
    data["entries"][0]["answer"] = "Tanya <b>Disnaker</b> &amp; BP3MI: umur &lt; 18 tidak boleh."
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    monkeypatch.setattr(cli, "load_content", lambda: load_content(root))
    lines = preview(capsys, data["entries"][0]["id"])
    assert "Tanya Disnaker & BP3MI: umur < 18 tidak boleh." in lines


def test_an_unknown_id_exits_1_with_a_short_message(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["preview", "placement.nope"], environ={})
    captured = capsys.readouterr()
    assert stop.value.code == 1 and captured.out == ""
    assert "unknown FAQ ID 'placement.nope'" in captured.err
