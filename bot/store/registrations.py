"""Registrations: a family member (the Telegram user) and the workers abroad they registered."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.store.db import Database


@dataclass(frozen=True)
class Worker:
    id: int
    relation: str
    name: str
    country: str
    stage: str
    updated_at: int


@dataclass(frozen=True)
class Registration:
    user_id: int
    phone: str
    province: str
    district: str
    village: str
    consent_at: int
    updated_at: int
    workers: tuple[Worker, ...]


@dataclass(frozen=True)
class NewRegistration:
    """A family's registration and one worker abroad (added, or updated when the name is known)."""

    phone: str
    province: str
    district: str
    village: str
    relation: str
    name: str
    country: str
    stage: str


def name_key(name: str) -> str:
    return " ".join(name.casefold().split())


async def write_registration(db: aiosqlite.Connection, user_id: int, new: NewRegistration, now: int) -> int:
    """Upsert the family, add or update the named worker, inside the caller's transaction.
    Returns how many workers are registered."""
    await db.execute(
        "INSERT INTO registrations (user_id, phone, province, district, village, consent_at, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
        " phone = excluded.phone, province = excluded.province, district = excluded.district,"
        " village = excluded.village, consent_at = excluded.consent_at, updated_at = excluded.updated_at",
        (user_id, new.phone, new.province, new.district, new.village, now, now, now),
    )
    await db.execute(
        "INSERT INTO workers (user_id, relation, name, name_key, country, stage, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, name_key) DO UPDATE SET"
        " relation = excluded.relation, name = excluded.name, country = excluded.country,"
        " stage = excluded.stage, updated_at = excluded.updated_at",
        (user_id, new.relation, new.name, name_key(new.name), new.country, new.stage, now, now),
    )
    async with db.execute("SELECT COUNT(*) FROM workers WHERE user_id = ?", (user_id,)) as cursor:
        return (await cursor.fetchone())[0]


class RegistrationStore:
    db: Database

    async def registration(self, user_id: int) -> Registration | None:
        row = await self.db.fetch_one("SELECT * FROM registrations WHERE user_id = ?", (user_id,))
        if row is None:
            return None
        workers = await self.db.fetch_all(
            "SELECT id, relation, name, country, stage, updated_at FROM workers"
            " WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        return Registration(
            user_id=user_id,
            phone=row["phone"],
            province=row["province"],
            district=row["district"],
            village=row["village"],
            consent_at=row["consent_at"],
            updated_at=row["updated_at"],
            workers=tuple(Worker(**dict(w)) for w in workers),
        )

    async def purge_registrations(self, inactive_since: int) -> int:
        """Retention: delete the registrations (and names) of users not seen since `inactive_since`."""
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM registrations WHERE user_id IN (SELECT id FROM users WHERE last_seen < ?)",
                (inactive_since,),
            )
            await db.execute("UPDATE users SET first_name = '' WHERE last_seen < ?", (inactive_since,))
        return cursor.rowcount
