"""Issue 18: reporters and staff talk as in a chat (bot/handlers/conversation.py), stories in several
messages, media offered to staff, cards and case views staff can act on, undo, notes on their case."""

import re
import time
from types import SimpleNamespace

import pytest
from journeys import PLAIN, danger_reply, full_report, label, opening, register, rows, start_report

from bot.config import load_settings
from bot.emulator import Emulator
from bot.local import local_bot
from bot.outbox.escalation import escalate_once
from bot.store import Outgoing
from bot.store.outbox import URGENT_CARD

STAFF_CHAT = -100999
REFERENCE = re.compile(r"LP-[2-9A-HJ-NP-Z]{6}")


@pytest.fixture
async def desk(tmp_path, content):
    """The bot with two staff members in a staff group, and a reporter."""
    settings = load_settings(
        {
            "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
            "STAFF_IDS": "9001,9002",
            "STAFF_CHAT_ID": str(STAFF_CHAT),
            "CONVERSATION_HOURS": "48",
        }
    )
    emulator = Emulator()
    async with local_bot(settings, emulator=emulator, content=content) as running:
        users = {
            name: emulator.user(id=uid, first_name=name, language_code=lang)
            for name, uid, lang in (("Ani", 9001, "id"), ("Budi", 9002, "id"), ("Siti", 1001, "id"))
        }
        group = emulator.group(id=STAFF_CHAT, title="Petugas", members=[users["Ani"], users["Budi"]])
        yield running, users, group, content
        assert emulator.errors == [], f"the bot caused API errors: {emulator.errors}"


def later(running, seconds):
    running.services.store.db.clock = lambda: time.time() + seconds


async def released(running):
    """Held messages whose time has come are let go (every few real seconds in the running bot)."""
    await running.services.store.release_held()
    await running.services.outbox.drain(5)


async def report_and_staff_reply(desk, text="Boleh tahu nama lengkap anak Ibu?"):
    """Siti reports; Ani replies to the card (swipe-reply in the staff group)."""
    running, users, group, _ = desk
    await full_report(users["Siti"])
    reference = REFERENCE.search(users["Siti"].last_text).group()
    await running.services.outbox.drain(5)
    card = next(m for m in group.messages if reference in m.text and m.buttons)
    await users["Ani"].reply_in(group, card.message_id, text)
    await running.services.outbox.drain(5)
    return reference, card


async def test_a_plain_answer_after_a_staff_reply_reaches_the_case(desk):
    running, users, group, content = desk
    reference, card = await report_and_staff_reply(desk)
    await users["Siti"].send("nama nya Siti Aminah, no hp +852 6123 4567")
    case = await running.services.store.case_by_reference(reference)
    assert users["Siti"].last_text == content.text("id", "user-conversation-sent", case=case, reopened=False)
    await running.services.outbox.drain(5)
    relayed = group.messages[-1]
    assert relayed.reply_to == card.message_id and reference in relayed.text
    assert "nama nya Siti Aminah, no hp +852 6123 4567" in relayed.text


@pytest.mark.parametrize(
    ("kind", "caption"), [("photo", "slip gaji <b>&"), ("voice", None), ("location", None)]
)
async def test_photo_voice_and_location_reach_the_case(desk, kind, caption):
    running, users, group, content = desk
    reference, card = await report_and_staff_reply(desk)
    siti = users["Siti"]
    sent = {
        "photo": lambda: siti.send_photo(caption),
        "voice": siti.send_voice,
        "location": siti.send_location,
    }
    await sent[kind]()
    await running.services.outbox.drain(5)
    assert siti.last_text == sent_line(reference)
    header = next(m for m in reversed(group.messages) if m.kind == "text")
    assert header.reply_to == card.message_id
    if kind == "location":
        assert "maps.google.com/?q=-6.200000,106.800000" in header.text
    else:
        assert group.messages[-1].kind == kind and group.messages[-1].reply_to == card.message_id
    if caption:
        assert caption in header.text
        assert rows_of(desk, "SELECT caption FROM attachments WHERE caption IS NOT NULL") == [(caption,)]


def sent_line(reference, reopened=False):
    """The reporter's one-line acknowledgement, as they read it."""
    return label("user-conversation-sent", case=SimpleNamespace(reference=reference), reopened=reopened)


def rows_of(desk, sql):
    running = desk[0]
    return rows(running.services.settings, sql)


async def test_danger_is_answered_first_then_the_message_reaches_staff(desk):
    running, users, group, content = desk
    reference, _ = await report_and_staff_reply(desk)
    await users["Siti"].send("tolong majikan memukul saya, saya dikurung")
    urgent, sent = users["Siti"].messages[-2:]
    assert urgent.text == danger_reply(country="HK")  # the emergency reply first, for where she is
    assert sent.text == sent_line(reference)


async def test_without_a_conversation_text_goes_to_the_faq_search(desk):
    running, users, group, content = desk
    await full_report(users["Siti"])  # a report alone is not a conversation
    await running.services.outbox.drain(5)
    before = len(group.messages)
    await users["Siti"].send("berapa biaya penempatan ke taiwan")
    assert (
        label("user-conversation-sent", case=SimpleNamespace(reference=""), reopened=False)[:12]
        not in users["Siti"].last_text
    )
    await running.services.outbox.drain(5)
    assert len(group.messages) == before


async def test_the_conversation_window_closes(desk):
    running, users, group, content = desk
    await report_and_staff_reply(desk)
    later(running, 49 * 3600)
    await users["Siti"].send("resep rendang padang")
    assert (
        label("user-conversation-sent", case=SimpleNamespace(reference=""), reopened=False)[:12]
        not in users["Siti"].last_text
    )


async def test_ask_the_bot_instead(desk):
    running, users, group, content = desk
    await report_and_staff_reply(desk)
    await users["Siti"].send("syarat menjadi PMI apa saja")
    await users["Siti"].press(content.text("id", "user-button-ask-bot"))
    assert not users["Siti"].last_text.startswith(sent_line("")[:12]) and users["Siti"].last_text != ""


async def two_cases_with_staff_replies(desk):
    first, first_card = await report_and_staff_reply(desk, "Sejak kapan?")
    second, second_card = await report_and_staff_reply(desk, "Di kota mana?")
    return (first, first_card), (second, second_card)


async def test_with_two_cases_the_bot_asks_once_which_one(desk):
    running, users, group, content = desk
    (first, first_card), _ = await two_cases_with_staff_replies(desk)
    siti = users["Siti"]
    await siti.send("sejak Januari")
    assert siti.last_text == content.text("id", "user-conversation-which")
    await siti.press(next(label for label in siti.buttons if label.startswith(first)))
    await siti.send("majikan juga menahan paspor")
    await running.services.outbox.drain(5)
    relayed = [
        m
        for m in group.messages
        if m.reply_to == first_card.message_id
        and m.text.startswith(
            opening(
                "staff-reporter-message_in",
                case=SimpleNamespace(reference=first),
                text="",
                reopened=False,
                **PLAIN,
            )
        )
    ]
    assert ["sejak Januari" in relayed[0].text, "menahan paspor" in relayed[1].text] == [True, True]
    assert sum(m.text == content.text("id", "user-conversation-which") for m in siti.messages) == 1


async def test_a_new_staff_message_on_the_other_case_asks_again(desk):
    running, users, group, content = desk
    (first, _), (second, second_card) = await two_cases_with_staff_replies(desk)
    siti = users["Siti"]
    await siti.send("sejak Januari")
    await siti.press(next(label for label in siti.buttons if label.startswith(first)))
    later(running, 5)
    await users["Ani"].reply_in(group, second_card.message_id, "Dan kotanya?")
    await siti.send("Hong Kong")
    assert siti.last_text == content.text("id", "user-conversation-which")


async def test_a_message_on_a_resolved_case_reopens_it_and_staff_are_told(desk):
    running, users, group, content = desk
    reference, card = await report_and_staff_reply(desk)
    await users["Ani"].press(label("staff-button-take"), group)
    await users["Ani"].press(label("staff-button-res"), group)
    later(running, 120)
    await released(running)
    await users["Siti"].send("tapi gaji belum dibayar juga")
    await running.services.outbox.drain(5)
    assert rows_of(desk, "SELECT status FROM cases") == [("in_progress",)]
    assert users["Siti"].last_text == sent_line(reference, reopened=True)
    told = label(
        "staff-reporter-message_in",
        case=SimpleNamespace(reference=reference),
        text="",
        reopened=True,
        **PLAIN,
    )
    assert any(m.text.startswith(told) for m in group.messages)
    await users["Ani"].send("/cases")
    assert reference in users["Ani"].last_text


async def test_resolved_can_be_undone_within_a_minute_and_the_reporter_never_hears(desk):
    running, users, group, content = desk
    reference, card = await report_and_staff_reply(desk)
    await users["Ani"].press(label("staff-button-res"), group)
    await users["Ani"].press(content.text("id", "staff-button-undo"), group)
    later(running, 120)
    await released(running)
    assert rows_of(desk, "SELECT status FROM cases") == [("new",)]
    notice = opening(
        "user-status-changed", case=SimpleNamespace(reference=reference, status="resolved"), referred_to=None
    )
    assert not any(m.text.startswith(notice) for m in users["Siti"].messages)


async def test_undo_after_the_minute_is_refused(desk):
    running, users, group, content = desk
    await report_and_staff_reply(desk)
    await users["Ani"].press(label("staff-button-res"), group)
    later(running, 61)
    query = await users["Ani"].press(content.text("id", "staff-button-undo"), group)
    assert users["Ani"].answer(query)["text"] == content.text("id", "staff-undo-too-late")
    assert rows_of(desk, "SELECT status FROM cases") == [("resolved",)]


async def test_two_notes_on_two_cases_land_on_the_right_cases(desk):
    running, users, group, content = desk
    (first, first_card), (second, second_card) = await two_cases_with_staff_replies(desk)
    ani = users["Ani"]
    await press_on(ani, group, first_card, label("staff-button-note"))
    first_prompt = group.last
    await press_on(ani, group, second_card, label("staff-button-note"))
    second_prompt = group.last
    await ani.reply_in(group, first_prompt.message_id, "catatan untuk yang pertama")
    await ani.reply_in(group, second_prompt.message_id, "catatan untuk yang kedua")
    assert rows_of(
        desk,
        "SELECT reference, body FROM case_events JOIN cases ON cases.id = case_id"
        " WHERE kind = 'note' ORDER BY case_events.id",
    ) == [
        (first, "catatan untuk yang pertama"),
        (second, "catatan untuk yang kedua"),
    ]


async def press_on(user, group, message, label):
    """Press a button of one given message in the group (not the newest showing that label)."""
    data = next(b.data for row in message.buttons for b in row if b.text == label)
    return await user.emulator.click(user.user, group.chat, message.message_id, data)


async def test_a_reply_to_a_card_with_a_note_open_goes_to_the_reporter(desk):
    running, users, group, content = desk
    (first, first_card), (second, second_card) = await two_cases_with_staff_replies(desk)
    await press_on(users["Ani"], group, first_card, label("staff-button-note"))
    await users["Ani"].reply_in(group, second_card.message_id, "Apakah Ibu sudah ke KBRI?")
    await running.services.outbox.drain(5)
    assert "Apakah Ibu sudah ke KBRI?" in users["Siti"].last_text
    assert rows_of(desk, "SELECT COUNT(*) FROM case_events WHERE kind = 'note'") == [(0,)]


async def test_a_story_in_three_messages_reaches_staff_whole_with_captions(desk):
    running, users, group, content = desk
    siti = users["Siti"]
    await start_report(siti)
    await siti.press(label("user-consent-yes"))
    await siti.press("🇭🇰 Hong Kong")
    for part in ("kak sy mau lapor", "gaji 3 bulan blm dibayar", "majikan marah2 terus"):
        await siti.send(part)
    await siti.send_photo("slip gaji")
    await siti.press(label("user-button-done"))
    await siti.send_photo("kontrak kerja")
    await siti.press(label("user-button-done"))
    await siti.press(label("user-contact-by-telegram"))
    await siti.press(label("user-button-confirm"))
    await running.services.outbox.drain(5)
    card = next(m for m in group.messages if m.buttons)
    story = "kak sy mau lapor\n\ngaji 3 bulan blm dibayar\n\nmajikan marah2 terus\n\n🖼️ slip gaji"
    assert story in card.text
    captions = sorted(m.text for m in group.messages if m.kind == "photo")
    assert [c.split(" · ", 1)[1] for c in captions] == ["kontrak kerja", "slip gaji"]


async def test_a_long_story_follows_the_card_whole(desk):
    running, users, group, content = desk
    siti = users["Siti"]
    await start_report(siti)
    await siti.press(label("user-consent-yes"))
    await siti.press("🇭🇰 Hong Kong")
    await siti.send("a" * 3500)
    await siti.send("b" * 3500)
    await siti.press(label("user-button-done"))
    await siti.press(label("user-button-skip"))
    await siti.press(label("user-contact-by-telegram"))
    await siti.press(label("user-button-confirm"))
    await running.services.outbox.drain(5)
    told = "\n\n".join(m.text.split("\n", 1)[1] for m in group.messages if m.text.startswith("📖"))
    assert told == "a" * 3500 + "\n\n" + "b" * 3500


async def test_the_card_says_who_is_affected_the_language_and_the_contact_in_words(desk):
    running, users, group, content = desk
    siti = users["Siti"]
    await register(siti, "Budi Santoso")
    await start_report(siti, subject="Budi Santoso")
    await siti.press(label("user-consent-yes"))
    await siti.send("Budi tidak bisa dihubungi")
    await siti.press(label("user-button-done"))
    await siti.press(label("user-button-skip"))
    await siti.press(label("user-contact-by-phone"))
    await siti.send("0812 3456 7890")
    await siti.press(label("user-button-confirm"))
    await running.services.outbox.drain(5)
    card = next(m for m in group.messages if m.buttons).text
    assert f"Yang mengalami: Budi Santoso (pelapor: {label('user-relation-child').lower()})" in card
    assert "Bahasa pelapor: Indonesia" in card
    assert content.text("id", "staff-contact-by-phone") in card


async def test_a_photo_outside_any_case_is_offered_to_staff_as_a_question(desk):
    running, users, group, content = desk
    siti = users["Siti"]
    await siti.send_photo("ini kontrak sy, tolong dicek")
    assert siti.last_text == content.text("id", "user-media-offer")
    await siti.press(content.text("id", "user-button-send-to-staff"))
    await siti.press(label("user-consent-yes"))
    await siti.press(label("user-button-confirm"))
    await running.services.outbox.drain(5)
    assert rows_of(desk, "SELECT category, description FROM cases") == [
        ("question", "ini kontrak sy, tolong dicek")
    ]
    assert rows_of(desk, "SELECT kind, caption FROM attachments") == [
        ("photo", "ini kontrak sy, tolong dicek")
    ]
    assert group.messages[-1].kind == "photo"


async def test_erasing_the_reporter_forgets_their_chosen_case(desk):
    running, users, group, content = desk
    await report_and_staff_reply(desk)
    await users["Siti"].send("sejak Januari")
    assert rows_of(desk, "SELECT COUNT(*) FROM conversations") == [(1,)]
    await running.services.store.erase_user(1001)
    assert rows_of(desk, "SELECT COUNT(*) FROM conversations") == [(0,)]


async def test_a_held_message_is_invisible_to_the_worker_until_released(store):
    await store.queue([Outgoing(1001, "sendMessage", {"text": "x"}, kind="notice", ref=1, delay=65)])
    assert await store.due_outbox() == [] and await store.next_outbox_time() is None
    assert await store.release_held() == 0
    store.db.clock = lambda: time.time() + 66
    assert await store.release_held() == 1
    assert [row.payload["text"] for row in await store.due_outbox()] == ["x"]


async def test_referred_names_the_office_on_the_card_in_the_notice_and_in_status(desk):
    running, users, group, content = desk
    reference, card = await report_and_staff_reply(desk)
    await users["Ani"].press(label("staff-button-ref"), group)
    await users["Ani"].press(label("staff-button-refp"), group)
    await running.services.outbox.drain(5)
    office = content.text("id", "user-referral-refp")
    assert f"diteruskan ke {office}" in users["Siti"].last_text
    assert "KP2MI, KBRI/KJRI, atau polisi" not in users["Siti"].last_text
    await users["Siti"].send(f"/status {reference}")
    assert f"diteruskan ke {office}" in users["Siti"].last_text
    assert (
        "Diteruskan ke Polisi/Police"
        in next(m for m in group.messages if m.message_id == card.message_id).text
    )


# -- danger in a later message (issue 17): the reply first, relayed, the case urgent as if opened so

MINUTE = 60


async def report_in(user, lang):
    """A report about unpaid wages in Hong Kong, pressed and typed in `lang`."""
    await user.send("/report")
    for key in ("user-category-unpaid_wages", "user-subject-me", "user-consent-yes"):
        await user.press(label(key, lang))
    await user.press("🇭🇰 Hong Kong")
    await user.send("Gaji saya tidak dibayar 3 bulan")
    for key in ("user-button-done", "user-button-skip", "user-contact-by-telegram", "user-button-confirm"):
        await user.press(label(key, lang))
    return REFERENCE.search(user.last_text).group()


async def in_conversation(desk, lang="id"):
    """A reporter (writing in `lang`) reports; Ani answers on the card without taking the case."""
    running, users, group, content = desk
    reporter = (
        users["Siti"]
        if lang == "id"
        else running.emulator.user(id=1002, first_name="Sue", language_code="en")
    )
    reference = await report_in(reporter, lang)
    await running.services.outbox.drain(5)
    card = next(m for m in group.messages if reference in m.text and m.buttons)
    await users["Ani"].reply_in(group, card.message_id, "Boleh tahu alamat majikan?")
    await running.services.outbox.drain(5)
    return reporter, await running.services.store.case_by_reference(reference), card


def first_reply(content, lang, text, case):
    """The emergency reply (danger) or the crisis reply (self-harm) as the reporter reads it."""
    key = "user-self-harm" if "bunuh" in text or "kill" in text else "user-danger"
    name = content.country_name("HK", lang)
    return label(key, lang, country="HK", country_name=name, danger=key == "user-danger")


DANGER = [
    ("id", "tolong dia dipukul lagi sekarang", "danger"),
    ("id", "sy mau bunuh diri", "self_harm"),
    ("en", "please help, my employer is hitting me again", "danger"),
    ("en", "i want to kill myself", "self_harm"),
]


@pytest.mark.parametrize(("lang", "text", "found"), DANGER)
async def test_danger_on_a_case_in_conversation_answers_first_relays_and_makes_it_urgent(
    desk, lang, text, found
):
    running, users, group, content = desk
    reporter, case, card = await in_conversation(desk, lang)
    await reporter.send(text)
    first, sent = reporter.messages[-2:]
    assert first.text == first_reply(content, lang, text, case)
    assert sent.text == label("user-conversation-sent", lang, case=case, reopened=False)
    assert (await running.services.store.case_by_id(case.id)).urgent
    audit = "SELECT action, detail FROM audit WHERE action = 'urgent_message'"
    assert rows(running.services.settings, audit) == [("urgent_message", found)]


async def test_staff_see_the_card_and_the_message_as_urgent(desk):
    running, users, group, content = desk
    reporter, case, card = await in_conversation(desk)
    await reporter.send("tolong dia dipukul lagi sekarang")
    await running.services.outbox.drain(5)
    card_now = next(m for m in group.messages if m.message_id == card.message_id)
    assert card_now.text.startswith("🚨") and not card.text.startswith("🚨")
    relayed = group.messages[-1]
    assert relayed.reply_to == card.message_id and "tolong dia dipukul lagi sekarang" in relayed.text
    now_urgent = label(
        "staff-reporter-message_in", case=case, text="x", reopened=False, danger="danger", now_urgent=True
    )
    assert relayed.text.splitlines()[:2] == now_urgent.splitlines()[:2]
    priorities = "SELECT DISTINCT priority FROM outbox WHERE kind = 'relay_in' AND payload LIKE '%dipukul%'"
    assert rows(running.services.settings, priorities) == [(URGENT_CARD,)]


async def test_an_urgent_case_stays_as_it_is(desk):
    running, users, group, content = desk
    reporter, case, card = await in_conversation(desk)
    await reporter.send("tolong dia dipukul lagi sekarang")
    await running.services.outbox.drain(5)
    edits = len(running.emulator.calls("editMessageText"))
    await reporter.send("sy dikurung majikan sekarang")
    await running.services.outbox.drain(5)
    assert len(running.emulator.calls("editMessageText")) == edits  # no second 🚨 edit
    audit = "SELECT COUNT(*) FROM audit WHERE action = 'urgent_message'"
    assert rows(running.services.settings, audit) == [(1,)]
    assert group.messages[-1].text.startswith("🚨") and len(group.messages[-1].text.splitlines()) == 2


async def test_escalation_counts_from_when_the_case_became_urgent(desk):
    running, users, group, content = desk
    reporter, case, card = await in_conversation(desk)
    later(running, 40 * 3600)  # the case is old: only the time since the danger counts
    await reporter.send("tolong dia dipukul lagi sekarang")
    assert await escalate_once(running.services) == 0
    later(running, 40 * 3600 + 11 * MINUTE)
    assert await escalate_once(running.services) == 1
    assert rows(running.services.settings, "SELECT escalated FROM cases") == [(1,)]


async def test_a_plain_message_leaves_the_case_as_it_was(desk):
    running, users, group, content = desk
    reporter, case, card = await in_conversation(desk)
    await reporter.send("alamatnya di Mong Kok, dekat pasar")
    await running.services.outbox.drain(5)
    assert not (await running.services.store.case_by_id(case.id)).urgent
    assert not group.messages[-1].text.startswith("🚨")


async def test_one_tap_under_the_reply_gives_the_case_it_went_to(desk):
    running, users, group, content = desk
    reporter, case, card = await in_conversation(desk)
    await reporter.send("tolong dia dipukul lagi sekarang")
    await reporter.press(label("user-button-urgent-send"))
    assert rows(running.services.settings, "SELECT COUNT(*) FROM cases") == [(1,)]
    assert reporter.last_text == label("user-urgent-sent", result=case)


# -- requests to act before relaying (issue 21): "menu" is done, "menu makan di sini tidak ada" relayed


def relayed_count(desk):
    return rows_of(desk, "SELECT COUNT(*) FROM case_events WHERE kind = 'message_in'")[0][0]


NO_DATA = {"user": None, "registration": None, "draft": None, "province": "", "countries": {}, "dates": {}}


def first_line(key, lang, **context):
    return label(key, lang, **context).splitlines()[0]


@pytest.mark.parametrize(
    ("lang", "typed", "shown"),
    [
        ("id", "menu", lambda ref: first_line("user-menu-title", "id")),
        ("en", "main menu", lambda ref: first_line("user-menu-title", "en")),
        ("id", "english please", lambda ref: first_line("user-language-set", "en")),
        ("id", "bahasa inggris", lambda ref: first_line("user-language-set", "en")),
        ("en", "bahasa indonesia", lambda ref: first_line("user-language-set", "id")),
        ("id", "status laporan", lambda ref: first_line("user-status-list", "id", total=1, first=1, last=1)),
        ("en", "report status", lambda ref: first_line("user-status-list", "en", total=1, first=1, last=1)),
        ("id", "{ref}", lambda ref: ref),
        ("en", "{ref}", lambda ref: ref),
        ("id", "ganti nomor hp", lambda ref: first_line("user-mydata", "id", **NO_DATA)),
        ("en", "change phone number", lambda ref: first_line("user-mydata", "en", **NO_DATA)),
    ],
)
async def test_a_clear_request_to_act_is_done_not_relayed(desk, lang, typed, shown):
    reporter, case, card = await in_conversation(desk, lang)
    before = relayed_count(desk)
    await reporter.send(typed.format(ref=case.reference))
    assert relayed_count(desk) == before
    assert not reporter.last_text.startswith(
        first_line("user-conversation-sent", lang, case=case, reopened=False)
    )
    assert shown(case.reference) in reporter.messages[-1].text.splitlines()[0]


@pytest.mark.parametrize(
    ("lang", "typed"),
    [
        ("id", "menu makan di sini tidak ada"),
        ("en", "the menu here has no halal food for me"),
        ("id", "{ref} majikan sudah bayar separuh gaji tapi sisanya belum, tolong ditanyakan lagi ya kak"),
        ("en", "about {ref}: my employer paid half of the salary but the rest is still not paid to me"),
        ("id", "admin"),  # asking for a person while talking with one: for them
        ("en", "talk to a person"),
    ],
)
async def test_a_message_that_merely_contains_such_words_reaches_staff(desk, lang, typed):
    reporter, case, card = await in_conversation(desk, lang)
    before = relayed_count(desk)
    await reporter.send(typed.format(ref=case.reference))
    assert relayed_count(desk) == before + 1
    assert reporter.last_text == label("user-conversation-sent", lang, case=case, reopened=False)
