"""Shared fixtures: settings on a temporary database, the real bot on the in-process emulator."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.content import load_content
from bot.emulator import Emulator
from bot.local import local_bot
from bot.store import Store


@pytest.fixture(scope="session")
def content():
    return load_content()


@pytest.fixture
def settings(tmp_path):
    return load_settings({"DATABASE_PATH": str(tmp_path / "bot.sqlite3")})


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
async def store():
    opened = await Store.open(":memory:")
    yield opened
    await opened.close()


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_api_errors: the test provokes API errors on purpose")
