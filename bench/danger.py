"""The danger path end to end, in process: how long a person waits for the emergency or crisis reply,
side by side with an ordinary FAQ question (the baseline) in the same run; and where a one-tap urgent
card lands in a staff group whose queue is already full.

Each figure is the wall time from a simulated user's message (or tap) to the moment the bot's last
reply to it was recorded by the in-process emulator (median and p95 over --rounds, fresh user each).

    python bench/danger.py [--rounds 40] [--backlog 15]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time

from bot.config import load_settings
from bot.content import load_content
from bot.emulator import Emulator
from bot.local import local_bot

STAFF_CHAT = -100999
CASES = {
    "faq question (baseline)": (None, "brp biaya penempatan ke hongkong"),
    "danger": (None, "sy di pukul majikan, tolong"),
    "self-harm": (None, "pengen bunuh diri aja"),
    "danger at a form step": ("form", "tolong anak saya dikurung majikan"),
    "long story, danger at the end": (None, "saya mau tanya soal kontrak. " * 140 + "sy dikurung majikan"),
}


async def timed(action) -> float:
    started = time.perf_counter()
    await action
    return (time.perf_counter() - started) * 1000


async def run(rounds: int, backlog: int) -> None:
    content = load_content()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            "DATABASE_PATH": f"{folder}/bot.sqlite3",
            "STAFF_IDS": "9001",
            "STAFF_CHAT_ID": str(STAFF_CHAT),
        }
        emulator = Emulator()
        async with local_bot(load_settings(env), emulator=emulator, content=content) as bot:
            group = emulator.group(id=STAFF_CHAT, title="Petugas", members=[emulator.user(id=9001)])
            print(f"{'message':32} {'median ms':>10} {'p95 ms':>8}")
            user_id = 10_000
            for name, (where, text) in CASES.items():
                times = []
                for _ in range(rounds):
                    user_id += 1
                    user = emulator.user(id=user_id, first_name="U", language_code="id")
                    if where == "form":
                        await user.send("/register")
                        await user.press(content.text("id", "user-consent-yes"))
                    times.append(await timed(user.send(text)))
                quantiles = statistics.quantiles(times, n=20)
                print(f"{name:32} {statistics.median(times):10.1f} {quantiles[-1]:8.1f}")
            taps = []
            for _ in range(rounds):
                user_id += 1
                user = emulator.user(id=user_id, first_name="U", language_code="id")
                await user.send("sy dikurung majikan")
                taps.append(await timed(user.press(content.text("id", "user-button-urgent-send"))))
            p95 = statistics.quantiles(taps, n=20)[-1]
            print(f"{'one tap to a person (reference)':32} {statistics.median(taps):10.1f} {p95:8.1f}")
            await bot.services.outbox.drain(120)
            before = len(group.messages)
            for number in range(backlog):
                await bot.services.store.enqueue_message(
                    chat_id=STAFF_CHAT, method="sendMessage", payload={"text": f"queued {number}"}
                )
            user = emulator.user(id=user_id + 1, first_name="U", language_code="id")
            await user.send("sy dikurung majikan")
            await user.press(content.text("id", "user-button-urgent-send"))
            await bot.services.outbox.drain(300)
            texts = [m.text for m in group.messages[before:]]
            card = next(i for i, t in enumerate(texts) if t.startswith("🚨"))
            sent_before = sum(t.startswith("queued") for t in texts[:card])
            print(f"urgent card behind {backlog} queued staff messages: sent after {sent_before} of them")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--backlog", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.backlog))
