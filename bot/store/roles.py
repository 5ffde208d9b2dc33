"""Staff roles and the places they serve, district staff chats, case places, and held broadcasts.

A staff member is a row of `staff`: an admin from STAFF_IDS (`env_admin`, renewed at every start) and/or
a role an admin gave in Telegram. No `staff_places` rows means every case; otherwise the districts (and
villages, '' meaning the whole district) they serve. Every change writes an audit line; actor 0 is the
start-up sync from STAFF_IDS."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import aiosqlite

from bot.store.db import Database

ROLES = ("admin", "staff", "officer")
BROADCASTERS = ("admin", "staff")  # who may send broadcasts and export all data
SYSTEM = 0  # the audit actor of the start-up sync from STAFF_IDS
_ROLE = "CASE WHEN s.env_admin = 1 THEN 'admin' ELSE s.role END"

Place = tuple[str, str]  # (district, village or "" for the whole district)


@dataclass(frozen=True)
class StaffMember:
    user_id: int
    role: str
    places: tuple[Place, ...] = ()  # empty: every case
    env_admin: bool = False

    @property
    def everywhere(self) -> bool:
        return not self.places


@dataclass(frozen=True)
class Hold:
    broadcast_id: int
    created_by: int
    html: str


def scope_sql(staff_id: int, case_column: str = "cases.id") -> tuple[str, tuple[int, ...]]:
    """A WHERE fragment: the case is in this staff member's scope (all cases when they have no places)."""
    return (
        "(NOT EXISTS (SELECT 1 FROM staff_places WHERE user_id = ?) OR"
        f" {case_column} IN (SELECT cp.case_id FROM staff_places sp JOIN case_places cp"
        " ON cp.district = sp.district AND (sp.village = '' OR cp.village = sp.village)"
        " WHERE sp.user_id = ?))",
        (staff_id, staff_id),
    )


async def place_case(db: aiosqlite.Connection, case_id: int, user_id: int) -> None:
    """A new case keeps its reporter's registered district and village (inside the caller's transaction)."""
    await db.execute(
        "INSERT INTO case_places (case_id, district, village)"
        " SELECT ?, district, village FROM registrations WHERE user_id = ?",
        (case_id, user_id),
    )


async def _audit(db: aiosqlite.Connection, actor: int, action: str, detail: str, now: int) -> None:
    await db.execute(
        "INSERT INTO audit (actor, action, detail, created_at) VALUES (?, ?, ?, ?)",
        (actor, action, detail, now),
    )


async def _hold_orphans(db: aiosqlite.Connection, now: int) -> None:
    """Broadcasts (scheduled or sending) of someone who may no longer broadcast are held: nothing more
    of them goes out until an admin releases or cancels them."""
    await db.execute(
        "INSERT INTO broadcast_holds (broadcast_id, resume_status, held_at)"
        " SELECT b.id, b.status, ? FROM broadcasts b WHERE b.status IN ('scheduled', 'sending')"
        " AND NOT EXISTS (SELECT 1 FROM broadcast_holds h WHERE h.broadcast_id = b.id)"
        f" AND NOT EXISTS (SELECT 1 FROM staff s WHERE s.user_id = b.created_by AND {_ROLE} IN (?, ?))",
        (now, *BROADCASTERS),
    )
    await db.execute(
        "UPDATE broadcasts SET status = 'held', updated_at = ? WHERE status IN ('scheduled', 'sending')"
        " AND id IN (SELECT broadcast_id FROM broadcast_holds WHERE decided_by IS NULL)",
        (now,),
    )
    await db.execute(
        "UPDATE outbox SET status = 'held', updated_at = ? WHERE kind = 'broadcast' AND status = 'pending'"
        " AND ref IN (SELECT id FROM broadcasts WHERE status = 'held')",
        (now,),
    )


class RoleStore:
    db: Database

    async def staff_members(self) -> list[StaffMember]:
        rows = await self.db.fetch_all(
            f"SELECT s.user_id, {_ROLE} AS role, s.env_admin FROM staff s WHERE {_ROLE} IS NOT NULL"
            " ORDER BY s.user_id"
        )
        places: dict[int, list[Place]] = {}
        for row in await self.db.fetch_all(
            "SELECT user_id, district, village FROM staff_places ORDER BY district, village"
        ):
            places.setdefault(row[0], []).append((row[1], row[2]))
        return [
            StaffMember(
                row["user_id"], row["role"], tuple(places.get(row["user_id"], ())), bool(row["env_admin"])
            )
            for row in rows
        ]

    async def sync_env_admins(self, admin_ids: Iterable[int]) -> None:
        """At start: exactly the STAFF_IDS are env admins; someone taken out keeps only a role an admin
        gave them in Telegram (else they are no longer staff), and their broadcasts are held."""
        now, ids = self.db.now(), sorted(set(admin_ids))
        marks = ",".join("?" * len(ids)) or "NULL"
        async with self.db.transaction() as db:
            async with db.execute(
                f"SELECT user_id FROM staff WHERE env_admin = 1 AND user_id NOT IN ({marks})", ids
            ) as cursor:
                dropped = [row[0] for row in await cursor.fetchall()]
            async with db.execute(
                f"SELECT user_id FROM staff WHERE env_admin = 1 AND user_id IN ({marks})", ids
            ) as cursor:
                kept = {row[0] for row in await cursor.fetchall()}
            for user_id in dropped:
                await db.execute(
                    "UPDATE staff SET env_admin = 0, updated_at = ? WHERE user_id = ?", (now, user_id)
                )
                await _audit(db, SYSTEM, "staff_env_removed", str(user_id), now)
            await db.execute("DELETE FROM staff WHERE env_admin = 0 AND role IS NULL")
            for user_id in ids:
                if user_id in kept:
                    continue
                await db.execute(
                    "INSERT INTO staff (user_id, env_admin, created_at, updated_at) VALUES (?, 1, ?, ?)"
                    " ON CONFLICT (user_id) DO UPDATE SET env_admin = 1, updated_at = excluded.updated_at",
                    (user_id, now, now),
                )
                await _audit(db, SYSTEM, "staff_env_admin", str(user_id), now)
            await _hold_orphans(db, now)

    async def set_staff(self, actor: int, user_id: int, role: str, places: Iterable[Place]) -> None:
        """Add a staff member or change their role and places (one transaction, audited)."""
        now, places = self.db.now(), sorted(set(places))
        detail = f"{user_id} {role} " + (";".join(f"{d}/{v}" if v else d for d, v in places) or "all")
        async with self.db.transaction() as db:
            await db.execute(
                "INSERT INTO staff (user_id, role, added_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET role = excluded.role, added_by = excluded.added_by,"
                " updated_at = excluded.updated_at",
                (user_id, role, actor, now, now),
            )
            await db.execute("DELETE FROM staff_places WHERE user_id = ?", (user_id,))
            await db.executemany(
                "INSERT INTO staff_places (user_id, district, village) VALUES (?, ?, ?)",
                [(user_id, district, village) for district, village in places],
            )
            await _audit(db, actor, "staff_set", detail, now)
            await _hold_orphans(db, now)

    async def remove_staff(self, actor: int, user_id: int) -> bool:
        """Take away the role an admin gave (an admin from STAFF_IDS stays one); their open broadcasts
        are held in the same transaction. False when there was no such role."""
        now = self.db.now()
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "UPDATE staff SET role = NULL, updated_at = ? WHERE user_id = ? AND role IS NOT NULL",
                (now, user_id),
            )
            if cursor.rowcount != 1:
                return False
            await db.execute("DELETE FROM staff_places WHERE user_id = ?", (user_id,))
            await db.execute("DELETE FROM staff WHERE user_id = ? AND env_admin = 0", (user_id,))
            await _audit(db, actor, "staff_remove", str(user_id), now)
            await _hold_orphans(db, now)
        return True

    async def in_scope(self, staff_id: int, case_id: int) -> bool:
        where, params = scope_sql(staff_id, "?")
        return bool(await self.db.fetch_value(f"SELECT {where}", (*params, case_id)))

    async def case_place(self, case_id: int) -> Place | None:
        row = await self.db.fetch_one(
            "SELECT district, village FROM case_places WHERE case_id = ?", (case_id,)
        )
        return None if row is None else (row[0], row[1])

    async def set_district_chat(self, actor: int, district: str, chat_id: int, thread_id: int | None) -> None:
        now = self.db.now()
        async with self.db.transaction() as db:
            await db.execute(
                "INSERT INTO district_chats (district, chat_id, thread_id, set_by, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (district) DO UPDATE SET chat_id = excluded.chat_id,"
                " thread_id = excluded.thread_id, set_by = excluded.set_by, updated_at = excluded.updated_at",
                (district, chat_id, thread_id, actor, now),
            )
            await _audit(db, actor, "district_chat", f"{district} {chat_id} {thread_id or ''}".strip(), now)

    async def district_chat(self, case_id: int) -> tuple[int, int | None] | None:
        """The staff chat (and topic) configured for the case's district, if any."""
        row = await self.db.fetch_one(
            "SELECT d.chat_id, d.thread_id FROM case_places cp"
            " JOIN district_chats d ON d.district = cp.district WHERE cp.case_id = ?",
            (case_id,),
        )
        return None if row is None else (row[0], row[1])

    async def district_chat_ids(self) -> set[int]:
        return {row[0] for row in await self.db.fetch_all("SELECT chat_id FROM district_chats")}

    async def hold_orphan_broadcasts(self) -> None:
        async with self.db.transaction() as db:
            await _hold_orphans(db, self.db.now())

    async def unnotified_holds(self) -> list[Hold]:
        rows = await self.db.fetch_all(
            "SELECT b.id, b.created_by, b.html FROM broadcast_holds h"
            " JOIN broadcasts b ON b.id = h.broadcast_id"
            " WHERE h.notified = 0 AND h.decided_by IS NULL ORDER BY b.id"
        )
        return [Hold(*row) for row in rows]

    async def mark_holds_notified(self, broadcast_ids: Iterable[int]) -> None:
        ids = list(broadcast_ids)
        marks = ",".join("?" * len(ids)) or "NULL"
        await self.db.write(f"UPDATE broadcast_holds SET notified = 1 WHERE broadcast_id IN ({marks})", ids)

    async def decide_hold(self, actor: int, broadcast_id: int, release: bool) -> bool:
        """An admin releases a held broadcast (it goes on where it stopped) or cancels it."""
        now = self.db.now()
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "UPDATE broadcast_holds SET decided_by = ?, decided_at = ? WHERE broadcast_id = ?"
                " AND decided_by IS NULL",
                (actor, now, broadcast_id),
            )
            if cursor.rowcount != 1:
                return False
            if release:
                await db.execute(
                    "UPDATE broadcasts SET status = (SELECT resume_status FROM broadcast_holds"
                    " WHERE broadcast_id = broadcasts.id), updated_at = ? WHERE id = ? AND status = 'held'",
                    (now, broadcast_id),
                )
            else:
                await db.execute(
                    "UPDATE broadcasts SET status = 'cancelled', finished_at = ?, updated_at = ?"
                    " WHERE id = ? AND status = 'held'",
                    (now, now, broadcast_id),
                )
            await db.execute(
                "UPDATE outbox SET status = ?, updated_at = ? WHERE kind = 'broadcast' AND ref = ?"
                " AND status = 'held'",
                ("pending" if release else "cancelled", now, broadcast_id),
            )
            await _audit(
                db, actor, "broadcast_release" if release else "broadcast_hold_cancel", str(broadcast_id), now
            )
        return True
