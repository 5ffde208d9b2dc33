"""Issue 21, smaller things people hit: /help, typed button labels, "back" on a second page, the send
button, the phone step's line, announcements, 👎, no two buttons to one place, "not in this list"."""

import pytest
from journeys import fill_registration_until_phone, label, rows, start_report
from test_broadcast import STAFF, add_users, compose, delivered, make_settings

from bot.handlers import screens
from bot.handlers.commands import USER_COMMANDS
from bot.local import local_bot


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_help_lists_every_user_command_and_the_emergency_numbers(bot, lang):
    user = bot.emulator.user(id=71, first_name="W", language_code=lang)
    await user.send("/help")
    assert all(f"/{name} " in user.last_text for name in USER_COMMANDS)
    assert "110" in user.last_text and bot.services.content.contacts["kemlu_pwni"].value in user.last_text


@pytest.mark.parametrize("typed", [str, str.lower, lambda s: f"  {s.upper()} ", lambda s: f"👧 {s.lower()}"])
async def test_a_typed_option_label_is_taken_as_the_press(siti, typed):
    await siti.send("/register")
    await siti.press(label("user-consent-yes"))
    await siti.send(typed(label("user-relation-child")))
    assert siti.last_text == label("user-register-ask-name", answers={"relation": "child"})


async def test_a_typed_country_from_the_second_page_is_taken(siti):
    await siti.send("/register")
    await siti.press(label("user-consent-yes"))
    await siti.press(label("user-relation-child"))
    await siti.send("Siti")
    await siti.send("kamboja")
    assert siti.last_text.startswith(label("user-register-ask-stage"))


async def test_text_that_is_no_label_still_asks_for_a_button(siti):
    await siti.send("/register")
    await siti.press(label("user-consent-yes"))
    await siti.send("anak sy yg kedua")
    assert siti.last_text.startswith(label("user-wizard-use-buttons"))


async def test_a_report_is_sent_with_kirim_and_a_registration_saved_with_simpan(siti):
    await start_report(siti)
    await siti.press(label("user-consent-yes"))
    await siti.press("🇭🇰 Hong Kong")
    await siti.send("Gaji tidak dibayar")
    await siti.press(label("user-button-done"))  # the story is told
    await siti.press(label("user-button-skip"))
    await siti.press(label("user-contact-by-telegram"))
    assert label("user-button-confirm") in siti.buttons and "kirim" in label("user-button-confirm").lower()
    assert label("user-button-save") not in siti.buttons and "simpan" in label("user-button-save").lower()


async def test_after_the_phone_step_nothing_claims_to_be_saved(siti):
    await fill_registration_until_phone(siti)
    await siti.send("081234567890")
    assert siti.messages[-2].text == label("user-wizard-noted")
    assert label("user-button-save") in siti.buttons


async def test_back_on_the_second_page_of_countries_shows_the_first(siti):
    await start_report(siti)
    await siti.press(label("user-consent-yes"))
    await siti.press(label("user-button-more"))
    await siti.press(label("user-button-back"))
    assert "🇭🇰 Hong Kong" in siti.buttons and label("user-button-more") in siti.buttons


async def test_thumbs_down_offers_to_ask_staff(siti):
    await siti.send("paspor ditahan majikan")
    await siti.press(label("user-feedback-no"))
    await siti.press(label("user-button-ask-staff"))
    await siti.press(label("user-consent-yes"))  # a question to staff stores personal data: consent first
    assert "paspor ditahan majikan" in siti.last_text and label("user-button-confirm") in siti.buttons


async def test_announcements_button_shows_the_latest_before_the_switch(tmp_path, content):
    async with local_bot(make_settings(tmp_path), content=content, virtual_pacing=True) as running:
        [user] = await add_users(running, 1)
        staff = running.emulator.user(id=STAFF, first_name="Ani", language_code="id")
        await compose(staff, "Info <b>vaksin</b> gratis")
        await staff.press(label("user-button-confirm"))
        await delivered(running)
        await user.send("/menu")
        await user.press(label("user-button-announcements"))
        assert "vaksin" in user.messages[-2].text and user.last_text == label("user-announcements-on")


async def test_announcements_button_says_when_there_are_none(siti):
    await siti.send("/menu")
    await siti.press(label("user-button-announcements"))
    assert siti.last_text.startswith(label("user-announcements-none"))


@pytest.mark.parametrize("lang", ["id", "en"])
def test_no_answer_screen_has_two_buttons_to_one_place(content, lang):
    for entry_id in content.entries[lang]:
        screen = screens.entry(content, lang, entry_id, frozenset({"report", "register", "contacts"}))
        buttons = [b for row in screen.markup.inline_keyboard for b in row]
        assert len({b.callback_data for b in buttons}) == len(buttons), entry_id
        related = [b for b in buttons if b.callback_data.startswith("faq:")]
        actions = [b for b in buttons if b.callback_data.startswith(("flow:", "ctc"))]
        assert not any(
            screens._leads_to(content.entry(lang, b.callback_data.split(":")[-1]), {}) for b in related
        )
        assert len(related) + len(actions) + 2 == len(buttons)


async def test_a_country_not_in_the_list_is_typed_and_stored_as_typed(siti, settings):
    await fill_registration_until_phone(siti)  # Taiwan; now change it to a typed one
    await siti.send("081234567890")
    await siti.press(label("user-button-edit"))
    await siti.press(label("user-register-label-country"))
    await siti.press(label("user-button-more"))
    await siti.press("❔ Tidak ada di daftar")
    assert siti.last_text == label("user-ask-country-typed")
    await siti.send("Fiji <b>")
    assert "Fiji <b>" in siti.last_text  # the summary shows it as typed (escaped)
    await siti.press(label("user-button-save"))
    assert rows(settings, "SELECT country FROM workers") == [("Fiji <b>",)]


async def test_contacts_for_a_country_not_in_the_list_give_the_lines_that_work_anywhere(siti, content):
    await siti.send("/menu")
    await siti.press(label("user-button-contacts"))
    await siti.press(label("user-button-other-countries"))
    await siti.press("❔ Tidak ada di daftar")
    assert siti.last_text.startswith(label("user-contacts-other-country", body="").splitlines()[0])
    assert content.contacts["kemlu_pwni"].value in siti.last_text
