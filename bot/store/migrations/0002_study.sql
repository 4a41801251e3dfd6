-- The study session each member has open in a server: the card on screen and the token its buttons carry.
-- A rating is accepted only while `token` still matches, and the same transaction moves the session on to the
-- next card (new token), so a double click or a stale message can never record a second review.
CREATE TABLE study_sessions (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    deck_id    TEXT    NOT NULL,
    item_id    TEXT,                 -- the item on screen; NULL once the session ended
    item_kind  TEXT    CHECK (item_kind IN ('card', 'quiz')),
    token      TEXT    NOT NULL,     -- changes whenever another item is shown
    shown_at   TEXT    NOT NULL,
    available  INTEGER NOT NULL DEFAULT 0,  -- items studiable when this one was shown (for "card 3 of 12")
    reviewed   INTEGER NOT NULL DEFAULT 0,  -- ratings in this session
    again      INTEGER NOT NULL DEFAULT 0,  -- of which Again
    started_at TEXT    NOT NULL,
    channel_id INTEGER,
    message_id INTEGER,
    PRIMARY KEY (guild_id, user_id)
);
