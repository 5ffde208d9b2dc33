"""Build the PTB Application from the services (no network here)."""

from __future__ import annotations

import json

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot import handlers
from bot.context import BotContext, Services
from bot.outbox.limiter import NO_LIMITS, Limits, SendPath
from bot.processor import OrderedUpdateProcessor, UpdateTurn
from bot.request import AiohttpRequest

# Updates handled at once, and HTTP connections for their replies and the outbox's sends. A request
# that finds no free connection waits up to POOL_TIMEOUT seconds for one (PTB's default is 1 s).
MAX_WORKING = 16
CONNECTIONS = 32
POOL_TIMEOUT = 10.0


def _turn(services: Services) -> UpdateTurn | None:
    """Webhook mode: updates come through the inbox (bot/store/inbox.py), each handled once, in its
    chat's turn across processes."""
    return services.store.db.update_turn if services.settings.webhook_mode else None


def build_application(
    services: Services,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    send_path: SendPath | None = None,
) -> Application:
    """The bot's Application: handlers, HTML by default, per-chat ordered concurrency, and every Bot
    API call through the one send path (Telegram's limits, priorities, 429s waited out)."""
    settings = services.settings
    send_path = send_path or SendPath(Limits() if settings.send_limits else NO_LIMITS)
    processor = OrderedUpdateProcessor(MAX_WORKING, clock=send_path.clock, turn=_turn(services))
    builder = (
        Application.builder()
        .token(settings.bot_token)
        .base_url(settings.telegram_api_url)
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
        )
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(processor)
        .rate_limiter(send_path)
    )
    if request is None:  # Telegram, or the emulator's HTTP front
        request, updates_request = AiohttpRequest(CONNECTIONS, pool_timeout=POOL_TIMEOUT), AiohttpRequest()
    builder = builder.request(request).get_updates_request(updates_request or request)
    app = builder.build()
    processor.handle_json = lambda body: app.process_update(Update.de_json(json.loads(body), app.bot))
    app.bot_data["services"] = services
    handlers.register(app)
    return app
