"""Conversations several test modules walk through (with the in-process or the HTTP emulator)."""

import sqlite3

from bot import telegram_html


def said(content, key, lang="id", **context):
    """A content message as the user reads it (plain text): tests find texts by key, not wording."""
    return telegram_html.parse(content.text(lang, key, **context)).text


def danger_reply(content, lang="id", country=""):
    name = content.country_name(country, lang)
    return said(content, "user-danger", lang, country=country, country_name=name, danger=True)


def rows(settings, sql):
    with sqlite3.connect(settings.database_path) as db:
        return db.execute(sql).fetchall()


async def fill_registration_until_phone(user, name="Siti Aminah"):
    await user.send("/register")
    await user.press("✅ Saya setuju")
    await user.press("Anak")
    await user.send(name)
    await user.press("🇹🇼 Taiwan")
    await user.press("Sedang bekerja di luar negeri")
    await user.press("Jawa Timur")
    await user.send("kab. malang")
    await user.send("Kromengan")


async def register(user, name="Siti Aminah"):
    await fill_registration_until_phone(user, name)
    await user.send("0812-3456-7890")
    await user.press("✅ Benar, simpan")


async def start_report(user, category="Gaji tidak dibayar", subject="Saya sendiri"):
    await user.send("/report")
    await user.press(category)
    await user.press(subject)


async def full_report(user):
    await start_report(user)
    await user.press("✅ Saya setuju")
    await user.press("🇭🇰 Hong Kong")
    await user.send("Gaji saya tidak dibayar 3 bulan oleh majikan <b>&")
    await user.send_photo()
    await user.send_photo()
    await user.press("✅ Selesai")
    await user.press("Lewat chat ini")
    await user.press("✅ Benar, simpan")
