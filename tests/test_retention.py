"""Retention: what the hourly purge removes once its time has come, and what it keeps for statistics."""

import re

import pytest
from journeys import full_report, label, rows

from bot.config import load_settings
from bot.emulator import Emulator
from bot.lifecycle import open_services
from bot.local import local_bot
from bot.retention import purge_once
from bot.store import Store

STAFF_CHAT = -100999
DAY = 86400
REFERENCE = re.compile(r"LP-[2-9A-HJ-NP-Z]{6}")


pytestmark = pytest.mark.both_backends
NEW_DATABASE = [lambda: None]


@pytest.fixture(autouse=True)
def _backend(new_database):
    NEW_DATABASE[0] = new_database


def staff_settings(tmp_path):
    url = NEW_DATABASE[0]()
    return load_settings(
        {
            "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
            "STAFF_IDS": "9001",
            "STAFF_CHAT_ID": str(STAFF_CHAT),
            **({"DATABASE_URL": url} if url else {}),
        }
    )


async def test_resolved_cases_lose_their_personal_data_once_retention_ends(tmp_path, content):
    settings = staff_settings(tmp_path)
    now = [1_000_000_000.0]
    emulator = Emulator()
    siti = emulator.user(id=1001, first_name="Siti", language_code="id")
    tono = emulator.user(id=1003, first_name="Tono", language_code="id")
    ani = emulator.user(id=9001, first_name="Ani", language_code="id")
    group = emulator.group(id=STAFF_CHAT, title="Petugas", members=[ani])
    async with local_bot(settings, emulator=emulator, content=content, clock=lambda: now[0]) as running:
        await full_report(siti)
        open_ref = REFERENCE.search(siti.last_text).group()
        await full_report(tono)
        resolved_ref = REFERENCE.search(tono.last_text).group()
        await running.services.outbox.drain(5)
        await ani.press(label("staff-button-res"), group)  # the newest card: Tono's
        await running.services.outbox.drain(5)
    now[0] += 729 * DAY  # not yet: DATA_RETENTION_DAYS is 730
    async with open_services(settings, clock=lambda: now[0], content=content) as services:
        assert (await purge_once(services))["case copies"] == 0
    case = (
        "SELECT description IS NULL, contact_method, user_id IS NULL, status FROM cases WHERE reference = ?"
    )
    assert rows(settings, case.replace("?", f"'{resolved_ref}'")) == [(0, "telegram", 0, "resolved")]
    now[0] += 2 * DAY
    async with open_services(settings, clock=lambda: now[0], content=content) as services:
        assert (await purge_once(services))["case copies"] == 3  # Tono's card and its two photos
    async with local_bot(settings, emulator=emulator, content=content, clock=lambda: now[0]) as running:
        await running.services.outbox.drain(5)  # the card's edit was queued by the purge
    assert rows(settings, case.replace("?", f"'{resolved_ref}'")) == [(1, "none", 1, "resolved")]
    assert rows(settings, case.replace("?", f"'{open_ref}'")) == [(0, "telegram", 0, "new")]
    resolved_id = f"(SELECT id FROM cases WHERE reference = '{resolved_ref}')"
    assert rows(settings, f"SELECT COUNT(*) FROM attachments WHERE case_id = {resolved_id}") == [(0,)]
    assert rows(
        settings, f"SELECT COUNT(*) FROM case_events WHERE case_id = {resolved_id} AND body IS NOT NULL"
    ) == [(0,)]
    assert rows(settings, "SELECT COUNT(*) FROM audit") == [(0,)]  # the resolve action, 731 days ago
    texts = [m.text for m in group.messages if m.edited or m.buttons]
    shell = next(text for text in texts if text.startswith(resolved_ref))
    assert "Tono" not in shell and "3 bulan" not in shell
    assert texts.count(label("staff-data-expired")) == 2  # its photos: too old to delete, captions edited
    assert any(open_ref in text and "3 bulan" in text for text in texts)
    edits = "SELECT DISTINCT priority FROM outbox WHERE method = 'editMessageText'"
    assert rows(settings, edits) == [(2,)]  # after new cards and notices, however many there are
    assert emulator.errors == []


async def test_old_outbox_rows_go_and_finished_broadcasts_keep_their_outcome():
    now = [1_000_000_000]
    store = await Store.open(NEW_DATABASE[0]() or ":memory:", clock=lambda: now[0])
    try:
        db = store.db
        for broadcast_id, status in ((1, "done"), (2, "sending")):
            await db.write(
                "INSERT INTO broadcasts (id, created_by, html, audience, status, finished_at, created_at,"
                " updated_at) VALUES (?, 9001, 'Lowongan', '{}', ?, ?, ?, ?)",
                (broadcast_id, status, now[0] if status == "done" else None, now[0], now[0]),
            )
        outbox = [("sent", "broadcast", 1)] * 3 + [("failed", "broadcast", 1), ("sent", "broadcast", 2)]
        outbox += [("sent", "notice", 7), ("pending", "notice", 8), ("sending", "notice", 9)]
        for status, kind, ref in outbox:
            await db.write(
                "INSERT INTO outbox (priority, chat_id, method, payload, kind, ref, status, created_at,"
                " updated_at) VALUES (0, 5, 'sendMessage', '{\"text\": \"Siti\"}', ?, ?, ?, ?, ?)",
                (kind, ref, status, now[0], now[0]),
            )
        await store.record_feedback(5, "placement.requirements", "id", True)
        await store.audit(9001, "export")
        now[0] += 29 * DAY
        assert await store.purge_outbox(older_than=now[0] - 30 * DAY) == 0
        now[0] += 2 * DAY
        assert await store.purge_outbox(older_than=now[0] - 30 * DAY) == 5  # not the unfinished broadcast's
        remaining = await db.fetch_all("SELECT status, ref FROM outbox ORDER BY id")
        assert [tuple(row) for row in remaining] == [("sent", 2), ("pending", 8), ("sending", 9)]
        assert await store.broadcast_counts(1) == {"sent": 3, "failed": 1}
        assert await store.purge_feedback(older_than=now[0] - 30 * DAY) == 1
        assert await store.feedback_counts() == {"placement.requirements": (1, 0)}
        assert await db.fetch_value("SELECT COUNT(*) FROM feedback WHERE user_id IS NOT NULL") == 0
        assert await store.purge_audit(older_than=now[0] - 30 * DAY) == 1
    finally:
        await store.close()


async def test_the_outbox_purge_reads_an_index_not_the_whole_outbox(store, backend):
    if backend != "sqlite":
        pytest.skip("SQLite's query plan")
    plan = await store.db.fetch_all(
        "EXPLAIN QUERY PLAN SELECT id FROM outbox"
        " WHERE status NOT IN ('pending', 'sending') AND updated_at < 5"
    )
    assert any("outbox_done" in row[3] for row in plan), [tuple(row) for row in plan]


async def test_start_up_queues_only_recent_missing_cards(tmp_path, content):
    """A crash between committing a case and queueing its card: the next start posts the card, but
    only for recent cases (older ones have had their sent cards' outbox rows purged)."""
    from bot.store.cases import NewCase, insert_case

    settings = staff_settings(tmp_path)
    now = 1_000_000_000
    store = await Store.open(settings.database, clock=lambda: now)
    fields = {"category": "unpaid_wages", "subject": "me", "contact_method": "telegram", "lang": "id"}
    try:
        await store.touch_user(1001, "Siti", "id")
        async with store.db.transaction() as db:
            old = await insert_case(db, 1001, NewCase(**fields, description="lama"), now - 40 * DAY)
            new = await insert_case(db, 1001, NewCase(**fields, description="baru"), now - 3600)
    finally:
        await store.close()
    emulator = Emulator()
    ani = emulator.user(id=9001, first_name="Ani", language_code="id")
    group = emulator.group(id=STAFF_CHAT, title="Petugas", members=[ani])
    async with local_bot(settings, emulator=emulator, content=content, clock=lambda: now) as running:
        await running.services.outbox.drain(5)
    cards = [m.text for m in group.messages if m.buttons]
    assert len(cards) == 1 and new.reference in cards[0] and old.reference not in cards[0]
