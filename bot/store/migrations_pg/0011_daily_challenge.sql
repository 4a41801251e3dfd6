-- PostgreSQL twin of migrations/0011_daily_challenge.sql (types as in 0001's header).
CREATE TABLE daily_challenges (
    guild_id     BIGINT PRIMARY KEY,
    channel_id   BIGINT NOT NULL,
    local_time   TEXT COLLATE "C" NOT NULL,
    deck_id      TEXT COLLATE "C" NOT NULL,
    questions    BIGINT NOT NULL,
    seconds      BIGINT NOT NULL,
    enabled      BIGINT NOT NULL DEFAULT 1,
    next_run_at  TEXT COLLATE "C",
    last_run_at  TEXT COLLATE "C",
    off_reason   TEXT COLLATE "C",
    note_pending BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX daily_challenges_due ON daily_challenges (enabled, next_run_at);

CREATE TABLE challenge_questions (
    guild_id    BIGINT NOT NULL,
    deck_id     TEXT COLLATE "C" NOT NULL,
    question_id TEXT COLLATE "C" NOT NULL,
    cycle       BIGINT NOT NULL,
    asked_at    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (guild_id, deck_id, question_id)
);
