"""Broadcast delivery: achieved rate, duplicates and memory, through the real bot and the emulator.

    python bench/broadcast.py                      # 20,000 recipients at 200 msg/s, emulator limits raised
    python bench/broadcast.py --realistic          # 1,500 recipients at the default 25/s, Telegram's limits
    python bench/broadcast.py --realistic --chat 100 --recipients 20000   # while 100 people chat

With --chat N, N simulated people talk to the bot during the broadcast (/start or a question, then
about --read seconds reading, like people): their reply latency (update in, last reply out) is printed beside
the broadcast's achieved rate. Telegram's 30/s overall is shared, so what they take the broadcast
cannot have: at BROADCAST_RATE 25 about 5 messages/s are left for them.

Runs the bot in-process on the emulator (real time), puts the recipients in the store, starts one
broadcast and waits until every row is settled. Prints recipients, time, achieved rate, flood
errors, duplicates, missing, and peak RSS of this process (bot + emulator together).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import tempfile
import time

from _proc import peak_rss_mb

from bot.config import load_settings
from bot.emulator import Emulator, FloodLimits
from bot.local import local_bot

UNLIMITED = FloodLimits(private_per_second=None, group_per_minute=None, overall_per_second=None)


QUESTIONS = ("brp biaya ke taiwan", "syarat jd pmi apa aja", "paspor sy ilang hrs gmn", "nomor pengaduan brp")


async def chat(user, rng: random.Random, stop: asyncio.Event, latencies: list[float], read: float) -> None:
    """One person: a message, the bot's answer (timed), about `read` s reading; until `stop`."""
    await asyncio.sleep(rng.uniform(0, read))
    while not stop.is_set():
        started = time.perf_counter()
        await user.send("/start" if rng.random() < 0.3 else rng.choice(QUESTIONS))
        latencies.append(time.perf_counter() - started)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.uniform(read / 2, read * 1.5))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000 if ordered else float("nan")


async def run(recipients: int, rate: float, realistic: bool, chatting: int = 0, read: float = 20.0) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            {"DATABASE_PATH": f"{folder}/bench.sqlite3", "BROADCAST_RATE": str(rate), "LOG_LEVEL": "WARNING"}
        )
        emulator = Emulator(flood=FloodLimits() if realistic else UNLIMITED, think_time=0.0)
        async with local_bot(settings, emulator=emulator) as running:
            store = running.services.store
            ids = list(range(100_000, 100_000 + recipients))
            emulator.user(id=1, first_name="Staff", language_code="id")  # gets the progress message
            for user_id in ids:
                emulator.user(id=user_id, first_name="U", language_code="id")
            now = store.db.now()
            async with store.db.transaction() as db:
                await db.executemany(
                    "INSERT INTO users (id, first_name, telegram_language, first_seen, last_seen)"
                    " VALUES (?, 'U', 'id', ?, ?)",
                    [(user_id, now, now) for user_id in ids],
                )
                await db.execute(
                    "INSERT INTO broadcasts (created_by, html, audience, status, scheduled_at, created_at,"
                    " updated_at)"
                    " VALUES (1, '<b>Pengumuman</b> uji', '{}', 'scheduled', 0, 0, 0)"
                )
            stop, latencies, rng = asyncio.Event(), [], random.Random(1)
            people = [
                emulator.user(id=900_000 + n, first_name="C", language_code="id") for n in range(chatting)
            ]
            talks = [asyncio.create_task(chat(person, rng, stop, latencies, read)) for person in people]
            started = time.perf_counter()
            running.services.broadcaster.wake()
            while True:
                await asyncio.sleep(0.5)
                [broadcast] = await store.broadcasts(limit=1)
                if broadcast.status == "done":
                    break
            elapsed = time.perf_counter() - started
            stop.set()
            await asyncio.gather(*talks)
            counts = await store.broadcast_counts(broadcast.id)
        per_user = [len(emulator.messages_in(user_id)) for user_id in ids]
        floods = sum(1 for call in emulator.errors if call.status == 429)
        sent = counts.get("sent", 0)
        print(
            f"recipients: {recipients}  configured rate: {rate:g}/s  emulator limits: "
            f"{'Telegram-like' if realistic else 'raised'}"
        )
        print(f"sent: {sent}  failed: {counts.get('failed', 0)}  unknown: {counts.get('unknown', 0)}")
        targets = set(ids)
        sends = [
            c.at
            for c in emulator.calls("sendMessage")
            if c.status == 200 and c.params.get("chat_id") in targets
        ]
        window = max(sends) - min(sends) if len(sends) > 1 else float("nan")
        achieved = (len(sends) - 1) / window  # first to last delivery, as Telegram saw them
        print(f"time: {elapsed:.1f} s from start until the broadcast was marked done")
        print(
            f"delivery: {len(sends)} messages in {window:.1f} s = {achieved:.1f} msg/s "
            f"({achieved / rate:.1%} of configured)"
        )
        print(
            f"flood errors (429): {floods}  duplicates: {sum(n > 1 for n in per_user)}  "
            f"missing: {sum(n == 0 for n in per_user)}"
        )
        if chatting:
            print(
                f"{chatting} people chatting meanwhile (reading ~{read:g} s): {len(latencies)} messages "
                f"({len(latencies) / elapsed:.1f}/s), reply latency p50 "
                f"{percentile(latencies, 50):.0f} ms, p95 {percentile(latencies, 95):.0f} ms, "
                f"max {percentile(latencies, 100):.0f} ms (targets: p95 <= 1000 ms; broadcast >= 95%)"
            )
        print(f"peak RSS (bot + emulator + simulated users): {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int)
    parser.add_argument("--rate", type=float)
    parser.add_argument("--realistic", action="store_true", help="Telegram-like limits, default 25/s")
    parser.add_argument("--chat", type=int, default=0, help="people chatting with the bot meanwhile")
    parser.add_argument("--read", type=float, default=20.0, help="mean seconds a chatting person reads")
    args = parser.parse_args()
    realistic = args.realistic
    asyncio.run(
        run(
            args.recipients or (1_500 if realistic else 20_000),
            args.rate or (25.0 if realistic else 200.0),
            realistic,
            args.chat,
            args.read,
        )
    )
