"""Shared fixtures: settings on a temporary database, the real bot on the in-process emulator.

Which database engine the tests run on is TEST_BACKEND's choice (`.ci/run` runs both, one after the
other):

- `sqlite` (the default, the README's `pytest`): every test on SQLite. Tests that need PostgreSQL
  (the PostgreSQL half of a `pytest.mark.both_backends` module, copy-db, several processes on one
  database) run only where TEST_DATABASE_URL names a server, and skip otherwise.
- `postgresql`: every test that uses a database (through the `backend` fixture: `database_url`,
  `settings`, `store`, `bot`) runs on PostgreSQL; tests without a database are deselected (the
  SQLite run has them). TEST_DATABASE_URL must name a reachable server: without one the run stops
  at once with an error, it never skips.

`.ci/postgres.sh start DIR` starts a throw-away server and prints its URL. Each test gets a schema
of its own on it, dropped after the test.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest

from bot.config import load_settings
from bot.content import load_content
from bot.emulator import Emulator
from bot.lifecycle import build_search
from bot.local import local_bot
from bot.store import Store

SQLITE, POSTGRESQL = "sqlite", "postgresql"
TEST_BACKEND = os.environ.get("TEST_BACKEND", "").strip().lower() or SQLITE
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def content():
    return load_content()


@pytest.fixture(scope="session")
def search(content):
    """The FAQ search index of `content`, built once: the index only reads the FAQ entries."""
    return build_search(content)


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_api_errors: the test provokes API errors on purpose")
    config.addinivalue_line("markers", "both_backends: run each test on SQLite and on PostgreSQL")
    if TEST_BACKEND not in (SQLITE, POSTGRESQL):
        raise pytest.UsageError(f"TEST_BACKEND={TEST_BACKEND!r}: use sqlite or postgresql")
    if TEST_BACKEND == POSTGRESQL:
        _check_server()


def _check_server() -> None:
    """The PostgreSQL run fails loudly, never skips, when its server is missing."""
    if not TEST_DATABASE_URL:
        raise pytest.UsageError(
            "TEST_BACKEND=postgresql needs TEST_DATABASE_URL (`.ci/postgres.sh start DIR` prints one)"
        )
    import psycopg

    try:
        psycopg.connect(TEST_DATABASE_URL, connect_timeout=10).close()
    except psycopg.Error as error:
        raise pytest.UsageError(f"TEST_BACKEND=postgresql: cannot reach TEST_DATABASE_URL: {error}") from None


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_backends"):
        if TEST_BACKEND == POSTGRESQL:
            backends = [POSTGRESQL]
        else:  # the PostgreSQL half only where there is a server to run it on
            backends = [SQLITE, POSTGRESQL] if TEST_DATABASE_URL else [SQLITE]
        metafunc.parametrize("backend", backends, indirect=True)


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL run keeps the tests that use a database; the rest ran in the SQLite run."""
    if TEST_BACKEND != POSTGRESQL:
        return
    kept = [item for item in items if "backend" in getattr(item, "fixturenames", ())]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


@pytest.fixture
def backend(request):
    """The database engine this test runs on: its module's choice if it makes one (both_backends,
    or PostgreSQL only), else TEST_BACKEND's."""
    return getattr(request, "param", TEST_BACKEND)


def with_schema(url: str, schema: str) -> str:
    """`url` with every connection's search_path set to `schema`, named after it (application_name),
    so the test's teardown can find connections a failed test left open."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query), ("options", f"-c search_path={schema}"), ("application_name", schema)]
    return parts._replace(query=urlencode(query, quote_via=quote)).geturl()


@pytest.fixture
def new_database(backend, request):
    """A factory of empty databases: None for SQLite (the caller picks a path or ":memory:"), else a
    PostgreSQL URL on a fresh schema."""
    if backend == "sqlite":
        yield lambda: None
        return
    server = TEST_DATABASE_URL
    if not server:  # only in the SQLite run: the PostgreSQL run stopped at its start without a server
        pytest.skip("needs PostgreSQL: TEST_BACKEND=postgresql with TEST_DATABASE_URL (.ci/postgres.sh)")
    import psycopg

    request.getfixturevalue("_pools_left_open")
    schemas = []

    def create() -> str:
        schemas.append(f"test_{secrets.token_hex(6)}")
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"CREATE SCHEMA {schemas[-1]}")
        return with_schema(server, schemas[-1])

    yield create
    with psycopg.connect(server, autocommit=True) as admin:
        for schema in schemas:
            # A failed test may have left a store open: its connections would hold locks DROP waits for.
            admin.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = %s",
                (schema,),
            )
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
async def _pools_left_open(monkeypatch):
    """Closes the PostgreSQL stores a test opened and left open (it failed before its close): their
    pool tasks would keep pytest-asyncio from closing the event loop, and the run would hang."""
    from bot.store.postgres import PostgresDatabase

    opened, connect = [], PostgresDatabase.connect

    async def tracked(url, *args, **kwargs):
        opened.append(await connect(url, *args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(PostgresDatabase, "connect", tracked)
    yield
    for database in opened:
        await database.close()  # a closed pool closes again at once


@pytest.fixture
def database_url(new_database):
    """An empty string on SQLite, else the URL of a fresh PostgreSQL schema."""
    return new_database() or ""


@pytest.fixture
def settings(tmp_path, database_url):
    env = {"DATABASE_PATH": str(tmp_path / "bot.sqlite3")}
    return load_settings({**env, "DATABASE_URL": database_url} if database_url else env)


@pytest.fixture
def emulator():
    return Emulator()


@pytest.fixture
async def bot(settings, emulator, content, search, request):
    """The real Application on the emulator; fails the test if the bot caused any 4xx/429."""
    async with local_bot(settings, emulator=emulator, content=content, search=search) as running:
        yield running
    if "allow_api_errors" not in request.keywords:
        assert emulator.errors == [], f"the bot caused API errors: {emulator.errors}"


@pytest.fixture
def siti(bot):
    return bot.emulator.user(id=1001, first_name="Siti", language_code="id")


@pytest.fixture
def john(bot):
    return bot.emulator.user(id=1002, first_name="John", language_code="en")


@pytest.fixture
async def store(database_url):
    opened = await Store.open(database_url or ":memory:")
    yield opened
    await opened.close()
