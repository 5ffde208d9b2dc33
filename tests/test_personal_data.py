"""Personal data that is correct and private (issue 20): /mydata changes through the wizard, /status
pages and shows the person their own story, and messages with personal data are protected."""

import re

from journeys import full_report, label, register, register_another, rows
from test_erasure import STAFF_CHAT, desk  # noqa: F401 (the fixture)

from bot.store.cases import NewCase, insert_case

REFERENCE = re.compile(r"LP-[2-9A-HJ-NP-Z]{6}")


def protected(emulator, chat_id: int) -> list[bool]:
    return [m.protected for m in emulator.messages_in(chat_id) if m.sender is emulator.bot]


async def test_mydata_changes_the_phone_through_the_wizard(siti, settings):
    await register(siti)
    await siti.send("/mydata")
    await siti.press(label("user-button-change-phone"))
    await siti.send_contact("+85261234567")
    await siti.press(label("user-button-save"))
    assert siti.last_text.startswith(label("user-phone-done", result="+85261234567"))
    assert rows(settings, "SELECT phone FROM registrations") == [("+85261234567",)]


async def test_mydata_changes_a_workers_country_and_stage(siti, settings):
    await register(siti)
    await register_another(siti, "Budi Santoso")
    await siti.send("/mydata")
    await siti.press(label("user-button-change-worker", name="Budi Santoso"))
    await siti.press("🇭🇰 Hong Kong")
    await siti.press(label("user-stage-returned"))
    await siti.press(label("user-button-save"))
    assert rows(settings, "SELECT name, country, stage FROM workers ORDER BY id") == [
        ("Siti Aminah", "TW", "abroad"),
        ("Budi Santoso", "HK", "returned"),
    ]


async def test_mydata_reads_the_relation_as_the_question_does(bot, siti):
    await register(siti)
    await siti.send("/mydata")
    assert f"Siti Aminah ({label('user-relation-child')})" in siti.last_text
    assert label("user-relation-child") == "Anak saya" and protected(bot.emulator, siti.id)[-1]


async def test_status_pages_through_every_case_and_shows_the_story(bot, siti, settings):
    await siti.send("/start")
    async with bot.services.store.db.transaction() as db:
        for number in range(11):
            new = NewCase("other", "me", "telegram", "id", description=f"cerita nomor {number}")
            await insert_case(db, siti.id, new, 1_000 + number)
    await siti.send("/status")
    first = [b for b in siti.buttons if b.startswith("LP-")]
    await siti.press(label("user-button-older"))
    second = [b for b in siti.buttons if b.startswith("LP-")]
    assert len(first) + len(second) == 11 and not set(first) & set(second)
    await siti.press(second[-1])
    assert "cerita nomor 0" in siti.last_text and protected(bot.emulator, siti.id)[-1]


async def test_cards_relays_case_view_and_mydata_are_protected(desk):  # noqa: F811
    running, siti, ani, group, settings, now = desk
    await full_report(siti)
    reference = REFERENCE.search(siti.last_text).group()
    await running.services.outbox.drain(5)
    card = next(m for m in group.messages if m.buttons)
    await ani.reply_in(group, card.message_id, "Sejak kapan?")
    await running.services.outbox.drain(5)
    staff_message = running.emulator.find_message(siti.chat, siti.last.message_id)
    await running.emulator.post(siti.user, siti.chat, text="Sejak Januari", reply_to=staff_message)
    await running.services.outbox.drain(5)
    await ani.send_in(group, f"/case {reference}")
    bot_messages = [m for m in running.emulator.messages_in(STAFF_CHAT) if m.sender is running.emulator.bot]
    carrying = [
        m for m in bot_messages if reference in (m.text or m.caption or "") and "✅" not in (m.text or "")
    ]
    assert len(carrying) >= 5 and all(m.protected for m in carrying)  # card, 2 photos, relay, /case
    relayed = [m for m in running.emulator.messages_in(siti.id) if "Sejak kapan?" in (m.text or "")]
    assert relayed and relayed[0].sender is running.emulator.bot and relayed[0].protected
