-- PostgreSQL twin of migrations/0010_reminders.sql (types as in 0001's header).
CREATE TABLE reminders (
    user_id      BIGINT PRIMARY KEY,
    guild_id     BIGINT NOT NULL,
    local_time   TEXT COLLATE "C" NOT NULL,
    enabled      BIGINT NOT NULL DEFAULT 1,
    next_send_at TEXT COLLATE "C" NOT NULL,
    last_sent_at TEXT COLLATE "C",
    off_reason   TEXT COLLATE "C",
    note_pending BIGINT NOT NULL DEFAULT 0,
    dm_channel_id BIGINT
);
CREATE INDEX reminders_due ON reminders (enabled, next_send_at);
