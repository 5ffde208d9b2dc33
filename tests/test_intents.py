"""Typed requests to act (bot/search/intents.py): answered like the command or button, before the FAQ."""

import pytest
from journeys import danger_reply, full_report, label, opening

from bot.search.intents import detect_intent


@pytest.mark.parametrize(
    ("lang", "text"),
    [("id", "lapor"), ("id", "mau lapor"), ("id", "sy mau melapor"), ("en", "I want to report a problem")],
)
async def test_report_words_open_the_report_form(bot, lang, text):
    user = bot.emulator.user(id=61, first_name="W", language_code=lang)
    await user.send(text)
    assert user.last_text.startswith(opening("user-report-ask-category", lang))


@pytest.mark.parametrize(
    ("lang", "text"),
    [("id", "status laporan"), ("id", "kapan dapat kabar laporan sy"), ("en", "report status")],
)
async def test_status_words_list_the_users_cases(bot, lang, text):
    user = bot.emulator.user(id=62, first_name="W", language_code=lang)
    await user.send(text)
    assert user.last_text == label("user-status-none", lang)


@pytest.mark.parametrize(
    "typed", ["{ref}", "status {ref}", "cek laporan saya {ref} dong", "{code}", "lp {code}"]
)
async def test_a_typed_reference_of_ones_own_case_shows_it(siti, typed):
    await full_report(siti)
    [reference] = {w.strip("<>.,:") for m in siti.messages for w in m.text.split() if w.startswith("LP-")}
    await siti.send(typed.format(ref=reference, code=reference[3:]))
    assert reference in siti.last_text.splitlines()[0] and label("user-button-add-info") in siti.buttons


async def test_someone_elses_reference_gets_the_status_list(bot, siti):
    await full_report(siti)
    other = bot.emulator.user(id=63, first_name="A", language_code="id")
    reference = next(w for m in siti.messages for w in m.text.split() if w.startswith("LP-")).strip("<>.,:")
    await other.send(reference)
    assert other.last_text == label("user-status-none") and reference not in other.last_text


@pytest.mark.parametrize(("lang", "text"), [("id", "menu"), ("en", "main menu"), ("id", "Menu dong")])
async def test_menu_word_shows_the_menu(bot, lang, text):
    user = bot.emulator.user(id=64, first_name="W", language_code=lang)
    await user.send(text)
    assert (
        user.last_text == label("user-menu-title", lang) and label("user-button-report", lang) in user.buttons
    )


@pytest.mark.parametrize(
    ("lang", "text", "chosen"),
    [("id", "english please", "en"), ("id", "bahasa inggris", "en"), ("en", "bahasa indonesia", "id")],
)
async def test_language_words_switch_the_language(bot, lang, text, chosen):
    user = bot.emulator.user(id=65, first_name="W", language_code=lang)
    await user.send(text)
    await user.send("/menu")
    assert user.messages[-2].text == label("user-language-set", chosen)
    assert user.last_text == label("user-menu-title", chosen)


@pytest.mark.parametrize(("lang", "text"), [("id", "ganti nomor hp"), ("en", "change my phone number")])
async def test_change_my_data_shows_my_data(bot, lang, text):
    user = bot.emulator.user(id=66, first_name="W", language_code=lang)
    await user.send(text)
    assert user.last_text.startswith(
        opening("user-mydata", lang, user=None, registration=None, draft=None, province="", countries={})
    )


@pytest.mark.parametrize(("lang", "text"), [("id", "mau bicara dengan petugas"), ("en", "talk to a person")])
async def test_talk_to_a_person_says_how_and_offers_the_report(bot, lang, text):
    user = bot.emulator.user(id=67, first_name="W", language_code=lang)
    await user.send(text)
    assert (
        user.last_text == label("user-intent-staff", lang)
        and label("user-button-report", lang) in user.buttons
    )


@pytest.mark.parametrize(
    "text",
    [
        "lapor diri ke kbri caranya gmn",
        "lapor diri",
        "kontrak kerjanya pake bahasa inggris aku gak ngerti",
        "malang",
    ],
)
def test_questions_that_share_words_with_an_intent_stay_questions(text):
    assert detect_intent(text) is None


async def test_danger_comes_first_and_is_never_taken_as_a_request_to_act(siti):
    await siti.send("LP-ABC234 saya dipukul majikan lagi")
    assert siti.messages[0].text == danger_reply()
    assert label("user-status-none") not in [m.text for m in siti.messages]


async def test_an_edited_message_is_answered_like_a_new_one(siti):
    await siti.send("resep rendang padang")
    await siti.edit_last("menu")
    assert siti.last_text == label("user-menu-title")
