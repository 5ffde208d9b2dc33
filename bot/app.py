"""Build the PTB Application from the services (no network here)."""

from __future__ import annotations

from telegram import BotCommand, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Application, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot import handlers
from bot.content import LANGUAGES
from bot.context import BotContext, Services
from bot.emulator import DEFAULT_TOKEN
from bot.processor import OrderedUpdateProcessor, UpdateTurn
from bot.request import AiohttpRequest

# The local emulator's token (chat, tests, benchmarks): it never reaches Telegram.
EMULATOR_TOKEN = DEFAULT_TOKEN

# Updates handled at once, and HTTP connections for their replies and the outbox's sends. A request
# that finds no free connection waits up to POOL_TIMEOUT seconds for one (PTB's default is 1 s).
MAX_WORKING = 16
CONNECTIONS = 32
POOL_TIMEOUT = 10.0


def _turn(services: Services) -> UpdateTurn | None:
    """Webhook mode: Telegram may deliver an update again (another process may get it): record IDs."""
    return services.store.db.update_turn if services.settings.webhook_mode else None


def build_application(
    services: Services, *, request: BaseRequest | None = None, updates_request: BaseRequest | None = None
) -> Application:
    """The bot's Application: handlers, HTML by default, per-chat ordered concurrency."""
    settings = services.settings
    builder = (
        Application.builder()
        .token(settings.bot_token or EMULATOR_TOKEN)
        .base_url(settings.telegram_api_url)
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
        )
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(OrderedUpdateProcessor(MAX_WORKING, turn=_turn(services)))
    )
    if request is None:  # Telegram, or the emulator's HTTP front
        request, updates_request = AiohttpRequest(CONNECTIONS, pool_timeout=POOL_TIMEOUT), AiohttpRequest()
    builder = builder.request(request).get_updates_request(updates_request or request)
    app = builder.build()
    app.bot_data["services"] = services
    handlers.register(app)
    return app


async def set_commands(app: Application) -> None:
    """Register the command menu per language (the default scope gets the default language)."""
    services: Services = app.bot_data["services"]
    content = services.content

    def commands(lang: str) -> list[BotCommand]:
        return [
            BotCommand(name, content.text(lang, f"user-command-{name}")) for name in handlers.USER_COMMANDS
        ]

    await app.bot.set_my_commands(commands(services.settings.default_language))
    for lang in LANGUAGES:
        await app.bot.set_my_commands(commands(lang), language_code=lang)
