-- PostgreSQL twin of migrations/0002_study.sql (types as in 0001_initial.sql).
-- The study session each member has open in a server: the card on screen and the token its buttons carry.
-- A rating is accepted only while `token` still matches, and the same transaction moves the session on to the
-- next card (new token), so a double click or a stale message can never record a second review.
CREATE TABLE study_sessions (
    guild_id   BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    deck_id    TEXT COLLATE "C" NOT NULL,
    item_id    TEXT COLLATE "C",            -- the item on screen; NULL once the session ended
    item_kind  TEXT COLLATE "C" CHECK (item_kind IN ('card', 'quiz')),
    token      TEXT COLLATE "C" NOT NULL,   -- changes whenever another item is shown
    shown_at   TEXT COLLATE "C" NOT NULL,
    available  BIGINT NOT NULL DEFAULT 0,   -- items studiable when this one was shown (for "card 3 of 12")
    reviewed   BIGINT NOT NULL DEFAULT 0,   -- ratings in this session
    again      BIGINT NOT NULL DEFAULT 0,   -- of which Again
    started_at TEXT COLLATE "C" NOT NULL,
    channel_id BIGINT,
    message_id BIGINT,
    PRIMARY KEY (guild_id, user_id)
);
