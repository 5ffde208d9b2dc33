"""What /deletedata removes. Each feature that stores personal data adds its statement here."""

from __future__ import annotations

import aiosqlite

from bot.store.drafts import Draft

PERSONAL_DATA = (
    "DELETE FROM drafts WHERE user_id = ?",
    "DELETE FROM registrations WHERE user_id = ?",
    "DELETE FROM feedback WHERE user_id = ?",
    "UPDATE users SET first_name = '' WHERE id = ?",
    # Cases keep category, country, dates and status for statistics; everything personal goes.
    "DELETE FROM attachments WHERE case_id IN (SELECT id FROM cases WHERE user_id = ?)",
    "UPDATE case_events SET body = NULL WHERE case_id IN (SELECT id FROM cases WHERE user_id = ?)",
    "UPDATE case_events SET actor = NULL WHERE actor = ?",
    "UPDATE cases SET description = NULL, contact_phone = NULL, contact_method = 'none', worker_id = NULL,"
    " user_id = NULL WHERE user_id = ?",
)


async def erase_user(db: aiosqlite.Connection, user_id: int) -> None:
    """Every personal field of one user, inside the caller's transaction."""
    for statement in PERSONAL_DATA:
        await db.execute(statement, (user_id,))


async def erase_draft_owner(db: aiosqlite.Connection, draft: Draft) -> None:
    """The /deletedata wizard's result."""
    await erase_user(db, draft.user_id)
