-- Shared tables: key/value state, per-server settings, members' last known names, the activity log.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE guild_settings (
    guild_id          INTEGER PRIMARY KEY,
    timezone          TEXT,
    daily_minimum     INTEGER NOT NULL DEFAULT 1,
    desired_retention REAL    NOT NULL DEFAULT 0.9,
    new_card_limit    INTEGER NOT NULL DEFAULT 20,
    board_reset_at    TEXT
);

CREATE TABLE members (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    display_name TEXT    NOT NULL,
    timezone     TEXT,
    hide_streak  INTEGER NOT NULL DEFAULT 0,
    last_deck    TEXT,
    updated_at   TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- One row per study rating, quiz answer or explain attempt; streaks are derived from it.
CREATE TABLE activity (
    id       INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    kind     TEXT    NOT NULL CHECK (kind IN ('study', 'quiz', 'explain')),
    at       TEXT    NOT NULL
);
CREATE INDEX activity_member ON activity (guild_id, user_id, at);

-- Spaced-repetition state of one item (a card, a missed quiz question, an explain prompt) for one member.
CREATE TABLE srs_state (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    deck_id     TEXT    NOT NULL,
    item_id     TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('card', 'quiz', 'explain')),
    card_json   TEXT    NOT NULL,
    due         TEXT    NOT NULL,
    reps        INTEGER NOT NULL DEFAULT 0,
    lapses      INTEGER NOT NULL DEFAULT 0,
    first_seen  TEXT    NOT NULL,
    last_review TEXT,
    PRIMARY KEY (guild_id, user_id, deck_id, item_id)
);
CREATE INDEX srs_due ON srs_state (guild_id, user_id, due);

-- Every rating ever given, for stats and retention.
CREATE TABLE reviews (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    deck_id     TEXT    NOT NULL,
    item_id     TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    reviewed_at TEXT    NOT NULL,
    due_after   TEXT    NOT NULL
);
CREATE INDEX reviews_member ON reviews (guild_id, user_id, reviewed_at);
CREATE INDEX reviews_guild_time ON reviews (guild_id, reviewed_at);
