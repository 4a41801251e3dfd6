"""Per-server settings chosen by an admin."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.clock import from_text, to_text
from bot.core.scheduling import DEFAULT_RETENTION
from bot.store.db import Connection, Database


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    timezone: str | None = None
    daily_minimum: int = 1
    desired_retention: float = DEFAULT_RETENTION
    new_card_limit: int = 20
    board_reset_at: datetime | None = None


_COLUMNS = "guild_id, timezone, daily_minimum, desired_retention, new_card_limit, board_reset_at"


async def get_guild_settings(db: Database, guild_id: int) -> GuildSettings:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM guild_settings WHERE guild_id = ?", (guild_id,))
    if row is None:
        return GuildSettings(guild_id)
    return GuildSettings(
        guild_id=row["guild_id"],
        timezone=row["timezone"],
        daily_minimum=row["daily_minimum"],
        desired_retention=row["desired_retention"],
        new_card_limit=row["new_card_limit"],
        board_reset_at=from_text(row["board_reset_at"]) if row["board_reset_at"] else None,
    )


async def update_guild_settings(db: Database, guild_id: int, **changes: object) -> GuildSettings:
    """Change some settings of a server (keys are GuildSettings field names) and return the result.

    Setting the timezone (even to the same zone: that also repairs months counted before it was known) refiles the
    server's month board totals under its local months, in the same transaction.
    """
    # Imported here: bot.store.boards reads these settings, so a module-level import would be circular.
    from bot.store.boards import rebuild_board_months

    updated = replace(await get_guild_settings(db, guild_id), **changes)
    async def body(conn: Connection) -> None:
        await conn.execute(
            f"INSERT OR REPLACE INTO guild_settings ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                updated.timezone,
                updated.daily_minimum,
                updated.desired_retention,
                updated.new_card_limit,
                to_text(updated.board_reset_at) if updated.board_reset_at else None,
            ),
        )
        if "timezone" in changes:
            await rebuild_board_months(conn, guild_id, updated.timezone)

    await db.atomic(body, offload=True)
    from bot.store.study import _INTERIM  # interim: the settings service tells StudyService to forget
    _INTERIM.pop(db, None)
    return updated
