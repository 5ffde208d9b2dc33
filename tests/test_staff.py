import csv
import io
import re
import time
from types import SimpleNamespace

import pytest
from journeys import PLAIN, full_report, label, rows

from bot.config import load_settings
from bot.emulator import Emulator
from bot.local import local_bot

STAFF_CHAT = -100999
REFERENCE = re.compile(r"LP-[2-9A-HJ-NP-Z]{6}")


@pytest.fixture
async def desk(tmp_path, content):
    """The bot with two staff members and a staff group that also holds a non-staff member."""
    settings = load_settings(
        {
            "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
            "STAFF_IDS": "9001,9002",
            "STAFF_CHAT_ID": str(STAFF_CHAT),
        }
    )
    emulator = Emulator()
    async with local_bot(settings, emulator=emulator, content=content) as running:
        users = {
            name: emulator.user(id=uid, first_name=name, language_code="id")
            for name, uid in (("Ani", 9001), ("Budi", 9002), ("Tono", 9003), ("Siti", 1001))
        }
        group = emulator.group(
            id=STAFF_CHAT, title="Petugas", members=[users[n] for n in ("Ani", "Budi", "Tono")]
        )
        yield running, users, group, settings
        assert emulator.errors == [], f"the bot caused API errors: {emulator.errors}"


def later(running, seconds):
    """The store's clock `seconds` ahead (what waits in the outbox becomes due)."""
    running.services.store.db.clock = lambda: time.time() + seconds


async def released(running):
    """Held messages whose time has come are let go (every few real seconds in the running bot)."""
    await running.services.store.release_held()
    running.services.wake_outbox()
    await running.services.outbox.drain(5)


async def reported(desk):
    running, users, group, settings = desk
    await full_report(users["Siti"])
    await running.services.outbox.drain(5)
    return REFERENCE.search(users["Siti"].last_text).group()


async def test_a_new_case_posts_a_card_with_buttons_and_its_files(desk):
    reference = await reported(desk)
    _, _, group, _ = desk
    card = next(m for m in group.messages if reference in m.text and m.buttons)
    assert label("user-category-unpaid_wages") in card.text and "Siti" in card.text and "<b>&" in card.text
    assert {label(f"staff-button-{action}") for action in ("take", "res", "contact")} <= set(card.labels)
    assert sum(m.kind == "photo" for m in group.messages) == 2


@pytest.mark.parametrize(
    ("actions", "status"),
    [
        (["take"], "in_progress"),
        (["prog"], "in_progress"),
        (["ref", "refe"], "referred"),
        (["res"], "resolved"),
    ],
)
async def test_status_buttons_edit_the_card_and_notify_the_reporter(desk, actions, status):
    reference = await reported(desk)
    running, users, group, settings = desk
    for action in actions:
        await users["Ani"].press(label(f"staff-button-{action}"), group)
    later(running, 70)  # "resolved" is told to the reporter after its minute of undo
    await released(running)
    card = next(m for m in group.messages if reference in m.text and m.buttons)
    assert card.edited and label(f"user-status-{status}") in card.text
    assert rows(settings, "SELECT status FROM cases") == [(status,)]
    case = SimpleNamespace(reference=reference, status=status)
    office = label("user-referral-refe") if status == "referred" else None
    told = label("user-status-changed", case=case, referred_to=office)
    assert told in [m.text for m in users["Siti"].messages[-2:]]  # then, after "resolved", the rating


async def test_a_non_staff_group_member_changes_nothing(desk):
    await reported(desk)
    running, users, group, settings = desk
    for action in ("take", "res", "contact", "note"):
        query = await users["Tono"].press(label(f"staff-button-{action}"), group)
        assert users["Tono"].answer(query)["text"] == label("staff-not-allowed")
    assert rows(settings, "SELECT status, assignee FROM cases") == [("new", None)]
    assert not [m for m in group.messages if m.edited]


async def test_a_staff_action_the_card_never_offered_is_a_stale_button(desk):
    await reported(desk)
    running, users, group, settings = desk
    case_id = rows(settings, "SELECT id FROM cases")[0][0]
    query = await users["Ani"].press_data(f"st:1:{case_id}:frob")
    assert users["Ani"].answer(query)["text"] == label("user-stale-button")
    assert rows(settings, "SELECT status, assignee FROM cases") == [("new", None)]


async def test_show_contact_is_an_alert_to_the_presser_and_is_audited(desk):
    await reported(desk)
    running, users, group, settings = desk
    before = len(group.messages)
    query = await users["Budi"].press(label("staff-button-contact"), group)
    answer = users["Budi"].answer(query)
    assert answer["show_alert"] and "Siti" in answer["text"]
    assert len(group.messages) == before
    audit = rows(settings, "SELECT actor, action FROM audit WHERE case_id IS NOT NULL")
    assert audit == [(9002, "show_contact")]


REPLY = "Kami sudah menghubungi <KBRI>"


@pytest.mark.parametrize("kind", ["text", "photo"])
async def test_staff_reply_reaches_the_reporter_without_staff_identity(desk, kind):
    reference = await reported(desk)
    running, users, group, settings = desk
    card = next(m for m in group.messages if reference in m.text and m.buttons)
    reply = users["Ani"].reply_in if kind == "text" else users["Ani"].reply_photo_in
    await reply(group, card.message_id, REPLY)
    await running.services.outbox.drain(5)
    shown = users["Siti"].messages[-1]  # .text is the caption of a photo
    case = SimpleNamespace(reference=reference)
    assert shown.kind == kind and shown.text == label("user-staff-message", case=case, text=REPLY)
    assert "Ani" not in shown.text and "9001" not in shown.text
    assert group.last_text == label("staff-relayed", case=case)


async def test_reporter_reply_reaches_the_staff_thread(desk):
    reference = await reported(desk)
    running, users, group, settings = desk
    card = next(m for m in group.messages if reference in m.text and m.buttons)
    await users["Ani"].reply_in(group, card.message_id, "Sejak kapan?")
    await running.services.outbox.drain(5)
    staff_message = users["Siti"].last
    await users["Siti"].emulator.post(
        users["Siti"].user,
        users["Siti"].chat,
        text="Sejak Januari",
        reply_to=users["Siti"].emulator.find_message(users["Siti"].chat, staff_message.message_id),
    )
    await running.services.outbox.drain(5)
    relayed = group.messages[-1]
    assert relayed.text.startswith(
        label(
            "staff-reporter-message_in",
            case=SimpleNamespace(reference=reference),
            text="",
            reopened=False,
            **PLAIN,
        )
    )
    assert "Sejak Januari" in relayed.text
    assert relayed.reply_to == card.message_id


async def test_a_note_is_kept_for_staff_only(desk):
    reference = await reported(desk)
    running, users, group, settings = desk
    await users["Ani"].press(label("staff-button-note"), group)
    prompt = group.last
    await users["Ani"].reply_in(group, prompt.message_id, "Pelapor minta ditelepon sore")
    assert rows(settings, "SELECT body FROM case_events WHERE kind = 'note'") == [
        ("Pelapor minta ditelepon sore",)
    ]
    assert "Pelapor minta" not in users["Siti"].last_text
    await users["Ani"].send(f"/case {reference}")
    words = label("staff-history-note", body="Pelapor minta ditelepon sore")
    assert words in users["Ani"].last_text and users["Ani"].last_text.startswith(reference)  # HTML, no tags


async def test_cases_pages_and_filters(desk):
    running, users, group, settings = desk
    reporters = [
        users["Siti"],
        *(running.emulator.user(id=i, first_name="W", language_code="id") for i in (5, 6)),
    ]
    for reporter, count in zip(reporters, (5, 5, 2), strict=True):
        for _ in range(count):
            await full_report(reporter)
    await users["Ani"].send("/cases")
    assert "12" in users["Ani"].last_text and "1–10" in users["Ani"].last_text
    await users["Ani"].press("➡️")
    assert "11–12" in users["Ani"].last_text
    await users["Ani"].send("/cases mine")
    assert ": 0" in users["Ani"].last_text


async def test_export_arrives_privately_and_parses_as_csv(desk):
    await reported(desk)
    running, users, group, settings = desk
    await users["Ani"].send("/start")
    await users["Ani"].send_in(group, "/export")
    assert group.last_text.startswith(label("staff-export-sent"))
    files = [m for m in users["Ani"].messages if m.kind == "document"]
    assert [f.file_name for f in files] == ["reports.csv", "registrations.csv"]
    assert files[0].data.startswith("\ufeff".encode())
    table = list(csv.DictReader(io.StringIO(files[0].data.decode("utf-8-sig"))))
    assert table[0]["category"] == "unpaid_wages"
    assert not any(m.kind == "document" for m in group.messages)


async def test_non_staff_probing_staff_commands_and_callbacks_sees_nothing(desk):
    reference = await reported(desk)
    running, users, group, settings = desk
    probe = users["Tono"]
    for command in ("/cases", "/cases all", f"/case {reference}", "/stats", "/export", "/chatid"):
        await probe.send(command)
        assert probe.last_text.startswith(label("user-unknown-command"))
        before = len(group.messages)
        await probe.send_in(group, command)
        assert len(group.messages) == before
    case_id = str(rows(settings, "SELECT id FROM cases")[0][0])
    for data in (f"st:1:{case_id}:contact", f"st:1:{case_id}:res", "cl:1:all:0", f"sc:1:{case_id}"):
        query = await probe.press_data(data)
        assert probe.answer(query)["text"] == label("staff-not-allowed")
    assert reference not in " ".join(m.text for m in probe.messages)


async def test_stats_and_chatid_for_staff(desk):
    await reported(desk)
    running, users, group, settings = desk
    await users["Ani"].send("/stats")
    assert "Laporan minggu ini: 1" in users["Ani"].last_text
    await users["Budi"].send_in(group, "/chatid")
    assert str(STAFF_CHAT) in group.last_text


async def test_chat_migration_is_followed(desk):
    running, users, group, settings = desk
    new = await running.emulator.migrate(group)
    await full_report(users["Siti"])
    await running.services.outbox.drain(5)
    assert running.services.staff_chat_id == new.id
    assert any("LP-" in m.text for m in new.messages)
    assert rows(settings, "SELECT value FROM settings_kv WHERE key = 'staff_chat_id'") == [(str(new.id),)]


async def test_thirty_cases_in_a_minute_all_reach_the_group_without_a_429(tmp_path, content):
    settings = load_settings(
        {
            "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
            "STAFF_IDS": "9001",
            "STAFF_CHAT_ID": str(STAFF_CHAT),
        }
    )
    emulator = Emulator(think_time=0)  # all 30 within a moment; Telegram allows 20 per minute per group
    emulator.callback_timeout = 1e9  # the outbox's waits move the emulated clock while people press buttons
    async with local_bot(settings, emulator=emulator, content=content, virtual_pacing=True) as running:
        group = emulator.group(
            id=STAFF_CHAT, title="Petugas", members=[emulator.user(id=9001, first_name="A")]
        )
        for number in range(30):  # 30 people, one second apart
            user = emulator.user(id=2000 + number, first_name="U", language_code="id")
            await user.send(f"resep rendang nomor {number}")
            await user.press(label("user-button-ask-staff"))
            await user.press(label("user-consent-yes"))
            await user.press(label("user-button-confirm"))
            emulator.advance(1.0)
        for _ in range(100):
            if sum("LP-" in m.text for m in group.messages) == 30:
                break
            await running.services.outbox.drain(5)
    assert sum("LP-" in m.text for m in group.messages) == 30
    assert emulator.errors == []


async def test_backup_during_writes_is_consistent(desk, tmp_path):
    import asyncio
    import sqlite3

    running, users, group, settings = desk
    store = running.services.store

    async def writer():
        for number in range(200):
            await store.touch_user(50_000 + number, f"U{number}", "id")

    task = asyncio.create_task(writer())
    await asyncio.sleep(0)
    target = tmp_path / "backup.sqlite3"
    await store.db.backup_to(target)
    await task
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] >= 8
    assert oct(target.stat().st_mode & 0o777) == "0o600"


async def test_staff_command_menus_only_in_staff_scopes(desk):
    running, users, group, settings = desk
    for name in ("Ani", "Tono"):
        await users[name].send("/start")
        await users[name].send_in(group, "/chatid")
    visible = running.emulator.visible_commands
    names = lambda commands: {c["command"] for c in commands}  # noqa: E731
    assert "cases" in names(visible(9001)) and "start" in names(visible(9001))
    assert "cases" in names(visible(9001, STAFF_CHAT))
    assert "cases" not in names(visible(9003)) and "cases" not in names(visible(9003, STAFF_CHAT))


async def test_deletedata_edits_the_staff_card_and_clears_the_outbox(desk):
    reference = await reported(desk)
    running, users, group, settings = desk
    await users["Siti"].send("/deletedata")
    await users["Siti"].press(label("user-deletedata-choice-erase"))
    await running.services.outbox.drain(5)
    card = next(m for m in group.messages if m.buttons or m.edited)
    assert card.text.startswith(reference) and "Siti" not in card.text and "3 bulan" not in card.text
    assert label("staff-button-res") in card.labels and len(group.messages) == 1  # the photos went
    dump = "\n".join(__import__("sqlite3").connect(settings.database_path).iterdump())
    assert "tidak dibayar 3 bulan" not in dump


async def test_erase_on_the_command_line_does_what_deletedata_does(desk, capsys):
    import argparse

    from bot.cli import erase

    reference = await reported(desk)
    running, users, group, settings = desk
    await erase(settings, argparse.Namespace(user_id=users["Siti"].id))
    assert "3 messages in staff chats will be deleted or edited" in capsys.readouterr().out
    running.services.outbox.wake()  # the running bot looks at its queue every 30 s on its own
    await running.services.outbox.drain(5)
    card = next(m for m in group.messages if m.buttons or m.edited)
    assert card.text.startswith(reference) and "Siti" not in card.text and len(group.messages) == 1
    dump = "\n".join(__import__("sqlite3").connect(settings.database_path).iterdump())
    assert "tidak dibayar 3 bulan" not in dump
    assert rows(settings, "SELECT actor FROM audit WHERE action = 'erase_user'") == [(0,)]
