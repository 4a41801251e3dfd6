"""Every SQL statement about milestone roles (migration 0012): the roles admins tied to milestones, the roles Recall
gave, and the bulk reads a reconcile pass needs (current streaks, points in a board's window). Rows in, rows out:
who qualifies is bot.core.milestones'."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable

from bot.core.clock import to_text
from bot.core.leaderboard import Board, BoardWindow
from bot.core.milestones import Kind, Milestone, StreakRow, Window
from bot.store import boards
from bot.store.api import Connection, Store
from bot.store.sql import upsert

_COLUMNS = ("guild_id", "role_id", "kind", "threshold", "points_window")
_SAVE = upsert("milestone_roles", _COLUMNS, ("guild_id", "role_id"))


def _milestone(row: Any) -> Milestone:
    window = Window(row["points_window"]) if row["points_window"] else None
    return Milestone(row["role_id"], Kind(row["kind"]), row["threshold"], window)


def _among(users: Iterable[int] | None, column: str = "user_id") -> tuple[str, list[int]]:
    """An `AND column IN (…)` condition limiting a read to `users` (none for None)."""
    if users is None:
        return "", []
    ids = sorted(set(users))
    return f" AND {column} IN ({', '.join('?' for _ in ids) or 'NULL'})", ids


async def _write(db: Store, sql: str, params: tuple) -> None:
    """One statement in a transaction of its own."""
    async def body(conn: Connection) -> None:
        await conn.execute(sql, params)

    await db.atomic(body)


async def save_milestone(db: Store, guild_id: int, milestone: Milestone) -> None:
    """Tie a role to a milestone (replacing the role's earlier milestone, if any)."""
    window = milestone.window.value if milestone.window else None
    params = (guild_id, milestone.role_id, milestone.kind.value, milestone.threshold, window)
    await _write(db, _SAVE, params)


async def delete_milestone(db: Store, guild_id: int, role_id: int) -> Milestone | None:
    """Stop tying the role to a milestone; the milestone it had (None: it had none). Its grants stay until the
    roles are taken back."""
    async def body(conn: Connection) -> Milestone | None:
        async with conn.execute(
            "DELETE FROM milestone_roles WHERE guild_id = ? AND role_id = ? "
            "RETURNING role_id, kind, threshold, points_window", (guild_id, role_id)
        ) as cur:
            row = await cur.fetchone()
        return _milestone(row) if row else None

    return await db.atomic(body)


async def load_milestones(db: Store, guild_id: int) -> list[Milestone]:
    rows = await db.fetchall(
        "SELECT role_id, kind, threshold, points_window FROM milestone_roles WHERE guild_id = ? "
        "ORDER BY kind, threshold, role_id", (guild_id,)
    )
    return [_milestone(row) for row in rows]


async def milestone_servers(db: Store) -> list[int]:
    """Servers with a milestone role, or with roles Recall gave still to be taken back."""
    rows = await db.fetchall(
        "SELECT guild_id FROM milestone_roles UNION SELECT guild_id FROM milestone_grants ORDER BY guild_id"
    )
    return [row["guild_id"] for row in rows]


async def load_grants(db: Store, guild_id: int, users: Iterable[int] | None = None) -> set[tuple[int, int]]:
    """(member, role) of the roles Recall gave in the server (only `users`' when given)."""
    among, ids = _among(users)
    rows = await db.fetchall(
        f"SELECT user_id, role_id FROM milestone_grants WHERE guild_id = ?{among}", (guild_id, *ids)
    )
    return {(row["user_id"], row["role_id"]) for row in rows}


async def add_grant(db: Store, guild_id: int, user_id: int, role_id: int, at: datetime) -> None:
    """Discord accepted the role: Recall gave it (kept once, whenever it is recorded again)."""
    await _write(db, "INSERT INTO milestone_grants (guild_id, role_id, user_id, granted_at) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (guild_id, role_id, user_id) DO NOTHING", (guild_id, role_id, user_id, to_text(at)))


async def drop_grant(db: Store, guild_id: int, user_id: int, role_id: int) -> None:
    await _write(db, "DELETE FROM milestone_grants WHERE guild_id = ? AND role_id = ? AND user_id = ?",
                 (guild_id, role_id, user_id))


async def forget_role(db: Store, guild_id: int, role_id: int) -> None:
    """The role is gone from the server: its milestone and grants with it (one transaction)."""
    async def body(conn: Connection) -> None:
        await conn.execute("DELETE FROM milestone_roles WHERE guild_id = ? AND role_id = ?", (guild_id, role_id))
        await conn.execute("DELETE FROM milestone_grants WHERE guild_id = ? AND role_id = ?", (guild_id, role_id))

    await db.atomic(body)


async def streak_rows(db: Store, guild_id: int, least: int, users: Iterable[int] | None = None) -> list[StreakRow]:
    """Stored streaks of at least `least` days (alive or not: bot.core.milestones.streak_today decides)."""
    among, ids = _among(users)
    rows = await db.fetchall(
        "SELECT user_id, current, freezes, last_day, timezone FROM streaks "
        f"WHERE guild_id = ? AND current >= ?{among}", (guild_id, least, *ids)
    )
    return [
        StreakRow(row["user_id"], row["current"], row["freezes"],
                  date.fromisoformat(row["last_day"]) if row["last_day"] else None, row["timezone"])
        for row in rows
    ]


async def points_in(
    db: Store, guild_id: int, window: BoardWindow, least: int, users: Iterable[int] | None = None
) -> dict[int, int]:
    """Members' quiz points over a points board's `window` (the board's own query), those with at least `least`."""
    grouped = await boards.grouped_board(db, guild_id, Board.POINTS, None, window)
    if grouped is None:
        return {}
    sql, params = grouped
    among, ids = _among(users)
    rows = await db.fetchall(
        f"SELECT user_id, value FROM ({sql}) AS board WHERE value >= ?{among}", [*params, least, *ids]
    )
    return {row["user_id"]: int(row["value"]) for row in rows}


async def recently_active(db: Store, since: datetime) -> list[tuple[int, int]]:
    """(server, member) of streaks stored since `since` in servers with milestone roles: every study rating, quiz
    answer and explain attempt stores its member's streak, so these are the members whose milestones may have been
    reached since. Only those servers' rows are read (their primary key range), so servers without milestones
    cost nothing and the ratings' writes keep their indexes as they are."""
    rows = await db.fetchall(
        "SELECT guild_id, user_id FROM streaks WHERE guild_id IN (SELECT DISTINCT guild_id FROM milestone_roles) "
        "AND updated_at >= ? ORDER BY guild_id, user_id", (to_text(since),)
    )
    return [(row["guild_id"], row["user_id"]) for row in rows]
