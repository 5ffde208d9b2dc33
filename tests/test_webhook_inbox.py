"""The webhook inbox (bot/store/inbox.py): an accepted update is handled once, even after the process
that accepted it died; the same code on SQLite (one process, after a restart) and PostgreSQL."""

import asyncio
import json
import time

import pytest
from journeys import start_update

from bot.local import local_bot
from bot.store import Store
from bot.store.inbox import MAX_ATTEMPTS
from bot.webhook import recover_once

pytestmark = pytest.mark.both_backends

WEBHOOK = {"webhook_url": "https://bot.example/hook", "webhook_secret": "s3cret-Token"}


async def accepted_by_a_process_that_died(settings, update_id, user_id, attempts=0):
    """A process accepted the update (answered Telegram 200) and died before handling it."""
    store = await Store.open(settings.database)
    assert await store.accept_update(update_id, user_id, json.dumps(start_update(update_id, user_id)))
    await store.db.write("UPDATE webhook_inbox SET attempts = ? WHERE update_id = ?", (attempts, update_id))
    await store.close()


async def handled_all(store, patience=120.0):
    """Wait until no accepted update is left unhandled (a limit for a loaded machine, not a measure)."""
    deadline = time.monotonic() + patience
    while await store.updates_left_behind(received_before=store.db.now() + 1):
        assert time.monotonic() < deadline, "an accepted update was never handled"
        await asyncio.sleep(0.02)


async def test_an_update_delivered_again_is_accepted_once(store):
    body = json.dumps(start_update(5, 7))
    assert [await store.accept_update(5, 7, body), await store.accept_update(5, 7, body)] == [True, False]


async def test_an_update_left_behind_is_taken_over_and_handled_once(settings, emulator):
    user = emulator.user(id=603, first_name="Sri", language_code="id")
    await accepted_by_a_process_that_died(settings, 888001, 603)
    async with local_bot(settings.with_changes(**WEBHOOK), emulator=emulator) as bot:
        await bot.app.start()
        queued = [await recover_once(bot.services, bot.app, grace=0)]
        await handled_all(bot.services.store)
        queued.append(await recover_once(bot.services, bot.app, grace=0))
        await bot.app.stop()
        left = await bot.services.store.db.fetch_all(
            "SELECT attempts, handled_at IS NOT NULL FROM webhook_inbox"
        )
    assert queued == [1, 0] and [tuple(row) for row in left] == [(1, True)]
    assert [m.text.startswith("Halo, Sri!") for m in user.messages] == [True]


async def test_an_update_that_never_completes_is_given_up(settings, emulator):
    user = emulator.user(id=604, first_name="Sri", language_code="id")
    await accepted_by_a_process_that_died(settings, 888002, 604, attempts=MAX_ATTEMPTS)
    async with local_bot(settings.with_changes(**WEBHOOK), emulator=emulator) as bot:
        await bot.app.start()
        await recover_once(bot.services, bot.app, grace=0)
        await handled_all(bot.services.store)
        await bot.app.stop()
    assert user.messages == []
