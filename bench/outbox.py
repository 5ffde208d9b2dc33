"""Outbox throughput: one broadcast to N private chats through the real worker and the emulator.

The emulator's flood limits are raised so only the outbox paces; the clock is real. Prints the
achieved rate, duplicates (must be 0), the time of one due-rows query on the full queue, and memory.

    python bench/outbox.py [--chats 20000] [--rate 200] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path

from telegram.ext import ExtBot

from bot.emulator import Emulator, EmulatorRequest, FloodLimits
from bot.outbox.worker import Outbox, Pacing
from bot.store import Store
from bot.store.outbox import BROADCAST, enqueue


async def fill(store: Store, chats: int) -> None:
    """One broadcast row per chat, in one transaction (as the staff broadcast will)."""
    now = store.db.now()
    async with store.db.transaction() as db:
        for chat_id in range(1, chats + 1):
            payload = {"text": f"<b>Pengumuman</b> nomor {chat_id}", "parse_mode": "HTML"}
            await enqueue(
                db, chat_id=chat_id, method="sendMessage", payload=payload, now=now, priority=BROADCAST
            )


async def main(chats: int, rate: float, folder: Path, trace: bool) -> None:
    limits = FloodLimits(private_per_second=10, group_per_minute=None, overall_per_second=rate * 2)
    emulator = Emulator(flood=limits)
    for user_id in range(1, chats + 1):
        emulator.user(id=user_id)
    store = await Store.open(folder / "bench.sqlite3")
    await fill(store, chats)
    started = time.perf_counter()
    await store.due_outbox(int(rate), skip_chats=range(1, 200))
    query_ms = (time.perf_counter() - started) * 1000
    bot = ExtBot(emulator.token, request=EmulatorRequest(emulator))
    outbox = Outbox(bot, store, pacing=Pacing(overall_per_second=rate, concurrency=8))
    async with bot:
        if trace:  # slows Python down a lot: the rate is then lower than without it
            tracemalloc.start()
        started = time.perf_counter()
        worker = asyncio.create_task(outbox.run())
        await outbox.drain(timeout=chats / rate * 3 + 30)
        elapsed = time.perf_counter() - started
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    sends = [call for call in emulator.calls("sendMessage") if call.ok]
    per_chat = Counter(call.params["chat_id"] for call in sends)
    counts = await store.outbox_counts()
    await store.close()
    print(f"chats: {chats}, configured rate: {rate:.0f}/s, pacing: {outbox.pacing}")
    print(f"sent: {len(sends)} in {elapsed:.1f} s = {len(sends) / elapsed:.1f} messages/s")
    print(f"duplicates: {sum(n - 1 for n in per_chat.values())}, missing: {chats - len(per_chat)}")
    print(f"API errors: {len(emulator.errors)}, rows: {counts}")
    print(f"one due-rows query with {chats} rows pending: {query_ms:.1f} ms")
    if trace:
        print(f"peak Python memory while sending (tracemalloc): {traced_peak / 2**20:.1f} MiB")
    print(f"peak RSS of the process (emulator included): {_max_rss_mib():.0f} MiB")


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(main(arguments.chats, arguments.rate, Path(directory), arguments.tracemalloc))
