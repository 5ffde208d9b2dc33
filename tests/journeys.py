"""Conversations several test modules walk through (with the in-process or the HTTP emulator)."""

import sqlite3


def rows(settings, sql):
    """The rows of `sql` (no parameters), read directly from the bot's database, SQLite or PostgreSQL."""
    if getattr(settings, "database_url", ""):
        import psycopg

        with psycopg.connect(settings.database_url) as db:
            return [tuple(row) for row in db.execute(sql).fetchall()]
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
