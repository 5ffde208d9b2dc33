"""A Telegram helpdesk for Indonesian migrant workers (PMI) and their families."""

import os

# python-telegram-bot 22 warns on every RetryAfter unless it may report retry_after as a timedelta;
# the bot handles both, so it opts in to the new behaviour.
os.environ.setdefault("PTB_TIMEDELTA", "1")
