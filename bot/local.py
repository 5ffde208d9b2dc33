"""The real bot wired to the in-process emulator: for `python -m bot chat`, tests and benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.content import Content
from bot.context import Services
from bot.emulator import DEFAULT_TOKEN, Emulator, EmulatorRequest
from bot.lifecycle import open_services, running_app
from bot.outbox.limiter import NO_LIMITS, Limits, SendPath
from bot.search import SearchEngine
from bot.store import Clock


@dataclass
class LocalBot:
    emulator: Emulator
    app: Application
    services: Services


@contextlib.asynccontextmanager
async def local_bot(
    settings: Settings,
    *,
    emulator: Emulator | None = None,
    clock: Clock | None = None,
    content: Content | None = None,
    search: SearchEngine | None = None,
    virtual_pacing: bool = False,
) -> AsyncIterator[LocalBot]:
    """Start the bot on `settings` against an in-process emulator; each simulated action is
    processed before the driver call returns, so conversations are deterministic. With
    `virtual_pacing`, everything runs on the emulator's clock instead of real time: the outbox's
    pacing and waits, the send path's waits for Telegram's limits, and the store's timestamps (a
    flood wait's retry time, a schedule), so flood-limit tests and benchmarks take no real time
    waiting. `clock` sets the store's clock alone (real time by default). `search`: an index built
    from `content` (bot.lifecycle.build_search), shared by many runs instead of one built each time."""
    emulator = emulator or Emulator()
    clock = clock or (emulator.unix_time if virtual_pacing else time.time)
    settings = settings.with_changes(bot_token=emulator.token)
    sleep = _virtual_sleep(emulator) if virtual_pacing else asyncio.sleep
    async with (
        open_services(settings, clock=clock, content=content, search=search) as services,
        running_app(
            services,
            request=EmulatorRequest(emulator),
            updates_request=EmulatorRequest(emulator),
            pacing_time=(emulator.now, sleep) if virtual_pacing else None,
            # The emulator's clock drives its limits; a limit the emulator has switched off is off.
            send_path=SendPath(_limits_of(emulator), clock=emulator.now, sleep=sleep),
        ) as app,
    ):

        async def deliver(update: dict) -> None:
            parsed = Update.de_json(update, app.bot)  # then as polling hands it on: through the processor
            await app.update_processor.process_update(parsed, app.process_update(parsed))

        emulator.deliver = deliver
        try:
            yield LocalBot(emulator, app, services)
        finally:
            emulator.deliver = None


def _limits_of(emulator: Emulator) -> Limits:
    """Telegram's limits, less those the emulator does not enforce (benchmarks of CPU alone)."""
    flood = emulator.flood.limits
    if flood is None:
        return NO_LIMITS
    return Limits(
        private_per_second=Limits.private_per_second if flood.private_per_second else None,
        group_per_minute=Limits.group_per_minute if flood.group_per_minute else None,
        overall_per_second=Limits.overall_per_second if flood.overall_per_second else None,
    )


def _virtual_sleep(emulator: Emulator):
    async def sleep(seconds: float) -> None:
        emulator.advance(seconds)
        await asyncio.sleep(0)

    return sleep


# The emulator rig is a test deployment: it names a test operator (`run` refuses to start without one).
RIG_OPERATOR = {"OPERATOR_NAME": "Test operator (emulator)", "OPERATOR_CONTACT": "test desk, room 1"}


class BotProcess:
    """The real `python -m bot run` process, pointed at an emulator's HTTP front (tests, benchmarks).
    `run` also needs staff (STAFF_IDS) or FAQ_ONLY=1 in `env`."""

    def __init__(self, server_url: str, env: Mapping[str, str], args: Sequence[str] = ("run",)) -> None:
        rig = {"TELEGRAM_API_URL": server_url, "BOT_TOKEN": DEFAULT_TOKEN, **RIG_OPERATOR}
        self.env = {**os.environ, **rig, **env}
        self.args = tuple(args)
        self.process: asyncio.subprocess.Process | None = None
        self.stderr = b""

    async def start(self) -> BotProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *self.args,
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        return self

    async def wait(self, timeout: float = 20) -> int:
        """Wait for the process to end; returns its exit code, keeps what it wrote to stderr."""
        self.stderr += await asyncio.wait_for(self.process.stderr.read(), timeout)
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def stop(self, timeout: float = 20) -> int:
        """SIGTERM, as a service manager stops it."""
        self.process.send_signal(signal.SIGTERM)
        return await self.wait(timeout)

    async def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        self.process.kill()
        await self.wait()

    async def end(self, timeout: float = 20) -> int:
        """SIGTERM, and kill -9 if it does not end in time (then -9): never leave a process behind."""
        try:
            return await self.stop(timeout)
        except TimeoutError:
            await self.kill()
            return -9

    @property
    def log(self) -> str:
        return self.stderr.decode(errors="replace")


__all__ = ["DEFAULT_TOKEN", "BotProcess", "LocalBot", "local_bot"]
