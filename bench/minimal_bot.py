"""The smallest PTB bot worth comparing with: /start answers with an inline keyboard.

bench/load.py runs it as its own process against the emulator, as the baseline for throughput.

    TELEGRAM_API_URL=http://127.0.0.1:PORT/bot BOT_TOKEN=... python bench/minimal_bot.py
"""

from __future__ import annotations

import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler, ContextTypes

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


def main() -> None:
    token, base_url = os.environ["BOT_TOKEN"], os.environ["TELEGRAM_API_URL"]
    app = Application.builder().token(token).base_url(base_url).concurrent_updates(True).build()
    app.add_handler(CommandHandler("start", start))
    app.run_polling(allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY])


if __name__ == "__main__":
    main()
