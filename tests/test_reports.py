import re
from types import SimpleNamespace

import pytest
from journeys import full_report, label, opening, register, rows, start_report

REFERENCE = re.compile(r"\bLP-[2-9A-HJ-NP-Z]{6}\b")


async def test_a_full_report_with_photos_and_a_voice_note(siti, settings):
    await start_report(siti)
    await siti.press(label("user-consent-yes"))
    await siti.press("🇹🇼 Taiwan")
    await siti.send_voice()
    await siti.send_photo()
    assert siti.last_text == label("user-report-ask-evidence", count=1)
    await siti.send_photo()
    await siti.press(label("user-button-done"))
    await siti.press(label("user-contact-by-phone"))
    await siti.send("0812 3456 7890")
    assert label("user-wizard-files", count=2) in siti.last_text
    assert label("user-wizard-files", count=3) not in siti.last_text
    await siti.press(label("user-button-confirm"))
    reference = REFERENCE.search(siti.last_text).group()
    assert rows(settings, "SELECT reference, category, country, contact_phone, status FROM cases") == [
        (reference, "unpaid_wages", "TW", "+6281234567890", "new")
    ]
    assert sorted(r[0] for r in rows(settings, "SELECT kind FROM attachments")) == ["photo", "photo", "voice"]


async def test_a_report_for_a_registered_family_member_takes_their_country(siti, settings):
    await register(siti, "Budi Santoso")
    await start_report(siti, subject="Budi Santoso")
    await siti.press(label("user-consent-yes"))
    assert siti.last_text.startswith(label("user-report-ask-description"))
    await siti.send("Budi tidak bisa dihubungi")
    await siti.press(label("user-button-skip"))
    await siti.press(label("user-contact-by-telegram"))
    await siti.press(label("user-button-confirm"))
    assert rows(settings, "SELECT subject, country, worker_id IS NOT NULL FROM cases") == [
        ("family", "TW", 1)
    ]


async def test_an_urgent_report_shows_contacts_before_the_first_question(siti):
    await siti.send("/report")
    await siti.press(label("user-category-abuse"))
    assert siti.last_text.startswith(label("user-urgent")) and "110" in siti.last_text
    assert siti.last_text == label("user-report-ask-subject", answers={"category": "abuse"})


async def test_an_urgent_report_about_someone_else_is_taken_without_consent(siti, settings):
    await start_report(siti, label("user-category-trafficking"), label("user-subject-other"))
    assert siti.last_text.startswith(label("user-report-vital"))
    await siti.press(label("user-vital-ok"))
    assert siti.last_text == label("user-report-ask-country")


async def test_no_consent_stores_nothing(siti, settings):
    await start_report(siti)
    await siti.press(label("user-consent-no"))
    assert rows(settings, "SELECT COUNT(*) FROM cases") == [(0,)]


@pytest.mark.parametrize(
    ("action", "error"),
    [
        ("long", label("user-wizard-too-long", limit=3000)),
        ("sticker", label("user-wizard-expect-voice")),
    ],
)
async def test_bad_description_is_refused(siti, action, error):
    await start_report(siti)
    await siti.press(label("user-consent-yes"))
    await siti.press("🇭🇰 Hong Kong")
    await (siti.send("x" * 3001) if action == "long" else siti.send_sticker())
    assert siti.last_text.startswith(error)


async def test_text_on_the_attachment_step_points_to_the_buttons(siti):
    await start_report(siti)
    await siti.press(label("user-consent-yes"))
    await siti.press("🇭🇰 Hong Kong")
    await siti.send("cerita")
    await siti.send("selesai")
    assert siti.last_text.startswith(label("user-wizard-send-files"))


async def test_cancel_mid_report(siti, settings):
    await start_report(siti)
    await siti.send("/cancel")
    assert siti.last_text.startswith(label("user-wizard-cancelled")) and rows(
        settings, "SELECT COUNT(*) FROM drafts"
    ) == [(0,)]


async def test_the_daily_limit(siti, settings):
    for _ in range(5):
        await full_report(siti)
    await siti.send("/report")
    assert siti.last_text.startswith(opening("user-report-limit", limit=5)) and "0-800-1000" in siti.last_text
    assert rows(settings, "SELECT COUNT(*) FROM cases") == [(5,)]


async def test_a_double_tapped_confirm_makes_one_case(siti, settings):
    await start_report(siti)
    await siti.press(label("user-consent-yes"))
    await siti.press("🇭🇰 Hong Kong")
    await siti.send("cerita")
    await siti.press(label("user-button-skip"))
    await siti.press(label("user-contact-by-none"))
    confirm = siti.last
    await siti.press(label("user-button-confirm"))
    await siti.press_data(confirm.buttons[0][0].data, confirm.message_id)
    assert rows(settings, "SELECT COUNT(*) FROM cases") == [(1,)]


async def test_status_lists_and_shows_own_cases_only(bot, siti):
    await full_report(siti)
    reference = REFERENCE.search(siti.last_text).group()
    await siti.send("/status")
    assert siti.last_text.startswith(label("user-status-list"))
    await siti.press(next(button for button in siti.buttons if button.startswith(reference)))
    case = await bot.services.store.case_by_reference(reference)
    assert siti.last_text.startswith(opening("user-status-detail", case=case, events=[], country=""))
    assert label("user-status-new") in siti.last_text
    other = bot.emulator.user(id=2002, first_name="Eve", language_code="id")
    await other.send(f"/status {reference}")
    not_found = other.last_text
    await other.send("/status LP-ZZZZZZ")
    assert not_found.replace(reference, "X") == other.last_text.replace("LP-ZZZZZZ", "X")


async def test_add_information_to_an_open_case(siti, settings):
    await full_report(siti)
    reference = REFERENCE.search(siti.last_text).group()
    await siti.send(f"/status {reference}")
    await siti.press(label("user-button-add-info"))
    await siti.send("Majikan sekarang mengancam saya")
    assert siti.last_text.startswith(label("user-followup-done", result=SimpleNamespace(reference=reference)))
    assert rows(settings, "SELECT kind, body FROM case_events ORDER BY id")[-1] == (
        "info",
        "Majikan sekarang mengancam saya",
    )


async def test_ask_staff_becomes_a_question_case(siti, settings):
    await siti.send("resep rendang padang enak")
    await siti.press(label("user-button-ask-staff"))
    assert "resep rendang padang enak" in siti.last_text
    await siti.press(label("user-button-confirm"))
    assert REFERENCE.search(siti.last_text)
    assert rows(settings, "SELECT category, description FROM cases") == [
        ("question", "resep rendang padang enak")
    ]


async def test_deletedata_anonymises_cases(siti, settings):
    await full_report(siti)
    await siti.send("/deletedata")
    await siti.press(label("user-deletedata-yes"))
    assert rows(settings, "SELECT category, country, status, user_id, description FROM cases") == [
        ("unpaid_wages", "HK", "new", None, None)
    ]
    assert rows(settings, "SELECT COUNT(*) FROM attachments") == [(0,)]
