"""server_decks: save (insert or replace), read back, list every server's, delete."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.core.library import StoredDeck
from bot.store.db import Database
from bot.store.server_decks import delete_server_deck, get_server_deck, list_server_decks, save_server_deck

AT = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def stored(guild_id: int, deck_id: str, title: str = "T") -> StoredDeck:
    return StoredDeck(guild_id, deck_id, title, f"title: {title}\n", "recall", f"{deck_id}.yaml", 3, 42, AT)


async def save(db: Database, deck: StoredDeck) -> bool:
    return await db.atomic(lambda conn: save_server_deck(conn, deck))


async def delete(db: Database, guild_id: int, deck_id: str) -> bool:
    return await db.atomic(lambda conn: delete_server_deck(conn, guild_id, deck_id))


async def test_save_replace_list_delete(db: Database) -> None:
    assert await save(db, stored(1, "a")) is False
    assert await save(db, stored(1, "a", "New title")) is True
    await save(db, stored(1, "b"))
    await save(db, stored(2, "a"))
    assert await get_server_deck(db, 1, "a") == stored(1, "a", "New title")
    assert [(d.guild_id, d.deck_id) for d in await list_server_decks(db)] == [(1, "a"), (1, "b"), (2, "a")]
    assert await delete(db, 1, "a") is True
    assert await delete(db, 1, "a") is False
    assert await get_server_deck(db, 1, "a") is None
    assert await get_server_deck(db, 2, "a") is not None
