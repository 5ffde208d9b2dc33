"""Issue 19: roles in the database, access at every step of every staff flow, scope by place."""

import re

import pytest
from journeys import full_report, label, rows

from bot.config import load_settings
from bot.emulator import Emulator
from bot.local import local_bot
from bot.store import Store

ADMIN, BUDI, OFFICER, SITI, RINA = 9001, 9002, 9003, 1001, 1002
STAFF_CHAT, TIMUR_CHAT = -100999, -100777
REFERENCE = re.compile(r"LP-[2-9A-HJ-NP-Z]{6}")
LATER = "31-12-2099 08:00"


def make_settings(tmp_path, staff_ids=str(ADMIN)):
    env = {
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "STAFF_IDS": staff_ids,
        "STAFF_CHAT_ID": str(STAFF_CHAT),
    }
    return load_settings(env)


class Desk:
    """The bot with an admin (from STAFF_IDS), Budi, an officer and two reporters, and a staff group."""

    def __init__(self, running):
        self.running, emulator = running, running.emulator
        self.users = {
            uid: emulator.user(id=uid, first_name=name, language_code="id")
            for uid, name in (
                (ADMIN, "Ani"),
                (BUDI, "Budi"),
                (OFFICER, "Oki"),
                (SITI, "Siti"),
                (RINA, "Rina"),
            )
        }
        members = [self.users[u] for u in (ADMIN, BUDI, OFFICER)]
        self.group = emulator.group(id=STAFF_CHAT, title="Petugas", members=members)

    def __getitem__(self, uid):
        return self.users[uid]

    async def admin(self, command):
        await self.users[ADMIN].send(command)
        return self.users[ADMIN].last_text


@pytest.fixture
async def desk(tmp_path, content):
    async with local_bot(make_settings(tmp_path), emulator=Emulator(), content=content) as running:
        yield Desk(running)
        assert running.emulator.errors == [], running.emulator.errors


async def register_in(user, district, village):
    await user.send("/register")
    await user.press(label("user-consent-yes"))
    await user.press(label("user-relation-child"))
    await user.send("Siti Aminah")
    await user.press("🇹🇼 Taiwan")
    await user.press(label("user-stage-abroad"))
    await user.press("Nusa Tenggara Barat")
    await user.send(district)
    await user.send(village)
    await user.send("0812-3456-7890")
    await user.press(label("user-button-save"))


async def report_from(desk, uid, district, village="Sakra"):
    await register_in(desk[uid], district, village)
    await full_report(desk[uid])
    await desk.running.services.outbox.drain(5)
    return REFERENCE.search(desk[uid].last_text).group()


async def start_broadcast(user, when="now"):
    await user.send("/broadcast")
    await user.send("transfer Rp500rb ke rekening 123")
    await user.press(label("staff-broadcast-all"))
    await user.press(label("staff-broadcast-registered-all"))
    await user.press(label(f"staff-broadcast-when-{when}"))


# -- roles ------------------------------------------------------------------------------------


async def test_an_admin_adds_lists_and_removes_staff_and_every_change_is_audited(desk):
    await desk.admin(f"/staff add {BUDI} staff")
    await desk.admin(f"/staff add {OFFICER} officer Lombok Timur/Sakra, Lombok Tengah")
    listing = await desk.admin("/staff list")
    assert f"{OFFICER}" in listing and "Lombok Timur/Sakra" in listing and "Lombok Tengah" in listing
    await desk.admin(f"/staff remove {BUDI}")
    assert sorted(desk.running.services.staff) == [ADMIN, OFFICER]
    audit = rows(desk.running.services.settings, "SELECT actor, action FROM audit WHERE actor = 9001")
    assert audit == [(ADMIN, "staff_set"), (ADMIN, "staff_set"), (ADMIN, "staff_remove")]


async def test_staff_are_added_by_replying_to_one_of_their_forwarded_messages(desk):
    forwarded = await desk.running.emulator.post(
        desk[ADMIN].user,
        desk[ADMIN].chat,
        text="halo",
        content={"forward_origin": {"type": "user", "date": 0, "sender_user": desk[BUDI].user.api()}},
    )
    await desk.running.emulator.post(
        desk[ADMIN].user,
        desk[ADMIN].chat,
        text="/staff add officer Lombok Timur",
        entities=[{"type": "bot_command", "offset": 0, "length": 6}],
        reply_to=forwarded,
    )
    assert desk.running.services.staff[BUDI].places == (("Lombok Timur", ""),)


@pytest.mark.parametrize("sender", [BUDI, OFFICER, SITI])
async def test_only_admins_manage_staff(desk, sender):
    await desk.admin(f"/staff add {OFFICER} officer Lombok Timur")
    await desk[sender].send(f"/staff add {sender} admin")
    assert desk.running.services.staff.get(sender) is None or sender == OFFICER
    assert desk.running.services.staff[OFFICER].role == "officer"


async def test_staff_ids_stay_authoritative_for_admins_at_each_start(tmp_path, content):
    async with local_bot(make_settings(tmp_path, f"{ADMIN},{BUDI}"), content=content) as running:
        assert running.services.is_staff(BUDI, ("admin",))
    async with local_bot(make_settings(tmp_path), content=content) as running:
        assert not running.services.is_staff(BUDI)
        assert rows(running.services.settings, "SELECT action, detail FROM audit WHERE actor = 0")[-1] == (
            "staff_env_removed",
            str(BUDI),
        )


async def test_the_staff_menu_follows_the_role(desk):
    await desk.admin(f"/staff add {BUDI} officer Lombok Timur")
    await desk[BUDI].send("/help")
    scope = {"type": "chat", "chat_id": BUDI}
    menu = [c["command"] for c in desk.running.emulator.commands_for(scope)]
    assert "cases" in menu and "broadcast" not in menu and "staff" not in menu
    await desk.admin(f"/staff remove {BUDI}")
    assert desk.running.emulator.commands_for(scope) == []


# -- access at every step ---------------------------------------------------------------------


async def test_a_removed_staff_members_broadcast_draft_is_refused_at_the_next_step(desk):
    await desk.admin(f"/staff add {BUDI} staff")
    await start_broadcast(desk[BUDI])
    await desk.admin(f"/staff remove {BUDI}")
    await desk[BUDI].press(label("user-button-confirm"))
    assert desk[BUDI].last_text == label("staff-access-ended")
    settings = desk.running.services.settings
    assert rows(settings, "SELECT COUNT(*) FROM broadcasts") == [(0,)]
    assert rows(settings, "SELECT COUNT(*) FROM drafts") == [(0,)]


async def test_a_broadcast_draft_is_refused_after_a_restart_without_its_author(tmp_path, content):
    emulator = Emulator()
    async with local_bot(make_settings(tmp_path, f"{ADMIN},{BUDI}"), emulator=emulator, content=content):
        budi = emulator.user(id=BUDI, first_name="Budi", language_code="id")
        await start_broadcast(budi)
    async with local_bot(make_settings(tmp_path), emulator=emulator, content=content) as running:
        await budi.press(label("user-button-confirm"))
        assert budi.last_text == label("staff-access-ended")
        assert rows(running.services.settings, "SELECT COUNT(*) FROM broadcasts") == [(0,)]


async def test_a_removed_staff_members_note_draft_is_refused(desk):
    await desk.admin(f"/staff add {BUDI} staff")
    await report_from(desk, SITI, "Lombok Timur")
    await desk[BUDI].press(label("staff-button-note"), desk.group)
    await desk.admin(f"/staff remove {BUDI}")
    await desk[BUDI].send_in(desk.group, "catatan")
    await desk[BUDI].send("catatan")
    settings = desk.running.services.settings
    assert rows(settings, "SELECT COUNT(*) FROM case_events WHERE kind = 'note'") == [(0,)]


async def test_scheduled_broadcasts_of_a_removed_member_are_held_until_an_admin_decides(desk):
    await desk.admin(f"/staff add {BUDI} staff")
    await start_broadcast(desk[BUDI], when="later")
    await desk[BUDI].send(LATER)
    await desk[BUDI].press(label("user-button-confirm"))
    await desk.admin(f"/staff remove {BUDI}")
    running = desk.running
    await running.services.broadcaster.tick()
    await running.services.outbox.drain(5)
    assert rows(running.services.settings, "SELECT status FROM broadcasts") == [("held",)]
    await desk[ADMIN].press(label("staff-held-button-drop"))
    assert rows(running.services.settings, "SELECT status FROM broadcasts") == [("cancelled",)]
    assert not any("Rp500rb" in m.text for m in desk[SITI].messages)


async def test_a_held_broadcast_sends_nothing_even_when_due(tmp_path, content):
    now = [4_000_000_000.0]
    async with local_bot(make_settings(tmp_path), content=content, clock=lambda: now[0]) as running:
        desk = Desk(running)
        await desk[SITI].send("/start")
        await desk.admin(f"/staff add {BUDI} staff")
        await start_broadcast(desk[BUDI], when="later")
        await desk[BUDI].send(LATER)
        await desk[BUDI].press(label("user-button-confirm"))
        await desk.admin(f"/staff remove {BUDI}")
        now[0] = 4_200_000_000.0  # past 31-12-2099
        await running.services.broadcaster.tick()
        await running.services.outbox.drain(5)
        assert not any("Rp500rb" in m.text for m in desk[SITI].messages)
        await desk[ADMIN].press(label("staff-held-button-send"))
        await running.services.broadcaster.tick()
        await running.services.outbox.drain(5)
        assert any("Rp500rb" in m.text for m in desk[SITI].messages)


# -- scope by place ---------------------------------------------------------------------------


@pytest.fixture
async def two_districts(desk):
    await desk.admin(f"/staff add {OFFICER} officer Lombok Timur")
    mine = await report_from(desk, SITI, "Lombok Timur")
    other = await report_from(desk, RINA, "Lombok Barat")
    return desk, mine, other


async def test_an_officer_lists_only_the_cases_of_their_district(two_districts):
    desk, mine, other = two_districts
    await desk[OFFICER].send("/cases all")
    assert mine in desk[OFFICER].last_text and other not in desk[OFFICER].last_text
    await desk[OFFICER].send(f"/case {other}")
    assert desk[OFFICER].last_text == label("staff-case-not-found", reference=other)


@pytest.mark.parametrize("data", ["st:1:{id}:take", "st:1:{id}:res", "st:1:{id}:contact", "sc:1:{id}"])
async def test_an_officer_cannot_act_on_another_districts_case_even_with_forged_buttons(two_districts, data):
    desk, mine, other = two_districts
    settings = desk.running.services.settings
    case_id = rows(settings, f"SELECT id FROM cases WHERE reference = '{other}'")[0][0]
    query = await desk[OFFICER].press_data(data.format(id=case_id))
    assert desk[OFFICER].answer(query)["text"] == label("staff-out-of-scope")
    assert rows(settings, f"SELECT status, assignee FROM cases WHERE id = {case_id}") == [("new", None)]


async def test_a_case_goes_to_its_districts_chat_when_one_is_set(desk):
    timur = desk.running.emulator.group(
        id=TIMUR_CHAT, title="Lombok Timur", members=[desk[ADMIN], desk[OFFICER]]
    )
    await desk[ADMIN].send_in(timur, "/staff chat Lombok Timur")
    mine = await report_from(desk, SITI, "Lombok Timur")
    other = await report_from(desk, RINA, "Lombok Barat")
    assert any(mine in m.text for m in timur.messages) and not any(other in m.text for m in timur.messages)
    assert any(other in m.text for m in desk.group.messages) and not any(
        mine in m.text for m in desk.group.messages
    )


async def test_stats_follow_the_scope(two_districts):
    desk, mine, other = two_districts
    figures = await desk.running.services.store.stats_report(staff_id=OFFICER)
    assert figures["cases_by_status"] == {"new": 1}
    assert (await desk.running.services.store.stats_report(staff_id=ADMIN))["cases_by_status"] == {"new": 2}


async def test_scope_in_the_store():
    store = await Store.open(":memory:")
    try:
        await store.set_staff(1, 5, "officer", [("Lombok Timur", "Sakra")])
        assert (await store.staff_members())[0].places == (("Lombok Timur", "Sakra"),)
        assert not await store.in_scope(5, 1)  # no such case, so no place
    finally:
        await store.close()


async def test_a_note_draft_in_a_private_chat_is_refused_after_a_restart_without_its_author(
    tmp_path, content
):
    emulator, env = (
        Emulator(),
        {"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), "STAFF_IDS": f"{ADMIN},{BUDI}"},
    )
    async with local_bot(
        load_settings(env), emulator=emulator, content=content
    ) as running:  # cards go privately
        desk = Desk(running)
        await report_from(desk, SITI, "Lombok Timur")
        await desk[BUDI].press(label("staff-button-note"))
    async with local_bot(
        load_settings({**env, "STAFF_IDS": str(ADMIN)}), emulator=emulator, content=content
    ) as running:
        await desk[BUDI].send("transfer Rp500rb ke rekening 123")
        assert desk[BUDI].last_text == label("staff-access-ended")
        assert rows(running.services.settings, "SELECT COUNT(*) FROM case_events WHERE kind = 'note'") == [
            (0,)
        ]


async def test_an_officer_cannot_write_to_the_reporter_of_another_districts_case(two_districts):
    desk, mine, other = two_districts
    card = next(m for m in desk.group.messages if other in m.text and m.buttons)
    before = len(desk[RINA].messages)
    await desk[OFFICER].reply_in(desk.group, card.message_id, "transfer Rp500rb ke rekening 123")
    await desk.running.services.outbox.drain(5)
    assert desk.group.messages[-1].text == label("staff-out-of-scope")
    assert len(desk[RINA].messages) == before
