"""Load: N simulated users in concurrent sessions against the real `python -m bot run` process.

Each session: /start, a section button, an entry button, a free-text question in informal Indonesian,
/status. Latency is measured per action, from the moment the user's update is queued in the emulator
to the moment the bot's reply (sendMessage / editMessageText for that chat) reaches the emulator.
Phases, all against one bot process on its own temporary database, flood limits off, loopback HTTP:

  capacity  every user acts again as soon as the previous reply arrived (closed loop, no think time)
  think     users think between actions, on average --think seconds (one phase per value): the
            latency people feel at the rate that load makes (read it in the upd/s column)
  /start    each user sends /start --starts times, closed loop; then the same against a minimal PTB
            bot (bench/minimal_bot.py) on the same emulator: our throughput as a ratio of its own

Columns: bot CPU and emu CPU are ms of CPU per update (utime+stime of the bot process from /proc, and
of this process, which runs the emulator); ceiling/s = 1000 / bot CPU ms, the rate one free core
would allow. The emulator shares the machine: read throughput together with the load average printed.

The minimal bot keeps PTB's defaults (httpx): it is the bot a newcomer would write.

With --telegram-limits the emulator answers 429 like Telegram (1 message/s per private chat with a
burst of 3, 20/min per group, 30/s overall) and each user does /start, two menu presses and one
question. Both bots run on the same emulator in the same run; the minimal one with PTB's
AIORateLimiter (max_retries=5). Phases:

  burst     every user at once, each step 0.2 s after the previous reply: far over the 30/s
            ceiling, so wall time is what counts (and that every step is answered)
  paced     users arrive spread out so that together they offer about --rate messages a second,
            each thinking 1 s between steps like a person: below the ceiling, latency is what counts

    python bench/load.py [--users 200] [--think 2,1,0.67] [--starts 5] [--seed 1]
    python bench/load.py --telegram-limits [--users 200] [--rate 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path

from _proc import cpu_seconds, peak_rss_mb

from bot.emulator import Emulator, EmulatorServer, FloodLimits, SimUser
from bot.local import BotProcess

REPLIES = {"sendMessage", "editMessageText"}
ACTIONS = ("start", "section", "entry", "question", "status")
QUESTIONS = (
    "brp biaya penempatan ke hongkong",
    "syarat jd pmi apa aja",
    "paspor sy ilang di malaysia hrs gmn",
    "cara cek agen resmi gmn",
    "kerja ke korea lewat eps gmn caranya",
    "umur brp boleh kerja ke luar negeri",
    "dokumen apa aja yg hrs disiapin",
    "klo pulang kampung dpt bantuan usaha ga",
    "nomor pengaduan bp2mi brp",
    "berangkat lewat calo aman ga",
)
ACTION_TIMEOUT = 30.0
TELEGRAM = FloodLimits(private_per_second=1.0, private_burst=3, group_per_minute=20, overall_per_second=30.0)
LIMITS_TIMEOUT = 180.0  # over the ceiling a reply may wait long; it must still come
BURST_GAP = 0.2  # seconds between a reply and the user's next step, burst phase
PACED_GAP = 1.0  # the same, paced phase: a person reading


class Lost(Exception):
    """No reply within ACTION_TIMEOUT: the simulated user gives up its session."""


class ReplyLog(list):
    """The emulator's request log; it also wakes the simulated user a reply is addressed to."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[int, asyncio.Future[float]] = {}

    def append(self, call) -> None:
        super().append(call)
        if call.method in REPLIES and call.ok:
            future = self.waiting.pop(int(call.params.get("chat_id", 0)), None)
            if future is not None and not future.done():
                future.set_result(call.at)


@dataclass(frozen=True)
class Phase:
    """What one phase measured: seconds per action kind, CPU seconds of the bot and of this process."""

    name: str
    seconds: float
    latencies: dict[str, list[float]]
    bot_cpu: float
    own_cpu: float
    lost: int = 0

    @property
    def updates(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    @property
    def all(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (ms)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000 if ordered else float("nan")


class Load:
    """Simulated users and the latencies they saw."""

    def __init__(self, emulator: Emulator, log: ReplyLog, seed: int) -> None:
        self.emulator = emulator
        self.log = log
        self.rng = random.Random(seed)
        self.next_id = 700_000
        self.latencies: dict[str, list[float]] = {}
        self.lost = 0
        self.timeout = ACTION_TIMEOUT

    def users(self, count: int) -> list[SimUser]:
        """Fresh users (new ids), phones set to Indonesian."""
        made = [
            self.emulator.user(id=self.next_id + n, first_name=f"User{n}", language_code="id")
            for n in range(count)
        ]
        self.next_id += count
        return made

    async def act(self, user: SimUser, kind: str, action: Callable[[], Awaitable[object]]) -> None:
        """Do one action and wait for the bot's reply; records queued→reply seconds (or a lost reply)."""
        future = asyncio.get_running_loop().create_future()
        self.log.waiting[user.id] = future
        queued = self.emulator.now()
        await action()
        try:
            replied = await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            self.lost += 1
            raise Lost(kind) from None
        self.latencies.setdefault(kind, []).append(replied - queued)

    async def session(self, user: SimUser, think: float) -> None:
        """/start, a section, an entry, a free-text question, /status."""
        rng = self.rng

        async def pause() -> None:
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))

        await pause()
        await self.act(user, "start", lambda: user.send("/start"))
        await pause()
        await self.act(user, "section", lambda: user.press(self._pick(user, "sec:")))
        await pause()
        await self.act(user, "entry", lambda: user.press(self._pick(user, "faq:")))
        await pause()
        await self.act(user, "question", lambda: user.send(rng.choice(QUESTIONS)))
        await pause()
        await self.act(user, "status", lambda: user.send("/status"))

    async def visit(self, user: SimUser, arrive: float, gap: float, ours: bool) -> None:
        """Telegram-limits mode: /start, two menu presses, one question, `gap` s after each reply."""
        await asyncio.sleep(arrive)
        await self.act(user, "start", lambda: user.send("/start"))
        for prefix, label in (("sec:", "Menu"), ("faq:", "Help")):
            await asyncio.sleep(gap)
            pick = self._pick(user, prefix) if ours else label
            await self.act(user, "press", lambda pick=pick: user.press(pick))
        await asyncio.sleep(gap)
        await self.act(user, "question", lambda: user.send(self.rng.choice(QUESTIONS)))

    async def starts(self, user: SimUser, count: int) -> None:
        for _ in range(count):
            await self.act(user, "start", lambda: user.send("/start"))

    def _pick(self, user: SimUser, prefix: str) -> str:
        labels = [b.text for row in user.last.buttons for b in row if (b.data or "").startswith(prefix)]
        if not labels:
            raise LookupError(f"{user!r} sees no {prefix!r} button: {user.last.labels}")
        return self.rng.choice(labels)

    async def phase(self, name: str, pid: int, work: list[Coroutine]) -> Phase:
        """Run the coroutines concurrently; CPU and wall time around them."""
        self.latencies, self.lost = {}, 0
        bot_before, own_before, started = cpu_seconds(pid), time.process_time(), time.perf_counter()
        await asyncio.gather(*(_giving_up(coroutine) for coroutine in work))
        seconds = time.perf_counter() - started
        return Phase(
            name,
            seconds,
            self.latencies,
            cpu_seconds(pid) - bot_before,
            time.process_time() - own_before,
            self.lost,
        )


async def _giving_up(coroutine: Coroutine) -> None:
    with contextlib.suppress(Lost):
        await coroutine


class MinimalBot(BotProcess):
    """bench/minimal_bot.py as its own process, on the same emulator."""

    async def start(self) -> MinimalBot:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(Path(__file__).with_name("minimal_bot.py")),
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        return self


async def wait_not_polling(emulator: Emulator, timeout: float = 10) -> None:
    """Return once no bot holds a long poll (the previous process is gone)."""
    deadline = time.monotonic() + timeout
    while emulator.feed.polling and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


async def measure_ours(
    server: EmulatorServer, load: Load, users: int, thinks: list[float], starts: int
) -> tuple[list[Phase], float, int]:
    """Warm-up, then the capacity, think-time and /start phases on the real bot; its peak RSS."""
    with tempfile.TemporaryDirectory() as folder:
        env = {
            "DATABASE_PATH": str(Path(folder) / "load.sqlite3"),
            "LOG_LEVEL": "WARNING",
            "FAQ_ONLY": "1",
            "SEND_LIMITS": "off",  # the emulator's are off too: this measures CPU
        }
        bot = await BotProcess(server.url, env).start()
        try:
            await server.emulator.wait_polling(timeout=30)
            pid = bot.process.pid
            await load.phase("warm-up", pid, [load.session(u, 0) for u in load.users(20)])
            phases = [
                await load.phase("sessions, capacity", pid, [load.session(u, 0) for u in load.users(users)])
            ]
            for think in thinks:
                sessions = [load.session(u, think) for u in load.users(users)]
                phases.append(await load.phase(f"sessions, think {think:g} s", pid, sessions))
            phases.append(
                await load.phase("/start only", pid, [load.starts(u, starts) for u in load.users(users)])
            )
            rss = peak_rss_mb(pid)
        finally:
            code = await bot.end()
    if code != 0:
        print(f"the bot exited with {code}:\n{bot.log[-3000:]}")
    return phases, rss, code


async def measure_minimal(server: EmulatorServer, load: Load, users: int, starts: int) -> tuple:
    """The same /start phase on the minimal PTB bot."""
    await wait_not_polling(server.emulator)
    bot = await MinimalBot(server.url, {}).start()
    try:
        await server.emulator.wait_polling(timeout=30)
        pid = bot.process.pid
        await load.phase("warm-up", pid, [load.starts(u, 2) for u in load.users(20)])
        phase = await load.phase(
            "minimal PTB, /start only", pid, [load.starts(u, starts) for u in load.users(users)]
        )
        rss = peak_rss_mb(pid)
    finally:
        await bot.end()
    return phase, rss


async def main(users: int, thinks: list[float], starts: int, seed: int) -> int:
    emulator = Emulator(flood=None, think_time=0.0)  # think_time 0: the emulator's clock is real time
    log = emulator.requests = ReplyLog()
    load = Load(emulator, log, seed)
    load_before = os.getloadavg()[0]
    async with EmulatorServer(emulator) as server:
        phases, rss, code = await measure_ours(server, load, users, thinks, starts)
        baseline, minimal_rss = await measure_minimal(server, load, users, starts)
    capacity, paced, only_starts = phases[0], phases[1:-1], phases[-1]
    print(
        f"{users} users; real `python -m bot run` and the emulator on 127.0.0.1, flood limits off, "
        f"LOG_LEVEL=WARNING; {os.cpu_count()} CPUs, load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after"
    )
    print_table([*phases, baseline])
    for phase in phases[:-1]:
        print_actions(phase)
    ratio = throughput(only_starts) / throughput(baseline)
    cost_ratio = (baseline.bot_cpu / baseline.updates) / (only_starts.bot_cpu / only_starts.updates)
    print(f"peak RSS (VmHWM): bot {rss:.0f} MB, minimal PTB bot {minimal_rss:.0f} MB")
    print(
        f"/start throughput, ours / minimal PTB bot: {ratio:.2f} "
        f"(CPU per update, minimal / ours: {cost_ratio:.2f}, less sensitive to other load)"
    )
    if max(load_before, os.getloadavg()[0]) > 1.0:
        print("warning: other processes were busy (load average > 1 on this machine): figures are noisy")
    print(f"API errors answered by the emulator: {len(emulator.errors)}")
    checks = [
        ("capacity >= 300 updates/s", throughput(capacity) >= 300),
        *((f"p95 <= 100 ms, {phase.name}", percentile(phase.all, 95) <= 100) for phase in paced),
        ("ratio >= 0.8", ratio >= 0.8),
    ]
    print("targets: " + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in checks))
    lost = sum(phase.lost for phase in (*phases, baseline))
    return 0 if code == 0 and not lost and not emulator.errors else 1


async def measure_limits(
    server: EmulatorServer, load: Load, users: int, rate: float, ours: bool
) -> tuple[Phase, Phase, int]:
    """The burst and paced phases on one bot (ours or the minimal one); the 429s the emulator gave."""
    await wait_not_polling(server.emulator)
    with tempfile.TemporaryDirectory() as folder:
        if ours:
            env = {"DATABASE_PATH": str(Path(folder) / "load.sqlite3"), "LOG_LEVEL": "WARNING"}
            bot = await BotProcess(server.url, env).start()
        else:
            bot = await MinimalBot(server.url, {"MINIMAL_RATE_LIMITER": "1"}).start()
        name = "ours" if ours else "minimal PTB + AIORateLimiter"
        try:
            await server.emulator.wait_polling(timeout=30)
            pid, before = bot.process.pid, len(server.emulator.errors)
            await load.phase("warm-up", pid, [load.visit(u, 0, BURST_GAP, ours) for u in load.users(10)])
            burst = await load.phase(
                f"{name}, burst", pid, [load.visit(u, 0, BURST_GAP, ours) for u in load.users(users)]
            )
            spread = users * 4 / rate  # seconds over which users arrive: `rate` messages a second
            arrivals = [spread * n / users for n in range(users)]
            paced = await load.phase(
                f"{name}, paced",
                pid,
                [load.visit(u, t, PACED_GAP, ours) for u, t in zip(load.users(users), arrivals, strict=True)],
            )
            too_many = [call for call in server.emulator.errors[before:] if call.status == 429]
            if too_many:
                print(f"{name}: 429 on", sorted({(c.method, c.description) for c in too_many}))
        finally:
            await bot.end()
    return burst, paced, len(too_many)


async def limits_main(users: int, rate: float, seed: int) -> int:
    """Telegram-limits mode: ours and the minimal PTB bot with AIORateLimiter on one emulator."""
    emulator = Emulator(flood=TELEGRAM, think_time=0.0)
    log = emulator.requests = ReplyLog()
    load = Load(emulator, log, seed)
    load.timeout = LIMITS_TIMEOUT
    load_before = os.getloadavg()[0]
    async with EmulatorServer(emulator) as server:
        burst, paced, ours_429 = await measure_limits(server, load, users, rate, ours=True)
        base_burst, base_paced, base_429 = await measure_limits(server, load, users, rate, ours=False)
    print(
        f"{users} users, Telegram limits on in the emulator (1/s per private chat, burst 3; 20/min per "
        f"group; 30/s overall); each: /start, 2 presses, 1 question; {os.cpu_count()} CPUs, load "
        f"average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    print_table([burst, paced, base_burst, base_paced])
    print(f"{'phase':<40}{'steps':>7}{'answered':>9}{'wall s':>8}")
    for phase in (burst, paced, base_burst, base_paced):
        print(f"{phase.name:<40}{users * 4:>7}{phase.updates:>9}{phase.seconds:>8.1f}")
    for phase in (burst, paced, base_burst, base_paced):
        print_actions(phase)
    print(f"429 answers by the emulator: ours {ours_429}, minimal PTB bot {base_429}")
    ratio = burst.seconds / base_burst.seconds
    checks = [
        ("every step answered", burst.updates == paced.updates == users * 4),
        ("0 lost replies", burst.lost == paced.lost == 0),
        (f"burst wall time <= 1.1 x minimal ({ratio:.2f})", ratio <= 1.1),
        (f"paced p95 <= 300 ms ({percentile(paced.all, 95):.0f})", percentile(paced.all, 95) <= 300),
    ]
    print("targets: " + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in checks))
    return 0 if all(ok for _, ok in checks) else 1


def throughput(phase: Phase) -> float:
    return phase.updates / phase.seconds


def print_table(phases: list[Phase]) -> None:
    """One row per phase; CPU columns are ms per update; ceiling = 1000 / bot CPU ms per update."""
    print(
        f"{'phase':<26}{'updates':>8}{'lost':>5}{'upd/s':>7}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'bot CPU':>9}{'emu CPU':>9}{'ceiling/s':>10}"
    )
    for phase in phases:
        per_update = 1000 / max(phase.updates, 1)
        print(
            f"{phase.name:<26}{phase.updates:>8}{phase.lost:>5}{throughput(phase):>7.0f}"
            + "".join(f"{percentile(phase.all, p):>8.1f}" for p in (50, 95, 99))
            + f"{phase.bot_cpu * per_update:>9.2f}{phase.own_cpu * per_update:>9.2f}"
            + f"{phase.updates / phase.bot_cpu if phase.bot_cpu else float('nan'):>10.0f}"
        )


def print_actions(phase: Phase) -> None:
    parts = [
        f"{kind} {percentile(values, 50):.0f}/{percentile(values, 95):.0f}"
        for kind, values in phase.latencies.items()
    ]
    print(f"  {phase.name}, p50/p95 ms by action: " + ", ".join(parts))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument(
        "--think",
        default="2,1,0.67",
        help="mean seconds users think between actions, one phase per comma-separated value",
    )
    parser.add_argument("--starts", type=int, default=5, help="/start messages per user in the /start phases")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--telegram-limits",
        action="store_true",
        help="emulator flood limits on; ours vs minimal PTB + AIORateLimiter",
    )
    parser.add_argument("--rate", type=float, default=20.0, help="messages/s offered in the paced phase")
    args = parser.parse_args()
    if args.telegram_limits:
        sys.exit(asyncio.run(limits_main(args.users, args.rate, args.seed)))
    thinks = [float(value) for value in args.think.split(",") if value]
    sys.exit(asyncio.run(main(args.users, thinks, args.starts, args.seed)))
