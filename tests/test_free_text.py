import json
import subprocess
import sys

import pytest
from journeys import danger_reply, label, rows


async def test_a_confident_match_answers_with_feedback_buttons(siti, content):
    await siti.send("paspor saya ditahan sama majikan gmn ini")
    assert siti.last_text.startswith(content.entries["id"]["protection.passport_held"].title)
    assert siti.buttons[:2] == [label("user-feedback-yes"), label("user-feedback-no")]


async def test_feedback_is_recorded_and_the_buttons_go(siti, settings):
    await siti.send("paspor ditahan majikan")
    await siti.press(label("user-feedback-yes"))
    assert rows(settings, "SELECT entry_id, helpful FROM feedback") == [("protection.passport_held", 1)]
    assert label("user-feedback-yes") not in siti.buttons


async def test_a_middling_match_offers_up_to_three_topics(bot, siti, content):
    result = bot.services.search.search("kerja", "id")
    assert result.kind == "suggest", "pick a query that is a middling match for the current content"
    await siti.send("kerja")
    titles = {content.entries["id"][c.id].title for c in result.candidates}
    assert titles <= set(siti.buttons) and label("user-button-ask-staff") in siti.buttons


async def test_no_match_says_so_and_records_the_question_redacted(siti, settings):
    await siti.send("nama saya Siti Rahayu, resep rendang padang 081234567890 dong")
    assert siti.last_text.startswith(label("user-search-none"))
    assert {label(f"user-button-{b}") for b in ("ask-staff", "contacts", "menu")} <= set(siti.buttons)
    [(question, _count)] = rows(settings, "SELECT question, count FROM unanswered")
    assert "rendang" in question and "081234567890" not in question and "rahayu" not in question.lower()


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("halo kak", "greeting"),
        ("makasih banyak ya", "thanks"),
        ("assalamualaikum", "greeting"),
    ],
)
async def test_small_talk_gets_a_short_reply_never_an_answer(siti, text, reply):
    await siti.send(text)
    assert siti.last_text == label(f"user-talk-{reply}") and not siti.buttons


@pytest.mark.parametrize(
    ("lang", "text", "topic"),
    [
        ("id", "tolong saya dipukul majikan", "protection.abuse"),
        ("id", "aku dikurung gak boleh keluar rumah", None),
        ("en", "my employer beats me", "protection.abuse"),
        ("en", "I was trafficked and want to escape", None),
    ],
)
async def test_urgent_words_get_the_emergency_reply_first(bot, lang, text, topic, content):
    user = bot.emulator.user(id=55, first_name="W", language_code=lang)
    await user.send(text)
    assert user.messages[0].text == danger_reply(lang)
    texts = [m.text for m in user.messages]  # a confident answer may follow; never suggestions
    assert label("user-search-suggest", lang) not in texts
    assert label("user-search-none", lang) not in texts
    if topic:
        assert user.messages[1].text.startswith(content.entries[lang][topic].title)


def test_ask_prints_the_contract_json():
    out = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "--lang", "id"],
        input="gaji blm dibayar 3 bln gmn\nhalo\nresep rendang\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    answer, talk, unknown = (json.loads(line) for line in out)
    assert set(answer) == {"question", "id", "score", "candidates", "urgent"}
    assert answer["id"] == "protection.unpaid_wages" and len(answer["candidates"]) <= 3
    assert set(answer["candidates"][0]) == {"id", "score"}
    assert talk["id"] is None and unknown["id"] is None


async def test_unanswered_command_lists_the_most_frequent(bot, siti, settings, capsys):
    for _ in range(2):
        await siti.send("resep rendang padang")
    await siti.send("cara main catur")
    from bot.cli import unanswered

    class Args:
        since = 30

    await unanswered(settings, Args())
    first = capsys.readouterr().out.splitlines()[0]
    assert first.split()[0] == "2" and "rendang" in first
