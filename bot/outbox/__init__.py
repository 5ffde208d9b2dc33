"""Telegram out, on the bot's own initiative: the worker that sends every queued message (worker.py),
the messages about cases (notices.py), broadcasts (broadcaster.py), and what a sent message means
for a case (hooks.py)."""
