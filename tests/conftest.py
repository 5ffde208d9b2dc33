"""Shared fixtures: settings on a temporary database, the real bot on the in-process emulator.

A module marked `pytest.mark.both_backends` runs each of its tests twice: on SQLite and on
PostgreSQL. The PostgreSQL runs need a server: TEST_DATABASE_URL (`.ci/run` starts a throw-away one
with `.ci/postgres.sh`); without it they skip. Each test gets a schema of its own, dropped after it.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest

from bot.config import load_settings
from bot.content import load_content
from bot.emulator import Emulator
from bot.local import local_bot
from bot.store import Store


@pytest.fixture(scope="session")
def content():
    return load_content()


BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request):
    """The database engine this test runs on: SQLite unless its module runs on both, or unless
    TEST_BACKEND=postgresql (every test on the `settings` and `store` fixtures on PostgreSQL)."""
    return getattr(request, "param", os.environ.get("TEST_BACKEND", "sqlite"))


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
    server = os.environ.get("TEST_DATABASE_URL", "")
    if not server:  # CI's PostgreSQL run is off for now (.ci/run says why)
        pytest.skip("no PostgreSQL server: set TEST_DATABASE_URL (.ci/postgres.sh starts one)")
    import psycopg

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
async def bot(settings, emulator, content, request):
    """The real Application on the emulator; fails the test if the bot caused any 4xx/429."""
    async with local_bot(settings, emulator=emulator, content=content) as running:
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


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_api_errors: the test provokes API errors on purpose")
    config.addinivalue_line("markers", "both_backends: run each test on SQLite and on PostgreSQL")
