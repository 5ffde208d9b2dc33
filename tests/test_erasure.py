"""Erasure (issue 20): /deletedata, `erase` and retention leave none of a person's data in any table,
any outbox payload, or any message the bot placed in a staff chat; open cases keep a shell."""

import argparse
import re

import pytest
from journeys import every_cell, full_report, label, opening, register, rows

from bot.config import load_settings
from bot.emulator import Emulator
from bot.local import local_bot
from bot.retention import IDLE_GRACE_DAYS, purge_once

STAFF_CHAT = -100999
DAY = 86400
REFERENCE = re.compile(r"LP-[2-9A-HJ-NP-Z]{6}")
SITI = 1001
# Siti's Telegram name, her worker's name, phone, village, her story and her reply to staff.
PERSONAL = ("Siti", "6281234567890", "Kromengan", "3 bulan", "Sejak Januari")


@pytest.fixture
async def desk(tmp_path, content, database_url):
    settings = load_settings(
        {
            "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
            "DATABASE_URL": database_url,  # empty: SQLite
            "STAFF_IDS": "9001",
            "STAFF_CHAT_ID": str(STAFF_CHAT),
        }
    )
    now = [1_700_000_000.0]
    emulator = Emulator()
    async with local_bot(settings, emulator=emulator, content=content, clock=lambda: now[0]) as running:
        siti = emulator.user(id=SITI, first_name="Siti", language_code="id")
        ani = emulator.user(id=9001, first_name="Ani", language_code="id")
        group = emulator.group(id=STAFF_CHAT, title="Petugas", members=[ani])
        yield running, siti, ani, group, settings, now
        assert emulator.errors == [], f"the bot caused API errors: {emulator.errors}"


def leftovers(settings) -> list[str]:
    """Every cell of every table holding Siti's ID (a whole number) or any of her words."""
    found = []
    for table, column, value in every_cell(settings):
        text = str(value)
        mentions_siti = value == SITI or re.search(rf"(?<![0-9]){SITI}(?![0-9])", text)
        if mentions_siti or any(word in text for word in PERSONAL):
            found.append(f"{table}.{column}: {text[:80]}")
    return found


def staff_chat_words(emulator) -> list[str]:
    texts = [m.text or m.caption or "" for m in emulator.messages_in(STAFF_CHAT) if m.sender is emulator.bot]
    return [t for t in texts if str(SITI) in t or any(word in t for word in PERSONAL)]


async def filed_and_talked(running, siti, ani, group) -> str:
    """A registration, a report with photos, relays both ways and feedback: Siti's whole journey."""
    await register(siti)
    await full_report(siti)
    reference = REFERENCE.search(siti.last_text).group()
    await running.services.outbox.drain(5)
    card = next(m for m in group.messages if reference in m.text and m.buttons)
    await ani.reply_in(group, card.message_id, "Sejak kapan?")
    await running.services.outbox.drain(5)
    staff_message = running.emulator.find_message(siti.chat, siti.last.message_id)
    await running.emulator.post(siti.user, siti.chat, text="Sejak Januari", reply_to=staff_message)
    await running.services.outbox.drain(5)
    await siti.send("paspor ditahan majikan")  # in conversation with staff: it goes to the case ...
    await siti.press(label("user-button-ask-bot"))  # ... unless she asks the bot instead
    await siti.press(label("user-feedback-yes"))
    assert staff_chat_words(running.emulator) and leftovers(running.services.settings)
    return reference


async def erase(running, siti, rounds: int = 1) -> None:
    """Siti erases her data with /deletedata; then `rounds` passes of the outbox carry it out."""
    await siti.send("/deletedata")
    await siti.press(label("user-deletedata-choice-erase"))
    for _ in range(rounds):
        await running.services.outbox.drain(5)


async def test_deletedata_leaves_nothing_of_the_person_anywhere_but_a_shell(desk):
    running, siti, ani, group, settings, now = desk
    reference = await filed_and_talked(running, siti, ani, group)
    await erase(running, siti)
    assert leftovers(settings) == []
    assert staff_chat_words(running.emulator) == []
    shell = next(m for m in group.messages if m.buttons)
    assert shell.text.startswith(reference) and label("staff-button-res") in shell.labels


async def test_erase_on_the_command_line_and_old_copies_are_edited_not_deleted(desk, capsys):
    from bot.cli import erase

    running, siti, ani, group, settings, now = desk
    await filed_and_talked(running, siti, ani, group)
    running.emulator.advance(3 * DAY)  # Telegram no longer deletes them ...
    now[0] += 3 * DAY  # ... and the bot knows it
    await erase(settings, argparse.Namespace(user_id=SITI))
    running.services.outbox.wake()
    await running.services.outbox.drain(5)
    assert leftovers(settings) == [] and staff_chat_words(running.emulator) == []
    assert running.emulator.calls("deleteMessages") == []
    assert label("staff-data-deleted") in [m.text for m in group.messages]


def erase_while_sending(running, kind):
    """Siti's data is erased while an outbox row of `kind` is being sent."""
    outbox, store = running.services.outbox, running.services.store
    request = outbox._request

    async def erase_meanwhile(row):
        if row.kind == kind:
            await store.erase_user(SITI)
        return await request(row)

    outbox._request = erase_meanwhile


async def test_a_card_being_sent_while_its_case_is_erased_arrives_as_the_shell(desk):
    running, siti, ani, group, settings, now = desk
    erase_while_sending(running, "case_card")
    await full_report(siti)
    await running.services.outbox.drain(5)
    await running.services.outbox.drain(5)
    assert staff_chat_words(running.emulator) == [] and leftovers(settings) == []
    assert [m.text.startswith("LP-") for m in group.messages] == [True]


async def test_a_redelivered_reply_is_relayed_once(desk):
    running, siti, ani, group, settings, now = desk
    await full_report(siti)
    await running.services.outbox.drain(5)
    card = next(m for m in group.messages if m.buttons)
    delivered = []
    deliver = running.emulator.deliver
    running.emulator.deliver = lambda update: delivered.append(update) or deliver(update)
    await ani.reply_in(group, card.message_id, "Sejak kapan?")
    await deliver(delivered[-1])  # polling hands the same update again (e.g. after a crash)
    await running.services.outbox.drain(5)
    assert rows(settings, "SELECT COUNT(*) FROM case_events WHERE kind = 'message_out'") == [(1,)]
    assert rows(settings, "SELECT COUNT(*) FROM outbox WHERE kind = 'relay_out'") == [(1,)]


async def test_deletedata_can_keep_an_open_case_until_staff_close_it(desk):
    running, siti, ani, group, settings, now = desk
    reference = await filed_and_talked(running, siti, ani, group)
    await siti.send("/deletedata")
    assert reference in siti.last_text and siti.last_text.startswith(
        opening("user-deletedata-ask-open", answers={"_open": []})
    )
    await siti.press(label("user-deletedata-choice-keep"))
    await running.services.outbox.drain(5)
    assert reference in siti.last_text
    assert rows(settings, "SELECT COUNT(*) FROM registrations") == [(0,)]
    assert rows(settings, "SELECT description IS NOT NULL FROM cases") == [(1,)]
    await ani.press(label("staff-button-res"), group)
    await running.services.outbox.drain(5)
    assert leftovers(settings) == [] and staff_chat_words(running.emulator) == []


async def test_an_idle_open_case_is_announced_then_closed_and_purged(desk):
    running, siti, ani, group, settings, now = desk
    await full_report(siti)
    reference = REFERENCE.search(siti.last_text).group()
    await running.services.outbox.drain(5)
    now[0] += settings.data_retention_days * DAY + DAY
    await purge_once(running.services)
    await running.services.outbox.drain(5)
    warning = group.messages[-1]
    assert warning.text.startswith(opening("staff-case-idle", case=_Ref(reference), closes="").split()[0])
    assert reference in warning.text and rows(settings, "SELECT status FROM cases") == [("new",)]
    now[0] += IDLE_GRACE_DAYS * DAY + DAY
    await purge_once(running.services)
    await running.services.outbox.drain(5)
    assert rows(settings, "SELECT status, description FROM cases") == [("resolved", None)]
    assert staff_chat_words(running.emulator) == []


class _Ref:
    def __init__(self, reference):
        self.reference = reference


async def test_copies_telegram_will_not_delete_any_more_are_edited_instead(desk):
    running, siti, ani, group, settings, now = desk
    await filed_and_talked(running, siti, ani, group)
    running.emulator.advance(3 * DAY)  # the bot's clock lags: it tries to delete, Telegram refuses
    await erase(running, siti, rounds=3)
    assert staff_chat_words(running.emulator) == [] and leftovers(settings) == []
    refused = [call.method for call in running.emulator.errors]
    assert refused and set(refused) <= {"deleteMessages", "editMessageText"}
    emulator = running.emulator
    emulator.requests[:] = [c for c in emulator.requests if c.status < 400]  # refusals recovered from


async def test_copies_left_unqueued_by_a_crash_are_erased_by_the_next_purge(desk):
    running, siti, ani, group, settings, now = desk
    await filed_and_talked(running, siti, ani, group)
    await running.services.store.erase_user(SITI)  # committed; the bot stops before queueing
    assert staff_chat_words(running.emulator)
    await purge_once(running.services)  # as at the next start
    await running.services.outbox.drain(5)
    assert staff_chat_words(running.emulator) == [] and leftovers(settings) == []
    assert rows(settings, "SELECT COUNT(*) FROM case_messages WHERE erase_pending = 1") == [(0,)]


async def test_an_idle_case_staff_act_on_after_the_warning_stays_open(desk):
    running, siti, ani, group, settings, now = desk
    await full_report(siti)
    await running.services.outbox.drain(5)
    now[0] += settings.data_retention_days * DAY + DAY
    await purge_once(running.services)
    await ani.press(label("staff-button-prog"), group)
    now[0] += IDLE_GRACE_DAYS * DAY + DAY
    await purge_once(running.services)
    await running.services.outbox.drain(5)
    assert rows(settings, "SELECT status, description IS NOT NULL FROM cases") == [("in_progress", 1)]


# -- forum mode: a case's topic goes with its data (deleteForumTopic, through the outbox)

DELETE_TOPICS = ("can_manage_topics", "can_delete_messages")


@pytest.fixture
async def forum(desk):
    """The same desk, with the staff chat a forum the bot manages (and may delete) topics in."""
    running, siti, ani, group, settings, now = desk
    group.chat.is_forum, group.chat.bot_rights = True, frozenset(DELETE_TOPICS)
    group.chat.admins.add(running.emulator.bot.id)
    running.services.staff_forum = True
    return desk


async def talked_in_a_topic(running, siti, ani, group):
    await full_report(siti)
    await running.services.outbox.drain(5)
    (topic,) = group.topics
    await ani.send_in_topic(group, topic.thread_id, "Sejak kapan?")
    await siti.send("Sejak Januari")
    await running.services.outbox.drain(5)
    assert staff_chat_words(running.emulator)
    return topic


async def test_deletedata_deletes_the_cases_forum_topic(forum):
    running, siti, ani, group, settings, now = forum
    topic = await talked_in_a_topic(running, siti, ani, group)
    await erase(running, siti)
    assert group.topics == [] and group.in_topic(topic.thread_id) == []
    assert [c.params["message_thread_id"] for c in running.emulator.calls("deleteForumTopic")] == [
        topic.thread_id
    ]
    assert leftovers(settings) == [] and staff_chat_words(running.emulator) == []
    assert rows(settings, "SELECT COUNT(*) FROM case_messages WHERE kind = 'topic'") == [(0,)]


async def test_retention_deletes_the_topic_left_by_a_crash(forum):
    running, siti, ani, group, settings, now = forum
    await talked_in_a_topic(running, siti, ani, group)
    await running.services.store.erase_user(SITI)  # committed; the bot stops before queueing
    await purge_once(running.services)  # as at the next start
    await running.services.outbox.drain(5)
    assert group.topics == [] and leftovers(settings) == []


async def test_a_topic_the_bot_may_not_delete_is_closed_and_its_messages_erased(forum):
    running, siti, ani, group, settings, now = forum
    group.chat.bot_rights = frozenset({"can_manage_topics"})
    await talked_in_a_topic(running, siti, ani, group)
    await erase(running, siti, rounds=2)
    assert [t.closed for t in group.topics] == [True]
    assert staff_chat_words(running.emulator) == [] and leftovers(settings) == []
    assert [c.method for c in running.emulator.errors] == ["deleteForumTopic"]
    running.emulator.requests[:] = [c for c in running.emulator.requests if c.status < 400]  # recovered


async def test_a_topic_made_while_its_case_is_erased_is_deleted(forum):
    running, siti, ani, group, settings, now = forum
    erase_while_sending(running, "topic_create")
    await full_report(siti)
    for _ in range(2):
        await running.services.outbox.drain(5)
    assert group.topics == [] and rows(settings, "SELECT COUNT(*) FROM case_topics") == [(0,)]
    assert staff_chat_words(running.emulator) == [] and leftovers(settings) == []
