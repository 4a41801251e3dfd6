"""Members as Recall knows them: last known name (boards show members who left), personal preferences."""
from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.core.clock import to_text, utcnow
from bot.store.db import Connection, Database


@dataclass(frozen=True, slots=True)
class MemberPrefs:
    guild_id: int
    user_id: int
    display_name: str
    timezone: str | None = None
    hide_streak: bool = False
    last_deck: str | None = None


async def remember_member(conn: aiosqlite.Connection, guild_id: int, user_id: int, display_name: str) -> None:
    """Record the member's current name; call inside the transaction that stores their activity."""
    await conn.execute(
        "INSERT INTO members (guild_id, user_id, display_name, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (guild_id, user_id) DO UPDATE SET display_name = excluded.display_name, "
        "updated_at = excluded.updated_at",
        (guild_id, user_id, display_name, to_text(utcnow())),
    )


async def get_member(db: Database, guild_id: int, user_id: int) -> MemberPrefs | None:
    row = await db.fetchone(
        "SELECT guild_id, user_id, display_name, timezone, hide_streak, last_deck FROM members "
        "WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )
    if row is None:
        return None
    return MemberPrefs(
        row["guild_id"], row["user_id"], row["display_name"], row["timezone"], bool(row["hide_streak"]), row["last_deck"]
    )


async def set_member_field(db: Database, guild_id: int, user_id: int, display_name: str, **fields: object) -> None:
    """Set preference columns (timezone, hide_streak, last_deck) for a member, creating the row when needed."""
    allowed = {"timezone", "hide_streak", "last_deck"}
    if not fields or set(fields) - allowed:
        raise ValueError(f"unknown member fields: {set(fields) - allowed}")
    assignments = ", ".join(f"{name} = ?" for name in fields)
    async def body(conn: Connection) -> None:
        await remember_member(conn, guild_id, user_id, display_name)
        await conn.execute(
            f"UPDATE members SET {assignments} WHERE guild_id = ? AND user_id = ?",
            (*fields.values(), guild_id, user_id),
        )

    await db.atomic(body)
