-- The daily challenge (bot/store/challenge.py): at most one per server, a /quiz round posted in channel_id every day
-- at local_time ('HH:MM' in the server's zone). next_run_at is the next run (fixed-width UTC text), moved to the
-- next day's time by the scheduler's claim before the round starts, so two processes or a restart never post twice.
-- off_reason: why the bot turned it off ('channel_missing', 'deck_missing', 'missing_permissions:<names>'), NULL
-- when an admin did; note_pending: the admins are still to be told (once) why.
CREATE TABLE daily_challenges (
    guild_id     INTEGER PRIMARY KEY,
    channel_id   INTEGER NOT NULL,
    local_time   TEXT    NOT NULL,
    deck_id      TEXT    NOT NULL,
    questions    INTEGER NOT NULL,
    seconds      INTEGER NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 1,
    next_run_at  TEXT,
    last_run_at  TEXT,
    off_reason   TEXT,
    note_pending INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX daily_challenges_due ON daily_challenges (enabled, next_run_at);

-- The questions the daily challenge asked per server and deck, so none repeats within the deck until all were asked:
-- each question's last cycle (bot.core.challenge.choose_questions) and when it was asked.
CREATE TABLE challenge_questions (
    guild_id    INTEGER NOT NULL,
    deck_id     TEXT    NOT NULL,
    question_id TEXT    NOT NULL,
    cycle       INTEGER NOT NULL,
    asked_at    TEXT    NOT NULL,
    PRIMARY KEY (guild_id, deck_id, question_id)
) WITHOUT ROWID;
