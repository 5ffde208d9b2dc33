"""Conversations several test modules walk through (with the in-process or the HTTP emulator), and
`label`, which finds a button or a text by its content key."""

import sqlite3
import time
from functools import cache

from bot.config import load_settings
from bot.content import Content, load_content
from bot.telegram_html import parse


@cache
def _content() -> Content:
    content = load_content()  # as the lifecycle loads it, with the default retention
    content.env.globals["data_retention_days"] = load_settings({}).data_retention_days
    return content


# The template variables of a relayed message (staff-reporter-message_in) that reads as no danger.
PLAIN = {"danger": None, "now_urgent": False}


def label(key: str, lang: str = "id", **context) -> str:
    """What a user reads for a content key (a button label, or a message as plain text), so tests
    press and recognise it without restating the copy; a copy edit in content/ breaks no test."""
    return parse(_content().text(lang, key, **context)).text


def opening(key: str, lang: str = "id", **context) -> str:
    """The first line of a content message (e.g. the title of a summary whose lines vary)."""
    return label(key, lang, **context).splitlines()[0]


def danger_reply(lang="id", country=""):
    """The emergency reply as the user reads it, for a country code ("" when not known)."""
    name = _content().country_name(country, lang)
    return label("user-danger", lang, country=country, country_name=name, danger=True)


def rows(settings, sql):
    """The rows of `sql` (no parameters), read directly from the bot's database, SQLite or PostgreSQL."""
    if getattr(settings, "database_url", ""):
        import psycopg

        with psycopg.connect(settings.database_url) as db:
            return [tuple(row) for row in db.execute(sql).fetchall()]
    with sqlite3.connect(settings.database_path) as db:
        return db.execute(sql).fetchall()


def every_cell(settings):
    """(table, column, value) for every cell of every table of the bot's database, SQLite or
    PostgreSQL (what erasure tests search for personal data)."""
    if getattr(settings, "database_url", ""):
        import psycopg

        with psycopg.connect(settings.database_url) as db:
            tables = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            for (table,) in db.execute(tables).fetchall():
                cursor = db.execute(f'SELECT * FROM "{table}"')
                names = [column.name for column in cursor.description]
                for row in cursor.fetchall():
                    yield from ((table, name, value) for name, value in zip(names, row, strict=True))
        return
    with sqlite3.connect(settings.database_path) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            cursor = db.execute(f'SELECT * FROM "{table}"')
            names = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                yield from ((table, name, value) for name, value in zip(names, row, strict=True))


async def fill_registration_until_phone(user, name="Siti Aminah"):
    await user.send("/register")
    await user.press(label("user-consent-yes"))
    await user.press(label("user-relation-child"))
    await user.send(name)
    await user.press("🇹🇼 Taiwan")
    await user.press(label("user-stage-abroad"))
    await user.press("Jawa Timur")
    await user.send("kab. malang")
    await user.send("Kromengan")


async def register(user, name="Siti Aminah"):
    await fill_registration_until_phone(user, name)
    await user.send("0812-3456-7890")
    await user.press(label("user-button-save"))


async def register_another(user, name="Budi Santoso"):
    """A registered family adds a worker: the address and phone are not asked again."""
    await user.send("/register")
    await user.press(label("user-consent-yes"))
    await user.press(label("user-relation-child"))
    await user.send(name)
    await user.press("🇹🇼 Taiwan")
    await user.press(label("user-stage-abroad"))
    await user.press(label("user-button-save"))


async def start_report(user, category=None, subject=None):
    """/report up to the consent: unpaid wages, about the user, unless other labels are given."""
    await user.send("/report")
    await user.press(category or label("user-category-unpaid_wages"))
    await user.press(subject or label("user-subject-me"))


async def full_report(user):
    await start_report(user)
    await user.press(label("user-consent-yes"))
    await user.press("🇭🇰 Hong Kong")
    await user.send("Gaji saya tidak dibayar 3 bulan oleh majikan <b>&")
    await user.press(label("user-button-done"))  # the story is told
    await user.send_photo()
    await user.send_photo()
    await user.press(label("user-button-done"))
    await user.press(label("user-contact-by-telegram"))
    await user.press(label("user-button-confirm"))


def start_update(update_id: int, user_id: int) -> dict:
    """A raw /start update from a private chat, as Telegram posts it to a webhook."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Sri"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Sri", "language_code": "id"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
