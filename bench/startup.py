"""Time from starting `python -m bot run` to the first answer a user sees.

The user's /start is already waiting when the process starts (the worst case after a restart).
Runs against the emulator's HTTP front on 127.0.0.1; prints each run and the median.

    python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bot.emulator import Emulator, EmulatorServer
from bot.local import BotProcess


async def one_run(folder: Path, number: int) -> float:
    emulator = Emulator()
    async with EmulatorServer(emulator) as server:
        user = emulator.user(id=1, first_name="Sri", language_code="id")
        await user.send("/start")
        started = time.perf_counter()
        env = {"DATABASE_PATH": str(folder / f"run{number}.sqlite3"), "FAQ_ONLY": "1"}
        bot = await BotProcess(server.url, env).start()
        while not user.messages:
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - started
        await bot.stop()
    return elapsed


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        times = [await one_run(Path(folder), number) for number in range(runs)]
    for number, seconds in enumerate(times, 1):
        print(f"run {number}: {seconds * 1000:.0f} ms from process start to the first answer")
    print(f"median: {statistics.median(times) * 1000:.0f} ms over {runs} runs (new database each run)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
