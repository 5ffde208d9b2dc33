"""The real bot wired to the in-process emulator: for `python -m bot chat`, tests and benchmarks."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.content import Content
from bot.context import Services
from bot.emulator import DEFAULT_TOKEN, Emulator, EmulatorRequest
from bot.lifecycle import open_services, running_app
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
    clock: Clock = time.time,
    content: Content | None = None,
) -> AsyncIterator[LocalBot]:
    """Start the bot on `settings` against an in-process emulator; each simulated action is
    processed before the driver call returns, so conversations are deterministic."""
    emulator = emulator or Emulator()
    settings = settings.with_changes(bot_token=emulator.token)
    async with (
        open_services(settings, clock=clock, content=content) as services,
        running_app(
            services, request=EmulatorRequest(emulator), updates_request=EmulatorRequest(emulator)
        ) as app,
    ):

        async def deliver(update: dict) -> None:
            await app.process_update(Update.de_json(update, app.bot))

        emulator.deliver = deliver
        try:
            yield LocalBot(emulator, app, services)
        finally:
            emulator.deliver = None


__all__ = ["DEFAULT_TOKEN", "LocalBot", "local_bot"]
