"""The smallest PTB bot worth comparing with: /start answers with an inline keyboard.

bench/load.py runs it as its own process against the emulator, as the baseline for throughput.
With MINIMAL_RATE_LIMITER=1 (the Telegram-limits mode) it is what a newcomer would write after
reading PTB's wiki on flood limits: AIORateLimiter with retries, buttons that edit the message,
and a fixed answer to any text.

    TELEGRAM_API_URL=http://127.0.0.1:PORT/bot BOT_TOKEN=... python bench/minimal_bot.py
"""

from __future__ import annotations

import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Menu", callback_data="menu")],
        [InlineKeyboardButton("Help", callback_data="help")],
    ]
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet and show a keyboard."""
    await update.effective_message.reply_text(
        f"Halo, {update.effective_user.first_name}!", reply_markup=KEYBOARD
    )


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press and show the pressed screen in place."""
    query = update.callback_query
    await query.answer()
    await query.edit_message_text(f"{query.data.title()} screen", reply_markup=KEYBOARD)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text: one fixed answer."""
    await update.effective_message.reply_text("Terima kasih, pertanyaan Anda kami terima.")


def main() -> None:
    token, base_url = os.environ["BOT_TOKEN"], os.environ["TELEGRAM_API_URL"]
    builder = Application.builder().token(token).base_url(base_url).concurrent_updates(True)
    if os.environ.get("MINIMAL_RATE_LIMITER") == "1":
        builder = builder.rate_limiter(AIORateLimiter(max_retries=5))
    app = builder.build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(press))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, answer))
    app.run_polling(allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY])


if __name__ == "__main__":
    main()
