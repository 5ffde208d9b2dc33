import asyncio
import contextlib
import time
from datetime import datetime

import pytest
from journeys import label, register, rows

from bot.config import load_settings
from bot.emulator import Emulator, FloodLimits
from bot.local import local_bot
from bot.outbox.notices import JAKARTA
from bot.store import Store
from bot.store.broadcasts import audience_sql

STAFF = 9001

pytestmark = pytest.mark.both_backends
NEW_DATABASE = [lambda: None]


@pytest.fixture(autouse=True)
def _backend(new_database):
    NEW_DATABASE[0] = new_database


def make_settings(tmp_path, **extra):
    url = NEW_DATABASE[0]()
    database = {"DATABASE_URL": url} if url else {}
    return load_settings(
        {"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), "STAFF_IDS": str(STAFF), **database, **extra}
    )


async def add_users(running, count, start=20_000, lang="id"):
    """Users who have talked to the bot before (in the store and in the emulator)."""
    users = []
    for number in range(count):
        user = running.emulator.user(id=start + number, first_name=f"U{number}", language_code=lang)
        await running.services.store.touch_user(user.id, user.user.first_name, lang)
        users.append(user)
    return users


async def compose(staff, text="📣 <b>Lowongan resmi</b> di Korea", *, audience=(), when="now", at=None):
    """The staff member writes a broadcast; `text` carries formatting as real Telegram entities."""
    await staff.send("/broadcast")
    plain = text.replace("<b>", "").replace("</b>", "")
    start = text.index("<b>") if "<b>" in text else 0
    bold = (
        len(text[text.index("<b>") + 3 : text.index("</b>")].encode("utf-16-le")) // 2 if "<b>" in text else 0
    )
    prefix = len(text[:start].encode("utf-16-le")) // 2
    entities = [{"type": "bold", "offset": prefix, "length": bold}] if bold else []
    await staff.emulator.post(staff.user, staff.chat, text=plain, entities=entities)
    for key in audience or ("staff-broadcast-all", "staff-broadcast-registered-all"):
        await staff.press(label(key))
    await staff.press(label(f"staff-broadcast-when-{when}"))
    if at:
        await staff.send(at)


async def delivered(running, timeout=30):
    """Until every broadcast is sent and its final progress shown (on the emulator's clock)."""
    store, broadcaster = running.services.store, running.services.broadcaster
    for _ in range(int(timeout * 10)):
        await broadcaster.tick()
        busy = await store.broadcasts("sending") or await store.broadcasts("scheduled")
        if not busy and not broadcaster.unfinished:
            return
        with contextlib.suppress(TimeoutError):  # a flood wait is still on: go round again
            await running.services.outbox.drain(2)
        running.emulator.advance(1.0)
        await asyncio.sleep(0.01)
    raise TimeoutError("broadcast not finished")


def copies(user, needle="Lowongan resmi"):
    return sum(needle in m.text for m in user.messages)


async def test_segment_counts(tmp_path, content):
    async with local_bot(make_settings(tmp_path), content=content) as running:
        await add_users(running, 3, lang="id")
        await add_users(running, 2, start=30_000, lang="en")
        siti = running.emulator.user(id=1001, first_name="Siti", language_code="id")
        await register(siti)
        store, count = running.services.store, running.services.store.count_audience
        assert await count({}, "id") == 6
        assert await count({"lang": "en"}, "id") == 2
        assert await count({"registered": "yes"}, "id") == 1
        assert await count({"country": "TW", "stage": "abroad", "province": "jawa-timur"}, "id") == 1
        assert await count({"country": "HK"}, "id") == 0
        assert await count({"province": "jawa-timur", "district": "kabupaten malang"}, "id") == 1
        await store.set_opted_out(20_000, True)
        await store.set_blocked(20_001, True)
        assert await count({}, "id") == 4


async def test_segments_follow_the_default_language_and_start_from_the_few_users_they_pick():
    store = await Store.open(NEW_DATABASE[0]() or ":memory:")
    try:
        for user_id, telegram, chosen in [
            (1, "id", "en"),
            (2, "en", "id"),
            (3, "en-GB", None),
            (4, "ms", None),
        ]:
            await store.touch_user(user_id, "U", telegram)
            if chosen:
                await store.set_language(user_id, chosen)
        await store.touch_user(5, "U", None)
        count = store.count_audience
        assert [await count({"lang": "id"}, "id"), await count({"lang": "en"}, "id")] == [3, 2]
        assert [await count({"lang": "id"}, "en"), await count({"lang": "en"}, "en")] == [1, 4]
        # Segments that pick a few users start from those users, never from all reachable users.
        audiences = [
            {"lang": "en"},
            {"registered": "yes"},
            {"province": "jawa-timur", "district": "Malang"},
            {"country": "HK", "stage": "abroad"},
            {"province": "ntb", "country": "TW", "lang": "en"},
        ]
        for audience in audiences * (store.db.dialect == "sqlite"):  # SQLite's query plans
            _, where, params = audience_sql(audience, "id")
            plan = await store.db.fetch_all(
                f"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM users u WHERE {where}", params
            )
            walks = [row[3] for row in plan if row[3].startswith("SCAN") or "opted_out=?)" in row[3]]
            assert not walks, audience
    finally:
        await store.close()


async def test_preview_is_exactly_what_recipients_get(tmp_path, content):
    async with local_bot(make_settings(tmp_path), content=content, virtual_pacing=True) as running:
        [recipient] = await add_users(running, 1)
        staff = running.emulator.user(id=STAFF, first_name="Ani", language_code="id")
        await compose(staff)
        preview = staff.messages[-2]
        assert "Jumlah penerima sekarang: 2" in staff.last_text  # the recipient and Ani herself
        await staff.press(label("user-button-confirm"))
        await delivered(running)
        got = next(m for m in recipient.messages if "Lowongan" in m.text)
        assert (got.html, got.labels) == (
            preview.html,
            preview.labels,
        ) and "<b>Lowongan resmi</b>" in got.html
        assert running.emulator.errors == []


async def test_three_hundred_users_twenty_blocked_each_gets_one_copy(tmp_path, content):
    async with local_bot(make_settings(tmp_path), content=content, virtual_pacing=True) as running:
        users = await add_users(running, 300)
        for user in users[:20]:
            user.user.blocked = True  # blocked without the bot having heard of it yet
        staff = running.emulator.user(id=STAFF, first_name="Ani", language_code="id")
        await compose(staff)
        await staff.press(label("user-button-confirm"))
        await delivered(running)
    assert [copies(u) for u in users[20:]] == [1] * 280
    assert rows(running.services.settings, "SELECT COUNT(*) FROM users WHERE blocked = 1") == [(20,)]
    assert rows(
        running.services.settings,
        "SELECT status, COUNT(*) FROM outbox WHERE kind = 'broadcast' GROUP BY status ORDER BY status",
    ) == [("failed", 20), ("sent", 281)]  # 280 + Ani
    assert "Terkirim: 281 · Gagal: 20" in staff.messages[-2].text + staff.last_text


async def test_flood_errors_are_obeyed_and_nobody_gets_two(tmp_path, content):
    emulator = Emulator(flood=FloodLimits(overall_per_second=5.0))  # tighter than BROADCAST_RATE=25
    async with local_bot(
        make_settings(tmp_path), emulator=emulator, content=content, virtual_pacing=True
    ) as running:
        users = await add_users(running, 60)
        staff = running.emulator.user(id=STAFF, first_name="Ani", language_code="id")
        await compose(staff)
        await staff.press(label("user-button-confirm"))
        await delivered(running, timeout=60)
    assert any(call.status == 429 for call in emulator.errors)
    assert [copies(u) for u in users] == [1] * 60


async def test_a_scheduled_broadcast_starts_on_time_after_a_restart(tmp_path, content):
    settings, emulator = make_settings(tmp_path), Emulator()
    start = int(time.time()) + 3600
    moment = datetime.fromtimestamp(start, JAKARTA).strftime("%d-%m-%Y %H:%M")
    async with local_bot(settings, emulator=emulator, content=content) as running:
        [recipient] = await add_users(running, 1)
        staff = emulator.user(id=STAFF, first_name="Ani", language_code="id")
        await compose(staff, when="later", at=moment)
        assert "Dikirim pada" in staff.last_text
        await staff.press(label("user-button-confirm"))
        await running.services.broadcaster.tick()
        assert copies(recipient) == 0
    emulator.advance(3700)  # the bot comes back after the scheduled time
    async with local_bot(settings, emulator=emulator, content=content, virtual_pacing=True) as running:
        await delivered(running)
    assert copies(recipient) == 1


async def test_cancel_a_scheduled_broadcast(tmp_path, content):
    settings, emulator = make_settings(tmp_path), Emulator()
    moment = datetime.fromtimestamp(time.time() + 7200, JAKARTA).strftime("%d-%m-%Y %H:%M")
    async with local_bot(settings, emulator=emulator, content=content) as running:
        [recipient] = await add_users(running, 1)
        staff = emulator.user(id=STAFF, first_name="Ani", language_code="id")
        await compose(staff, when="later", at=moment)
        await staff.press(label("user-button-confirm"))
        await staff.send("/broadcast")
        await staff.press(label("staff-broadcast-button-cancel") + " #1")
        await staff.send("/cancel")
    assert rows(settings, "SELECT status FROM broadcasts") == [("cancelled",)]


async def test_opt_out_and_back_in(tmp_path, content):
    async with local_bot(make_settings(tmp_path), content=content, virtual_pacing=True) as running:
        [user] = await add_users(running, 1)
        staff = running.emulator.user(id=STAFF, first_name="Ani", language_code="id")
        await compose(staff)
        await staff.press(label("user-button-confirm"))
        await delivered(running)
        await user.press(label("user-button-optout"))
        assert await running.services.store.opted_out(user.id)
        await compose(staff, "Kedua: <b>Lowongan resmi</b> lagi")
        assert "Jumlah penerima sekarang: 1" in staff.last_text  # only the staff member now
        await user.send("/menu")
        await user.press(label("user-button-announcements"))
        await user.press(label("user-button-optin"))
        assert not await running.services.store.opted_out(user.id)


async def test_blocking_and_unblocking_are_recorded_without_sending(tmp_path, content):
    async with local_bot(make_settings(tmp_path), content=content) as running:
        user = running.emulator.user(id=5, first_name="B", language_code="id")
        await user.send("/start")
        await user.block()
        assert (await running.services.store.get_user(5)).blocked
        await user.unblock()
        assert not (await running.services.store.get_user(5)).blocked


@pytest.mark.parametrize("data", ["bc:1:1:cancel", "bc:1:1:resend"])
async def test_non_staff_cannot_start_or_control_a_broadcast(tmp_path, content, data):
    async with local_bot(make_settings(tmp_path), content=content) as running:
        user = running.emulator.user(id=5, first_name="B", language_code="id")
        await user.send("/broadcast")
        assert user.last_text.startswith(label("user-unknown-command"))
        query = await user.press_data(data)
        assert user.answer(query)["text"] == label("staff-not-allowed")
        assert rows(running.services.settings, "SELECT COUNT(*) FROM broadcasts") == [(0,)]


async def test_broadcast_asks_for_the_message_once_without_a_paused_form_reminder(tmp_path, content):
    async with local_bot(make_settings(tmp_path), content=content) as running:
        staff = running.emulator.user(id=STAFF, first_name="Rina", language_code="id")
        await staff.send("/broadcast")
        texts = [m.text for m in staff.messages if m.text != "/broadcast"]
        paused = content.text("id", "user-wizard-paused", flow=content.text("id", "user-flow-broadcast"))
        assert paused not in texts
        assert len(texts) == 1
