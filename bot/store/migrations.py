"""Schema changes, in order. Never edit an applied migration: add a new one.

Each migration is a name and its statements in SQLite's SQL, which bot/store/dialect.py rewrites for
PostgreSQL (INTEGER as BIGINT, generated ids, NOCASE as lower()). Where no rewrite can express a
change, give both texts: `("0042_name", {"sqlite": "...", "postgresql": "..."})`. Both engines record
applied migrations by name in the same `schema_migrations` table.
"""

MIGRATIONS: list[tuple[str, str | dict[str, str]]] = [
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
    (
        "0002_drafts",
        """
        CREATE TABLE drafts (
            user_id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL,
            flow TEXT NOT NULL,
            token TEXT NOT NULL,
            step TEXT NOT NULL,
            answers TEXT NOT NULL DEFAULT '{}',
            path TEXT NOT NULL DEFAULT '[]',
            editing INTEGER NOT NULL DEFAULT 0,
            last_message_id INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX drafts_updated_at ON drafts (updated_at)
        """,
    ),
    (
        "0003_registrations",
        """
        CREATE TABLE registrations (
            user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
            phone TEXT NOT NULL,
            province TEXT NOT NULL,
            district TEXT NOT NULL,
            village TEXT NOT NULL,
            consent_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX registrations_place ON registrations (province, district, village);
        CREATE TABLE workers (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES registrations (user_id) ON DELETE CASCADE,
            relation TEXT NOT NULL,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,
            country TEXT NOT NULL,
            stage TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (user_id, name_key)
        );
        CREATE INDEX workers_country_stage ON workers (country, stage)
        """,
    ),
    (
        "0004_feedback_unanswered",
        """
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            user_id INTEGER,
            entry_id TEXT NOT NULL,
            lang TEXT NOT NULL,
            helpful INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX feedback_entry ON feedback (entry_id);
        CREATE TABLE unanswered (
            question TEXT NOT NULL,
            lang TEXT NOT NULL,
            count INTEGER NOT NULL,
            first_at INTEGER NOT NULL,
            last_at INTEGER NOT NULL,
            PRIMARY KEY (question, lang)
        );
        CREATE INDEX unanswered_last_at ON unanswered (last_at)
        """,
    ),
    (
        "0005_cases",
        """
        CREATE TABLE cases (
            id INTEGER PRIMARY KEY,
            reference TEXT NOT NULL UNIQUE,
            user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
            category TEXT NOT NULL,
            urgent INTEGER NOT NULL DEFAULT 0,
            subject TEXT NOT NULL,
            worker_id INTEGER REFERENCES workers (id) ON DELETE SET NULL,
            country TEXT,
            description TEXT,
            contact_method TEXT NOT NULL,
            contact_phone TEXT,
            lang TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'new',
            assignee INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX cases_user_created ON cases (user_id, created_at);
        CREATE INDEX cases_status_updated ON cases (status, updated_at);
        CREATE INDEX cases_created ON cases (created_at);
        CREATE TABLE case_events (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            actor INTEGER,
            body TEXT,
            old_status TEXT,
            new_status TEXT,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX case_events_case ON case_events (case_id, id);
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            event_id INTEGER REFERENCES case_events (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            file_id TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX attachments_case ON attachments (case_id)
        """,
    ),
    (
        "0006_outbox",
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            priority INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            method TEXT NOT NULL,
            payload TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT '',
            ref INTEGER,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            result TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX outbox_due ON outbox (status, priority, not_before, id);
        CREATE INDEX outbox_kind_ref ON outbox (kind, ref, status);
        CREATE TABLE settings_kv (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        )
        """,
    ),
    (
        "0007_casework",
        """
        CREATE TABLE case_messages (
            chat_id INTEGER NOT NULL,
            message_id INTEGER NOT NULL,
            case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (chat_id, message_id)
        );
        CREATE INDEX case_messages_case ON case_messages (case_id, kind);
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            actor INTEGER NOT NULL,
            action TEXT NOT NULL,
            case_id INTEGER REFERENCES cases (id) ON DELETE SET NULL,
            detail TEXT,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX audit_case ON audit (case_id, id);
        CREATE INDEX cases_assignee ON cases (assignee, status);
        CREATE INDEX cases_urgent ON cases (urgent, status)
        """,
    ),
    (
        "0008_outbox_queue",
        """
        CREATE INDEX outbox_queue ON outbox (priority, id) WHERE status = 'pending';
        CREATE INDEX outbox_next ON outbox (not_before) WHERE status = 'pending'
        """,
    ),
    (
        "0009_broadcasts",
        """
        CREATE TABLE broadcasts (
            id INTEGER PRIMARY KEY,
            created_by INTEGER NOT NULL,
            html TEXT NOT NULL,
            photo TEXT,
            audience TEXT NOT NULL,
            recipients INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL,
            scheduled_at INTEGER,
            started_at INTEGER,
            finished_at INTEGER,
            progress_chat INTEGER,
            progress_message INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX broadcasts_status ON broadcasts (status, scheduled_at);
        ALTER TABLE users ADD COLUMN opted_out INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX users_reachable ON users (blocked, opted_out);
        CREATE INDEX workers_user ON workers (user_id)
        """,
    ),
    (
        # bench/store.py: broadcast segment counts took 44-75 ms on 100,000 users; now each <= 17 ms.
        # users_audience indexes the language expression of bot/store/broadcasts.py exactly.
        "0010_audience_indexes",
        """
        CREATE INDEX users_audience ON users (blocked, opted_out, (CASE WHEN language IN ('id', 'en')
            THEN language WHEN substr(telegram_language, 1, 2) IN ('id', 'en')
            THEN substr(telegram_language, 1, 2) END));
        DROP INDEX users_reachable;
        CREATE INDEX registrations_place_nocase ON registrations
            (province COLLATE NOCASE, district COLLATE NOCASE, village COLLATE NOCASE);
        DROP INDEX registrations_place;
        CREATE INDEX users_first_seen ON users (first_seen);
        CREATE INDEX cases_listing ON cases (urgent, updated_at)
        """,
    ),
    (
        # Retention: finished broadcasts keep their outcome after their outbox rows are purged, and
        # the hourly purge finds old finished rows and resolved cases not yet erased from indexes.
        "0011_retention",
        """
        ALTER TABLE broadcasts ADD COLUMN outcome TEXT;
        CREATE INDEX outbox_done ON outbox (updated_at) WHERE status NOT IN ('pending', 'sending');
        CREATE INDEX cases_to_purge ON cases (updated_at) WHERE status = 'resolved'
            AND (user_id IS NOT NULL OR description IS NOT NULL OR contact_phone IS NOT NULL)
        """,
    ),
    (
        # Webhook mode: Telegram may deliver an update again (to another process); its ID is
        # recorded so it is handled once. Rows older than a day are purged (Telegram keeps 24 h).
        "0012_processed_updates",
        """
        CREATE TABLE processed_updates (
            update_id INTEGER PRIMARY KEY,
            processed_at INTEGER NOT NULL
        );
        CREATE INDEX processed_updates_at ON processed_updates (processed_at)
        """,
    ),
    (
        # Issue 17. A form set aside while a report or an urgent case goes first, resumed afterwards
        # (one per user and flow); and how far an urgent case nobody took has been escalated
        # (0 none, 1 staff alerted again, 2 every staff member mentioned): state in the store, so the
        # escalation survives a restart.
        "0013_urgent_escalation",
        """
        CREATE TABLE paused_drafts (
            user_id INTEGER NOT NULL,
            flow TEXT NOT NULL,
            draft TEXT NOT NULL,
            paused_at INTEGER NOT NULL,
            PRIMARY KEY (user_id, flow)
        );
        CREATE INDEX paused_drafts_at ON paused_drafts (paused_at);
        ALTER TABLE cases ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX cases_unattended ON cases (created_at) WHERE urgent = 1 AND status = 'new'
            AND assignee IS NULL AND escalated < 2
        """,
    ),
    (
        # Issue 18: a file keeps the words sent with it; a reporter's choice of the case their plain
        # messages go to (bot/store/conversations.py).
        "0014_conversation",
        """
        ALTER TABLE attachments ADD COLUMN caption TEXT;
        CREATE TABLE conversations (
            user_id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            chosen_at INTEGER NOT NULL
        )
        """,
    ),
    (
        # Issue 19: staff roles live here (admins also come from STAFF_IDS at every start), each with
        # the places they serve; a case keeps its reporter's place for routing and scope; broadcasts
        # of someone no longer staff are held until an admin decides.
        "0015_roles_staff",
        """
        CREATE TABLE staff (
            user_id INTEGER PRIMARY KEY,
            env_admin INTEGER NOT NULL DEFAULT 0,
            role TEXT CHECK (role IN ('admin', 'staff', 'officer')),
            added_by INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE staff_places (
            user_id INTEGER NOT NULL REFERENCES staff (user_id) ON DELETE CASCADE,
            district TEXT NOT NULL COLLATE NOCASE,
            village TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
            PRIMARY KEY (user_id, district, village)
        );
        CREATE TABLE district_chats (
            district TEXT PRIMARY KEY COLLATE NOCASE,
            chat_id INTEGER NOT NULL,
            thread_id INTEGER,
            set_by INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE case_places (
            case_id INTEGER PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
            district TEXT NOT NULL COLLATE NOCASE,
            village TEXT NOT NULL DEFAULT '' COLLATE NOCASE
        );
        CREATE INDEX case_places_district ON case_places (district, village);
        CREATE TABLE broadcast_holds (
            broadcast_id INTEGER PRIMARY KEY REFERENCES broadcasts (id) ON DELETE CASCADE,
            resume_status TEXT NOT NULL,
            held_at INTEGER NOT NULL,
            notified INTEGER NOT NULL DEFAULT 0,
            decided_by INTEGER,
            decided_at INTEGER
        );
        CREATE TABLE case_reminders (
            case_id INTEGER PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
            reminded_at INTEGER NOT NULL,
            count INTEGER NOT NULL DEFAULT 1
        )
        """,
    ),
    (
        # Issue 19: closing the loop. A reporter is asked once to rate the help (1-5) after a case is
        # resolved; an idle case closed on its own can be reopened by the reporter with one tap.
        "0015_roles_staff_loop",
        """
        CREATE TABLE case_ratings (
            case_id INTEGER PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
            asked_at INTEGER NOT NULL,
            rating INTEGER CHECK (rating BETWEEN 1 AND 5),
            rated_at INTEGER
        );
        CREATE TABLE case_closures (
            case_id INTEGER PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
            closed_at INTEGER NOT NULL,
            undone_at INTEGER
        )
        """,
    ),
    (
        # Issue 23: dates per registered worker and the reminders claimed for them. A reminder is
        # claimed (one row, unique per worker, kind, date, offset and snooze round) in the
        # transaction that queues its outbox row, so it is sent at most once across restarts and
        # processes. Both tables hang off workers, so /deletedata and retention (which delete
        # registrations) remove them.
        "0016_reminders_dates",
        """
        CREATE TABLE worker_dates (
            id INTEGER PRIMARY KEY,
            worker_id INTEGER NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            day TEXT NOT NULL,
            next_days INTEGER,
            next_at INTEGER,
            round INTEGER NOT NULL DEFAULT 0,
            stopped INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (worker_id, kind)
        );
        CREATE INDEX worker_dates_next ON worker_dates (next_at) WHERE next_at IS NOT NULL;
        CREATE INDEX worker_dates_day ON worker_dates (kind, day);
        CREATE TABLE reminders_sent (
            worker_id INTEGER NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            day TEXT NOT NULL,
            days INTEGER NOT NULL,
            round INTEGER NOT NULL,
            status TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (worker_id, kind, day, days, round)
        ) WITHOUT ROWID
        """,
    ),
    (
        # Erasure (issue 20): a case whose personal data is gone keeps a shell (erased_at says when);
        # /deletedata may keep an open case until it is closed (erase_on_close); retention warns staff
        # about an open case idle past retention (idle_warned_at) before closing and purging it.
        # case_messages.erase_pending marks copies in staff chats whose erasure is not queued yet.
        # case_messages.kind 'file' marks copies that carry a file (edited by caption, not text).
        # outbox_case_rows finds a case's rows without scanning broadcasts (one erasure with 300,000
        # broadcast rows queued: 59 -> 33 ms; the rest is the scan by chat_id) and costs broadcasts
        # nothing. An index on chat_id would take it to 3 ms but slow broadcast queueing by 5-20 %.
        "0017_erasure",
        """
        ALTER TABLE cases ADD COLUMN erased_at INTEGER;
        ALTER TABLE cases ADD COLUMN erase_on_close INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE cases ADD COLUMN idle_warned_at INTEGER;
        CREATE INDEX cases_open_idle ON cases (updated_at) WHERE status IN ('new', 'in_progress', 'referred');
        CREATE INDEX outbox_case_rows ON outbox (ref) WHERE ref IS NOT NULL AND kind != 'broadcast';
        ALTER TABLE case_messages ADD COLUMN erase_pending INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX case_messages_erase ON case_messages (erase_pending) WHERE erase_pending = 1
        """,
    ),
    (
        # Issue 18: one forum topic per case when the staff chat is a forum (bot/store/topics.py);
        # erasing a case removes its row (bot/store/privacy.py).
        "0018_forum_topics",
        """
        CREATE TABLE case_topics (
            case_id INTEGER PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
            chat_id INTEGER NOT NULL,
            thread_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            closed INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            UNIQUE (chat_id, thread_id)
        )
        """,
    ),
    (
        # The newest paused draft comes first even within one second: `seq` counts a user's pauses
        # (SQLite's rowid did this, but PostgreSQL rows have none). Existing rows keep their order.
        "0018_paused_drafts_order",
        {
            "sqlite": "ALTER TABLE paused_drafts ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;"
            " UPDATE paused_drafts SET seq = rowid",
            "postgresql": "ALTER TABLE paused_drafts ADD COLUMN seq BIGINT NOT NULL DEFAULT 0",
        },
    ),
    (
        # Webhook mode (issue 22): an update is written here before Telegram is answered 200, so a
        # process killed with -9 loses nothing it accepted (bot/webhook.py). The primary key is the
        # dedup that processed_updates did; `body` (the update's JSON, personal data) is cleared once
        # the update is handled, and handled rows are purged after a day (Telegram keeps updates
        # 24 hours). `accepted_by` names the process that accepted it; `attempts` counts the times
        # another process (or a restart) took it over, so an update that crashes every process is
        # given up instead of retried for ever.
        "0019_webhook_inbox",
        """
        CREATE TABLE webhook_inbox (
            update_id INTEGER PRIMARY KEY,
            chat_key INTEGER,
            body TEXT,
            accepted_by TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0,
            received_at INTEGER NOT NULL,
            handled_at INTEGER
        );
        CREATE INDEX webhook_inbox_pending ON webhook_inbox (chat_key, update_id) WHERE handled_at IS NULL;
        CREATE INDEX webhook_inbox_handled ON webhook_inbox (handled_at) WHERE handled_at IS NOT NULL;
        INSERT INTO webhook_inbox (update_id, received_at, handled_at)
            SELECT update_id, processed_at, processed_at FROM processed_updates;
        DROP TABLE processed_updates
        """,
    ),
    (
        # A case can become urgent after it was opened (a later message from the reporter reads as
        # danger): escalation counts from when it became urgent (urgent_at), not from its opening.
        "0020_urgent_since",
        """
        ALTER TABLE cases ADD COLUMN urgent_at INTEGER;
        UPDATE cases SET urgent_at = created_at WHERE urgent = 1;
        DROP INDEX cases_unattended;
        CREATE INDEX cases_unattended ON cases (urgent_at) WHERE urgent = 1 AND status = 'new'
            AND assignee IS NULL AND escalated < 2
        """,
    ),
]
