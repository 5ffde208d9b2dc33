"""Danger first, everywhere (issue 17), end to end through the emulator: the emergency and crisis
replies, forms that hold urgent text and are set aside, the one-tap urgent case, urgent cards that go
first and escalate. Texts are found by content key (journeys.label), never by wording."""

import asyncio
import contextlib
import json

import pytest
from journeys import danger_reply, full_report, label, register, rows, start_report

from bot.config import load_settings
from bot.emulator import Emulator
from bot.local import local_bot
from bot.outbox.escalation import escalate_once
from bot.store.outbox import URGENT_CARD

STAFF_CHAT = -100999
MINUTE = 60


def labels(*keys):
    return [label(key) for key in keys]


def draft(settings):
    found = rows(settings, "SELECT flow, step, answers FROM drafts")
    return [(flow, step, json.loads(answers)) for flow, step, answers in found]


async def at_name_step(user):
    await user.send("/register")
    await user.press("✅ Saya setuju")
    await user.press(label("user-relation-child"))


# -- the replies -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["sy di perkosa", "di siksa majikan", "saya di sekap", "help me"])
async def test_danger_however_it_is_spelt_gets_the_emergency_reply(siti, content, text):
    await siti.send(text)
    assert siti.messages[0].text == danger_reply()
    assert siti.messages[0].reply_to is not None  # it quotes the message: one tap sends it to staff
    assert labels("user-button-urgent-send")[0] in siti.messages[0].labels


async def test_self_harm_gets_crisis_lines_and_no_faq(siti, content):
    await siti.send("pengen bunuh diri")
    crisis = label("user-self-harm", country="", country_name="", danger=False)
    assert [m.text for m in siti.messages] == [crisis]
    assert siti.buttons == labels("user-button-talk-to-person")
    assert "0811 979 10000" in crisis  # the Indonesian crisis line from the contacts directory


async def test_the_crisis_reply_adds_the_destination_when_known(siti, content):
    await register(siti, "Budi Santoso")  # works in Taiwan
    await siti.send("i want to die")
    assert siti.last_text == label("user-self-harm", country="TW", country_name="🇹🇼 Taiwan", danger=False)
    assert "1925" in siti.last_text


async def test_a_long_story_is_read_to_its_end(siti, content):
    await siti.send("saya mau tanya soal kontrak kerja dan gaji. " * 90 + "sekarang sy dikurung majikan")
    assert siti.messages[0].text == danger_reply()


async def test_a_photo_caption_is_checked_too(siti, content):
    await siti.send_photo(caption="saya dipukul majikan")
    assert siti.messages[0].text == danger_reply()


async def test_picking_the_country_shows_its_emergency_numbers(siti, content):
    await siti.send("sy di pukul majikan")
    await siti.press("🇸🇬 Singapura")
    assert siti.messages[0].edited and siti.messages[0].text == danger_reply(country="SG")
    assert "999" in siti.messages[0].text and "1800 2255 233" in siti.messages[0].text


async def test_the_registered_country_is_used_and_unsure_numbers_say_so(siti, content):
    await register(siti, "Budi Santoso")  # works in Taiwan
    await siti.send("majikan cabul")
    reply = next(m for m in siti.messages if m.text == danger_reply(country="TW"))
    assert "110" in reply.text and "+886 2 8752 6170" in reply.text  # police, KDEI (low confidence)
    assert label("user-contact-confirm-first") in reply.text
    assert "0-800-1000" in reply.text and "811 8080 141" in reply.text  # KP2MI toll-free, WhatsApp


async def test_deleting_my_data_removes_a_form_set_aside(siti, settings):
    await at_name_step(siti)
    await siti.send("/report")
    await siti.send("/cancel")
    await siti.send("/deletedata")
    await siti.press(label("user-deletedata-yes"))
    assert rows(settings, "SELECT COUNT(*) FROM paused_drafts") == [(0,)]


# -- forms -------------------------------------------------------------------------------------


async def test_danger_at_a_text_step_is_not_taken_as_the_answer(siti, settings, content):
    await at_name_step(siti)
    await siti.send("tolong anak saya dikurung majikan")
    assert siti.messages[-2].text == danger_reply()
    assert siti.last_text.startswith(label("user-wizard-held"))
    assert [(f, s, "name" in a) for f, s, a in draft(settings)] == [("register", "name", False)]
    await siti.send("Budi Santoso")
    assert draft(settings)[0][1] == "country" and draft(settings)[0][2]["name"] == "Budi Santoso"


async def test_danger_at_a_button_step_asks_the_step_again(siti, settings, content):
    await siti.send("/register")
    await siti.press("✅ Saya setuju")
    await siti.send("sy di perkosa")
    assert siti.messages[-2].text == danger_reply()
    assert siti.last_text.startswith(label("user-wizard-asked-again"))
    assert draft(settings)[0][:2] == ("register", "relation")
    await siti.press(label("user-relation-child"))
    assert draft(settings)[0][:2] == ("register", "name")


@pytest.mark.parametrize("how", ["/report", "🆘 menu button"])
async def test_report_while_registering_sets_the_registration_aside(siti, settings, how):
    await at_name_step(siti)
    if how == "/report":
        await siti.send("/report")
    else:
        await siti.send("/menu")  # the registration stays open; the menu shows the 🆘 button
        await siti.press(label("user-button-report"))
    assert siti.messages[-2].text == label("user-wizard-set-aside", flow="pendaftaran")
    assert siti.last_text.startswith(label("user-report-ask-category").split("\n")[0])
    await siti.send("/cancel")
    assert siti.last_text == label("user-wizard-resume", flow="pendaftaran")
    await siti.press(label("user-button-continue"))
    assert siti.last_text.startswith(label("user-register-ask-name", answers={"relation": "child"}))
    assert draft(settings)[0][2]["relation"] == "child"


async def test_register_again_resumes_the_form_set_aside(siti, settings):
    await at_name_step(siti)
    await siti.send("/report")
    await siti.send("/cancel")
    await siti.send("/register")
    assert draft(settings)[0][:2] == ("register", "name")


# -- one tap to a person, and escalation ---------------------------------------------------------


@contextlib.asynccontextmanager
async def desk(tmp_path, content, now):
    """The bot on the store clock `now`, two staff members in a staff group, and Siti."""
    env = {"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), "STAFF_IDS": "9001,9002"}
    settings = load_settings({**env, "STAFF_CHAT_ID": str(STAFF_CHAT)})
    emulator = Emulator()
    ani, budi = (
        emulator.user(id=i, first_name=n, language_code="id") for i, n in ((9001, "Ani"), (9002, "Budi"))
    )
    group = emulator.group(id=STAFF_CHAT, title="Petugas", members=[ani, budi])
    siti = emulator.user(id=1001, first_name="Siti", language_code="id")
    async with local_bot(settings, emulator=emulator, content=content, clock=lambda: now[0]) as running:
        yield running, siti, ani, group, settings
    assert emulator.errors == []


async def send_now(siti, content, text="sy dikurung majikan"):
    await siti.send(text)
    await siti.press(label("user-button-urgent-send"))


async def test_one_tap_opens_an_urgent_case_with_the_message(tmp_path, content):
    async with desk(tmp_path, content, [1_000_000_000]) as (running, siti, ani, group, settings):
        await send_now(siti, content)
        await running.services.outbox.drain(5)
        case = await running.services.store.case_by_id(1)
        assert rows(settings, "SELECT category, urgent, description FROM cases") == [
            ("danger", 1, "sy dikurung majikan")
        ]
        assert label("user-urgent-sent", result=case) in [m.text for m in siti.messages]
        assert siti.last_text == label("user-urgent-ask-country", answers={}, count=0)
        card = next(m for m in group.messages if case.reference in m.text)
        audit = "SELECT action, detail FROM audit WHERE case_id IS NOT NULL"  # not the staff list's sync
        assert card.text.startswith("🚨") and rows(settings, audit) == [("urgent_open", "vital_interest")]


async def test_the_follow_ups_are_optional_and_reach_staff(tmp_path, content):
    async with desk(tmp_path, content, [1_000_000_000]) as (running, siti, ani, group, settings):
        await send_now(siti, content)
        await siti.press("🇭🇰 Hong Kong")
        await siti.press("Lewat chat ini")
        await running.services.outbox.drain(5)
        assert rows(settings, "SELECT country, contact_method FROM cases") == [("HK", "telegram")]
        assert any("Hong Kong" in m.text for m in group.messages[1:])


async def test_a_double_tap_opens_one_case(tmp_path, content):
    async with desk(tmp_path, content, [1_000_000_000]) as (running, siti, ani, group, settings):
        await send_now(siti, content)
        button = next(m for m in siti.messages if m.labels and m.labels[0].startswith("🆘 Kirim"))
        await siti.press_data(button.buttons[0][0].data, button.message_id)
        assert rows(settings, "SELECT COUNT(*) FROM cases") == [(1,)]


async def test_one_tap_from_inside_a_form_sets_it_aside(tmp_path, content):
    async with desk(tmp_path, content, [1_000_000_000]) as (running, siti, ani, group, settings):
        await at_name_step(siti)
        await send_now(siti, content, "tolong anak saya dikurung majikan")
        assert label("user-wizard-set-aside", flow="pendaftaran") in [m.text for m in siti.messages]
        await siti.send("/cancel")  # the optional questions: skipped
        await siti.press(label("user-button-continue"))
        assert draft(settings)[0][:2] == ("register", "name")
        assert rows(settings, "SELECT COUNT(*) FROM cases WHERE urgent = 1") == [(1,)]


async def test_the_urgent_card_goes_ahead_of_queued_staff_messages(tmp_path, content):
    async with desk(tmp_path, content, [1_000_000_000]) as (running, siti, ani, group, settings):
        await siti.send("sy dikurung majikan")

        async def press_when_busy(row, message):  # while the staff group's queue is still full
            if message["text"] == "queued 2":
                await siti.press(label("user-button-urgent-send"))

        running.services.outbox.on_sent[""] = press_when_busy
        for number in range(12):
            await running.services.store.enqueue_message(
                chat_id=STAFF_CHAT, method="sendMessage", payload={"text": f"queued {number}"}
            )
        running.services.wake_outbox()
        await running.services.outbox.drain(10)
        texts = [m.text for m in group.messages]
        assert texts[-1] == "queued 11" and texts.index("queued 11") > next(
            i for i, text in enumerate(texts) if text.startswith("🚨")
        )


async def test_a_story_that_reads_as_danger_makes_the_report_urgent(tmp_path, content):
    async with desk(tmp_path, content, [1_000_000_000]) as (running, siti, ani, group, settings):
        await start_report(siti, "Ingin pulang")
        await siti.press("✅ Saya setuju")
        await siti.press("🇭🇰 Hong Kong")
        await siti.send("sy dikurung majikan, pengen bunuh diri aja")  # the story itself: taken as told
        await siti.press(label("user-button-done"))
        await siti.press("⏭️ Lewati")
        await siti.press("Lewat chat ini")
        await siti.press(label("user-button-confirm"))
        assert rows(settings, "SELECT category, urgent FROM cases") == [("go_home", 1)]
        cards = "SELECT DISTINCT priority FROM outbox WHERE kind = 'case_card'"
        assert rows(settings, cards) == [(URGENT_CARD,)]


async def test_an_untaken_urgent_case_escalates_at_10_and_30_minutes(tmp_path, content):
    now = [1_000_000_000]
    async with desk(tmp_path, content, now) as (running, siti, ani, group, settings):
        await ani.send_in(group, "/cases")  # Ani is known to the bot by name; Budi is not
        await send_now(siti, content)
        now[0] += 9 * MINUTE
        assert await escalate_once(running.services) == 0
        now[0] += 2 * MINUTE
        assert await escalate_once(running.services) == 1
        await running.services.outbox.drain(5)
        case = await running.services.store.case_by_id(1)
        assert group.last_text == label("staff-urgent-alert", case=case, minutes=10)
    now[0] += 20 * MINUTE  # the bot restarts meanwhile: the state is in the store
    async with desk(tmp_path, content, now) as (running, siti, ani, group, settings):
        async with asyncio.timeout(5):  # the escalation job's first look runs at start-up
            while rows(settings, "SELECT escalated FROM cases") != [(2,)]:
                await asyncio.sleep(0.01)
        await running.services.outbox.drain(5)
        mentions = [(9001, "Ani"), (9002, "")]
        assert group.last_text == label("staff-urgent-alert-all", case=case, minutes=30, mentions=mentions)
        assert await escalate_once(running.services) == 0
    audit = "SELECT actor, action, detail FROM audit WHERE action = 'escalate'"
    assert rows(settings, audit) == [(0, "escalate", "1"), (0, "escalate", "2")]


async def test_a_staff_reply_to_the_alert_reaches_the_reporter(tmp_path, content):
    now = [1_000_000_000]
    async with desk(tmp_path, content, now) as (running, siti, ani, group, settings):
        await send_now(siti, content)
        now[0] += 11 * MINUTE
        await escalate_once(running.services)
        await running.services.outbox.drain(5)
        await ani.reply_in(group, group.last.message_id, "Kami sedang menghubungi KJRI")
        await running.services.outbox.drain(5)
        assert "Kami sedang menghubungi KJRI" in siti.last_text


async def test_a_taken_urgent_case_does_not_escalate(tmp_path, content):
    now = [1_000_000_000]
    async with desk(tmp_path, content, now) as (running, siti, ani, group, settings):
        await send_now(siti, content)
        await running.services.outbox.drain(5)
        await ani.press(label("staff-button-take"), group)
        now[0] += 31 * MINUTE
        assert await escalate_once(running.services) == 0


async def test_without_staff_one_tap_says_to_call_the_numbers(siti, settings):
    await siti.send("sy dikurung majikan")
    await siti.press(label("user-button-urgent-send"))
    assert siti.last_text == label("user-urgent-no-staff")
    assert rows(settings, "SELECT COUNT(*) FROM cases") == [(0,)]


async def test_cases_lists_the_urgent_case_first_and_marked(tmp_path, content):
    now = [1_000_000_000]
    async with desk(tmp_path, content, now) as (running, siti, ani, group, settings):
        await send_now(siti, content)
        now[0] += MINUTE
        await full_report(running.emulator.user(id=1003, first_name="Tono", language_code="id"))
        await ani.send_in(group, "/cases")
        listed = group.last_text.splitlines()[1:]
        urgent = (await running.services.store.case_by_id(1)).reference
        assert listed[0].startswith(f"🚨 {urgent}") and not listed[1].startswith("🚨")
