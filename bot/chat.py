"""`python -m bot chat`: talk to the real bot in a terminal, through the in-process emulator.

No token and no network. Buttons are numbered; type the number to press one. Content editors use
this to preview answers exactly as users will see them.
"""

from __future__ import annotations

import asyncio
import getpass
from typing import TextIO

from bot.config import Settings
from bot.content import Content
from bot.emulator import Emulator, Shown
from bot.local import local_bot
from bot.telegram_html import parse

INTRO = (
    "Local chat with the bot (no Telegram, no token). Type a message or /start; "
    "type a number to press a button; Ctrl-D to quit."
)


def render(message: Shown) -> str:
    """A bot message as plain text, with bold shown as *stars* and buttons numbered."""
    text = _readable(message.html) if message.html else message.text
    lines = [("(edited) " if message.edited else "") + text]
    number = 0
    for row in message.buttons:
        cells = []
        for button in row:
            number += 1
            cells.append(f"[{number}] {button.text}")
        lines.append("   ".join(cells))
    return "\n".join(lines)


def _readable(html: str) -> str:
    parsed = parse(html)
    text = parsed.text
    units = text.encode("utf-16-le")
    marks: list[tuple[int, str]] = []
    for entity in parsed.entities:
        if entity["type"] == "bold":
            marks += [(entity["offset"], "*"), (entity["offset"] + entity["length"], "*")]
        elif entity["type"] == "text_link":
            marks.append((entity["offset"] + entity["length"], f" <{entity['url']}>"))
    for offset, mark in sorted(marks, reverse=True):
        units = units[: offset * 2] + mark.encode("utf-16-le") + units[offset * 2 :]
    return units.decode("utf-16-le")


async def chat(settings: Settings, stdin: TextIO, stdout: TextIO, content: Content | None = None) -> None:
    """Read lines from stdin until EOF, print what the bot shows after each."""
    emulator = Emulator()
    loop = asyncio.get_running_loop()
    async with local_bot(settings, emulator=emulator, content=content):
        user = emulator.user(id=100_000_001, first_name=_name(), language_code=settings.default_language)
        print(INTRO, file=stdout)
        printed: dict[int, Shown] = {}
        while line := await loop.run_in_executor(None, stdin.readline):
            text = line.strip()
            if not text:
                continue
            print(f"\n> {text}", file=stdout)
            buttons = user.buttons
            if text.isdigit() and 1 <= int(text) <= len(buttons):
                await user.press(buttons[int(text) - 1])
            else:
                await user.send(text)
            for message in user.messages:
                if printed.get(message.message_id) != message:
                    printed[message.message_id] = message
                    print("\n" + render(message), file=stdout)
        stdout.flush()


def _name() -> str:
    try:
        return getpass.getuser().capitalize()
    except (KeyError, OSError):
        return "Tester"
