import asyncio

import pytest
from journeys import (
    every_cell,
    fill_registration_until_phone,
    label,
    opening,
    register,
    register_another,
    rows,
)

from bot.store.privacy import Erasure

BACK, CANCEL = label("user-button-back"), label("user-button-cancel")
ASK_NAME = label("user-register-ask-name", answers={"relation": "child"})


async def test_full_registration_is_stored(siti, settings):
    await fill_registration_until_phone(siti)
    await siti.send_contact("+6281234567890")
    assert "Kabupaten Malang" in siti.last_text and "Taiwan" in siti.last_text
    await siti.press(label("user-button-save"))
    assert siti.last_text == label("user-register-done", result=1)
    assert rows(settings, "SELECT phone, province, district, village FROM registrations") == [
        ("+6281234567890", "jawa-timur", "Kabupaten Malang", "Kromengan")
    ]
    assert rows(settings, "SELECT relation, name, country, stage FROM workers") == [
        ("child", "Siti Aminah", "TW", "abroad")
    ]
    assert rows(settings, "SELECT COUNT(*) FROM drafts") == [(0,)]


async def test_no_consent_stores_nothing(siti, settings):
    await siti.send("/register")
    await siti.press(label("user-consent-no"))
    assert siti.last_text.startswith(label("user-register-consent-no"))
    assert rows(settings, "SELECT COUNT(*) FROM drafts") == [(0,)]
    assert rows(settings, "SELECT COUNT(*) FROM registrations") == [(0,)]


@pytest.mark.parametrize(
    ("step_input", "error"),
    [
        ("12345", label("user-invalid-name")),
        ("x" * 101, label("user-wizard-too-long", limit=100)),
        ("<b>&", label("user-invalid-name")),
    ],
)
async def test_bad_name_is_refused_and_asked_again(siti, step_input, error):
    await siti.send("/register")
    await siti.press(label("user-consent-yes"))
    await siti.press(label("user-relation-child"))
    await siti.send(step_input)
    assert siti.last_text == f"{error}\n\n{ASK_NAME}"


async def test_bad_place_phone_and_media_are_refused(siti):
    await siti.send("/register")
    for key in ("user-consent-yes", "user-relation-child"):
        await siti.press(label(key))
    await siti.send("Siti")
    await siti.press("🇭🇰 Hong Kong")
    await siti.press(label("user-stage-preparing"))
    await siti.press("Jawa Barat")
    await siti.send_sticker()
    assert siti.last_text.startswith(label("user-wizard-expect-text"))
    await siti.send("!!")
    assert siti.last_text.startswith(label("user-invalid-place"))
    await siti.send("Indramayu")
    await siti.send("Kenanga")
    await siti.send("12")
    assert siti.last_text.startswith(label("user-invalid-phone"))


async def test_typing_on_a_button_step_points_to_the_buttons(siti):
    await siti.send("/register")
    await siti.send("ya")
    assert siti.last_text.startswith(label("user-wizard-use-buttons"))


async def test_back_returns_to_the_previous_step_and_keeps_answers(siti):
    await siti.send("/register")
    await siti.press(label("user-consent-yes"))
    await siti.press(label("user-relation-child"))
    await siti.press(BACK)
    assert siti.last_text.startswith(label("user-register-ask-relation"))
    await siti.press(label("user-relation-parent"))
    await siti.send("Budi")
    await siti.press(label("user-button-more"))
    await siti.press(BACK)  # from the second page of countries: the first page
    assert label("user-button-more") in siti.buttons and "🇹🇼 Taiwan" in siti.buttons
    await siti.press(BACK)
    assert siti.last_text == ASK_NAME


async def test_cancel_at_a_step_drops_the_draft(siti, settings):
    await siti.send("/register")
    await siti.press(label("user-consent-yes"))
    await siti.press(CANCEL)
    assert siti.last_text.startswith(label("user-wizard-cancelled"))
    await siti.send("/register")
    await siti.press(label("user-consent-yes"))
    await siti.send("/cancel")
    assert siti.last_text.startswith(label("user-wizard-cancelled"))
    assert rows(settings, "SELECT COUNT(*) FROM drafts") == [(0,)]


async def test_other_commands_keep_the_draft_and_say_how_to_continue(siti):
    await siti.send("/register")
    await siti.press(label("user-consent-yes"))
    await siti.send("/help")
    assert siti.last_text == label("user-wizard-paused", flow=label("user-flow-register"))
    await siti.press(label("user-button-continue"))
    assert siti.last_text.startswith(label("user-register-ask-relation"))


async def test_buttons_of_an_old_step_or_old_draft_are_refused(siti):
    await siti.send("/register")
    consent = siti.last
    await siti.press(label("user-consent-yes"))
    old_step = siti.last
    await siti.press(label("user-relation-child"))
    query = await siti.press_data(old_step.buttons[0][0].data, old_step.message_id)
    assert siti.answer(query)["text"].startswith(label("user-stale-button"))
    await siti.send("/cancel")
    query = await siti.press_data(consent.buttons[0][0].data, consent.message_id)
    assert siti.answer(query)["text"].startswith(label("user-stale-button"))


async def test_double_tapped_confirm_stores_once(siti, settings):
    await fill_registration_until_phone(siti)
    await siti.send("081234567890")
    confirm = siti.last
    await siti.press(label("user-button-save"))
    await siti.press_data(confirm.buttons[0][0].data, confirm.message_id)
    assert rows(settings, "SELECT COUNT(*) FROM workers") == [(1,)]
    assert sum(m.text == label("user-register-done", result=1) for m in siti.messages) == 1


async def test_edit_from_the_summary(siti, settings):
    await fill_registration_until_phone(siti)
    await siti.send("081234567890")
    await siti.press(label("user-button-edit"))
    await siti.press(label("user-register-label-village"))
    await siti.send("Sukorejo")
    assert "Sukorejo" in siti.last_text and siti.last_text.startswith(
        opening("user-register-summary", summary=[])
    )
    await siti.press(label("user-button-save"))
    assert rows(settings, "SELECT village FROM registrations") == [("Sukorejo",)]


async def test_a_second_worker_and_registering_again_updates(siti, settings):
    await register(siti, "Siti Aminah")
    await register_another(siti, "Budi Santoso")
    await register_another(siti, "siti  aminah")
    assert rows(settings, "SELECT name FROM workers ORDER BY id") == [("siti aminah",), ("Budi Santoso",)]
    assert siti.last_text == label("user-register-done", result=2)


async def test_another_worker_reuses_the_address_and_phone(siti, settings):
    await register(siti, "Siti Aminah")
    before = len(siti.history)
    await register_another(siti, "Budi Santoso")
    asked = [m.text for m in siti.history[before:]]
    assert label("user-register-ask-province") not in asked and label("user-register-ask-phone") not in asked
    assert rows(settings, "SELECT phone, village FROM registrations") == [("+6281234567890", "Kromengan")]


async def test_mydata_shows_what_is_stored(siti):
    await register(siti)
    await siti.send("/mydata")
    assert (
        "+6281234567890" in siti.last_text
        and f"Siti Aminah ({label('user-relation-child')})" in siti.last_text
    )


async def test_deletedata_leaves_no_personal_field(siti, settings):
    await register(siti)
    await siti.send("/register")
    await siti.send("/deletedata")
    assert siti.last_text == label("user-wizard-paused", flow=label("user-flow-register"))
    await siti.send("/cancel")
    await siti.send("/deletedata")
    await siti.press(label("user-deletedata-yes"))
    assert siti.last_text.startswith(opening("user-deletedata-done", result=Erasure()))
    dump = "\n".join(str(value) for _table, _column, value in every_cell(settings))
    for personal in ("Siti Aminah", "6281234567890", "Kromengan", "Malang"):
        assert personal not in dump
    assert rows(settings, f"SELECT COUNT(*) FROM users WHERE id = {siti.id}") == [(0,)]


async def test_expired_drafts_are_refused_and_purged(bot, siti, settings):
    await siti.send("/register")
    await siti.press(label("user-consent-yes"))
    store = bot.services.store
    draft = await store.get_draft(siti.id)
    assert await store.purge_drafts(older_than=draft.updated_at + 1) == 1
    query = await siti.press(label("user-relation-child"))
    assert siti.answer(query)["text"].startswith(label("user-stale-button"))


async def test_register_in_a_group_points_to_a_private_chat(bot, siti):
    group = bot.emulator.group(id=-100777, title="Desa", members=[siti])
    await siti.send_in(group, "/register")
    assert group.last_text.startswith(label("user-group-private"))


async def test_the_menu_offers_registration(siti):
    await siti.send("/start")
    await siti.press(label("user-button-register"))
    assert siti.last_text.startswith(opening("user-register-consent"))


async def test_the_lifecycle_purges_expired_drafts_and_old_registrations(settings, content):
    from bot.emulator import Emulator
    from bot.local import local_bot

    now = [1_000_000.0]
    emulator = Emulator()
    async with local_bot(settings, emulator=emulator, content=content, clock=lambda: now[0]):
        user = emulator.user(id=9, first_name="Ani", language_code="id")
        await register(user)
        await user.send("/register")
    now[0] += 25 * 3600  # past DRAFT_TTL_HOURS (24)
    async with local_bot(settings, emulator=emulator, content=content, clock=lambda: now[0]):
        await asyncio.sleep(0.05)
    assert rows(settings, "SELECT COUNT(*) FROM drafts") == [(0,)]
    assert rows(settings, "SELECT COUNT(*) FROM registrations") == [(1,)]
    now[0] += 731 * 86400  # past DATA_RETENTION_DAYS (730) without activity
    async with local_bot(settings, emulator=emulator, content=content, clock=lambda: now[0]):
        await asyncio.sleep(0.05)
    assert rows(settings, "SELECT COUNT(*) FROM registrations") == [(0,)]
    assert rows(settings, "SELECT first_name FROM users") == [("",)]


def test_flow_diagrams_are_generated_from_the_steps():
    from bot.handlers import FLOWS
    from bot.wizard.diagram import DOCS, mermaid

    for flow in FLOWS:
        assert (DOCS / f"{flow.name}.mmd").read_text(encoding="utf-8") == mermaid(flow), (
            "run: python -m bot diagrams"
        )


# (action that reaches the step, the step's question) for every step of /register
STEPS = [
    (lambda u: u.send("/register"), opening("user-register-consent")),
    (lambda u: u.press(label("user-consent-yes")), label("user-register-ask-relation")),
    (lambda u: u.press(label("user-relation-child")), ASK_NAME),
    (lambda u: u.send("Siti Aminah"), label("user-register-ask-country")),
    (lambda u: u.press("🇹🇼 Taiwan"), label("user-register-ask-stage")),
    (lambda u: u.press(label("user-stage-abroad")), label("user-register-ask-province")),
    (lambda u: u.press("Jawa Timur"), label("user-register-ask-district")),
    (lambda u: u.send("Malang"), label("user-register-ask-village")),
    (lambda u: u.send("Kromengan"), label("user-register-ask-phone")),
    (lambda u: u.send("081234567890"), opening("user-register-summary", summary=[])),
]


@pytest.mark.parametrize("step", range(1, len(STEPS)))
async def test_back_and_cancel_at_every_step(siti, settings, step):
    for action, _ in STEPS[: step + 1]:
        await action(siti)
    assert STEPS[step][1] in siti.last_text
    await (siti.press(BACK) if step != 8 else siti.send(BACK))  # the phone step has a reply keyboard
    assert STEPS[step - 1][1] in siti.last_text
    await STEPS[step][0](siti)
    await siti.send("/cancel")
    assert siti.last_text.startswith(label("user-wizard-cancelled"))
    assert rows(settings, "SELECT COUNT(*) FROM drafts") == [(0,)]
