"""Scale out: 1, 2 and 4 `python -m bot run` processes on PostgreSQL in webhook mode, side by side
with one process on SQLite; then a soak with a process killed with -9 halfway.

Every setup gets an empty database, the emulator's HTTP front (flood limits off) pushing updates to
a round-robin reverse proxy (in this process) in front of the bot processes. Users send /start again
as soon as the reply arrives (closed loop); latency is from queueing the update to the reply reaching
the emulator. Then the soak: two processes on PostgreSQL, flood limits on, users in full sessions
with think time for --soak seconds; one process is killed with -9 halfway. Checked afterwards (once
what was queued or taken over has drained): every update the users sent handled exactly once and
each chat's updates in update_id order (from the processes' "handled update N" log lines, one clock),
replies against updates (each action is answered by one message or one edit, so more replies are
duplicates), cases created twice, actions that got no reply within 30 s, and API errors (a flood
limit broken, a bad request).

PostgreSQL: --database-url, else TEST_DATABASE_URL, else a cluster of its own (.ci/postgres.sh, fsync
on, as a real server). The machine (2 cores, shared) runs the emulator, the proxy and every process:
more processes cannot add cores here; read the figures for what they show about correctness and
overhead, not as the capacity of a real deployment.

    python bench/scale.py [--users 100] [--starts 5] [--soak 120] [--soak-users 200]
    python bench/scale.py --users 0 --soak 600      # the soak alone
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psycopg
from aiohttp import ClientError, ClientSession, web
from load import REPLIES, Load, Lost, ReplyLog, percentile

from bot.emulator import Emulator, EmulatorServer, FloodLimits
from bot.local import BotProcess

SECRET = "bench-secret"
DRAIN = 90.0  # seconds after the soak for updates still queued or taken over to be handled
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Proxy:
    """Round-robin webhook proxy; a backend that refuses the connection or drops it is skipped (as
    Caddy does)."""

    def __init__(self, ports: list[int]) -> None:
        self.ports, self.port = ports, free_port()
        self._next = itertools.cycle(range(len(ports)))

    async def __aenter__(self) -> Proxy:
        self._session = ClientSession()
        app = web.Application()
        app.router.add_post("/hook", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()
        await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        body, headers = await request.read(), {k: v for k, v in request.headers.items() if k.startswith("X-")}
        headers["Content-Type"] = "application/json"
        for _ in self.ports:
            port = self.ports[next(self._next)]
            # Refused, or the backend died mid-request: the next one (Telegram would deliver it again).
            with contextlib.suppress(OSError, ClientError):
                async with self._session.post(
                    f"http://127.0.0.1:{port}/hook", data=body, headers=headers
                ) as r:
                    return web.Response(status=r.status)
        return web.Response(status=502)


async def start_bots(
    server, proxy: Proxy, database: dict[str, str], log_level: str = "WARNING", send_limits: bool = True
) -> list[BotProcess]:
    bots = []
    for port in proxy.ports:
        env = {
            **database,
            "WEBHOOK_URL": f"http://127.0.0.1:{proxy.port}/hook",
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            "LOG_LEVEL": log_level,
            "STAFF_IDS": "9001",
            "SEND_LIMITS": "telegram" if send_limits else "off",  # off: the bot's own pacing (30/s) too
        }
        bots.append(await BotProcess(server.url, env).start())
    for port in proxy.ports:
        for _ in range(600):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            await asyncio.sleep(0.05)
    while server.emulator.webhook is None:
        await asyncio.sleep(0.05)
    return bots


def new_schema(server_url: str) -> str:
    schema = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in server_url else "?"
    return f"{server_url}{separator}options=-c%20search_path%3D{schema}"


async def throughput(server_url: str | None, processes: int, users: int, starts: int) -> tuple:
    """(setup, updates/s, p50 ms, p95 ms, lost) for /start in a closed loop."""
    emulator = Emulator(flood=None, think_time=0.0)
    log = emulator.requests = ReplyLog()
    load = Load(emulator, log, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        database = {"DATABASE_PATH": f"{folder}/scale.sqlite3"}
        if server_url:
            database["DATABASE_URL"] = new_schema(server_url)
        async with (
            EmulatorServer(emulator) as server,
            Proxy([free_port() for _ in range(processes)]) as proxy,
        ):
            bots = await start_bots(server, proxy, database, send_limits=False)
            try:
                pid = bots[0].process.pid
                await load.phase("warm-up", pid, [load.starts(u, 2) for u in load.users(20)])
                phase = await load.phase("/start", pid, [load.starts(u, starts) for u in load.users(users)])
            finally:
                for bot in bots:
                    if bot.process.returncode is None:
                        await bot.end()
                    else:
                        await bot.wait()
                        print(f"a bot process had exited ({bot.process.returncode}): {bot.log[-800:]}")
    name = f"{processes} process{'es' * (processes > 1)}, {'PostgreSQL' if server_url else 'SQLite'}"
    rate = phase.updates / phase.seconds
    return name, rate, percentile(phase.all, 50), percentile(phase.all, 95), phase.lost


class HandledLog:
    """Each process's "handled update N" log lines (LOG_LEVEL=INFO), read as they come: a full stderr
    pipe would stall the bot. What is left when a process ends is in its `stderr`."""

    PATTERN = re.compile(r"^(\S+ \S+) INFO bot\.updates: handled update (\d+) by")

    def __init__(self, bots: list[BotProcess]) -> None:
        self.bots, self.lines = bots, [[] for _ in bots]
        self.readers = [asyncio.create_task(self._read(n)) for n in range(len(bots))]

    async def _read(self, n: int) -> None:
        async for line in self.bots[n].process.stderr:
            self.lines[n].append(line.decode(errors="replace"))

    async def stop_reading(self, n: int) -> None:
        """Before a process is killed or ended (its own wait() reads the rest)."""
        self.readers[n].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.readers[n]

    def handled(self) -> list[tuple[str, int]]:
        """(time, update_id) of every handling, all processes (one clock: one machine), in time order."""
        found = []
        for n, bot in enumerate(self.bots):
            for line in [*self.lines[n], *bot.log.splitlines()]:
                if match := self.PATTERN.match(line):
                    found.append((match.group(1), int(match.group(2))))
        return sorted(found)


def chat_of(update: dict) -> int:
    body = update.get("message") or update.get("callback_query") or {}
    chat = body.get("chat") or (body.get("message") or {}).get("chat") or body.get("from") or {}
    return chat.get("id", 0)


def check_once_in_order(emulator: Emulator, handled: list[tuple[str, int]]) -> tuple[int, int, int]:
    """(lost, handled twice, order violations): every update the users sent handled exactly once, and
    each chat's updates handled in update_id order (they are handed out in that order per chat)."""
    sent = {update["update_id"]: chat_of(update) for update in emulator.feed.history}
    counts: dict[int, int] = {}
    last: dict[int, int] = {}
    violations = 0
    for _, update_id in handled:
        counts[update_id] = counts.get(update_id, 0) + 1
        chat = sent.get(update_id, 0)
        if update_id < last.get(chat, 0):
            violations += 1
        last[chat] = max(last.get(chat, 0), update_id)
    lost = sum(1 for update_id in sent if update_id not in counts)
    twice = sum(1 for count in counts.values() if count > 1)
    return lost, twice, violations


def duplicate_cases(database_url: str) -> int:
    """Cases created twice: the same reporter and description more than once."""
    with psycopg.connect(database_url, autocommit=True) as db:
        query = (
            "SELECT COUNT(*) FROM (SELECT user_id, description FROM cases"
            " GROUP BY user_id, description HAVING COUNT(*) > 1) AS twice"
        )
        return db.execute(query).fetchone()[0]


def unhandled_in_inbox(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as db:
        return db.execute("SELECT COUNT(*) FROM webhook_inbox WHERE handled_at IS NULL").fetchone()[0]


async def soak(server_url: str, users: int, seconds: float) -> str:
    """Two processes, flood limits on, sessions with think time; one process killed -9 halfway; then
    every update is checked: handled once, per chat in order (from the processes' logs)."""
    emulator = Emulator(flood=FloodLimits(), think_time=0.0)
    log = emulator.requests = ReplyLog()
    load = Load(emulator, log, seed=2)
    url = new_schema(server_url)
    database = {"DATABASE_URL": url, "DATABASE_PATH": "/nonexistent/unused.sqlite3"}
    async with EmulatorServer(emulator) as server, Proxy([free_port(), free_port()]) as proxy:
        bots = await start_bots(server, proxy, database, log_level="INFO")
        handled_log = HandledLog(bots)
        deadline = time.monotonic() + seconds

        async def user_loop(user) -> None:
            while time.monotonic() < deadline:
                with contextlib.suppress(Lost, LookupError):
                    await load.session(user, think=2.0)

        async def killer() -> None:
            await asyncio.sleep(seconds / 2)
            await handled_log.stop_reading(0)
            await bots[0].kill()

        try:
            await asyncio.gather(killer(), *(user_loop(u) for u in load.users(users)))
            drained = time.monotonic() + DRAIN
            while (emulator.feed.pending or unhandled_in_inbox(url)) and time.monotonic() < drained:
                await asyncio.sleep(0.5)
        finally:
            for n, bot in enumerate(bots):
                await handled_log.stop_reading(n)
                if bot.process.returncode is None:
                    await bot.end()
    lost, twice, violations = check_once_in_order(emulator, handled_log.handled())
    # Every action of a session is answered by one message or one edit: more is a duplicate reply.
    replies = sum(1 for call in log if call.method in REPLIES and call.ok)
    latencies = [value for values in load.latencies.values() for value in values]
    return (
        f"soak {seconds:.0f} s, {users} users, 2 processes on PostgreSQL, flood limits on, one killed -9 at"
        f" {seconds / 2:.0f} s: {len(emulator.feed.history)} updates sent, {lost} lost (never handled),"
        f" {twice} handled twice, {replies} replies ({replies - len(emulator.feed.history)} more than"
        f" updates), {violations} out of order in their chat, {duplicate_cases(url)} duplicate"
        f" cases; {len(latencies)} actions answered, {load.lost} waited over 30 s for their reply,"
        f" p95 {percentile(latencies, 95):.0f} ms; API errors {len(emulator.errors)}"
        + "".join(
            f"\n  {count} x {kind}, at {_when(emulator, kind)} s of the soak"
            for kind, count in Counter(map(_error_kind, emulator.errors)).items()
        )
    )


def _when(emulator: Emulator, kind: str) -> str:
    """When the errors of one kind happened: seconds from the first update, up to 8 moments."""
    start = min((call.at for call in emulator.requests), default=0.0)
    times = sorted({round(call.at - start) for call in emulator.errors if _error_kind(call) == kind})
    return ", ".join(map(str, times[:8])) + (" ..." if len(times) > 8 else "")


def _error_kind(call) -> str:
    return f"{call.method} {call.status} {(call.description or '').split(':')[0]}"


async def main(args: argparse.Namespace) -> int:
    server_url, folder = args.database_url or os.environ.get("TEST_DATABASE_URL", ""), None
    if not server_url:
        folder = tempfile.mkdtemp(prefix="pmi-scale-pg.", dir="/tmp")
        start = subprocess.run(
            [str(ROOT / ".ci/postgres.sh"), "start", folder],
            env={**os.environ, "PG_FSYNC": "on"},
            capture_output=True,
            text=True,
            check=True,
        )
        server_url = start.stdout.strip()
    try:
        if args.users:
            load_before = os.getloadavg()[0]
            rows = [await throughput(None, 1, args.users, args.starts)]
            for processes in (1, 2, 4):
                rows.append(await throughput(server_url, processes, args.users, args.starts))
            print(
                f"{args.users} users x {args.starts} /start, closed loop, flood limits off,"
                f" {os.cpu_count()} CPUs,"
            )
            print(f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
            print(f"{'setup':32} {'updates/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'lost':>5}")
            for name, rate, p50, p95, lost in rows:
                print(f"{name:32} {rate:10.0f} {p50:8.0f} {p95:8.0f} {lost:5d}", flush=True)
        if args.soak:
            load_before = os.getloadavg()[0]
            print(await soak(server_url, args.soak_users, args.soak))
            print(f"load average {load_before:.2f} before the soak, {os.getloadavg()[0]:.2f} after")
    finally:
        if folder:
            subprocess.run([str(ROOT / ".ci/postgres.sh"), "stop", folder], check=False)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="throughput users (0: soak only)")
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--soak", type=float, default=120.0, help="seconds (the issue asks 600; 0: none)")
    parser.add_argument("--soak-users", type=int, default=200)
    parser.add_argument("--database-url", default="")
    sys.exit(asyncio.run(main(parser.parse_args())))
