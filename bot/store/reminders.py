"""Every SQL statement about reminders (migrations 0010 and 0013): one row per member, the due rows in time order, the
claim that moves a row to its next time before it is sent, and the cards due per deck a reminder counts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.clock import from_text, to_text
from bot.store.api import Connection, Store

OFF_USER = "user"
OFF_DMS_CLOSED = "dms_closed"
OFF_LEFT = "left"


@dataclass(frozen=True, slots=True)
class ReminderRow:
    user_id: int
    guild_id: int
    local_time: str
    enabled: bool
    next_send_at: datetime
    last_sent_at: datetime | None
    off_reason: str | None
    note_pending: bool


@dataclass(frozen=True, slots=True)
class DueRow:
    """A due reminder with what its next time is worked out from: the member's and the server's zones."""

    user_id: int
    guild_id: int
    local_time: str
    next_send_at: str  # as stored: the claim names it exactly
    member_zone: str | None
    server_zone: str | None
    dm_channel_id: int | None
    language: str | None  # the catalog language its DM speaks (None: English)


_COLUMNS = "user_id, guild_id, local_time, enabled, next_send_at, last_sent_at, off_reason, note_pending"


def _row(row: Any) -> ReminderRow:
    return ReminderRow(
        row["user_id"], row["guild_id"], row["local_time"], bool(row["enabled"]), from_text(row["next_send_at"]),
        from_text(row["last_sent_at"]) if row["last_sent_at"] else None, row["off_reason"], bool(row["note_pending"]),
    )


async def get_reminder(db: Store, user_id: int) -> ReminderRow | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM reminders WHERE user_id = ?", (user_id,))
    return _row(row) if row else None


async def read_reminder(conn: Connection, user_id: int) -> ReminderRow | None:
    async with conn.execute(f"SELECT {_COLUMNS} FROM reminders WHERE user_id = ?", (user_id,)) as cur:
        row = await cur.fetchone()
    return _row(row) if row else None


async def save_reminder(conn: Connection, user_id: int, guild_id: int, local_time: str, next_send_at: datetime,
                        language: str | None = None) -> None:
    """Switch the member's reminder on (tied to `guild_id`, at `local_time`, its DMs in `language`), clearing any
    reason it was off."""
    await conn.execute(
        f"INSERT INTO reminders ({_COLUMNS}, language) VALUES (?, ?, ?, 1, ?, NULL, NULL, 0, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET "
        "guild_id = excluded.guild_id, local_time = excluded.local_time, enabled = 1, "
        "next_send_at = excluded.next_send_at, off_reason = NULL, note_pending = 0, language = excluded.language",
        (user_id, guild_id, local_time, to_text(next_send_at), language),
    )


async def switch_off(db: Store, user_id: int, reason: str, *, note: bool = False) -> bool:
    """Switch the member's reminder off for `reason` (with a note to show them once when `note`); False: none on."""

    async def body(conn: Connection) -> bool:
        async with conn.execute(
            "UPDATE reminders SET enabled = 0, off_reason = ?, note_pending = ? WHERE user_id = ? AND enabled = 1 "
            "RETURNING user_id",
            (reason, int(note), user_id),
        ) as cur:
            return await cur.fetchone() is not None

    return await db.atomic(body)


async def due_rows(conn: Connection, now: datetime, limit: int) -> list[DueRow]:
    """Reminders due by `now`, the longest due first."""
    async with conn.execute(
        "SELECT r.user_id, r.guild_id, r.local_time, r.next_send_at, r.dm_channel_id, r.language, "
        "m.timezone AS member_zone, "
        "g.timezone AS server_zone FROM reminders r "
        "LEFT JOIN members m ON m.guild_id = r.guild_id AND m.user_id = r.user_id "
        "LEFT JOIN guild_settings g ON g.guild_id = r.guild_id "
        "WHERE r.enabled = 1 AND r.next_send_at <= ? ORDER BY r.next_send_at, r.user_id LIMIT ?",
        (to_text(now), limit),
    ) as cur:
        rows = await cur.fetchall()
    return [DueRow(r["user_id"], r["guild_id"], r["local_time"], r["next_send_at"], r["member_zone"],
                   r["server_zone"], r["dm_channel_id"], r["language"]) for r in rows]


async def claim(conn: Connection, user_id: int, due_text: str, next_send_at: datetime) -> bool:
    """Move the row from `due_text` to `next_send_at`; False when another process (or an earlier run) moved it
    first: only the claim that moved it may send."""
    async with conn.execute(
        "UPDATE reminders SET next_send_at = ? WHERE user_id = ? AND next_send_at = ? AND enabled = 1 "
        "RETURNING user_id",
        (to_text(next_send_at), user_id, due_text),
    ) as cur:
        return await cur.fetchone() is not None


async def mark_sent(db: Store, user_id: int, at: datetime, dm_channel_id: int) -> None:
    """The reminder went out at `at`, to the member's DM channel (kept: the next one needs no request to open it)."""

    async def body(conn: Connection) -> None:
        await conn.execute("UPDATE reminders SET last_sent_at = ?, dm_channel_id = ? WHERE user_id = ?",
                           (to_text(at), dm_channel_id, user_id))

    await db.atomic(body)


async def pending_notes(db: Store) -> set[int]:
    rows = await db.fetchall("SELECT user_id FROM reminders WHERE note_pending = 1")
    return {row["user_id"] for row in rows}


async def take_note(db: Store, user_id: int) -> str | None:
    """Clear the member's pending note; the reason it was about (None: no note was pending, or another process
    showed it first)."""

    async def body(conn: Connection) -> str | None:
        async with conn.execute(
            "UPDATE reminders SET note_pending = 0 WHERE user_id = ? AND note_pending = 1 RETURNING off_reason",
            (user_id,),
        ) as cur:
            row = await cur.fetchone()
        return row["off_reason"] if row else None

    return await db.atomic(body)


async def due_per_deck(db: Store, guild_id: int, user_id: int, now: datetime) -> dict[str, int]:
    """The member's studied items due by `now` in the server, counted per deck."""
    rows = await db.fetchall(
        "SELECT deck_id, COUNT(*) AS due FROM srs_state WHERE guild_id = ? AND user_id = ? AND due <= ? "
        "GROUP BY deck_id",
        (guild_id, user_id, to_text(now)),
    )
    return {row["deck_id"]: row["due"] for row in rows}


async def due_decks(db: Store, guild_id: int, user_id: int, now: datetime) -> list[str]:
    """The decks of the member's items due by `now`, the deck of the longest-due item first."""
    rows = await db.fetchall(
        "SELECT deck_id, MIN(due) AS first FROM srs_state WHERE guild_id = ? AND user_id = ? AND due <= ? "
        "GROUP BY deck_id ORDER BY first, deck_id",
        (guild_id, user_id, to_text(now)),
    )
    return [row["deck_id"] for row in rows]
