"""Schema changes, in order. Never edit an applied migration: add a new one."""

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_users",
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            first_name TEXT NOT NULL DEFAULT '',
            telegram_language TEXT,
            language TEXT,
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            blocked INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX users_last_seen ON users (last_seen)
        """,
    ),
]
