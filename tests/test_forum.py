"""Issue 18 scope 4: a forum staff chat holds one topic per case (bot/handlers/forum.py,
bot/outbox/topics.py). Staff type in the topic, the reporter answers in their chat."""

import re
import time
from dataclasses import replace

import pytest
from journeys import full_report, label, rows

from bot.config import load_settings
from bot.emulator import Emulator
from bot.local import local_bot
from bot.outbox.topics import RENAME_DELAY, URGENT_COLOR, create, topic_name
from bot.store import Outgoing
from bot.store.topics import RENAME

FORUM = -100777
REFERENCE = re.compile(r"LP-[2-9A-HJ-NP-Z]{6}")


@pytest.fixture
async def forum(tmp_path, content):
    """The bot with a staff forum it manages topics in, staff member Ani, reporter Siti."""
    settings = load_settings(
        {"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), "STAFF_IDS": "9001", "STAFF_CHAT_ID": str(FORUM)}
    )
    emulator = Emulator()
    async with local_bot(settings, emulator=emulator, content=content) as running:
        ani = emulator.user(id=9001, first_name="Ani", language_code="id")
        siti = emulator.user(id=1001, first_name="Siti", language_code="id")
        group = emulator.group(
            id=FORUM, title="Petugas", members=[ani], forum=True, bot_rights=("can_manage_topics",)
        )
        yield running, ani, siti, group, settings
        assert emulator.errors == [], f"the bot caused API errors: {emulator.errors}"


async def reported(running, siti):
    await full_report(siti)
    await running.services.outbox.drain(5)
    return await running.services.store.case_by_reference(REFERENCE.search(siti.last_text).group())


async def settled(running):
    await running.services.outbox.drain(5)


async def test_a_new_case_gets_its_own_topic_holding_the_card_and_files(forum):
    running, ani, siti, group, settings = forum
    case = await reported(running, siti)
    (topic,) = group.topics
    shown = group.in_topic(topic.thread_id)
    category, status = label("user-category-unpaid_wages"), label("user-status-new")
    assert topic.name == f"{case.reference} · {category} · {status}"
    assert any(case.reference in m.text and m.buttons for m in shown)
    assert sum(m.kind == "photo" for m in shown) == 2
    assert rows(settings, "SELECT case_id, thread_id FROM case_topics") == [(case.id, topic.thread_id)]


async def test_forum_mode_end_to_end(forum):
    """Topic created; staff type (no reply) → reporter, unsigned; reporter answers → topic; resolve →
    topic closed; the reporter writes again → topic and case reopened."""
    running, ani, siti, group, settings = forum
    case = await reported(running, siti)
    thread = group.topics[0].thread_id
    await ani.send_in_topic(group, thread, "Boleh tahu nama lengkap anak Ibu?")
    await settled(running)
    assert siti.last_text == label("user-staff-message", case=case, text="Boleh tahu nama lengkap anak Ibu?")
    assert "Ani" not in siti.last_text
    await siti.send("nama nya Siti Aminah")
    await settled(running)
    assert "nama nya Siti Aminah" in group.in_topic(thread)[-1].text
    await ani.press(label("staff-button-res"), group)
    await settled(running)
    assert group.topics[0].closed
    await siti.send("gaji masih belum dibayar")
    await settled(running)
    assert not group.topics[0].closed
    assert "gaji masih belum dibayar" in group.in_topic(thread)[-1].text
    assert (await running.services.store.case_by_id(case.id)).status != "resolved"


async def test_a_note_in_the_topic_stays_in_the_group(forum):
    running, ani, siti, group, settings = forum
    case = await reported(running, siti)
    before = len(siti.messages)
    await ani.send_in_topic(group, group.topics[0].thread_id, "// majikan sudah dihubungi")
    await settled(running)
    assert len(siti.messages) == before
    notes = rows(settings, "SELECT body FROM case_events WHERE kind = 'note'")
    assert notes == [("majikan sudah dihubungi",)]
    assert group.last_text == label("staff-note-done", result=case)


async def test_renames_wait_and_a_burst_of_changes_is_one_rename(forum):
    running, ani, siti, group, settings = forum
    case = await reported(running, siti)
    await ani.press(label("staff-button-take"), group)
    await ani.press(label("staff-button-res"), group)
    await ani.press(label("staff-button-undo"), group)
    await settled(running)
    assert running.emulator.calls("editForumTopic") == []
    running.services.store.db.clock = lambda: time.time() + RENAME_DELAY
    await running.services.store.release_held()  # as bot/outbox/hooks.py's loop does, every few seconds
    running.services.wake_outbox()
    await settled(running)
    assert [c.params["name"] for c in running.emulator.calls("editForumTopic")] == [
        f"{case.reference} · {label('user-category-unpaid_wages')} · {label('user-status-in_progress')}"
    ]
    assert group.topics[0].name.endswith(label("user-status-in_progress"))


async def test_danger_in_a_later_message_marks_the_topic_urgent(forum):
    running, ani, siti, group, settings = forum
    case = await reported(running, siti)
    await ani.send_in_topic(group, group.topics[0].thread_id, "Boleh tahu alamat majikan?")
    await siti.send("tolong dia dipukul lagi sekarang")
    running.services.store.db.clock = lambda: time.time() + RENAME_DELAY
    await running.services.store.release_held()
    running.services.wake_outbox()
    await settled(running)
    assert group.topics[0].name == topic_name(running.services, replace(case, urgent=True))
    assert group.topics[0].name.startswith("🚨")


async def test_erasing_the_reporter_removes_the_topic_mapping(forum):
    running, ani, siti, group, settings = forum
    await reported(running, siti)
    await running.services.store.erase_user(siti.id)
    assert rows(settings, "SELECT * FROM case_topics") == []


async def test_an_urgent_case_is_marked_in_its_topic_name(forum):
    running, ani, siti, group, settings = forum
    case = await reported(running, siti)
    urgent = replace(case, urgent=True)
    assert topic_name(running.services, urgent) == "🚨 " + topic_name(running.services, case)
    assert create(running.services, urgent, FORUM).payload["icon_color"] == URGENT_COLOR


@pytest.mark.parametrize("forum_chat", [True, False])
async def test_without_the_right_to_manage_topics_the_card_goes_to_the_group(tmp_path, content, forum_chat):
    settings = load_settings(
        {"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), "STAFF_IDS": "9001", "STAFF_CHAT_ID": str(FORUM)}
    )
    emulator = Emulator()
    async with local_bot(settings, emulator=emulator, content=content) as running:
        siti = emulator.user(id=1001, first_name="Siti", language_code="id")
        group = emulator.group(id=FORUM, title="Petugas", forum=forum_chat, bot_rights=())
        case = await reported(running, siti)
    assert group.topics == [] and any(case.reference in m.text and m.buttons for m in group.messages)
    assert [c.method for c in emulator.errors] == (["createForumTopic"] if forum_chat else [])


async def _store_with_a_topic(store):
    async with store.db.transaction() as db:
        await db.execute(
            "INSERT INTO cases (id, reference, category, subject, contact_method, lang, created_at,"
            " updated_at) VALUES (1, 'LP-ABC234', 'abuse', 'me', 'telegram', 'id', 0, 0)"
        )
    await store.save_topic(1, FORUM, 7, "LP-ABC234 · Kekerasan · Baru")
    return store


async def test_closing_a_closed_topic_queues_nothing(store):
    await _store_with_a_topic(store)
    close = Outgoing(FORUM, "closeForumTopic", {"message_thread_id": 7}, kind="topic_state", ref=1)
    assert [await store.set_topic_closed(1, True, close) for _ in range(2)] == [True, False]
    assert len(await store.due_outbox()) == 1 and (await store.topic_of(1)).closed


async def test_a_waiting_rename_is_replaced_and_the_current_name_is_not_queued(store):
    await _store_with_a_topic(store)
    for name in ("LP-ABC234 · Kekerasan · Selesai", "LP-ABC234 · Kekerasan · Baru"):
        rename = Outgoing(FORUM, "editForumTopic", {"message_thread_id": 7, "name": name}, kind=RENAME, ref=1)
        await store.queue_topic_rename(1, name, rename)
    assert await store.due_outbox() == []
    assert (await store.case_for_topic(FORUM, 7)).reference == "LP-ABC234"
