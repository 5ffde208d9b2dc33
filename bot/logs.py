"""Logging set-up: the bot token never reaches a log line."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{20,100}")


def redact(text: str) -> str:
    return _TOKEN.sub("[token]", text)


class RedactTokens(logging.Filter):
    """Replace anything shaped like a bot token in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


def install_redaction(handler: logging.Handler) -> None:
    if not any(isinstance(f, RedactTokens) for f in handler.filters):
        handler.addFilter(RedactTokens())


def setup_logging(level: str) -> None:
    """Console logging at `level`; httpx (which logs request URLs, token included) stays at WARNING."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    for handler in logging.getLogger().handlers:
        install_redaction(handler)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
