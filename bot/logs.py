"""Logging set-up: no token and no personal data reach a log line, at any level.

Two rules do it:
- Only the bot's own loggers (`bot.*`) go below INFO. Libraries log what passes through them at
  DEBUG: PTB every update and every Bot API call with its parameters (names, phone numbers, the
  text of a report), aiosqlite every query with its values. So `LOG_LEVEL=DEBUG` turns on the
  bot's own debug lines, which are written to carry no personal data, and leaves libraries at INFO.
- Every line, traceback and warning is redacted: anything shaped like a bot token, and the
  configured secrets themselves, become "[token]" / "[secret]" (a Bot API URL holds the token).
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, TextIO

_TOKEN = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{20,100}")
_SECRETS: set[str] = set()  # the configured token and webhook secret, whatever their shape

# Libraries whose INFO lines could still name a request URL: kept at WARNING.
_QUIET = ("httpx", "httpcore", "aiohttp.access", "tornado.access")


def redact(text: str) -> str:
    text = _TOKEN.sub("[token]", text)
    for secret in _SECRETS:
        text = text.replace(secret, "[secret]")
    return text


class RedactTokens(logging.Filter):
    """Replace anything shaped like a bot token in the message, its arguments and its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


class RedactingStream:
    """A text stream (stderr) that redacts every write: whatever Python prints there (log lines,
    tracebacks of uncaught exceptions, "Exception ignored in" notes, warnings) passes through it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def redact_stderr() -> None:
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)


def install_redaction(handler: logging.Handler) -> None:
    if not any(isinstance(f, RedactTokens) for f in handler.filters):
        handler.addFilter(RedactTokens())


def setup_logging(level: str, secrets: tuple[str, ...] = ()) -> None:
    """Console logging: the bot's own loggers at `level`, libraries at `level` but never below INFO."""
    _SECRETS.update(secret for secret in secrets if len(secret) >= 4)
    wanted = logging.getLevelName(level)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(max(wanted, logging.INFO))
    logging.getLogger("bot").setLevel(wanted)
    for handler in logging.getLogger().handlers:
        install_redaction(handler)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(wanted, logging.WARNING))
    logging.captureWarnings(True)  # warnings are printed through the (redacting) log handler
    if wanted < logging.INFO:
        logging.getLogger("bot").debug(
            "debug lines of the bot only: libraries stay at INFO, their debug lines carry personal data"
        )
