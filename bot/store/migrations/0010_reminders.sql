-- Streak reminders by direct message (bot/store/reminders.py): at most one row per member, whatever servers they are
-- in, tied to the server where /remind on was last used. local_time is 'HH:MM' in the member's zone for that server;
-- next_send_at the next moment to send (fixed-width UTC text), moved to the next day's time by the sender's claim
-- before it sends, so two processes or a restart never send twice. off_reason: 'user', 'dms_closed' or 'left';
-- note_pending: the member is still to be told (once) why their reminders were switched off. dm_channel_id: the
-- member's DM channel once known (it never changes), so a reminder after a restart costs one request fewer.
CREATE TABLE reminders (
    user_id      INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    local_time   TEXT    NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 1,
    next_send_at TEXT    NOT NULL,
    last_sent_at TEXT,
    off_reason   TEXT,
    note_pending INTEGER NOT NULL DEFAULT 0,
    dm_channel_id INTEGER
);
CREATE INDEX reminders_due ON reminders (enabled, next_send_at);
