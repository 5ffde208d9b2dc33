import asyncio
import stat

import pytest

from bot.store import Store
from bot.store.migrations import MIGRATIONS

pytestmark = pytest.mark.both_backends

STORES = []
NEW_DATABASE = [lambda: None]


async def memory_store(**kwargs):
    """An empty store: in memory on SQLite, a fresh schema on PostgreSQL."""
    store = await Store.open(NEW_DATABASE[0]() or ":memory:", **kwargs)
    STORES.append(store)
    return store


@pytest.fixture(autouse=True)
async def _close_stores(new_database):
    NEW_DATABASE[0] = new_database
    yield
    while STORES:
        await STORES.pop().close()


async def test_file_is_owner_only_and_migrations_are_recorded(tmp_path, database_url):
    path = tmp_path / "sub" / "bot.sqlite3"
    store = await Store.open(database_url or path)
    names = [row[0] for row in await store.db.fetch_all("SELECT name FROM schema_migrations")]
    await store.close()
    assert database_url or stat.S_IMODE(path.stat().st_mode) == 0o600
    assert names == [name for name, _ in MIGRATIONS]


async def test_reopening_applies_nothing_twice(tmp_path, database_url):
    await (await Store.open(database_url or tmp_path / "db")).close()
    store = await Store.open(database_url or tmp_path / "db")
    assert await store.db.migrate() == []
    await store.close()


async def test_touch_user_records_and_refreshes():
    now = [1000.0]
    store = await memory_store(clock=lambda: now[0])
    await store.touch_user(5, "Siti", "id")
    now[0] += 3600
    await store.touch_user(5, "Siti A", "en")
    user = await store.get_user(5)
    assert (user.first_name, user.telegram_language, user.first_seen, user.last_seen) == (
        "Siti A",
        "en",
        1000,
        4600,
    )


async def test_language_is_stored():
    store = await memory_store()
    await store.touch_user(5, "Siti", "id")
    await store.set_language(5, "en")
    assert await store.user_language(5) == "en"


async def test_concurrent_transactions_never_interleave(backend):
    if backend != "sqlite":
        pytest.skip("SQLite serialises transactions in-process; PostgreSQL runs them side by side")
    store = await memory_store()
    await store.db._db.execute("CREATE TABLE log (task TEXT, step INTEGER)")

    async def writer(name):
        for _ in range(5):
            async with store.db.transaction() as db:
                for step in range(3):
                    await db.execute("INSERT INTO log VALUES (?, ?)", (name, step))
                    await asyncio.sleep(0)

    await asyncio.gather(writer("a"), writer("b"))
    rows = [tuple(r) for r in await store.db.fetch_all("SELECT task, step FROM log ORDER BY rowid")]
    assert all(rows[i][0] == rows[i + 1][0] == rows[i + 2][0] for i in range(0, len(rows), 3))
    assert [step for _, step in rows] == [0, 1, 2] * 10


async def test_failed_transaction_rolls_back():
    store = await memory_store()
    await store.touch_user(1, "A", None)
    try:
        async with store.db.transaction() as db:
            await db.execute("UPDATE users SET first_name = 'B'")
            raise RuntimeError
    except RuntimeError:
        pass
    assert (await store.get_user(1)).first_name == "A"


async def test_a_one_statement_write_waits_for_an_open_transaction_and_outlives_its_rollback():
    store = await memory_store()
    inside = asyncio.Event()

    async def rolled_back() -> None:
        async with store.db.transaction() as db:
            await db.execute("INSERT INTO settings_kv (key, value, updated_at) VALUES ('a', '1', 0)")
            inside.set()
            await asyncio.sleep(0.05)  # the write below is attempted now
            raise RuntimeError("changed my mind")

    task = asyncio.create_task(rolled_back())
    await inside.wait()
    changed = await store.db.write("INSERT INTO settings_kv (key, value, updated_at) VALUES ('b', '2', 0)")
    with pytest.raises(RuntimeError):
        await task
    assert changed == 1
    assert [row[0] for row in await store.db.fetch_all("SELECT key FROM settings_kv")] == ["b"]


async def test_questions_feedback_and_counts():
    store = await memory_store(clock=lambda: 1000)
    await store.record_feedback(5, "placement.requirements", "id", True)
    await store.record_feedback(6, "placement.requirements", "id", False)
    for _ in range(2):
        await store.record_unanswered("gaji telat", "id")
    assert await store.feedback_counts() == {"placement.requirements": (1, 1)}
    assert [(u.question, u.count) for u in await store.top_unanswered()] == [("gaji telat", 2)]
    assert (await store.stats_report())["users"] == 0


async def test_a_read_never_sees_a_transaction_still_being_written(tmp_path, database_url):
    store = await Store.open(database_url or tmp_path / "db")
    STORES.append(store)
    inside, release = asyncio.Event(), asyncio.Event()

    async def write():
        async with store.db.transaction() as db:
            await db.execute("INSERT INTO settings_kv (key, value, updated_at) VALUES ('k', 'v', 0)")
            inside.set()
            await release.wait()

    task = asyncio.create_task(write())
    await inside.wait()
    seen = await store.get_kv("k")
    release.set()
    await task
    assert (seen, await store.get_kv("k")) == (None, "v")


async def test_sqlite_commits_reach_the_disk_before_the_user_is_told(tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("PostgreSQL: synchronous_commit, set on every connection")
    store = await Store.open(tmp_path / "db")
    STORES.append(store)
    async with store.db.transaction() as writer, writer.execute("PRAGMA synchronous") as cursor:
        assert (await cursor.fetchone())[0] == 2  # FULL (the writer's; a reader's setting is moot)


async def test_a_read_during_an_export_sees_the_latest_commit(tmp_path, database_url):
    store = await Store.open(database_url or tmp_path / "db")
    STORES.append(store)
    for n in range(3):
        await store.set_kv(f"k{n}", "v")
    batches = store.db.stream("SELECT key FROM settings_kv", batch=1)
    await anext(batches)  # the export's statement stays open between batches
    await store.set_kv("new", "v")
    seen = await store.get_kv("new")
    await batches.aclose()
    assert seen == "v"
