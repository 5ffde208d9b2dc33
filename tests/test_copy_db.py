"""`python -m bot copy-db --to postgresql://...`: an existing SQLite database moves to PostgreSQL whole."""

import os
import sqlite3
import subprocess
import sys

import pytest
from journeys import every_cell, full_report, register

from bot.config import load_settings
from bot.emulator import Emulator
from bot.local import local_bot
from bot.store import Store
from bot.store.cases import NewCase, insert_case
from bot.store.registrations import NewRegistration, write_registration

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

ANSWERS = {
    "phone": "+6281234567890",
    "province": "jawa-timur",
    "district": "Malang",
    "village": "Kromengan",
    "relation": "child",
    "name": "Siti Aminah",
    "country": "TW",
    "stage": "abroad",
}
CASE = {"category": "unpaid_wages", "subject": "me", "contact_method": "telegram", "lang": "id"}


async def sqlite_with_data(path):
    store = await Store.open(path, clock=lambda: 1_000_000)
    await store.touch_user(1001, "Siti", "id")
    async with store.db.transaction() as db:
        await write_registration(db, 1001, NewRegistration(**ANSWERS), 1_000_000)
        case = await insert_case(db, 1001, NewCase(**CASE, description="Gaji", files=[("photo", "F1")]), 5)
    await store.set_kv("staff_chat_id", "-100123")
    await store.close()
    return case


def copy_db(sqlite_path, url):
    env = {**os.environ, "DATABASE_PATH": str(sqlite_path), "BOT_TOKEN": "", "DATABASE_URL": ""}
    return subprocess.run(
        [sys.executable, "-m", "bot", "copy-db", "--to", url], env=env, capture_output=True, text=True
    )


async def test_everything_arrives_and_new_rows_get_new_ids(tmp_path, database_url):
    case = await sqlite_with_data(tmp_path / "bot.sqlite3")
    done = copy_db(tmp_path / "bot.sqlite3", database_url)
    assert done.returncode == 0, done.stderr
    store = await Store.open(database_url)
    try:
        assert (await store.registration(1001)).workers[0].name == "Siti Aminah"
        assert (await store.case_by_reference(case.reference)).description == "Gaji"
        assert [a.file_id for a in await store.case_attachments(case.id)] == ["F1"]
        assert await store.get_kv("staff_chat_id") == "-100123"
        async with store.db.transaction() as db:
            newer = await insert_case(db, 1001, NewCase(**CASE, description="Lagi"), 6)
        assert newer.id > case.id
    finally:
        await store.close()


async def test_a_target_with_data_is_refused_and_left_alone(tmp_path, database_url):
    await sqlite_with_data(tmp_path / "bot.sqlite3")
    assert copy_db(tmp_path / "bot.sqlite3", database_url).returncode == 0
    again = copy_db(tmp_path / "bot.sqlite3", database_url)
    assert again.returncode == 1 and "not empty" in again.stderr
    store = await Store.open(database_url)
    try:
        figures = await store.stats_report()
        assert (figures["users"], figures["registrations"], figures["cases_by_status"]) == (1, 1, {"new": 1})
    finally:
        await store.close()


async def test_a_database_the_bot_filled_arrives_cell_for_cell(tmp_path, database_url, content, search):
    """Every table the migrations made, with what a registration, a report with photos, an unanswered
    question and a staff reply wrote: equal values on PostgreSQL (types, NULLs, text as typed)."""
    settings = load_settings({"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), "STAFF_CHAT_ID": "-100999"})
    emulator = Emulator()
    async with local_bot(
        settings.with_changes(staff_ids=frozenset({9001})), emulator=emulator, content=content, search=search
    ):
        siti, ani = emulator.user(id=1001, first_name="Siti"), emulator.user(id=9001, first_name="Ani")
        group = emulator.group(id=-100999, title="Petugas", members=[ani])
        await register(siti)
        await full_report(siti)
        await siti.send("resep rendang padang enak")
        await ani.reply_in(group, next(m for m in group.messages if m.buttons).message_id, "Nama lengkap?")
    assert copy_db(tmp_path / "bot.sqlite3", database_url).returncode == 0
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    own = {"sqlite_sequence", "schema_migrations"}  # each engine's own bookkeeping, not copied
    cells = [cell for cell in every_cell(settings) if cell[0] not in own]
    arrived = [
        cell for cell in every_cell(type("S", (), {"database_url": database_url})) if cell[0] not in own
    ]
    assert sorted(map(repr, arrived)) == sorted(map(repr, cells))
    assert len(tables) > 25 and {"cases", "attachments", "unanswered", "case_messages"} <= {
        c[0] for c in cells
    }
