"""Stored streaks, kept in step with the activity log inside the transaction that logs each activity."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.core import streaks as rules
from bot.core.clock import from_text, to_text, utcnow
from bot.store.db import Database


@dataclass(frozen=True, slots=True)
class StoredStreak:
    state: rules.StreakState
    timezone: str
    daily_minimum: int


_COLUMNS = (
    "current, best, freezes, last_day, reached_at, pending_day, pending_count, last_at, timezone, daily_minimum"
)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _time(text: str | None) -> datetime | None:
    return from_text(text) if text else None


def _stored(row: aiosqlite.Row) -> StoredStreak:
    state = rules.StreakState(
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


async def _one(conn: aiosqlite.Connection, sql: str, params: tuple | dict) -> aiosqlite.Row | None:
    async with conn.execute(sql, params) as cur:
        return await cur.fetchone()


# The columns a streak step needs, for a query that joins guild_settings `g`, members `m` and streaks `sk` on the
# member: record_activity runs on every rating and answer, so its inputs come from one statement (or from the
# statement the caller reads anyway, see bot.store.study).
CONTEXT_COLUMNS = (
    "m.timezone AS member_zone, g.timezone AS server_zone, g.daily_minimum AS server_minimum, "
    f"{', '.join('sk.' + c.strip() + ' AS ' + c.strip() for c in _COLUMNS.split(','))}, sk.user_id AS stored"
)

_CONTEXT_SQL = (
    f"SELECT {CONTEXT_COLUMNS} FROM (SELECT 1) LEFT JOIN guild_settings g ON g.guild_id = :g "
    "LEFT JOIN members m ON m.guild_id = :g AND m.user_id = :u "
    "LEFT JOIN streaks sk ON sk.guild_id = :g AND sk.user_id = :u"
)


@dataclass(frozen=True, slots=True)
class StreakContext:
    """What one activity's streak step depends on: the member's rules and their stored streak."""

    zone_name: str
    minimum: int
    stored: StoredStreak | None


def context_of(row: aiosqlite.Row) -> StreakContext:
    """The StreakContext in a row that has the CONTEXT_COLUMNS."""
    zone_name = rules.effective_zone_name(row["member_zone"], row["server_zone"])
    minimum = max(int(row["server_minimum"]), 1) if row["server_minimum"] is not None else 1
    return StreakContext(zone_name, minimum, _stored(row) if row["stored"] is not None else None)


async def _context(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> StreakContext:
    """The member's rules (zone: theirs → the server's → UTC; daily minimum) and stored streak."""
    row = await _one(conn, _CONTEXT_SQL, {"g": guild_id, "u": user_id})
    assert row is not None  # FROM (SELECT 1) always yields one row
    return context_of(row)


async def effective_rules(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> tuple[str, int]:
    """(timezone name, daily minimum) a member's days are counted with: member zone → server zone → UTC."""
    context = await _context(conn, guild_id, user_id)
    return context.zone_name, context.minimum


async def load_streak(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> StoredStreak | None:
    row = await _one(conn, f"SELECT {_COLUMNS} FROM streaks WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    return _stored(row) if row else None


# An upsert rather than INSERT OR REPLACE: the row is updated in place instead of deleted and inserted again.
_SAVE_SQL = (
    f"INSERT INTO streaks (guild_id, user_id, {_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (guild_id, user_id) DO UPDATE SET "
    + ", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in [*_COLUMNS.split(","), "updated_at"])
)


async def save_streak(
    conn: aiosqlite.Connection, guild_id: int, user_id: int, state: rules.StreakState, zone_name: str, minimum: int,
    updated_at: datetime | None = None,
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
            to_text(updated_at or utcnow()),
        ),
    )


async def activity_times(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> list[datetime]:
    async with conn.execute(
        "SELECT at FROM activity WHERE guild_id = ? AND user_id = ? ORDER BY at", (guild_id, user_id)
    ) as cur:
        return [from_text(row["at"]) for row in await cur.fetchall()]


async def recompute_member(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> rules.StreakState:
    """Derive the member's streak from the whole log with the current rules, store it and return it."""
    zone_name, minimum = await effective_rules(conn, guild_id, user_id)
    state = rules.recompute(await activity_times(conn, guild_id, user_id), rules.zone(zone_name), minimum)
    await save_streak(conn, guild_id, user_id, state, zone_name, minimum)
    return state


async def advance_streak(
    conn: aiosqlite.Connection, guild_id: int, user_id: int, at: datetime, context: StreakContext | None = None
) -> rules.StreakUpdate:
    """Fold one just-logged activity into the stored streak (the activity row must already be inserted).

    `context`: the member's StreakContext when the caller read it earlier in the same transaction.
    """
    if context is None:
        context = await _context(conn, guild_id, user_id)
    zone_name, minimum, stored = context.zone_name, context.minimum, context.stored
    previous = stored.state if stored else rules.StreakState()
    update = None
    if stored is None or (stored.timezone == zone_name and stored.daily_minimum == minimum):
        update = rules.apply_activity(previous, rules.local_day(at, rules.zone(zone_name)), at, minimum)
    if update is None:
        # Rules changed since the state was stored, or this activity is older than the latest one: recount.
        state = await recompute_member(conn, guild_id, user_id)
        # This activity grew the streak exactly when it is the one that made its day count.
        return rules.StreakUpdate(state, grew=state.reached_at == at)
    await save_streak(conn, guild_id, user_id, update.state, zone_name, minimum, updated_at=at)
    return update


async def recompute_guild(db: Database, guild_id: int, user_id: int | None = None) -> int:
    """Recount streaks after a timezone or daily-minimum change (one member, or everyone in the server)."""
    if user_id is None:
        rows = await db.fetchall(
            "SELECT DISTINCT user_id FROM activity WHERE guild_id = ? "
            "UNION SELECT user_id FROM streaks WHERE guild_id = ?",
            (guild_id, guild_id),
        )
        users = [row["user_id"] for row in rows]
    else:
        users = [user_id]
    async with db.transaction() as conn:
        for user in users:
            await recompute_member(conn, guild_id, user)
    return len(users)


async def get_streak(db: Database, guild_id: int, user_id: int, now: datetime | None = None) -> rules.StreakView:
    """The member's streak as of their local today."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM streaks WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    )
    if row is None:
        return rules.StreakView(0, 0, 0, False)
    stored = _stored(row)
    return rules.view(stored.state, rules.today_in(rules.zone(stored.timezone), now))
