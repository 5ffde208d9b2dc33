"""End to end: the real `python -m bot run` process against the emulator's HTTP front."""

import asyncio
import re
from types import SimpleNamespace

import httpx
import pytest
from journeys import fill_registration_until_phone, full_report, label, opening, rows, start_report

from bot.emulator import DEFAULT_TOKEN, Emulator, EmulatorServer
from bot.local import BotProcess

STARTED: list[BotProcess] = []
STAFF = 9001

pytestmark = pytest.mark.both_backends


@pytest.fixture(autouse=True)
async def _no_orphans():
    """A failing test must not leave a bot process running."""
    yield
    while STARTED:
        process = STARTED.pop().process
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()


@pytest.fixture
async def served(request):
    emulator = Emulator()
    # Generous: a loaded CI machine answers slower. The bot keeps Telegram's ~1 message/s per private
    # chat in real time (bot/outbox/limiter.py) while this user acts faster than any person: a reply
    # may wait up to a second, so "idle" means a little over a second without a request.
    emulator.settle = (20.0, 1.1)
    emulator.user(id=STAFF, first_name="Staf")  # `run` needs a staff member (or FAQ_ONLY=1)
    async with EmulatorServer(emulator) as server:
        yield emulator, server
    if "allow_api_errors" not in request.keywords:
        assert emulator.errors == [], f"the bot caused API errors: {emulator.errors}"


@pytest.fixture
def env(tmp_path, database_url):
    """The bot's environment: SQLite in tmp_path, or a fresh PostgreSQL schema."""
    env = {"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), "LOG_LEVEL": "INFO", "STAFF_IDS": str(STAFF)}
    return {**env, "DATABASE_URL": database_url} if database_url else env


def database_of(env):
    """What `rows` reads: the bot's database as its environment names it."""
    return type("S", (), {"database_path": env["DATABASE_PATH"], "database_url": env.get("DATABASE_URL", "")})


async def start_bot(server, env, emulator):
    bot = await BotProcess(server.url, env).start()
    STARTED.append(bot)
    await emulator.wait_polling(timeout=30)
    return bot


async def test_start_menu_and_a_clean_stop(served, env, content):
    emulator, server = served
    bot = await start_bot(server, env, emulator)
    user = emulator.user(id=501, first_name="Sri", language_code="id")
    await user.send("/start")
    assert user.last_text == label("user-welcome", name="Sri")
    section = content.sections["id"]["placement"]
    await user.press(f"🧳 {section.title}")
    await user.press(section.entries[0].title)
    assert section.entries[0].title in user.last_text
    assert await bot.stop() == 0
    assert DEFAULT_TOKEN not in bot.log and "handled update" in bot.log


async def test_language_survives_a_restart_and_pending_updates_are_delivered(served, env):
    emulator, server = served
    bot = await start_bot(server, env, emulator)
    user = emulator.user(id=502, first_name="Ani", language_code="id")
    await user.send("/language")
    await user.press(label("user-button-lang-en"))
    await bot.kill()
    emulator.settle = None
    await user.send("/start")  # nobody is polling: Telegram keeps it
    bot = await start_bot(server, env, emulator)
    await emulator.wait_idle(10, 0.3)
    assert user.last_text == label("user-welcome", "en", name="Ani")
    await bot.stop()


async def test_kill_9_mid_registration_then_finish(served, env):
    emulator, server = served
    bot = await start_bot(server, env, emulator)
    user = emulator.user(id=503, first_name="Siti", language_code="id")
    await fill_registration_until_phone(user)
    await bot.kill()
    bot = await start_bot(server, env, emulator)
    await user.send("081234567890")
    await user.press(label("user-button-save"))
    assert user.last_text == label("user-register-done", result=1)
    await bot.stop()
    settings = database_of(env)
    assert rows(settings, "SELECT village FROM registrations") == [("Kromengan",)]


async def test_kill_9_mid_report_then_finish_makes_one_case(served, env):
    emulator, server = served
    bot = await start_bot(server, env, emulator)
    user = emulator.user(id=504, first_name="Wati", language_code="id")
    await start_report(user)
    await user.press(label("user-consent-yes"))
    await user.press("🇭🇰 Hong Kong")
    await bot.kill()
    bot = await start_bot(server, env, emulator)
    await user.send("Gaji belum dibayar")
    await user.press(label("user-button-done"))
    await user.press(label("user-button-skip"))
    await user.press(label("user-contact-by-telegram"))
    await user.press(label("user-button-confirm"))
    reference = re.search(r"LP-[2-9A-HJ-NP-Z]{6}", user.last_text).group()
    assert user.last_text.startswith(
        opening("user-report-done", result=SimpleNamespace(reference=reference, urgent=False))
    )
    await bot.stop()
    settings = database_of(env)
    assert rows(settings, "SELECT COUNT(*) FROM cases") == [(1,)]


@pytest.mark.allow_api_errors  # the 409s are the point of this test
async def test_a_second_instance_conflict_ends_run_with_one_line(served, env):
    emulator, server = served
    emulator.force_conflict = True
    bot = await BotProcess(server.url, env).start()
    STARTED.append(bot)
    assert await bot.wait(timeout=30) == 1
    assert (
        bot.log.strip().splitlines()[-1]
        == "another instance is using this BOT_TOKEN (409 Conflict): stop it first"
    )
    assert "Traceback" not in bot.log


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_mode_processes_pushed_updates_and_checks_the_secret(served, env):
    emulator, server = served
    port = _free_port()
    env = {
        **env,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "WEBHOOK_SECRET": "s3cret-Token",
        "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
    }
    bot = await BotProcess(server.url, env).start()
    STARTED.append(bot)
    for _ in range(300):
        if emulator.webhook is not None:
            break
        await asyncio.sleep(0.1)
    user = emulator.user(id=505, first_name="Nur", language_code="en")
    await user.send("/start")
    assert user.last_text == label("user-welcome", "en", name="Nur")
    async with httpx.AsyncClient() as client:
        forged = await client.post(f"http://127.0.0.1:{port}/hook", json={"update_id": 999999, "message": {}})
        wrong = await client.post(
            f"http://127.0.0.1:{port}/hook",
            json={"update_id": 999998},
            headers={"X-Telegram-Bot-Api-Secret-Token": "nope"},
        )
    assert forged.status_code == 403 and wrong.status_code == 403
    assert await bot.stop() == 0


async def test_kill_9_mid_broadcast_then_restart_no_duplicates_and_unknown_reported(env):
    """300 recipients at 50/s; the bot is killed while sending and started again."""
    from bot.emulator import FloodLimits
    from bot.store import Store

    emulator = Emulator(
        flood=FloodLimits(private_per_second=None, group_per_minute=None, overall_per_second=None)
    )
    users = [emulator.user(id=40_000 + n, first_name="U", language_code="id") for n in range(300)]
    store = await Store.open(env.get("DATABASE_URL") or env["DATABASE_PATH"])
    for user in users:
        await store.touch_user(user.id, "U", "id")
    async with store.db.transaction() as db:
        await db.execute(
            "INSERT INTO broadcasts (created_by, html, audience, status, scheduled_at, created_at,"
            " updated_at)"
            " VALUES (9001, '<b>Info</b> desa', '{}', 'scheduled', 0, 0, 0)"
        )
    await store.close()
    env = {**env, "BROADCAST_RATE": "50", "STAFF_IDS": "9001"}
    async with EmulatorServer(emulator) as server:
        bot = await start_bot(server, env, emulator)
        while sum(bool(u.messages) for u in users) < 100:
            await asyncio.sleep(0.05)
        await bot.kill()
        before = sum(bool(u.messages) for u in users)
        bot = await start_bot(server, env, emulator)
        for _ in range(400):
            settings = database_of(env)
            if rows(settings, "SELECT status FROM broadcasts") == [("done",)]:
                break
            await asyncio.sleep(0.05)
        await bot.stop()
    received = [len([m for m in u.messages if "Info" in m.text]) for u in users]
    statuses = dict(rows(settings, "SELECT status, COUNT(*) FROM outbox GROUP BY status"))
    assert max(received) == 1
    assert received.count(0) <= statuses.get("unknown", 0) <= 8  # missing ≤ unknown ≤ rows in flight
    assert statuses["sent"] + statuses.get("unknown", 0) == 300 and before >= 100


async def test_reporter_and_staff_talk_as_in_a_chat(served, env):
    """Issue 18, over HTTP: a staff reply on a card, then the reporter's plain answers (text, photo
    with caption, voice) appear under that case; a three-message story reaches staff whole; two
    notes started on two cards land on their own cases."""
    emulator, server = served
    env = {**env, "STAFF_IDS": "9001", "STAFF_CHAT_ID": "-100999"}
    ani = emulator.user(id=9001, first_name="Ani", language_code="id")
    group = emulator.group(id=-100999, title="Petugas", members=[ani])
    bot = await start_bot(server, env, emulator)
    siti = emulator.user(id=506, first_name="Siti", language_code="id")
    await start_report(siti)
    await siti.press(label("user-consent-yes"))
    await siti.press("🇭🇰 Hong Kong")
    for part in ("kak sy mau lapor", "gaji 3 bulan blm dibayar", "majikan marah2 terus"):
        await siti.send(part)
    await siti.press(label("user-button-done"))
    await siti.press(label("user-button-skip"))
    await siti.press(label("user-contact-by-telegram"))
    await siti.press(label("user-button-confirm"))
    await emulator.wait_idle(10, 0.5)
    card = next(m for m in group.messages if m.buttons)
    assert "kak sy mau lapor\n\ngaji 3 bulan blm dibayar\n\nmajikan marah2 terus" in card.text
    await ani.reply_in(group, card.message_id, "Boleh tahu nama lengkap anak Ibu?")
    await emulator.wait_idle(10, 0.5)
    await siti.send("nama nya Siti Aminah, no hp +852 6123 4567")
    await siti.send_photo("slip gaji")
    await siti.send_voice()
    await emulator.wait_idle(10, 0.5)
    under_card = [m for m in group.messages if m.reply_to == card.message_id]
    assert any("nama nya Siti Aminah" in m.text for m in under_card)
    assert any("slip gaji" in m.text for m in under_card)
    assert {"photo", "voice"} <= {m.kind for m in under_card}
    await full_report(siti)
    await emulator.wait_idle(10, 0.5)
    first, second = [m for m in group.messages if m.buttons and m.text.startswith("LP-")][:2]
    prompts = []
    for card_message in (first, second):
        note = next(
            b.data for row in card_message.buttons for b in row if b.text == label("staff-button-note")
        )
        await emulator.click(ani.user, group.chat, card_message.message_id, note)
        prompts.append(group.last)
    await ani.reply_in(group, prompts[0].message_id, "catatan satu")
    await ani.reply_in(group, prompts[1].message_id, "catatan dua")
    await bot.stop()
    settings = database_of(env)
    notes = "SELECT reference, body FROM case_events JOIN cases ON cases.id = case_id WHERE kind = 'note'"
    references = [m.text.split(" ")[0] for m in (first, second)]
    assert sorted(rows(settings, notes)) == sorted(
        zip(references, ["catatan satu", "catatan dua"], strict=True)
    )


async def test_a_forum_staff_group_works_a_case_in_its_topic(served, env):
    """Issue 18 scope 4, over HTTP: new case → topic; staff type in it (no reply) → the reporter,
    unsigned; the reporter's answer → the topic; resolve → closed; the reporter again → reopened."""
    emulator, server = served
    env = {**env, "STAFF_IDS": "9001", "STAFF_CHAT_ID": "-100998"}
    ani = emulator.user(id=9001, first_name="Ani", language_code="id")
    group = emulator.group(
        id=-100998, title="Petugas", members=[ani], forum=True, bot_rights=("can_manage_topics",)
    )
    bot = await start_bot(server, env, emulator)
    siti = emulator.user(id=507, first_name="Siti", language_code="id")
    await full_report(siti)
    await emulator.wait_idle(10, 0.5)
    (topic,) = group.topics
    await ani.send_in_topic(group, topic.thread_id, "Boleh tahu nama lengkap anak Ibu?")
    await emulator.wait_idle(10, 0.5)
    assert "Boleh tahu nama lengkap anak Ibu?" in siti.last_text and "Ani" not in siti.last_text
    await siti.send("nama nya Siti Aminah")
    await emulator.wait_idle(10, 0.5)
    assert "nama nya Siti Aminah" in group.in_topic(topic.thread_id)[-1].text
    await ani.press(label("staff-button-res"), group)
    await emulator.wait_idle(10, 0.5)
    assert topic.closed
    await siti.send("gaji masih belum dibayar")
    await emulator.wait_idle(10, 0.5)
    await bot.stop()
    assert not topic.closed and "gaji masih belum dibayar" in group.in_topic(topic.thread_id)[-1].text
    assert emulator.errors == []
