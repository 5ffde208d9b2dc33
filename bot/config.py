"""Settings from the environment (and an optional .env file), exactly as in the contract."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

LANGUAGES = ("id", "en")  # the default first; every text in content/ exists in each
_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,100}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

TOKEN_HELP = (
    "not set. Get a token from @BotFather in Telegram (send /newbot), then put BOT_TOKEN=... "
    "in .env; to try the bot without a token: python -m bot chat"
)

STAFF_HELP = (
    "no staff member is configured, so reports would reach nobody. Set STAFF_IDS to the staff's "
    "Telegram user IDs, or FAQ_ONLY=1 to run a service that only answers questions"
)
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class ConfigError(Exception):
    """A bad or missing setting; the message is one line that names the variable."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    bot_token: str = field(default="", repr=False)
    telegram_api_url: str = "https://api.telegram.org/bot"
    database_path: Path = Path("data/bot.sqlite3")
    database_url: str = field(default="", repr=False)  # may carry a password
    staff_ids: frozenset[int] = frozenset()
    staff_chat_id: int | None = None
    default_language: str = "id"
    broadcast_rate: float = 25.0
    send_limits: bool = True  # Telegram's flood limits kept by the send path (off: CPU benchmarks only)
    log_level: str = "INFO"
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    webhook_listen: tuple[str, int] = ("127.0.0.1", 8080)
    unanswered_retention_days: int = 180
    draft_ttl_hours: int = 24
    data_retention_days: int = 730
    operator_name: str = ""  # OPERATOR_NAME: overrides content/operator.yaml when set
    operator_contact: str = ""  # OPERATOR_CONTACT: likewise
    faq_only: bool = False  # FAQ_ONLY=1: no staff; reports and questions to staff are switched off
    conversation_hours: int = 72
    urgent_escalate_minutes: int = 10  # staff alerted again; every staff member mentioned at 3 times it

    @property
    def database(self) -> Path | str:
        """What the store opens: the PostgreSQL URL when DATABASE_URL is set, else the SQLite file."""
        return self.database_url or self.database_path

    @property
    def database_name(self) -> str:
        """The database for messages: the SQLite path, or the PostgreSQL URL without its password."""
        return _without_password(self.database_url) if self.database_url else str(self.database_path)

    @property
    def webhook_mode(self) -> bool:
        return bool(self.webhook_url)

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines of a .env file (comments, blank lines, optional quotes)."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_settings(environ: Mapping[str, str], dotenv: Path | None = None) -> Settings:
    """Build Settings from a mapping (the environment wins over the optional .env file)."""
    env = {**(read_dotenv(dotenv) if dotenv else {}), **environ}

    def get(name: str) -> str:
        return env.get(name, "").strip()

    webhook_url = _url("WEBHOOK_URL", get("WEBHOOK_URL"), https=True) if get("WEBHOOK_URL") else ""
    secret = get("WEBHOOK_SECRET")
    if secret and not _SECRET.match(secret):
        raise ConfigError("WEBHOOK_SECRET", "use 1-256 characters from A-Z a-z 0-9 _ -")
    if webhook_url and not secret:
        raise ConfigError("WEBHOOK_SECRET", "required when WEBHOOK_URL is set")
    return Settings(
        bot_token=_token(get("BOT_TOKEN")),
        telegram_api_url=_url("TELEGRAM_API_URL", get("TELEGRAM_API_URL"))
        if get("TELEGRAM_API_URL")
        else Settings.telegram_api_url,
        database_path=Path(get("DATABASE_PATH") or Settings.database_path),
        database_url=_database_url(get("DATABASE_URL")),
        staff_ids=frozenset(_ids("STAFF_IDS", get("STAFF_IDS"))),
        staff_chat_id=_int("STAFF_CHAT_ID", get("STAFF_CHAT_ID")) if get("STAFF_CHAT_ID") else None,
        default_language=_choice("DEFAULT_LANGUAGE", get("DEFAULT_LANGUAGE") or "id", LANGUAGES),
        broadcast_rate=_rate(get("BROADCAST_RATE") or "25"),
        send_limits=_choice("SEND_LIMITS", (get("SEND_LIMITS") or "telegram").lower(), ("telegram", "off"))
        == "telegram",
        log_level=_choice("LOG_LEVEL", (get("LOG_LEVEL") or "INFO").upper(), _LOG_LEVELS),
        webhook_url=webhook_url,
        webhook_secret=secret,
        webhook_listen=_listen(get("WEBHOOK_LISTEN") or "127.0.0.1:8080"),
        unanswered_retention_days=_positive(
            "UNANSWERED_RETENTION_DAYS", get("UNANSWERED_RETENTION_DAYS") or "180"
        ),
        draft_ttl_hours=_positive("DRAFT_TTL_HOURS", get("DRAFT_TTL_HOURS") or "24"),
        data_retention_days=_positive("DATA_RETENTION_DAYS", get("DATA_RETENTION_DAYS") or "730"),
        operator_name=_one_line("OPERATOR_NAME", get("OPERATOR_NAME")),
        operator_contact=_one_line("OPERATOR_CONTACT", get("OPERATOR_CONTACT")),
        faq_only=_flag("FAQ_ONLY", get("FAQ_ONLY") or "0"),
        conversation_hours=_positive("CONVERSATION_HOURS", get("CONVERSATION_HOURS") or "72"),
        urgent_escalate_minutes=_positive("URGENT_ESCALATE_MINUTES", get("URGENT_ESCALATE_MINUTES") or "10"),
    )


def require_token(settings: Settings) -> None:
    """`run` needs a token; say how to get one."""
    if not settings.bot_token:
        raise ConfigError("BOT_TOKEN", TOKEN_HELP)


def require_staff(settings: Settings) -> None:
    """`run` takes reports only when someone reads them: staff, or an explicit FAQ-only service."""
    if not settings.staff_ids and not settings.faq_only:
        raise ConfigError("STAFF_IDS", STAFF_HELP)


def _token(value: str) -> str:
    if value and not _TOKEN.match(value):
        raise ConfigError("BOT_TOKEN", "malformed token (expected digits:letters, as @BotFather gives it)")
    return value


def _int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(name, f"not a whole number: {value!r}") from None


def _ids(name: str, value: str) -> list[int]:
    ids = [_int(name, part.strip()) for part in value.split(",") if part.strip()]
    if any(i <= 0 for i in ids):
        raise ConfigError(name, "user IDs are positive numbers")
    return ids


def _positive(name: str, value: str) -> int:
    number = _int(name, value)
    if number <= 0:
        raise ConfigError(name, "must be greater than 0")
    return number


def _rate(value: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        raise ConfigError("BROADCAST_RATE", f"not a number: {value!r}") from None
    if not 0 < rate <= 1000:
        raise ConfigError("BROADCAST_RATE", "must be between 0 and 1000 messages per second")
    return rate


def _flag(name: str, value: str) -> bool:
    if value.lower() not in _TRUE + _FALSE:
        raise ConfigError(name, f"use 1 (on) or 0 (off), got {value!r}")
    return value.lower() in _TRUE


def _one_line(name: str, value: str) -> str:
    """Free text shown to users (operator details): one line, at most 200 characters."""
    if len(value) > 200 or any(ord(ch) < 32 for ch in value):
        raise ConfigError(name, "one line of at most 200 characters")
    return value


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(name, f"must be one of {', '.join(allowed)} (got {value!r})")
    return value


def _url(name: str, value: str, *, https: bool = False) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(name, f"not an http(s) URL: {value!r}")
    if https and parts.scheme != "https" and parts.hostname not in _LOOPBACK:
        raise ConfigError(name, "Telegram only posts to https:// URLs")
    return value


def _database_url(value: str) -> str:
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigError("DATABASE_URL", "expected postgresql://user:password@host:port/database")
    return value


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError("WEBHOOK_LISTEN", f"expected host:port, got {value!r}")
    return host, int(port)
