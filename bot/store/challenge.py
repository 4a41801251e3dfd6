"""Every SQL statement about the daily challenge: its settings per server, the scheduler's claim of a due run, the
note for the admins when the bot turned it off, and the log of asked questions (no repeats within a deck's cycle).
The rules (when the next run is, which questions) live in bot.core.challenge."""
from __future__ import annotations

from datetime import datetime, time
from typing import Any, Mapping

from bot.core.challenge import Challenge
from bot.core.clock import from_text, to_text
from bot.store.api import Connection, Store
from bot.store.sql import upsert

_FIELDS = (
    "guild_id", "channel_id", "local_time", "deck_id", "questions", "seconds", "enabled", "next_run_at",
    "last_run_at", "off_reason", "note_pending",
)
_COLUMNS = ", ".join(_FIELDS)
_SAVE = upsert("daily_challenges", _FIELDS, ("guild_id",))
_LOG = upsert("challenge_questions", ("guild_id", "deck_id", "question_id", "cycle", "asked_at"),
              ("guild_id", "deck_id", "question_id"))


def _time(text: str | None) -> datetime | None:
    return from_text(text) if text else None


def _text(moment: datetime | None) -> str | None:
    return to_text(moment) if moment else None


def _challenge(row: Any) -> Challenge:
    return Challenge(
        guild_id=row["guild_id"], channel_id=row["channel_id"], local_time=time.fromisoformat(row["local_time"]),
        deck_id=row["deck_id"], questions=row["questions"], seconds=row["seconds"], enabled=bool(row["enabled"]),
        next_run_at=_time(row["next_run_at"]), last_run_at=_time(row["last_run_at"]), off_reason=row["off_reason"],
        note_pending=bool(row["note_pending"]),
    )


_SELECT = f"SELECT {_COLUMNS} FROM daily_challenges WHERE guild_id = ?"


async def get_challenge(db: Store, guild_id: int) -> Challenge | None:
    row = await db.fetchone(_SELECT, (guild_id,))
    return _challenge(row) if row else None


async def read_challenge(conn: Connection, guild_id: int) -> Challenge | None:
    """The server's challenge, inside the caller's transaction."""
    async with conn.execute(_SELECT, (guild_id,)) as cursor:
        row = await cursor.fetchone()
    return _challenge(row) if row else None


async def save_challenge(conn: Connection, challenge: Challenge) -> None:
    await conn.execute(_SAVE, (
        challenge.guild_id, challenge.channel_id, challenge.local_time.strftime("%H:%M"), challenge.deck_id,
        challenge.questions, challenge.seconds, int(challenge.enabled), _text(challenge.next_run_at),
        _text(challenge.last_run_at), challenge.off_reason, int(challenge.note_pending),
    ))


async def turn_off(conn: Connection, guild_id: int, reason: str | None) -> bool:
    """Switch a running challenge off; with a reason (the bot did it) the admins are told once. False when there was
    none switched on."""
    cur = await conn.execute(
        "UPDATE daily_challenges SET enabled = 0, next_run_at = NULL, off_reason = ?, note_pending = ? "
        "WHERE guild_id = ? AND enabled = 1 RETURNING guild_id",
        (reason, int(reason is not None), guild_id),
    )
    return await cur.fetchone() is not None


async def due_challenges(db: Store, now: datetime) -> list[Challenge]:
    """Switched-on challenges whose next run is at or before `now`, oldest first."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM daily_challenges WHERE enabled = 1 AND next_run_at <= ? ORDER BY next_run_at",
        (to_text(now),),
    )
    return [_challenge(r) for r in rows]


async def claim_run(
    conn: Connection, guild_id: int, due: datetime, next_run_at: datetime, ran_at: datetime | None
) -> bool:
    """Move a due run to `next_run_at` if it is still due at `due` (no one else claimed it); `ran_at` when this
    run is held (None: skipped). True for the one caller that moved it."""
    cur = await conn.execute(
        "UPDATE daily_challenges SET next_run_at = ?, last_run_at = COALESCE(?, last_run_at) "
        "WHERE guild_id = ? AND enabled = 1 AND next_run_at = ? RETURNING guild_id",
        (to_text(next_run_at), _text(ran_at), guild_id, to_text(due)),
    )
    return await cur.fetchone() is not None


async def take_note(conn: Connection, guild_id: int) -> str | None:
    """The off_reason the admins were not yet told, clearing it (so it is told once); None when there is none."""
    cur = await conn.execute(
        "UPDATE daily_challenges SET note_pending = 0 WHERE guild_id = ? AND note_pending = 1 RETURNING off_reason",
        (guild_id,),
    )
    row = await cur.fetchone()
    return row[0] if row else None


async def asked_cycles(conn: Connection, guild_id: int, deck_id: str) -> dict[str, int]:
    """The cycle each question of the deck was last asked in by this server's challenge."""
    cur = await conn.execute(
        "SELECT question_id, cycle FROM challenge_questions WHERE guild_id = ? AND deck_id = ?", (guild_id, deck_id)
    )
    return {row[0]: row[1] for row in await cur.fetchall()}


async def log_asked(conn: Connection, guild_id: int, deck_id: str, cycles: Mapping[str, int], at: datetime) -> None:
    await conn.executemany(_LOG, [(guild_id, deck_id, qid, cycle, to_text(at)) for qid, cycle in cycles.items()])
