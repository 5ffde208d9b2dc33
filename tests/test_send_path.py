"""The one send path (bot/outbox/limiter.py), end to end with Telegram-like flood limits on, on the
emulator's virtual clock: nothing is dropped, 429s are waited out, cards are not held back."""

import asyncio

import pytest
from journeys import full_report
from telegram.ext import ExtBot

from bot.config import load_settings
from bot.emulator import Emulator, EmulatorRequest, FloodLimits
from bot.emulator.core import Reply
from bot.emulator.world import Call
from bot.lifecycle import build_search
from bot.local import local_bot
from bot.outbox.limiter import Lane, Limits, SendPath
from bot.outbox.worker import Outbox, Pacing
from bot.search.index import NEW_WORDS
from bot.search.normalize import Normalizer
from bot.store import Store
from bot.store.outbox import BROADCAST, CARD, Outgoing

STAFF_CHAT = -100777
TELEGRAM = FloodLimits(private_per_second=1.0, private_burst=3, group_per_minute=20, overall_per_second=30)
GROUP_SLOT = 3.0  # seconds: 20 messages a minute


@pytest.fixture
async def desk(tmp_path, content):
    settings = load_settings(
        {
            "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
            "STAFF_IDS": "9001",
            "STAFF_CHAT_ID": str(STAFF_CHAT),
        }
    )
    emulator = Emulator(flood=TELEGRAM)
    async with local_bot(settings, emulator=emulator, content=content, virtual_pacing=True) as running:
        yield running


def sends_to(emulator, chat_id, *, since=0):
    return [c for c in emulator.requests[since:] if c.ok and c.params.get("chat_id") == chat_id]


async def test_fifty_users_at_once_are_all_answered(desk):
    users = [desk.emulator.user(id=5000 + n, first_name=f"U{n}") for n in range(50)]
    await asyncio.gather(*(user.send("/start") for user in users))
    assert all(user.last_text.startswith(f"Halo, U{n}!") for n, user in enumerate(users))
    assert desk.emulator.errors == []


async def test_a_429_on_a_reply_is_waited_out_and_the_reply_arrives(desk):
    emulator, user = desk.emulator, desk.emulator.user(id=5100, first_name="Sri")
    refused: list[float] = []
    answer = emulator.call

    async def once_too_many(method, params=None, files=None, *, token=None):
        if method == "sendMessage" and not refused and (params or {}).get("chat_id") == user.id:
            refused.append(emulator.now())
            body = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7"}
            emulator.requests.append(Call(method, dict(params), 429, body["description"], refused[0]))
            return Reply(429, {**body, "parameters": {"retry_after": 7}})
        return await answer(method, params, files, token=token)

    emulator.call = once_too_many
    await user.send("/start")
    [reply] = sends_to(emulator, user.id)
    assert user.last_text.startswith("Halo, Sri!") and reply.at >= refused[0] + 7


async def test_a_reporter_writing_on_and_on_loses_nothing_and_another_card_still_arrives(desk):
    """Through the real bot. On the virtual clock the outbox catches up whenever it waits, so the
    backlog itself is built in the next test."""
    emulator, outbox = desk.emulator, desk.services.outbox
    staff = emulator.user(id=9001, first_name="Ani")
    group = emulator.group(id=STAFF_CHAT, title="Petugas", members=[staff])
    flooder, other = emulator.user(id=5201, first_name="Siti"), emulator.user(id=5202, first_name="Wati")
    await full_report(flooder)
    await outbox.drain(60)
    card = next(m for m in group.messages if m.buttons)
    await staff.reply_in(group, card.message_id, "Sejak kapan?")
    await outbox.drain(60)
    question = flooder.last
    replied = emulator.find_message(flooder.chat, question.message_id)
    for n in range(100):  # two a second, all day: under the flood gate, far over a group's 20 a minute
        await emulator.post(flooder.user, flooder.chat, text=f"pesan {n}", reply_to=replied)
        emulator.advance(0.5)
    await full_report(other)
    confirmed = emulator.now()
    await outbox.drain(120)
    [other_card] = [c for c in sends_to(emulator, STAFF_CHAT) if "Wati" in c.params.get("text", "")]
    assert other_card.at - confirmed <= 2 * GROUP_SLOT
    relayed = "\n".join(c.params.get("text", "") for c in sends_to(emulator, STAFF_CHAT)) + "\n"
    assert all(f"pesan {n}\n" in relayed for n in range(100)) and emulator.errors == []


async def test_an_interactive_call_waits_at_most_one_slot_behind_a_broadcast():
    now = [0.0]

    async def sleep(seconds):
        now[0] += seconds
        await asyncio.sleep(0)

    path, sent = (
        SendPath(Limits(overall_per_second=10, overall_burst=10), clock=lambda: now[0], sleep=sleep),
        [],
    )

    async def call(chat, lane):
        async def send(*_):
            sent.append((chat, now[0]))

        await path.process_request(send, (), {}, "sendMessage", {"chat_id": chat}, lane)

    broadcast = [asyncio.create_task(call(chat, Lane(BROADCAST))) for chat in range(1, 101)]
    await asyncio.sleep(0)
    await asyncio.gather(call(999, None), *broadcast)
    await path.shutdown()
    position = [chat for chat, _ in sent].index(999)
    assert position <= 10 and sent[position][1] <= 0.1 + 0.002  # after the burst: the next slot (0.1 s)


async def test_a_flood_gets_one_slow_down_and_is_dropped_before_any_work(desk, content):
    user, searched, search = desk.emulator.user(id=5300, first_name="Budi"), [], desk.services.search.search
    desk.services.search.search = lambda *args, **kwargs: searched.append(args) or search(*args, **kwargs)
    desk.emulator.think_time = 0.0  # a flood: no thinking between messages
    flood = [desk.emulator.post(user.user, user.chat, text=f"brp biaya ke taiwan {n}") for n in range(12)]
    await asyncio.gather(*flood)  # all at once: each waits behind the one before
    said = [m.text for m in user.messages if m.from_bot]
    assert said.count(content.text("id", "user-slow-down")) == 1 and len(searched) == 5


async def test_danger_words_pass_the_flood_gate(desk, content):
    user = desk.emulator.user(id=5301, first_name="Rina")
    desk.emulator.think_time = 0.0
    flood = [desk.emulator.post(user.user, user.chat, text="halo") for _ in range(8)]
    await asyncio.gather(*flood, desk.emulator.post(user.user, user.chat, text="tolong saya dipukul majikan"))
    said = [m.text for m in user.messages if m.from_bot]
    after = said[said.index(content.text("id", "user-slow-down")) + 1 :]  # only the danger answer
    assert after and said[0] not in after


def test_a_crafted_long_question_gets_the_costly_steps_for_a_few_new_words_only(content, monkeypatch):
    engine = build_search(content)
    worked: list[str] = []
    original = Normalizer._token_uncached
    monkeypatch.setattr(
        Normalizer,
        "_token_uncached",
        lambda self, tok, repair: worked.append(tok) or original(self, tok, repair),
    )
    crafted = " ".join(f"qz{chr(97 + n % 26)}{chr(97 + n // 26)}vek" for n in range(150))
    result = engine.search(crafted, "id")
    assert result.kind != "answer" and len(set(worked)) <= NEW_WORDS


async def test_a_backlog_of_one_reporters_messages_merges_and_a_new_card_goes_first(content):
    emulator = Emulator(clock=lambda: 1000.0, flood=TELEGRAM)  # moves only when the bot waits
    emulator.group(id=STAFF_CHAT, title="Petugas")

    async def sleep(seconds):
        emulator.advance(seconds)
        await asyncio.sleep(0)

    store = await Store.open(":memory:", clock=emulator.unix_time)
    bot = ExtBot(
        emulator.token,
        request=EmulatorRequest(emulator),
        rate_limiter=SendPath(clock=emulator.now, sleep=sleep),
    )
    await bot.initialize()
    outbox = Outbox(bot, store, pacing=Pacing(), clock=emulator.now, sleep=sleep)
    relay = [
        Outgoing(STAFF_CHAT, "sendMessage", {"text": f"pesan {n}"}, kind="relay_in", ref=1, merge=True)
        for n in range(100)
    ]
    await store.queue(relay)  # queued while the group was busy
    await store.queue(
        [Outgoing(STAFF_CHAT, "sendMessage", {"text": "KARTU"}, kind="case_card", ref=2, priority=CARD)]
    )
    task = asyncio.create_task(outbox.run())
    await outbox.drain(10)
    task.cancel()
    sent = [c.params["text"] for c in emulator.calls("sendMessage") if c.ok]
    await bot.shutdown()
    await store.close()
    assert (
        sent[0] == "KARTU"
        and len(sent) <= 3
        and all(f"pesan {n}\n" in "\n".join(sent) + "\n" for n in range(100))
    )


async def test_first_of_returns_with_the_first_wait_and_leaves_no_task_behind():
    from bot.outbox.limiter import first_of

    done, stopped = asyncio.Event(), []

    async def forever(name):
        try:
            await asyncio.Event().wait()
        finally:
            stopped.append(name)

    done.set()
    async with asyncio.timeout(5):
        await first_of(done.wait(), forever("a"), forever("b"))
    assert sorted(stopped) == ["a", "b"]
    waiter = asyncio.ensure_future(first_of(forever("c"), forever("d")))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    assert sorted(stopped) == ["a", "b", "c", "d"]
