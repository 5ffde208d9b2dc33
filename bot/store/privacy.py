"""What /deletedata, `erase` and retention remove: every personal field in every table and every
queued or kept outbox payload, in one transaction. The store cannot reach Telegram: it returns the
copies the bot placed in staff chats, for the outbox to delete or edit (bot/outbox/notices.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bot.store.cases import OPEN_STATUSES
from bot.store.db import Database
from bot.store.outbox import Outgoing, enqueue_all

_IDS = "(SELECT value FROM json_each(?))"  # one parameter: a JSON list of case ids
_OPEN = "(" + ", ".join(f"'{status}'" for status in OPEN_STATUSES) + ")"
ERASURE = "erasure"  # outbox kind of the deletes and edits that erase copies (kept by later erasures)


@dataclass(frozen=True)
class Copy:
    """A message the bot placed in a staff chat about an erased case."""

    chat_id: int
    message_id: int
    kind: str  # 'card' (becomes the shell), 'relay' (text), 'file' (a file with a caption) or 'topic'
    # (the case's forum topic, deleted whole; message_id is its thread id)
    case_id: int
    sent_at: int


@dataclass(frozen=True)
class Erasure:
    """What an erasure leaves for the outbox to do, and what it kept."""

    copies: tuple[Copy, ...] = ()
    kept: tuple[str, ...] = ()  # references of open cases kept until they are closed

    def __add__(self, other: Erasure) -> Erasure:
        return Erasure(self.copies + other.copies, self.kept + other.kept)


_REPORTERS = "(SELECT user_id FROM cases WHERE id IN {ids} AND user_id IS NOT NULL)"
_COPY_KINDS = "('card', 'relay', 'file', 'topic')"
# A case's forum topic joins its copies in the message map (so a crash before its deletion is queued
# leaves the mark, like the other copies) before the topic's own row goes.
_TOPIC_COPY = (
    "INSERT INTO case_messages (chat_id, message_id, case_id, kind, created_at)"
    " SELECT chat_id, thread_id, case_id, 'topic', created_at FROM case_topics WHERE case_id IN {ids}"
    " ON CONFLICT DO NOTHING"
)

# Cases keep reference, category, urgency, country, language, status and dates (statistics and the
# staff's shell); everything personal goes. The bot's copies in staff chats stay in the message map,
# marked erase_pending, until their deletes and edits are queued (queue_erasure): a crash in between
# leaves the mark, and the next purge queues them.
_CASE_DATA = (
    f"UPDATE case_messages SET erase_pending = 1 WHERE case_id IN {{ids}} AND kind IN {_COPY_KINDS}"
    f" AND chat_id NOT IN {_REPORTERS}",
    f"DELETE FROM case_messages WHERE case_id IN {{ids}} AND (kind NOT IN {_COPY_KINDS}"
    f" OR chat_id IN {_REPORTERS})",
    # Every queued or kept message about the cases (cards, files, relays, notices, card edits).
    # (Worded so the partial index outbox_case_rows serves it: broadcast rows are not in it.)
    f"DELETE FROM outbox WHERE ref IN {{ids}} AND ref IS NOT NULL AND kind != 'broadcast'"
    f" AND kind != '{ERASURE}'",
    "DELETE FROM attachments WHERE case_id IN {ids}",
    "DELETE FROM case_topics WHERE case_id IN {ids}",  # the case's forum topic (issue 18)
    "DELETE FROM case_places WHERE case_id IN {ids}",  # the reporter's district and village (issue 19)
    "UPDATE case_events SET body = NULL, actor = NULL WHERE case_id IN {ids}",
)


async def erase_cases(db: aiosqlite.Connection, case_ids: list[int], now: int) -> list[Copy]:
    """Every personal field of these cases, inside the caller's transaction; returns the staff-chat
    copies (cards first) that showed them."""
    if not case_ids:
        return []
    ids = json.dumps(case_ids)
    await db.execute(_TOPIC_COPY.format(ids=_IDS), (ids,))
    async with db.execute(
        "SELECT m.chat_id, m.message_id, m.kind, m.case_id, m.created_at FROM case_messages m"
        f" JOIN cases c ON c.id = m.case_id WHERE m.case_id IN {_IDS} AND m.kind IN {_COPY_KINDS}"
        " AND (c.user_id IS NULL OR m.chat_id != c.user_id) ORDER BY m.kind != 'card', m.created_at",
        (ids,),
    ) as cursor:
        copies = [Copy(*row) for row in await cursor.fetchall()]
    for statement in _CASE_DATA:
        sql = statement.format(ids=_IDS)
        await db.execute(sql, (ids,) * sql.count("?"))
    await db.execute(
        "UPDATE cases SET description = NULL, contact_phone = NULL, contact_method = 'none',"
        f" worker_id = NULL, user_id = NULL, erase_on_close = 0, erased_at = ? WHERE id IN {_IDS}",
        (now, ids),
    )
    return copies


# The user's own rows. Kept open cases keep the user row (their card names the reporter) and the
# messages queued to the user about those cases.
_USER_DATA = (
    "DELETE FROM drafts WHERE user_id = :user",
    "DELETE FROM paused_drafts WHERE user_id = :user",  # forms set aside (issue 17)
    "DELETE FROM conversations WHERE user_id = :user",  # the case their plain messages go to (issue 18)
    "DELETE FROM registrations WHERE user_id = :user",  # and their workers (ON DELETE CASCADE)
    "DELETE FROM feedback WHERE user_id = :user",
    "UPDATE case_events SET actor = NULL WHERE actor = :user",
    "DELETE FROM audit WHERE actor = :user",  # the reporter's own messages are logged like staff actions
    "DELETE FROM case_messages WHERE chat_id = :user AND case_id NOT IN (SELECT value FROM json_each(:kept))",
    "DELETE FROM outbox WHERE chat_id = :user AND (ref IS NULL OR kind = 'broadcast'"
    " OR ref NOT IN (SELECT value FROM json_each(:kept)))",
    "DELETE FROM users WHERE id = :user AND json_array_length(:kept) = 0",
)


async def erase_user(db: aiosqlite.Connection, user_id: int, now: int, *, keep_open: bool = False) -> Erasure:
    """Every personal field of one user, inside the caller's transaction. With `keep_open`, open
    cases stay as they are until they are closed (then they are erased too)."""
    async with db.execute(
        f"SELECT id, reference, status IN {_OPEN} FROM cases WHERE user_id = ?", (user_id,)
    ) as cursor:
        cases = list(await cursor.fetchall())
    kept = [(case_id, reference) for case_id, reference, is_open in cases if is_open and keep_open]
    copies = await erase_cases(db, [row[0] for row in cases if (row[0], row[1]) not in kept], now)
    kept_ids = json.dumps([case_id for case_id, _ in kept])
    await db.execute(f"UPDATE cases SET erase_on_close = 1 WHERE id IN {_IDS}", (kept_ids,))
    for statement in _USER_DATA:
        await db.execute(statement, {"user": user_id, "kept": kept_ids})
    return Erasure(tuple(copies), tuple(reference for _, reference in kept))


async def _erase_one(db: aiosqlite.Connection, case_id: int, now: int) -> Erasure:
    """Erase one case; a case kept at /deletedata also takes the reporter's user row with its last."""
    async with db.execute("SELECT user_id, erase_on_close FROM cases WHERE id = ?", (case_id,)) as cursor:
        row = await cursor.fetchone()
    copies = await erase_cases(db, [case_id], now)
    if row and row[0] is not None and row[1]:
        async with db.execute(
            "SELECT COUNT(*) FROM cases WHERE user_id = ? AND erase_on_close = 1", (row[0],)
        ) as cursor:
            if (await cursor.fetchone())[0] == 0:
                return Erasure(tuple(copies)) + await erase_user(db, row[0], now)
    return Erasure(tuple(copies))


class PrivacyStore:
    db: Database

    async def erase_user(self, user_id: int, *, keep_open: bool = False) -> Erasure:
        """/deletedata for a request that came outside the bot (python -m bot erase)."""
        async with self.db.transaction() as db:
            erased = await erase_user(db, user_id, self.db.now(), keep_open=keep_open)
        self.forget_user(user_id)
        return erased

    def forget_user(self, user_id: int) -> None:
        """The user row is gone: the next update from this user writes it again."""
        touched = getattr(self, "_touched", None)
        if touched is not None:
            touched.pop(user_id, None)

    async def record_erased_copy(self, copy: Copy) -> None:
        """A copy that reached a staff chat after its case was erased: to be erased too."""
        await self.db.write(
            "INSERT INTO case_messages (chat_id, message_id, case_id, kind, created_at, erase_pending)"
            " VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (chat_id, message_id) DO UPDATE SET"
            " case_id = excluded.case_id, kind = excluded.kind, created_at = excluded.created_at,"
            " erase_pending = 1",
            (copy.chat_id, copy.message_id, copy.case_id, copy.kind, copy.sent_at),
        )

    async def pending_erasures(self) -> list[Copy]:
        """Copies in staff chats of erased cases whose deletes and edits were never queued."""
        rows = await self.db.fetch_all(
            "SELECT chat_id, message_id, kind, case_id, created_at FROM case_messages"
            " WHERE erase_pending = 1 ORDER BY kind != 'card', created_at"
        )
        return [Copy(*row) for row in rows]

    async def queue_erasure(self, copies: Sequence[Copy], items: Sequence[Outgoing]) -> bool:
        """Queue the deletes and edits of `copies` and clear their marks, in one transaction; the
        copies leave the message map but the cards. False when another caller queued them already."""
        keys = json.dumps([[copy.chat_id, copy.message_id] for copy in copies])
        mine = (
            "(chat_id, message_id) IN"
            " (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))"
        )
        async with self.db.transaction() as db:
            cursor = await db.execute(
                f"UPDATE case_messages SET erase_pending = 0 WHERE erase_pending = 1 AND {mine}", (keys,)
            )
            if copies and cursor.rowcount == 0:
                return False
            await db.execute(f"DELETE FROM case_messages WHERE kind != 'card' AND {mine}", (keys,))
            await enqueue_all(db, items, self.db.now())
        return True

    async def erase_closed_kept(self) -> Erasure:
        """Kept cases that are closed now (by staff or retention): erase them."""
        rows = await self.db.fetch_all(
            f"SELECT id FROM cases WHERE erase_on_close = 1 AND status NOT IN {_OPEN}"
        )
        erased = Erasure()
        for (case_id,) in rows:
            async with self.db.transaction() as db:
                erased += await _erase_one(db, case_id, self.db.now())
        return erased

    async def purge_cases(self, resolved_before: int, batch: int = 500) -> list[Copy]:
        """Retention: erase the personal data of cases resolved and untouched since `resolved_before`,
        `batch` cases per transaction. Returns the staff-chat copies that showed them."""
        copies: list[Copy] = []
        while True:
            rows = await self.db.fetch_all(
                "SELECT id FROM cases INDEXED BY cases_to_purge WHERE status = 'resolved' AND updated_at < ?"
                " AND (user_id IS NOT NULL OR description IS NOT NULL OR contact_phone IS NOT NULL) LIMIT ?",
                (resolved_before, batch),
            )
            if not rows:
                return copies
            async with self.db.transaction() as db:
                copies += await erase_cases(db, [row[0] for row in rows], self.db.now())

    async def idle_open_cases(self, idle_since: int) -> list[int]:
        """Open cases untouched since `idle_since` whose staff were not yet told (since they last moved)."""
        rows = await self.db.fetch_all(
            f"SELECT id FROM cases INDEXED BY cases_open_idle WHERE status IN {_OPEN} AND updated_at < ?"
            " AND (idle_warned_at IS NULL OR idle_warned_at <= updated_at)",
            (idle_since,),
        )
        return [row[0] for row in rows]

    async def mark_idle_warned(self, case_ids: list[int]) -> None:
        await self.db.write(
            f"UPDATE cases SET idle_warned_at = ? WHERE id IN {_IDS}", (self.db.now(), json.dumps(case_ids))
        )

    async def close_idle_cases(self, warned_before: int) -> list[int]:
        """Open cases staff were told about before `warned_before` and nobody touched since: closed
        (resolved, with an event) and erased. Returns their ids."""
        rows = await self.db.fetch_all(
            f"SELECT id FROM cases WHERE status IN {_OPEN} AND idle_warned_at IS NOT NULL"
            " AND idle_warned_at > updated_at AND idle_warned_at < ?",
            (warned_before,),
        )
        ids = [row[0] for row in rows]
        if not ids:
            return []
        now = self.db.now()
        async with self.db.transaction() as db:
            await db.execute(
                "INSERT INTO case_events (case_id, kind, old_status, new_status, created_at)"
                f" SELECT id, 'expired', status, 'resolved', ? FROM cases WHERE id IN {_IDS}",
                (now, json.dumps(ids)),
            )
            await db.execute(
                f"UPDATE cases SET status = 'resolved', updated_at = ? WHERE id IN {_IDS}",
                (now, json.dumps(ids)),
            )
        return ids

    async def erase_cases_now(self, case_ids: list[int]) -> Erasure:
        """Erase these cases now (e.g. closed for being idle), each in its own transaction."""
        erased = Erasure()
        for case_id in case_ids:
            async with self.db.transaction() as db:
                erased += await _erase_one(db, case_id, self.db.now())
        return erased

    async def purge_feedback(self, older_than: int) -> int:
        """Retention: old "was this helpful?" answers keep their counts but lose who gave them."""
        return await self.db.write(
            "UPDATE feedback SET user_id = NULL WHERE created_at < ? AND user_id IS NOT NULL", (older_than,)
        )

    async def purge_audit(self, older_than: int) -> int:
        """Retention: staff actions older than the retention period."""
        return await self.db.write("DELETE FROM audit WHERE created_at < ?", (older_than,))
