"""The activity log that daily streaks are counted from."""
from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.core.clock import to_text
from bot.core.streaks import update_text
from bot.store.streaks import StreakContext, advance_streak

ACTIVITY_KINDS = ("study", "quiz", "explain")


async def record_activity(
    conn: aiosqlite.Connection, guild_id: int, user_id: int, kind: str, at: datetime,
    context: StreakContext | None = None,
) -> str | None:
    """Log one activity; call inside the same transaction that stores the rating, answer or attempt.

    Returns a line for the member when the activity changed their streak ("🔥 5-day streak", or
    "🧊 a freeze saved your streak · 🔥 6-day streak" when freezes covered missed days), else None.
    `context`: the member's streak context, when the caller already read it in this transaction.
    """
    if kind not in ACTIVITY_KINDS:
        raise ValueError(f"unknown activity kind {kind!r}")
    await conn.execute(
        "INSERT INTO activity (guild_id, user_id, kind, at) VALUES (?, ?, ?, ?)",
        (guild_id, user_id, kind, to_text(at)),
    )
    # Same transaction: the stored streak can never disagree with the log it is derived from.
    update = await advance_streak(conn, guild_id, user_id, at, context)
    return update_text(update)
