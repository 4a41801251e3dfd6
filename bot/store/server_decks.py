"""Server decks: every SQL statement touching `server_decks` (a server's own uploaded decks)."""
from __future__ import annotations

from typing import Any

from bot.core.clock import from_text, to_text
from bot.core.library import StoredDeck
from bot.store.api import Connection, Store
from bot.store.sql import upsert

_COLUMNS = "guild_id, deck_id, title, yaml_text, source_format, source_name, item_count, uploaded_by, uploaded_at"
_SAVE = upsert("server_decks", _COLUMNS.split(", "), ("guild_id", "deck_id"))


def _stored(row: Any) -> StoredDeck:
    return StoredDeck(row["guild_id"], row["deck_id"], row["title"], row["yaml_text"], row["source_format"],
                      row["source_name"], row["item_count"], row["uploaded_by"], from_text(row["uploaded_at"]))


async def save_server_deck(conn: Connection, deck: StoredDeck) -> bool:
    """Insert or replace a server's deck (inside a transaction); returns True when it replaced one with the same id."""
    async with conn.execute("SELECT 1 FROM server_decks WHERE guild_id = ? AND deck_id = ?",
                            (deck.guild_id, deck.deck_id)) as cur:
        existed = await cur.fetchone() is not None
    await conn.execute(
        _SAVE,
        (deck.guild_id, deck.deck_id, deck.title, deck.yaml_text, deck.source_format, deck.source_name,
         deck.item_count, deck.uploaded_by, to_text(deck.uploaded_at)),
    )
    return existed


async def get_server_deck(db: Store, guild_id: int, deck_id: str) -> StoredDeck | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM server_decks WHERE guild_id = ? AND deck_id = ?",
                            (guild_id, deck_id))
    return None if row is None else _stored(row)


async def list_server_decks(db: Store) -> list[StoredDeck]:
    """Every server's decks (start-up loads them all into the library)."""
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM server_decks ORDER BY guild_id, deck_id")
    return [_stored(row) for row in rows]


async def delete_server_deck(conn: Connection, guild_id: int, deck_id: str) -> bool:
    """Delete a server's deck (inside a transaction); False when there was none."""
    cur = await conn.execute("DELETE FROM server_decks WHERE guild_id = ? AND deck_id = ? RETURNING 1",
                             (guild_id, deck_id))
    return await cur.fetchone() is not None
