"""The command line (contract): run, chat, ask, check-content, stats, backup, ..."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from telegram.error import Conflict, InvalidToken, TelegramError

from bot.config import LANGUAGES, ConfigError, Settings, load_settings, require_staff, require_token
from bot.content import load_content
from bot.handlers import ALLOWED_UPDATES
from bot.lifecycle import open_services, require_operator, running_app
from bot.logs import redact, redact_stderr, setup_logging
from bot.store.db import create_private_file

log = logging.getLogger("bot")

CONFLICT_GRACE = 30.0  # seconds after start-up in which a 409 Conflict makes this instance exit


class Exit(Exception):
    """Stop with a one-line message and an exit code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


# -- run ---------------------------------------------------------------------------------------


async def run_bot(settings: Settings, *, webhook: bool = False) -> None:
    """Serve Telegram until SIGINT/SIGTERM (long polling, or a webhook listener). Refuses to start
    (ConfigError) without a token, without operator details, or without staff unless FAQ-only."""
    require_token(settings)
    content = load_content()
    content.set_operator(settings.operator_name, settings.operator_contact)
    require_operator(content)
    require_staff(settings)
    stop = asyncio.Event()
    failure: list[Exit] = []
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    started = time.monotonic()

    def on_poll_error(error: TelegramError) -> None:
        # The newcomer leaves; an instance that has been serving for a while keeps going (the
        # conflicts stop once the newcomer has exited).
        if isinstance(error, Conflict) and time.monotonic() - started < CONFLICT_GRACE:
            failure.append(Exit(1, "another instance is using this BOT_TOKEN (409 Conflict): stop it first"))
            # Stopping makes one last getUpdates, which gets the same 409: say it once, not as a traceback.
            logging.getLogger("telegram.ext.Updater").setLevel(logging.CRITICAL)
            stop.set()
        else:
            log.warning("polling error: %s", error)

    async with open_services(settings, content=content) as services:
        try:
            async with running_app(services) as app:
                await app.start()
                listener = None
                if webhook or settings.webhook_mode:
                    listener = await _start_webhook(app, services, settings)
                else:
                    await app.updater.start_polling(
                        allowed_updates=ALLOWED_UPDATES, error_callback=on_poll_error
                    )
                log.info(
                    "bot @%s running (%s)",
                    app.bot.username,
                    "webhook" if settings.webhook_mode else "polling",
                )
                await stop.wait()
                if listener is not None:
                    await listener.stop()
                else:
                    await app.updater.stop()
                await app.stop()
        except InvalidToken:
            raise Exit(1, "BOT_TOKEN was refused by Telegram: check it with @BotFather") from None
        except TelegramError as error:  # getMe or setMyCommands failed: Telegram cannot be reached
            reason = f"cannot reach the Telegram Bot API at {settings.telegram_api_url}: {error}"
            raise Exit(1, reason) from None
    if failure:
        raise failure[0]


async def _start_webhook(app: Any, services: Any, settings: Settings) -> Any:
    """Listen for Telegram's pushes (each update written down before it is answered, bot/webhook.py)
    and tell Telegram where to push."""
    from bot.webhook import WebhookListener

    if not settings.webhook_url:
        raise ConfigError("WEBHOOK_URL", "required for --webhook")
    host, port = settings.webhook_listen
    path = urlsplit(settings.webhook_url).path  # the listener serves the URL's whole path
    listener = WebhookListener(app, services, path, settings.webhook_secret)
    await listener.start(host, port)
    await app.bot.set_webhook(
        url=settings.webhook_url,
        secret_token=settings.webhook_secret or None,
        allowed_updates=ALLOWED_UPDATES,
    )
    return listener


# -- store commands ----------------------------------------------------------------------------

CLI_ACTOR = 0  # the audit's actor for what the operator does on the command line


async def stats(settings: Settings, args: argparse.Namespace) -> None:
    """Counts for a health check: exits non-zero when the database cannot be read."""
    import json

    if (
        not settings.database_url
        and str(settings.database_path) != ":memory:"
        and not settings.database_path.is_file()
    ):
        raise Exit(1, f"database not found: {settings.database_path}")
    async with open_services(settings) as services:
        figures = await services.store.stats_report()
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    for key, value in figures.items():
        shown = ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else value
        print(f"{key}: {shown}")


async def export_command(settings: Settings, args: argparse.Namespace) -> None:
    """Staff export: CSV (UTF-8 with BOM, formulas neutralised) or JSON, to a file or stdout."""
    from bot import export

    async with open_services(settings) as services:
        if args.out:
            target = Path(args.out)
            create_private_file(target)
            with target.open("wb") as file:
                count = await export.write(services.store, args.what, file, args.format)
        else:
            await export.write(services.store, args.what, sys.stdout.buffer, args.format)
            sys.stdout.flush()
        await services.store.audit(CLI_ACTOR, "export", detail=f"{args.what} (command line)")
    if args.out:
        print(f"{count} rows written to {target}", file=sys.stderr)


async def erase(settings: Settings, args: argparse.Namespace) -> None:
    """/deletedata for a request that came by phone or letter: the same erasure, by Telegram user ID.
    Copies in staff chats are deleted or edited when the bot runs (through the outbox)."""
    from bot.outbox import notices

    async with open_services(settings) as services:
        if await services.store.get_user(args.user_id) is None:
            raise Exit(1, f"no user {args.user_id} in {settings.database_name}")
        erased = await services.store.erase_user(args.user_id)
        await notices.erase_copies(services, erased, "staff-data-deleted")
        await services.store.audit(CLI_ACTOR, "erase_user")
    print(
        f"personal data of user {args.user_id} erased; {len(erased.copies)} messages in staff chats"
        " will be deleted or edited (cases keep a shell)"
    )


async def backup(settings: Settings, args: argparse.Namespace) -> None:
    """An online, consistent, owner-only copy of the database."""
    target = Path(args.file)
    async with open_services(settings) as services:
        await services.store.db.backup_to(target)
    print(f"backup written to {target}")


async def copy_db(settings: Settings, args: argparse.Namespace) -> None:
    """Move the SQLite database at DATABASE_PATH to an empty PostgreSQL database, in one transaction."""
    from bot.store import open_database
    from bot.store.copy import CopyError, copy_database
    from bot.store.db import SqliteDatabase, is_postgres_url

    if not is_postgres_url(args.to):
        raise Exit(2, "copy-db: --to must be a postgresql:// URL")
    if not settings.database_path.is_file():
        raise Exit(1, f"database not found: {settings.database_path}")
    source = await SqliteDatabase.connect(settings.database_path)
    try:
        target = await open_database(args.to)
        try:
            copied = await copy_database(source, target)
        finally:
            await target.close()
    except CopyError as error:
        raise Exit(1, f"copy-db: {error}") from None
    finally:
        await source.close()
    print(f"copied {sum(copied.values())} rows in {len(copied)} tables from {settings.database_path}")
    print("now set DATABASE_URL to that URL and start the bot")


async def ask(settings: Settings, args: argparse.Namespace) -> None:
    """Answer questions with the bot's own search; no Telegram and no database."""
    import json

    from bot.lifecycle import build_search

    engine = build_search(load_content())
    lang = args.lang or settings.default_language
    questions = [args.question] if args.question else (line.strip() for line in sys.stdin)
    for question in questions:
        if not question:
            continue
        result = engine.search(question, lang)
        candidates = [{"id": c.id, "score": round(c.score, 4)} for c in result.candidates[:3]]
        if args.json:
            row = {
                "question": question,
                "id": result.id,
                "score": round(result.score, 4),
                "candidates": candidates,
                "urgent": result.urgent,
            }
            print(json.dumps(row, ensure_ascii=False))
        else:
            shown = result.id or (f"({result.kind}: {result.talk})" if result.talk else f"({result.kind})")
            others = ", ".join(f"{c['id']} {c['score']:.2f}" for c in candidates)
            print(f"{shown}\t{result.score:.2f}\t{question}\t[{others}]")
        sys.stdout.flush()


async def preview(settings: Settings, args: argparse.Namespace) -> None:
    """One FAQ entry as a user reads it from the menu: plain text, then its buttons one per line."""
    from bot import telegram_html
    from bot.handlers import FLOWS, screens

    content = load_content()
    lang = args.lang or settings.default_language
    actions = frozenset(flow.name for flow in FLOWS) | {"contacts"}  # what the running bot offers
    screen = screens.entry(content, lang, args.id, actions)
    if screen is None:
        raise Exit(1, f"unknown FAQ ID {args.id!r} (the IDs are in content/topics.yaml)")
    print(telegram_html.parse(screen.text).strip().text)
    print()
    for row in screen.markup.inline_keyboard:
        for button in row:
            print(f"[{button.text}]")


async def unanswered(settings: Settings, args: argparse.Namespace) -> None:
    """The most frequent questions the bot could not answer (for content editors)."""
    async with open_services(settings) as services:
        since = services.store.db.now() - args.since * 86400 if args.since else 0
        rows = await services.store.top_unanswered(since=since)
    for row in rows:
        print(f"{row.count:5d}  [{row.lang}]  {row.question}")
    if not rows:
        print("no unanswered questions")


async def chat_command(settings: Settings, args: argparse.Namespace) -> None:
    """A terminal conversation with the bot, on its own database unless DATABASE_PATH is set."""
    from bot.chat import chat

    content = load_content()
    content.use_demo_operator()  # a try-out names its operator visibly as a demo; `run` refuses instead
    await chat(settings, sys.stdin, sys.stdout, content=content)


async def check_content_command(settings: Settings, args: argparse.Namespace) -> None:
    """Validate every content file in every language; exit 1 when there are errors."""
    from bot.content_check import check_content, format_report

    report = check_content(Path(args.content) if args.content else None)
    print(format_report(report))
    if report.errors:
        raise Exit(1, "content has errors")


async def diagrams(settings: Settings, args: argparse.Namespace) -> None:
    """Rewrite docs/flows/<flow>.mmd from the flows' steps (a test checks they are current)."""
    from bot.handlers import FLOWS
    from bot.wizard.diagram import DOCS, write_all

    write_all(list(FLOWS))
    print(f"wrote {len(FLOWS)} diagrams to {DOCS}")


# -- wiring ------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot (long polling, or a webhook with --webhook)")
    run.add_argument("--webhook", action="store_true")
    stats_cmd = sub.add_parser("stats", help="counts of users, registrations, cases, broadcasts")
    stats_cmd.add_argument("--json", action="store_true")
    export_cmd = sub.add_parser("export", help="export reports or registrations (staff data)")
    export_cmd.add_argument("what", choices=("reports", "registrations"))
    export_cmd.add_argument("--format", choices=("csv", "json"), default="csv")
    export_cmd.add_argument("--out", metavar="FILE", help="write to FILE (owner-only) instead of stdout")
    erase_cmd = sub.add_parser("erase", help="delete a user's personal data, as /deletedata does")
    erase_cmd.add_argument("user_id", type=int, metavar="USER_ID", help="the user's Telegram ID")
    backup_cmd = sub.add_parser("backup", help="online copy of the database")
    backup_cmd.add_argument("file")
    copy_cmd = sub.add_parser("copy-db", help="move the SQLite database to an empty PostgreSQL database")
    copy_cmd.add_argument("--to", required=True, metavar="URL", help="postgresql://user:password@host/db")
    ask_cmd = sub.add_parser("ask", help="answer questions with the bot's search (stdin: one per line)")
    ask_cmd.add_argument("--lang", choices=LANGUAGES)
    ask_cmd.add_argument("--json", action="store_true")
    ask_cmd.add_argument("question", nargs="?")
    preview_cmd = sub.add_parser("preview", help="show one FAQ answer as a user reads it, with its buttons")
    preview_cmd.add_argument("id", metavar="ID", help="the entry's ID, e.g. placement.costs")
    preview_cmd.add_argument("--lang", choices=("id", "en"))
    unanswered_cmd = sub.add_parser("unanswered", help="most frequent questions the bot could not answer")
    unanswered_cmd.add_argument("--since", type=int, metavar="DAYS", help="only the last DAYS days")
    sub.add_parser("chat", help="talk to the bot in this terminal (no token, no network)")
    check = sub.add_parser("check-content", help="validate every content file in every language")
    check.add_argument(
        "--content", metavar="DIR", help="check this content folder instead of the shipped one"
    )
    sub.add_parser("diagrams", help="rewrite docs/flows/*.mmd from the flows' steps (developers)")
    return parser


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, None]]] = {
    "run": lambda settings, args: run_bot(settings, webhook=args.webhook),
    "stats": stats,
    "backup": backup,
    "copy-db": copy_db,
    "erase": erase,
    "export": export_command,
    "check-content": check_content_command,
    "chat": chat_command,
    "ask": ask,
    "preview": preview,
    "unanswered": unanswered,
    "diagrams": diagrams,
}


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> None:
    """Parse the command line, load settings, run the command; exit 2 on a configuration error."""
    args = _parser().parse_args(argv)
    try:
        env = os.environ if environ is None else environ
        settings = load_settings(env, Path(".env"))
    except ConfigError as error:
        _fail(2, f"configuration error: {error}")
    # `chat` never uses the production database by accident: only DATABASE_PATH set in the
    # environment for this command counts, not the one in .env.
    if args.command == "chat" and "DATABASE_PATH" not in env:
        settings = settings.with_changes(database_path=Path("data/chat.sqlite3"), database_url="")
    # Everything written to stderr from here on goes through redact(): error messages can carry a
    # request URL, and every Bot API URL holds the token.
    redact_stderr()
    setup_logging(
        settings.log_level if args.command == "run" else "WARNING",
        secrets=(settings.bot_token, settings.webhook_secret),
    )
    try:
        asyncio.run(COMMANDS[args.command](settings, args))
    except ConfigError as error:
        _fail(2, f"configuration error: {error}")
    except Exit as error:
        _fail(error.code, str(error))
    except sqlite3.DatabaseError as error:
        _fail(1, f"database error ({settings.database_path}): {error}")
    except KeyboardInterrupt:
        pass
    except Exception as error:
        if type(error).__module__.startswith(("psycopg", "psycopg_pool")):  # PostgreSQL (DATABASE_URL)
            _fail(1, f"database error ({settings.database_name}): {error}")
        _fail(
            1, traceback.format_exc().rstrip()
        )  # a bug: the traceback helps, the token in it must not be shown


def _fail(code: int, message: str) -> None:
    print(redact(message), file=sys.stderr)
    sys.exit(code)
