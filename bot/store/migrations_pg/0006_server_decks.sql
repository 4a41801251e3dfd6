-- PostgreSQL twin of migrations/0006_server_decks.sql (types as in 0001_initial.sql).
-- Decks a server uploaded with /decks upload. Only that server sees them. `yaml_text` is a Recall deck file (the
-- uploaded one, or what an importer produced from another format), parsed again at start-up like a shipped deck.
CREATE TABLE server_decks (
    guild_id      BIGINT NOT NULL,
    deck_id       TEXT COLLATE "C" NOT NULL,
    title         TEXT COLLATE "C" NOT NULL,
    yaml_text     TEXT COLLATE "C" NOT NULL,
    source_format TEXT COLLATE "C" NOT NULL,
    source_name   TEXT COLLATE "C" NOT NULL,
    item_count    BIGINT NOT NULL,
    uploaded_by   BIGINT NOT NULL,
    uploaded_at   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (guild_id, deck_id)
);
