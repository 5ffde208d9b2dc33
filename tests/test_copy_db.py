"""`python -m bot copy-db --to postgresql://...`: an existing SQLite database moves to PostgreSQL whole."""

import os
import subprocess
import sys

import pytest

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
