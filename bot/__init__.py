"""A Telegram helpdesk for Indonesian migrant workers (PMI) and their families."""
