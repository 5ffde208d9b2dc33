"""What /deletedata and retention remove. Each feature that stores personal data adds its statement here."""

from __future__ import annotations

import json

import aiosqlite

from bot.store.db import Database

_CASES_OF_USER = "SELECT id FROM cases WHERE user_id = ?"
_CASES_LISTED = "SELECT value FROM json_each(?)"
_CASE_KINDS = "('case_card', 'case_file', 'relay_in', 'relay_out', 'notice')"

PERSONAL_DATA = (
    "DELETE FROM drafts WHERE user_id = ?",
    "DELETE FROM registrations WHERE user_id = ?",
    "DELETE FROM feedback WHERE user_id = ?",
    "DELETE FROM conversations WHERE user_id = ?",
    "UPDATE users SET first_name = '' WHERE id = ?",
    # Queued and sent messages to the user carry their words.
    "DELETE FROM outbox WHERE chat_id = ?",
    "UPDATE case_events SET actor = NULL WHERE actor = ?",
)

# Cases keep reference, category, urgency, country, language, status and dates for statistics;
# everything personal goes. {cases} is a query of case ids with one parameter.
CASE_DATA = (
    "DELETE FROM outbox WHERE kind IN " + _CASE_KINDS + " AND ref IN ({cases})",
    "DELETE FROM attachments WHERE case_id IN ({cases})",
    "DELETE FROM case_topics WHERE case_id IN ({cases})",
    "UPDATE case_events SET body = NULL, actor = NULL WHERE case_id IN ({cases})",
    "UPDATE cases SET description = NULL, contact_phone = NULL, contact_method = 'none', worker_id = NULL,"
    " user_id = NULL WHERE id IN ({cases})",
)


async def _erase_cases(db: aiosqlite.Connection, cases: str, param: object) -> list[tuple[int, int]]:
    """Every personal field of some cases; returns the staff cards (chat, message) that showed them."""
    async with db.execute(
        f"SELECT chat_id, message_id FROM case_messages WHERE kind = 'card' AND case_id IN ({cases})",
        (param,),
    ) as cursor:
        shown = [(row[0], row[1]) for row in await cursor.fetchall()]
    for statement in CASE_DATA:
        await db.execute(statement.format(cases=cases), (param,))
    return shown


async def erase_user(db: aiosqlite.Connection, user_id: int) -> list[tuple[int, int]]:
    """Every personal field of one user, inside the caller's transaction.

    Returns the staff-side messages (chat, message) that showed their cases, to be edited to say the
    data was deleted."""
    shown = await _erase_cases(db, _CASES_OF_USER, user_id)
    for statement in PERSONAL_DATA:
        await db.execute(statement, (user_id,))
    return shown


class PrivacyStore:
    db: Database

    async def erase_user(self, user_id: int) -> list[tuple[int, int]]:
        """/deletedata for a request that came outside the bot (python -m bot erase)."""
        async with self.db.transaction() as db:
            return await erase_user(db, user_id)

    async def purge_cases(self, resolved_before: int, batch: int = 500) -> list[tuple[int, int]]:
        """Retention: erase the personal data of cases resolved and untouched since `resolved_before`,
        `batch` cases per transaction. Returns the staff cards that showed them."""
        shown: list[tuple[int, int]] = []
        while True:
            rows = await self.db.fetch_all(
                "SELECT id FROM cases INDEXED BY cases_to_purge WHERE status = 'resolved' AND updated_at < ?"
                " AND (user_id IS NOT NULL OR description IS NOT NULL OR contact_phone IS NOT NULL) LIMIT ?",
                (resolved_before, batch),
            )
            if not rows:
                return shown
            async with self.db.transaction() as db:
                shown += await _erase_cases(db, _CASES_LISTED, json.dumps([row[0] for row in rows]))

    async def purge_feedback(self, older_than: int) -> int:
        """Retention: old "was this helpful?" answers keep their counts but lose who gave them."""
        return await self.db.write(
            "UPDATE feedback SET user_id = NULL WHERE created_at < ? AND user_id IS NOT NULL", (older_than,)
        )

    async def purge_audit(self, older_than: int) -> int:
        """Retention: staff actions older than the retention period."""
        return await self.db.write("DELETE FROM audit WHERE created_at < ?", (older_than,))
