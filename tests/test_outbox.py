"""The outbox worker against the in-process emulator, on a virtual clock (no real waiting)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass

import pytest
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TimedOut
from telegram.ext import Defaults, ExtBot

from bot.emulator import Emulator, EmulatorRequest, FloodLimits
from bot.outbox.worker import Outbox, Pacing, _ChatPacer
from bot.store import Store
from bot.store.outbox import BROADCAST, NOTICE

GROUP = -1001234567890


class FlakyRequest(EmulatorRequest):
    """Fails the next sendMessage calls as told: "timeout" after delivering, "502" before."""

    def __init__(self, emulator: Emulator, failures: list[str]) -> None:
        super().__init__(emulator)
        self.failures = failures
        self.tries: list[float] = []  # emulated time of every sendMessage

    async def do_request(self, url, method, request_data=None, **timeouts):
        if url.endswith("/sendMessage"):
            self.tries.append(self.emulator.now())
        failure = self.failures.pop(0) if url.endswith("/sendMessage") and self.failures else None
        if failure == "502":
            return 502, b'{"ok":false,"error_code":502,"description":"Bad Gateway"}'
        answer = await super().do_request(url, method, request_data, **timeouts)
        if failure == "timeout":
            raise TimedOut("Timed out")
        return answer


class Recorder:
    """An async hook that remembers its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def __call__(self, *args) -> None:
        self.calls.append(args)


@dataclass
class World:
    emulator: Emulator
    store: Store
    outbox: Outbox
    request: FlakyRequest

    async def queue(self, chat_id: int, text: str = "hi", **fields) -> int:
        payload = {"text": text}
        return await self.store.enqueue_message(
            chat_id=chat_id, method="sendMessage", payload=payload, **fields
        )

    async def send_all(self, timeout: float = 5) -> None:
        """Run the worker until no row is pending, not even a retry scheduled for later (the
        virtual clock jumps ahead whenever the worker sleeps)."""
        task = asyncio.create_task(self.outbox.run())
        try:
            async with asyncio.timeout(timeout):
                await self.outbox.drain(timeout)
                while "pending" in await self.store.outbox_counts():
                    await asyncio.sleep(0.001)
                    await self.outbox.drain(timeout)
        finally:
            while not task.done():  # Python 3.11's wait_for (in psycopg_pool) can swallow a cancel
                task.cancel()
                await asyncio.wait({task}, timeout=0.1)
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def row(self, row_id: int):
        return await self.store.get_outbox(row_id)

    def texts(self, chat_id: int) -> list[str]:
        return [message.text for message in self.emulator.messages_in(chat_id)]

    def sends(self) -> list:
        return [call for call in self.emulator.calls("sendMessage") if call.ok]


pytestmark = pytest.mark.both_backends


@pytest.fixture
async def world_for(new_database):
    """world_for(flood=..., pacing=..., failures=[...]): a store, a bot and an outbox on one
    virtual clock that only moves when the outbox sleeps."""
    opened = []

    async def make(flood=FloodLimits(), pacing=Pacing(), failures=()):  # noqa: B008
        emulator = Emulator(clock=lambda: 1000.0, flood=flood)
        store = await Store.open(new_database() or ":memory:", clock=emulator.unix_time)
        defaults = Defaults(
            parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
        )
        request = FlakyRequest(emulator, list(failures))
        bot = ExtBot(emulator.token, request=request, defaults=defaults)
        await bot.initialize()
        opened.append((bot, store))

        async def sleep(seconds: float) -> None:
            emulator.advance(seconds)
            await asyncio.sleep(0)

        outbox = Outbox(bot, store, pacing=pacing, clock=emulator.now, sleep=sleep)
        return World(emulator, store, outbox, request)

    yield make
    for bot, store in opened:
        await bot.shutdown()
        await store.close()


@pytest.fixture
async def world(world_for):
    made = await world_for()
    for user_id in range(1, 201):
        made.emulator.user(id=user_id)
    made.emulator.group(id=GROUP)
    return made


async def test_a_notice_goes_before_every_broadcast(world_for):
    # One request at a time: rows in flight together reach Telegram in any order (on PostgreSQL each
    # claims its row on a connection of its own first), so only then is the order the queue's.
    world = await world_for(pacing=Pacing(concurrency=1))
    for chat in range(1, 7):
        world.emulator.user(id=chat)
    for chat in range(1, 6):
        await world.queue(chat, "news", priority=BROADCAST)
    await world.queue(6, "your case", priority=NOTICE)
    await world.send_all()
    assert [call.params["chat_id"] for call in world.sends()] == [6, 1, 2, 3, 4, 5]


async def test_a_new_notice_overtakes_a_running_broadcast(world):
    for chat in range(1, 101):
        await world.queue(chat, "news", priority=BROADCAST)
    sent_before = []

    async def enqueue_notice(row, message):
        if message["chat"]["id"] == 3:
            await world.queue(200, "your case", priority=NOTICE)
            world.outbox.wake()
            sent_before.append(len(world.sends()))

    world.outbox.on_sent[""] = enqueue_notice
    await world.send_all()
    order = [call.params["chat_id"] for call in world.sends()]
    assert len(order) == 101 and order.index(200) <= sent_before[0] + world.outbox.pacing.concurrency


async def test_thirty_messages_to_one_group_arrive_without_flood_errors(world):
    for number in range(30):
        await world.queue(GROUP, f"card {number}")
    started, clock = time.perf_counter(), world.emulator.now()
    await world.send_all()
    assert world.texts(GROUP) == [f"card {number}" for number in range(30)]
    assert world.emulator.errors == []
    assert world.emulator.now() - clock >= 60 and time.perf_counter() - started < 1


async def test_many_private_chats_go_at_the_overall_rate(world):
    for chat in range(1, 201):
        await world.queue(chat, "news", priority=BROADCAST)
    await world.send_all()
    times = [call.at for call in world.sends()]
    busiest = max(sum(1 for t in times if start <= t < start + 1) for start in times)
    assert len(times) == 200 and world.emulator.errors == []
    in_flight = world.outbox.pacing.concurrency  # requests may arrive closer than they left
    assert 7.5 <= times[-1] - times[0] <= 8.5 and busiest <= 25 + 5 + in_flight


async def test_retry_after_is_obeyed_and_the_row_is_sent_once(world_for):
    world = await world_for(flood=FloodLimits(group_per_minute=2))  # tighter than the outbox
    world.emulator.group(id=GROUP)
    ids = [await world.queue(GROUP, f"card {number}") for number in range(3)]
    await world.send_all()
    [flood] = world.emulator.errors
    assert world.texts(GROUP) == ["card 0", "card 1", "card 2"]
    assert world.sends()[-1].at - flood.at >= 30 and (await world.row(ids[2])).attempts == 0


async def test_a_blocked_user_fails_once_and_is_reported(world):
    world.emulator.users[7].blocked = True
    world.outbox.on_blocked = blocked = Recorder()
    row_id = await world.queue(7)
    await world.send_all()
    row = await world.row(row_id)
    assert (row.status, row.error, blocked.calls) == ("failed", "blocked", [(7,)])
    assert len(world.emulator.calls("sendMessage")) == 1


@pytest.mark.parametrize(
    ("chat_id", "text", "reason"),
    [(424242, "hi", "chat not found"), (1, "x" * 5000, "Message is too long")],
)
async def test_bad_requests_fail_with_their_reason(world, chat_id, text, reason):
    world.outbox.on_failed[""] = failed = Recorder()
    row_id = await world.queue(chat_id, text)
    await world.send_all()
    [(row, why)] = failed.calls
    assert (row.id, row.status, why) == (row_id, "failed", reason)
    assert (await world.row(row_id)).error == reason and len(world.emulator.calls("sendMessage")) == 1


async def test_a_migrated_group_gets_the_message_at_its_new_id(world):
    new = await world.emulator.migrate(GROUP)
    world.outbox.on_migrated = moves = Recorder()
    row_id = await world.queue(GROUP, "card")
    await world.send_all()
    assert moves.calls == [(GROUP, new.id)] and (await world.row(row_id)).chat_id == new.id
    assert world.texts(new.id)[-1] == "card"


async def test_rows_are_sent_with_markup_and_files_as_the_notices_build_them(world):
    photo = world.emulator.new_file("photo", b"jpeg")
    keyboard = {"inline_keyboard": [[{"text": "Ambil", "callback_data": "st:1:take"}]]}
    await world.store.enqueue_message(
        chat_id=1, method="sendMessage", payload={"text": "<b>Kasus</b>", "reply_markup": keyboard}
    )
    await world.store.enqueue_message(chat_id=2, method="sendPhoto", payload={"photo": photo.file_id})
    await world.send_all()
    [card], [picture] = world.emulator.messages_in(1), world.emulator.messages_in(2)
    assert (card.text, card.reply_markup, picture.file) == ("Kasus", keyboard, photo)


async def test_an_unknown_method_fails_without_a_request(world):
    row_id = await world.store.enqueue_message(chat_id=1, method="initialize", payload={})
    await world.send_all()
    row = await world.row(row_id)
    assert (row.status, row.error) == ("failed", "invalid request: no Bot API method 'initialize'")


async def test_rows_left_sending_by_a_crash_become_unknown_and_are_not_resent(world):
    crashed = await world.queue(1, "before the crash")
    await world.queue(2, "after")
    await world.store.mark_sending(await world.row(crashed))
    await world.send_all()
    assert (await world.row(crashed)).status == "unknown"
    assert world.texts(1) == [] and world.texts(2) == ["after"]


async def test_staff_can_resend_unknown_rows(world):
    row_id = await world.queue(1, "case card", kind="case_card", ref=9)
    await world.store.mark_sending(await world.row(row_id))
    await world.store.recover_after_crash()
    assert await world.store.resend_unknown(kind="case_card", ref=9) == 1
    await world.send_all()
    assert (await world.row(row_id)).status == "sent" and world.texts(1) == ["case card"]


async def test_the_sent_hook_gets_the_message_and_the_row_keeps_its_id(world):
    world.outbox.on_sent["case_card"] = sent = Recorder()
    row_id = await world.queue(GROUP, "<b>Case</b> 9", kind="case_card", ref=9)
    await world.send_all()
    [(row, message)] = sent.calls
    shown = world.emulator.messages_in(GROUP)[-1]
    assert (row.id, row.ref, message["message_id"], message["text"]) == (
        row_id,
        9,
        shown.message_id,
        "Case 9",
    )
    assert (await world.row(row_id)).result["message_id"] == shown.message_id


async def test_a_timeout_marks_the_row_unknown_without_resending(world_for):
    world = await world_for(failures=["timeout"])
    world.emulator.user(id=1)
    row_id = await world.queue(1, "maybe")
    await world.send_all()
    assert (await world.row(row_id)).status == "unknown" and world.texts(1) == ["maybe"]


@pytest.mark.parametrize(
    ("failures", "status", "attempts"), [(["502"] * 2, "sent", 2), (["502"] * 5, "failed", 5)]
)
async def test_network_errors_are_retried_then_give_up(world_for, failures, status, attempts):
    world = await world_for(pacing=Pacing(backoff=0), failures=failures)
    world.emulator.user(id=1)
    row_id = await world.queue(1, "hello")
    await world.send_all()
    row = await world.row(row_id)
    assert (row.status, row.attempts) == (status, attempts)
    assert world.texts(1) == (["hello"] if status == "sent" else [])


async def test_network_retries_back_off_exponentially(world_for):
    world = await world_for(failures=["502", "502"])
    world.emulator.user(id=1)
    row_id = await world.queue(1, "hello")
    await world.send_all()
    assert (await world.row(row_id)).status == "sent"
    assert [round(b - a) for a, b in itertools.pairwise(world.request.tries)] == [2, 4]


async def test_due_rows_skip_busy_chats_and_come_in_priority_order(world):
    first = await world.queue(1, priority=BROADCAST)
    second = await world.queue(2, priority=NOTICE)
    await world.queue(3, priority=NOTICE)
    rows = await world.store.due_outbox(10, skip_chats=[3])
    assert [row.id for row in rows] == [second, first]


async def test_counts_are_by_status_and_kind(world):
    await world.queue(1, kind="broadcast", ref=1)
    await world.queue(424242, kind="broadcast", ref=1)
    await world.send_all()
    assert await world.store.outbox_counts(kind="broadcast") == {
        "sent": {"broadcast": 1},
        "failed": {"broadcast": 1},
    }


def test_a_group_gets_at_most_its_quota_in_any_minute():
    pacer = _ChatPacer(Pacing(group_per_minute=2))
    for at in (0.0, 1.0):
        pacer.sent(GROUP, at)
    assert pacer.ready_at(GROUP, 2.0) == 60.0 and pacer.waiting(2.0) == {GROUP: 60.0}
    assert pacer.ready_at(GROUP, 60.0) == 60.0 and pacer.waiting(61.0) == {}
