-- /quiz: rounds, the questions they posted (with the shown choice order) and every answer.
-- Enough is stored while a round runs that a restart can grade the open question and close the round.

CREATE TABLE quiz_rounds (
    id                      INTEGER PRIMARY KEY,
    guild_id                INTEGER NOT NULL,
    channel_id              INTEGER NOT NULL,
    deck_id                 TEXT    NOT NULL,
    starter_id              INTEGER NOT NULL,
    question_count          INTEGER NOT NULL CHECK (question_count >= 1),
    seconds                 REAL    NOT NULL CHECK (seconds > 0),
    announcement_message_id INTEGER,
    status                  TEXT    NOT NULL DEFAULT 'running'
                            CHECK (status IN ('running', 'finished', 'stopped', 'idle', 'interrupted', 'failed')),
    started_at              TEXT    NOT NULL,
    ended_at                TEXT
);
CREATE INDEX quiz_rounds_running ON quiz_rounds (status) WHERE status = 'running';

-- One row per posted question; `snapshot_json` keeps the question as shown (choices in the shuffled order, answer,
-- explanation), so grading after a restart does not depend on the deck being unchanged.
CREATE TABLE quiz_questions (
    round_id       INTEGER NOT NULL REFERENCES quiz_rounds (id) ON DELETE CASCADE,
    question_index INTEGER NOT NULL,
    question_id    TEXT    NOT NULL,
    snapshot_json  TEXT    NOT NULL,
    message_id     INTEGER,
    opened_at      TEXT    NOT NULL,
    closes_at      TEXT    NOT NULL,
    closed_at      TEXT,
    PRIMARY KEY (round_id, question_index)
);

-- Every graded answer (bots never get a row). Read by /leaderboard (points, accuracy) and /study (correct = 0 rows are
-- a member's misses). No foreign key on purpose: other features' tests insert rows here directly.
CREATE TABLE quiz_answers (
    id             INTEGER PRIMARY KEY,
    round_id       INTEGER NOT NULL,
    question_index INTEGER NOT NULL,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    deck_id        TEXT    NOT NULL,
    question_id    TEXT    NOT NULL,
    letter         TEXT    NOT NULL DEFAULT '',
    choice         TEXT    NOT NULL DEFAULT '',
    correct        INTEGER NOT NULL CHECK (correct IN (0, 1)),
    response_ms    INTEGER NOT NULL DEFAULT 0,
    points         INTEGER NOT NULL DEFAULT 0,
    answered_at    TEXT    NOT NULL,
    UNIQUE (round_id, question_index, user_id)
);
CREATE INDEX quiz_answers_guild_time ON quiz_answers (guild_id, answered_at);
CREATE INDEX quiz_answers_misses ON quiz_answers (guild_id, user_id, deck_id) WHERE correct = 0;
