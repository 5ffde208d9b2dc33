"""Broadcasts: audiences as SQL, recipients queued straight from SQL into the outbox (never all in
memory), schedules that survive restarts, and honest progress counts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite

from bot.config import LANGUAGES
from bot.store.db import Database
from bot.store.outbox import BROADCAST

AUDIENCE_KEYS = ("lang", "registered", "country", "stage", "contract_days", "province", "district", "village")


@dataclass(frozen=True)
class Broadcast:
    id: int
    created_by: int
    html: str
    photo: str | None
    audience: dict[str, Any]
    recipients: int
    status: str  # scheduled | sending | done | cancelled
    scheduled_at: int | None
    started_at: int | None
    finished_at: int | None
    progress_chat: int | None
    progress_message: int | None
    created_at: int


def _broadcast(row: aiosqlite.Row) -> Broadcast:
    fields = {k: row[k] for k in row.keys() if k not in ("updated_at", "outcome")}  # noqa: SIM118 - aiosqlite.Row
    return Broadcast(**{**fields, "audience": json.loads(row["audience"])})


# The language the user chose, else their Telegram app's, when the bot speaks it; NULL otherwise
# (the default language then). The index users_audience (migration 0010) is on this expression.
_KNOWN_LANGUAGE = (
    "(CASE WHEN u.language IN ('id', 'en') THEN u.language"
    " WHEN substr(u.telegram_language, 1, 2) IN ('id', 'en') THEN substr(u.telegram_language, 1, 2) END)"
)


def audience_sql(
    audience: dict[str, Any], default_language: str, now: int = 0, *, reachable: bool = True
) -> tuple[str, str, list[Any]]:
    """(effective-language SQL, WHERE clause over `users u`, parameters) for an audience.

    Blocked and opted-out users are never part of any audience. A registration or worker filter
    picks few users, so it leads (`u.id IN …`, through its index) and the unary + keeps SQLite from
    starting at the reachable users instead, which are nearly all of them."""
    default = "en" if default_language == "en" else "id"
    lang = f"COALESCE({_KNOWN_LANGUAGE}, '{default}')"
    filters, params = [], []
    place = [
        (column, audience[column]) for column in ("province", "district", "village") if audience.get(column)
    ]
    worker = [(column, audience[column]) for column in ("country", "stage") if audience.get(column)]
    if place:
        condition = " AND ".join(f"{column} = ? COLLATE NOCASE" for column, _ in place)
        filters.append(f"u.id IN (SELECT user_id FROM registrations WHERE {condition})")
        params += [value for _, value in place]
    elif audience.get("registered") and not worker:  # a worker always belongs to a registration
        filters.append("u.id IN (SELECT user_id FROM registrations)")
    if worker:
        condition = " AND ".join(f"{column} = ?" for column, _ in worker)
        filters.append(f"u.id IN (SELECT user_id FROM workers WHERE {condition})")
        params += [value for _, value in worker]
    if audience.get("contract_days"):  # issue 23: contract ends within N days (Jakarta dates from `now`)
        filters.append(
            "u.id IN (SELECT w.user_id FROM worker_dates d JOIN workers w ON w.id = d.worker_id"
            " WHERE d.kind = 'contract' AND d.day >= ? AND d.day <= ?)"
        )
        today = (datetime.fromtimestamp(now, UTC) + timedelta(hours=7)).date()  # Jakarta (UTC+7)
        params += [today.isoformat(), (today + timedelta(days=int(audience["contract_days"]))).isoformat()]
    plus = "+" if filters else ""
    where = [*filters, f"{plus}u.blocked = 0", f"{plus}u.opted_out = 0"] if reachable else [*filters, "1 = 1"]
    chosen = audience.get("lang")
    if chosen in LANGUAGES:
        alone = f"{_KNOWN_LANGUAGE} = ?"
        where.append(f"({alone} OR {_KNOWN_LANGUAGE} IS NULL)" if chosen == default else alone)
        params.append(chosen)
    return lang, " AND ".join(where), params


@dataclass(frozen=True)
class NewBroadcast:
    html: str  # checked Telegram HTML
    photo: str | None  # file_id; the html is then its caption
    audience: dict[str, Any]  # AUDIENCE_KEYS that narrow it down
    scheduled_at: int


async def write_broadcast(db: aiosqlite.Connection, created_by: int, new: NewBroadcast, now: int) -> int:
    """A 'scheduled' broadcast (due at once when scheduled_at is now), inside the caller's transaction."""
    cursor = await db.execute(
        "INSERT INTO broadcasts (created_by, html, photo, audience, status, scheduled_at, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, 'scheduled', ?, ?, ?)",
        (
            created_by,
            new.html,
            new.photo,
            json.dumps(new.audience),
            new.scheduled_at,
            now,
            now,
        ),
    )
    return cursor.lastrowid


class BroadcastStore:
    db: Database

    async def count_audience(self, audience: dict[str, Any], default_language: str) -> int:
        _, where, params = audience_sql(audience, default_language, self.db.now())
        return await self.db.fetch_value(f"SELECT COUNT(*) FROM users u WHERE {where}", params)

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        row = await self.db.fetch_one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return None if row is None else _broadcast(row)

    async def broadcasts(self, status: str | None = None, limit: int = 10) -> list[Broadcast]:
        rows = await self.db.fetch_all(
            "SELECT * FROM broadcasts WHERE ? IS NULL OR status = ? ORDER BY id DESC LIMIT ?",
            (status, status, limit),
        )
        return [_broadcast(row) for row in rows]

    async def latest_broadcasts_for(
        self, user_id: int, default_language: str, limit: int = 3
    ) -> list[Broadcast]:
        """The newest sent broadcasts whose audience takes in this user (opted out or not), oldest first."""
        found: list[Broadcast] = []
        for broadcast in await self.broadcasts(limit=30):
            if broadcast.status not in ("sending", "done"):
                continue
            _, where, params = audience_sql(
                broadcast.audience, default_language, self.db.now(), reachable=False
            )
            if await self.db.fetch_value(
                f"SELECT COUNT(*) FROM users u WHERE u.id = ? AND {where}", (user_id, *params)
            ):
                found.append(broadcast)
            if len(found) == limit:
                break
        return found[::-1]

    async def start_due_broadcasts(
        self, payloads: dict[str, dict[str, Any]], method_for: dict[str, str], default_language: str
    ) -> list[Broadcast]:
        """Queue every recipient of each broadcast whose time has come, from SQL into the outbox.

        `payloads[str(id)]` holds per-language payloads {"id": {...}, "en": {...}} built by the caller."""
        now = self.db.now()
        started = []
        due = await self.db.fetch_all(
            "SELECT * FROM broadcasts WHERE status = 'scheduled' AND scheduled_at <= ? ORDER BY id", (now,)
        )
        for row in due:
            broadcast = _broadcast(row)
            per_lang = payloads.get(str(broadcast.id))
            if per_lang is None:
                continue
            lang, where, params = audience_sql(broadcast.audience, default_language, self.db.now())
            async with self.db.transaction() as db:
                claimed = await db.execute(
                    "UPDATE broadcasts SET status = 'sending', started_at = ?, updated_at = ?"
                    " WHERE id = ? AND status = 'scheduled'",
                    (now, now, broadcast.id),
                )
                if claimed.rowcount != 1:
                    continue  # started meanwhile (or cancelled): queue nobody twice
                cursor = await db.execute(
                    "INSERT INTO outbox (priority, chat_id, method, payload, kind, ref, created_at,"
                    " updated_at)"
                    f" SELECT ?, u.id, ?, CASE WHEN {lang} = 'en' THEN ? ELSE ? END, 'broadcast', ?, ?, ?"
                    f" FROM users u WHERE {where} ORDER BY u.id",
                    (
                        BROADCAST,
                        method_for[str(broadcast.id)],
                        json.dumps(per_lang["en"], ensure_ascii=False),
                        json.dumps(per_lang["id"], ensure_ascii=False),
                        broadcast.id,
                        now,
                        now,
                        *params,
                    ),
                )
                await db.execute(
                    "UPDATE broadcasts SET recipients = ? WHERE id = ?", (cursor.rowcount, broadcast.id)
                )
            started.append(await self.broadcast(broadcast.id))
        return started

    async def broadcast_counts(self, broadcast_id: int) -> dict[str, int]:
        """Recipients by outbox status ("sent", "failed", "unknown", ...), also after the rows are purged."""
        outcome = await self.db.fetch_value("SELECT outcome FROM broadcasts WHERE id = ?", (broadcast_id,))
        if outcome:
            return json.loads(outcome)
        rows = await self.db.fetch_all(
            "SELECT status, COUNT(*) FROM outbox WHERE kind = 'broadcast' AND ref = ? GROUP BY status",
            (broadcast_id,),
        )
        return {row[0]: row[1] for row in rows}

    async def set_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        async with self.db.transaction() as db:
            await db.execute(
                "UPDATE broadcasts SET progress_chat = ?, progress_message = ? WHERE id = ?",
                (chat_id, message_id, broadcast_id),
            )

    async def finish_broadcast(self, broadcast_id: int) -> None:
        now = self.db.now()
        async with self.db.transaction() as db:
            await db.execute(
                "UPDATE broadcasts SET status = 'done', finished_at = ?, updated_at = ?"
                " WHERE id = ? AND status = 'sending'",
                (now, now, broadcast_id),
            )

    async def cancel_broadcast(self, broadcast_id: int) -> bool:
        """Stop a scheduled or running broadcast: rows not yet sent are cancelled."""
        now = self.db.now()
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "UPDATE broadcasts SET status = 'cancelled', finished_at = ?, updated_at = ?"
                " WHERE id = ? AND status IN ('scheduled', 'sending')",
                (now, now, broadcast_id),
            )
            await db.execute(
                "UPDATE outbox SET status = 'cancelled', updated_at = ? WHERE kind = 'broadcast' AND ref = ?"
                " AND status = 'pending'",
                (now, broadcast_id),
            )
        return cursor.rowcount > 0

    async def set_opted_out(self, user_id: int, opted_out: bool) -> None:
        await self.db.write("UPDATE users SET opted_out = ? WHERE id = ?", (int(opted_out), user_id))

    async def opted_out(self, user_id: int) -> bool:
        return bool(await self.db.fetch_value("SELECT opted_out FROM users WHERE id = ?", (user_id,)))

    async def reopen_broadcast(self, broadcast_id: int) -> None:
        """After staff chose to re-send the unknown rows: track the broadcast until they are sent."""
        async with self.db.transaction() as db:
            await db.execute(
                "UPDATE broadcasts SET status = 'sending', finished_at = NULL"
                " WHERE id = ? AND status = 'done'",
                (broadcast_id,),
            )
