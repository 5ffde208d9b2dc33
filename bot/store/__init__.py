"""The store: one SQLite database behind domain methods. No `telegram` imports here."""

from __future__ import annotations

import time
from pathlib import Path

from bot.store.broadcasts import Broadcast, BroadcastStore
from bot.store.case_reminders import CaseReminderStore
from bot.store.cases import Attachment, Case, CaseEvent, CaseStore
from bot.store.casework import CaseworkStore, Change
from bot.store.closing import ClosingStore
from bot.store.conversations import Conversation, ConversationStore, ReporterMessage
from bot.store.db import Clock, Database, SqliteDatabase, is_postgres_url
from bot.store.drafts import Draft, DraftGone, DraftStore
from bot.store.inbox import InboxStore
from bot.store.kv import KvStore
from bot.store.outbox import OutboxStore, Outgoing
from bot.store.privacy import PrivacyStore
from bot.store.questions import QuestionStore, Unanswered
from bot.store.registrations import Registration, RegistrationStore, Worker
from bot.store.reminders import ReminderStore
from bot.store.roles import RoleStore, StaffMember
from bot.store.stats import ReportingStore
from bot.store.times import TimesStore
from bot.store.topics import Topic, TopicStore
from bot.store.users import User, UserStore

__all__ = [
    "Attachment",
    "Broadcast",
    "Case",
    "CaseEvent",
    "Change",
    "Clock",
    "Conversation",
    "Database",
    "Draft",
    "DraftGone",
    "Outgoing",
    "Registration",
    "ReporterMessage",
    "StaffMember",
    "Store",
    "Topic",
    "Unanswered",
    "User",
    "Worker",
    "open_database",
]


class Store(
    UserStore,
    DraftStore,
    RegistrationStore,
    QuestionStore,
    CaseStore,
    CaseworkStore,
    ConversationStore,
    TopicStore,
    ReportingStore,
    OutboxStore,
    BroadcastStore,
    PrivacyStore,
    ReminderStore,
    KvStore,
    RoleStore,
    CaseReminderStore,
    TimesStore,
    ClosingStore,
    InboxStore,
):
    """Every table of the bot, one feature module each, sharing one Database."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    @classmethod
    async def open(cls, path: Path | str, clock: Clock = time.time) -> Store:
        return cls(await open_database(path, clock))

    async def close(self) -> None:
        await self.db.close()


async def open_database(target: Path | str, clock: Clock = time.time) -> Database:
    """PostgreSQL for a postgresql:// URL, else SQLite at the path (":memory:" for a throw-away one)."""
    if is_postgres_url(target):
        from bot.store.postgres import PostgresDatabase  # psycopg is only needed for PostgreSQL

        return await PostgresDatabase.connect(str(target), clock)
    return await SqliteDatabase.connect(target, clock)
