"""The webhook inbox (webhook mode): updates Telegram pushed, written down before it is answered.

Why an inbox and not "answer Telegram only once the update is handled": Telegram waits for each
answer on one of at most `max_connections` (default 40) connections and sends the next updates on
them, so answering after handling ties a connection up for as long as a chat's reply waits for its
turn and for Telegram's flood limits (seconds, more behind a 429), and a slow or flooding chat
stalls the updates of everybody else; a timed-out delivery is sent again, to any process. Writing
the update down first costs one small commit (about 1 ms), answers Telegram at once, and keeps the
update when the process dies: another process (or this one after a restart) handles it later.

The flow (bot/webhook.py, bot/processor.py):

1. accept: `INSERT ... ON CONFLICT DO NOTHING` keyed by update_id, committed, then HTTP 200. The key
   is the dedup: an update delivered again (to this process or another) inserts nothing and is not
   handled again.
2. turn: the process that accepted it handles it in its chat's turn (on PostgreSQL a transaction
   holding the chat's advisory lock). Inside the turn it takes the chat's OLDEST unhandled row up to
   its own update, so a chat's updates run in update_id order even when they were accepted by
   different processes or one of them was left behind by a process that died. The row is marked
   handled (its body, personal data, cleared) in that same transaction, so the lock is released
   exactly when the mark is committed: a second process that takes the chat next sees it handled.
3. recovery: rows accepted by a process that is no longer alive (on PostgreSQL each process's
   leader connection carries its id, and a dead process's connection is closed; on SQLite, an
   earlier run) are put through step 2 again by the leading process (bot/webhook.py
   `recover_forever`): that is how the last update of a chat left by a dead process is handled.
   An update taken over is counted (`attempts`); after MAX_ATTEMPTS take-overs it is given up
   (marked handled, logged) instead of crashing every process in turn.
4. purge: handled rows (the update IDs, for the dedup) are deleted after a day (Telegram keeps an
   update at most 24 hours).

A process killed in the middle of handling an update leaves its row unhandled: the update is handled
again from the start (what its handlers had already committed stays; the wizard's steps check their
draft's token, so a step is not applied twice). Only a reply sent in the instant between the handler
finishing and the mark being committed can be sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_ATTEMPTS = 5  # take-overs of one update before it is given up

_ACCEPT = (
    "INSERT INTO webhook_inbox (update_id, chat_key, body, accepted_by, received_at)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (update_id) DO NOTHING"
)
_NEXT = (
    "SELECT update_id, body, accepted_by, attempts FROM webhook_inbox"
    " WHERE chat_key = ? AND handled_at IS NULL AND update_id <= ? ORDER BY update_id LIMIT 1"
)
_ONE = (
    "SELECT update_id, body, accepted_by, attempts FROM webhook_inbox"
    " WHERE update_id = ? AND handled_at IS NULL"
)
_HANDLED = "UPDATE webhook_inbox SET handled_at = ?, body = NULL WHERE update_id = ?"
_TAKEN_OVER = "UPDATE webhook_inbox SET attempts = attempts + 1 WHERE update_id = ?"
_LEFT_BEHIND = (
    "SELECT update_id, body, accepted_by FROM webhook_inbox WHERE handled_at IS NULL AND received_at <= ?"
    " ORDER BY update_id LIMIT ?"
)
_PURGE = "DELETE FROM webhook_inbox WHERE handled_at IS NOT NULL AND handled_at < ?"


@dataclass(frozen=True)
class Pending:
    """An accepted update not handled yet. `adopted`: accepted by another process (or an earlier
    run of this one), so it is being taken over."""

    update_id: int
    body: str
    adopted: bool
    attempts: int


class Turn:
    """One chat's turn: its oldest unhandled update, and the mark that it is handled. On PostgreSQL
    both run on the connection whose transaction holds the chat's lock; on SQLite (one process)
    as single statements."""

    def __init__(self, db: Any, connection: Any | None = None) -> None:
        self._db, self._connection = db, connection

    async def _fetch(self, sql: str, params: tuple) -> Any | None:
        if self._connection is None:
            return await self._db.fetch_one(sql, params)
        async with self._connection.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def next_update(self, key: int | None, up_to: int) -> Pending | None:
        """The chat's oldest unhandled update up to `up_to` (None: `up_to` is handled already).
        Without a chat (key None) only `up_to` itself."""
        row = await (self._fetch(_NEXT, (key, up_to)) if key is not None else self._fetch(_ONE, (up_to,)))
        if row is None:
            return None
        return Pending(row[0], row[1], row[2] != self._db.process_id, row[3])

    async def take_over(self, pending: Pending) -> bool:
        """Count a take-over (committed at once, so a crash while handling it counts); False when
        the update has been taken over MAX_ATTEMPTS times already: give it up."""
        if pending.attempts >= MAX_ATTEMPTS:
            return False
        await self._db.write(_TAKEN_OVER, (pending.update_id,))
        return True

    async def handled(self, update_id: int) -> None:
        params = (self._db.now(), update_id)
        if self._connection is None:
            await self._db.write(_HANDLED, params)
        else:
            await self._connection.execute(_HANDLED, params)


class InboxStore:
    """Accepting updates, finding those left behind, purging handled ones."""

    db: Any

    async def accept_update(self, update_id: int, key: int | None, body: str) -> bool:
        """Write the update down (committed: on disk) before Telegram is answered; False when it
        was accepted before (delivered again)."""
        params = (update_id, key, body, self.db.process_id, self.db.now())
        return await self.db.write(_ACCEPT, params) == 1

    async def updates_left_behind(self, received_before: int, limit: int = 500) -> list[tuple[int, str]]:
        """Unhandled updates received before the given time by a process no longer alive (or an
        earlier run of this one), oldest first: (update_id, JSON)."""
        rows = await self.db.fetch_all(_LEFT_BEHIND, (received_before, limit))
        return [(row[0], row[1]) for row in rows if row[2] not in self.db.alive]

    async def purge_inbox(self, older_than: int) -> int:
        """Retention: handled update IDs Telegram can no longer deliver again (it keeps 24 hours)."""
        return await self.db.write(_PURGE, (older_than,))
