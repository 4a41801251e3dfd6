"""Members as Recall knows them: last known name (boards show members who left), personal preferences."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from bot.core.clock import to_text, utcnow
from bot.store.api import Connection, Store

_PREFERENCES = frozenset({"timezone", "hide_streak", "last_deck"})


@dataclass(frozen=True, slots=True)
class MemberPrefs:
    guild_id: int
    user_id: int
    display_name: str
    timezone: str | None = None
    hide_streak: bool = False
    last_deck: str | None = None


async def remember_member(conn: Connection, guild_id: int, user_id: int, display_name: str) -> None:
    """Record the member's current name; call inside the transaction that stores their activity."""
    await conn.execute(
        "INSERT INTO members (guild_id, user_id, display_name, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (guild_id, user_id) DO UPDATE SET display_name = excluded.display_name, "
        "updated_at = excluded.updated_at",
        (guild_id, user_id, display_name, to_text(utcnow())),
    )


async def get_member(db: Store, guild_id: int, user_id: int) -> MemberPrefs | None:
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


async def change_member(conn: Connection, guild_id: int, user_id: int, display_name: str, **fields: object) -> None:
    """Set preference columns (timezone, hide_streak, last_deck) inside the caller's transaction, creating the
    member's row when needed."""
    if not fields or set(fields) - _PREFERENCES:
        raise ValueError(f"unknown member fields: {set(fields) - _PREFERENCES}")
    assignments = ", ".join(f"{name} = ?" for name in fields)
    await remember_member(conn, guild_id, user_id, display_name)
    await conn.execute(
        f"UPDATE members SET {assignments} WHERE guild_id = ? AND user_id = ?",
        (*fields.values(), guild_id, user_id),
    )


async def set_member_field(db: Store, guild_id: int, user_id: int, display_name: str, **fields: object) -> None:
    """Set preference columns for a member in a transaction of their own (see change_member)."""
    await db.atomic(lambda conn: change_member(conn, guild_id, user_id, display_name, **fields))


async def member_names(db: Store, guild_id: int, user_ids: Iterable[int]) -> dict[int, str]:
    """Last known display names (members who left keep theirs)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = await db.fetchall(
        f"SELECT user_id, display_name FROM members WHERE guild_id = ? AND user_id IN ({marks})", (guild_id, *ids)
    )
    return {row["user_id"]: row["display_name"] for row in rows}
