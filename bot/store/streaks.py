"""Every SQL statement about streaks and the activity log they are counted from. Rows in, rows out: the rules that
turn activities into a streak live in bot.core.streaks and are applied by bot.services.streaks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.core.clock import from_text, to_text
from bot.core.streaks import StreakState
from bot.store.api import Connection, Store

ACTIVITY_KINDS = ("study", "quiz", "explain")


@dataclass(frozen=True, slots=True)
class StoredStreak:
    state: StreakState
    timezone: str
    daily_minimum: int


@dataclass(frozen=True, slots=True)
class StreakInputs:
    """What one activity's streak step depends on, as stored: the member's and the server's settings (None where
    unset) and the stored streak."""

    member_zone: str | None
    server_zone: str | None
    server_minimum: int | None
    stored: StoredStreak | None


_COLUMNS = (
    "current, best, freezes, last_day, reached_at, pending_day, pending_count, last_at, timezone, daily_minimum"
)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _time(text: str | None) -> datetime | None:
    return from_text(text) if text else None


def _stored(row: Any) -> StoredStreak:
    state = StreakState(
        current=row["current"],
        best=row["best"],
        freezes=row["freezes"],
        last_day=_day(row["last_day"]),
        reached_at=_time(row["reached_at"]),
        pending_day=_day(row["pending_day"]),
        pending_count=row["pending_count"],
        last_at=_time(row["last_at"]),
    )
    return StoredStreak(state, row["timezone"], row["daily_minimum"])


async def _one(conn: Connection, sql: str, params: tuple | dict) -> Any:
    async with conn.execute(sql, params) as cur:
        return await cur.fetchone()


# The columns a streak step needs, for a query that joins guild_settings `g`, members `m` and streaks `sk` on the
# member: an activity is logged on every rating and answer, so its inputs come from one statement (or from the
# statement the caller reads anyway, see bot.store.study).
CONTEXT_COLUMNS = (
    "m.timezone AS member_zone, g.timezone AS server_zone, g.daily_minimum AS server_minimum, "
    f"{', '.join('sk.' + c.strip() + ' AS ' + c.strip() for c in _COLUMNS.split(','))}, sk.user_id AS stored"
)

_CONTEXT_SQL = (
    f"SELECT {CONTEXT_COLUMNS} FROM (SELECT 1) AS one LEFT JOIN guild_settings g ON g.guild_id = :g "
    "LEFT JOIN members m ON m.guild_id = :g AND m.user_id = :u "
    "LEFT JOIN streaks sk ON sk.guild_id = :g AND sk.user_id = :u"
)


def inputs_of(row: Any) -> StreakInputs:
    """The StreakInputs in a row that has the CONTEXT_COLUMNS."""
    return StreakInputs(
        row["member_zone"], row["server_zone"], row["server_minimum"],
        _stored(row) if row["stored"] is not None else None,
    )


async def read_inputs(conn: Connection, guild_id: int, user_id: int) -> StreakInputs:
    row = await _one(conn, _CONTEXT_SQL, {"g": guild_id, "u": user_id})
    assert row is not None  # FROM (SELECT 1) always yields one row
    return inputs_of(row)


async def insert_activity(conn: Connection, guild_id: int, user_id: int, kind: str, at: datetime) -> None:
    if kind not in ACTIVITY_KINDS:
        raise ValueError(f"unknown activity kind {kind!r}")
    await conn.execute(
        "INSERT INTO activity (guild_id, user_id, kind, at) VALUES (?, ?, ?, ?)", (guild_id, user_id, kind, to_text(at))
    )


# An upsert rather than INSERT OR REPLACE: the row is updated in place instead of deleted and inserted again.
_SAVE_SQL = (
    f"INSERT INTO streaks (guild_id, user_id, {_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (guild_id, user_id) DO UPDATE SET "
    + ", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in [*_COLUMNS.split(","), "updated_at"])
)


async def save_streak(
    conn: Connection, guild_id: int, user_id: int, state: StreakState, zone_name: str, minimum: int,
    updated_at: datetime,
) -> None:
    await conn.execute(_SAVE_SQL,
        (
            guild_id,
            user_id,
            state.current,
            state.best,
            state.freezes,
            state.last_day.isoformat() if state.last_day else None,
            to_text(state.reached_at) if state.reached_at else None,
            state.pending_day.isoformat() if state.pending_day else None,
            state.pending_count,
            to_text(state.last_at) if state.last_at else None,
            zone_name,
            minimum,
            to_text(updated_at),
        ),
    )


async def activity_times(conn: Connection, guild_id: int, user_id: int) -> list[datetime]:
    async with conn.execute(
        "SELECT at FROM activity WHERE guild_id = ? AND user_id = ? ORDER BY at", (guild_id, user_id)
    ) as cur:
        return [from_text(row["at"]) for row in await cur.fetchall()]


async def streak_members(db: Store, guild_id: int) -> list[int]:
    """Everyone in the server with activity or a stored streak."""
    rows = await db.fetchall(
        "SELECT DISTINCT user_id FROM activity WHERE guild_id = ? UNION SELECT user_id FROM streaks WHERE guild_id = ?",
        (guild_id, guild_id),
    )
    return [row["user_id"] for row in rows]


async def load_streak(db: Store, guild_id: int, user_id: int) -> StoredStreak | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM streaks WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    return _stored(row) if row else None
