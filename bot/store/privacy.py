"""What /deletedata removes. Each feature that stores personal data adds its statement here."""

from __future__ import annotations

import aiosqlite

from bot.store.drafts import Draft

_CASES = "SELECT id FROM cases WHERE user_id = ?"
_CASE_KINDS = "('case_card', 'case_file', 'relay_in', 'relay_out', 'notice')"

PERSONAL_DATA = (
    "DELETE FROM drafts WHERE user_id = ?",
    "DELETE FROM registrations WHERE user_id = ?",
    "DELETE FROM feedback WHERE user_id = ?",
    "UPDATE users SET first_name = '' WHERE id = ?",
    # Queued and sent messages to the user, or about their cases, carry their words.
    "DELETE FROM outbox WHERE chat_id = ?",
    f"DELETE FROM outbox WHERE kind IN {_CASE_KINDS} AND ref IN ({_CASES})",
    # Cases keep category, country, dates and status for statistics; everything personal goes.
    f"DELETE FROM attachments WHERE case_id IN ({_CASES})",
    f"UPDATE case_events SET body = NULL WHERE case_id IN ({_CASES})",
    "UPDATE case_events SET actor = NULL WHERE actor = ?",
    "UPDATE cases SET description = NULL, contact_phone = NULL, contact_method = 'none', worker_id = NULL,"
    " user_id = NULL WHERE user_id = ?",
)


async def erase_user(db: aiosqlite.Connection, user_id: int) -> list[tuple[int, int]]:
    """Every personal field of one user, inside the caller's transaction.

    Returns the staff-side messages (chat, message) that showed their cases, to be edited to say the
    data was deleted."""
    async with db.execute(
        f"SELECT chat_id, message_id FROM case_messages WHERE kind = 'card' AND case_id IN ({_CASES})",
        (user_id,),
    ) as cursor:
        shown = [(row[0], row[1]) for row in await cursor.fetchall()]
    for statement in PERSONAL_DATA:
        await db.execute(statement, (user_id,))
    return shown


async def erase_draft_owner(db: aiosqlite.Connection, draft: Draft) -> list[tuple[int, int]]:
    """The /deletedata wizard's result."""
    return await erase_user(db, draft.user_id)
