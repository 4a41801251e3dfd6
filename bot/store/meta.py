"""Small key/value facts about this installation (e.g. the last synced command set)."""
from __future__ import annotations

from bot.store.api import Connection, Store
from bot.store.sql import upsert


async def get_meta(db: Store, key: str) -> str | None:
    row = await db.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
    return row["value"] if row else None


async def set_meta(db: Store, key: str, value: str) -> None:
    async def body(conn: Connection) -> None:
        await conn.execute(upsert("meta", ("key", "value"), ("key",)), (key, value))

    await db.atomic(body)
