-- Decks a server uploaded with /decks upload. Only that server sees them. `yaml_text` is a Recall deck file (the
-- uploaded one, or what an importer produced from another format), parsed again at start-up like a shipped deck.
CREATE TABLE server_decks (
    guild_id      INTEGER NOT NULL,
    deck_id       TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    yaml_text     TEXT    NOT NULL,
    source_format TEXT    NOT NULL,
    source_name   TEXT    NOT NULL,
    item_count    INTEGER NOT NULL,
    uploaded_by   INTEGER NOT NULL,
    uploaded_at   TEXT    NOT NULL,
    PRIMARY KEY (guild_id, deck_id)
);
