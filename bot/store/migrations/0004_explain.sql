-- /explain: the prompt each member has open (one at a time, so it survives a restart) and every graded attempt.
CREATE TABLE explain_open (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    deck_id     TEXT    NOT NULL,
    prompt_id   TEXT    NOT NULL,
    -- Carried by the buttons and the modal: a click on an older prompt's message, or a second submit, finds no match.
    nonce       TEXT    NOT NULL,
    hint_used   INTEGER NOT NULL DEFAULT 0 CHECK (hint_used IN (0, 1)),
    public      INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1)),
    channel_id  INTEGER,
    message_id  INTEGER,
    opened_at   TEXT    NOT NULL,
    answered_at TEXT,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE explain_attempts (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    deck_id       TEXT    NOT NULL,
    prompt_id     TEXT    NOT NULL,
    text          TEXT    NOT NULL,
    hit           INTEGER NOT NULL,
    total         INTEGER NOT NULL,
    concepts_json TEXT    NOT NULL,  -- [{"name": …, "hit": true}, …] in the prompt's order
    hint_used     INTEGER NOT NULL CHECK (hint_used IN (0, 1)),
    rating        INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    nonce         TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    UNIQUE (guild_id, user_id, nonce)  -- one attempt per shown prompt, however often the modal is submitted
);
CREATE INDEX explain_attempts_member ON explain_attempts (guild_id, user_id, created_at);
CREATE INDEX explain_attempts_guild_time ON explain_attempts (guild_id, created_at);
