"""Per-server settings chosen by an admin."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from bot.core.clock import from_text, to_text
from bot.core.scheduling import DEFAULT_RETENTION
from bot.store.api import Connection, Store
from bot.store.sql import upsert


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """A server's settings; a server that never changed one has these defaults (every write stores all of them,
    so no row relies on the schema's column defaults)."""

    guild_id: int
    timezone: str | None = None
    daily_minimum: int = 1
    desired_retention: float = DEFAULT_RETENTION
    new_card_limit: int = 20
    board_reset_at: datetime | None = None
    language: str | None = None  # a catalog language (bot.core.translation); None follows Discord's guild_locale


_FIELDS = tuple(f.name for f in fields(GuildSettings))
_COLUMNS = ", ".join(_FIELDS)
_SELECT = f"SELECT {_COLUMNS} FROM guild_settings WHERE guild_id = ?"
_SAVE = upsert("guild_settings", _FIELDS, ("guild_id",))


def _settings(guild_id: int, row: Any) -> GuildSettings:
    if row is None:
        return GuildSettings(guild_id)
    return GuildSettings(
        guild_id=row["guild_id"],
        timezone=row["timezone"],
        daily_minimum=row["daily_minimum"],
        desired_retention=row["desired_retention"],
        new_card_limit=row["new_card_limit"],
        board_reset_at=from_text(row["board_reset_at"]) if row["board_reset_at"] else None,
        language=row["language"],
    )


async def get_guild_settings(db: Store, guild_id: int) -> GuildSettings:
    return _settings(guild_id, await db.fetchone(_SELECT, (guild_id,)))


async def change_guild_settings(conn: Connection, guild_id: int, **changes: Any) -> GuildSettings:
    """Change some settings of a server (keys are GuildSettings field names) inside the caller's transaction; the
    settings as stored afterwards.

    Read and written in the same transaction, so two admins changing different settings at once both keep theirs.
    """
    unknown = set(changes) - set(_FIELDS[1:])
    if unknown:
        raise ValueError(f"unknown server settings: {sorted(unknown)}")
    async with conn.execute(_SELECT, (guild_id,)) as cursor:
        updated = replace(_settings(guild_id, await cursor.fetchone()), **changes)
    await conn.execute(
        _SAVE,
        (
            guild_id,
            updated.timezone,
            updated.daily_minimum,
            updated.desired_retention,
            updated.new_card_limit,
            to_text(updated.board_reset_at) if updated.board_reset_at else None,
            updated.language,
        ),
    )
    return updated


async def update_guild_settings(db: Store, guild_id: int, **changes: Any) -> GuildSettings:
    """Change settings that nothing else stored depends on (daily minimum, retention, new cards) in a transaction of
    their own. A timezone change refiles the server's month totals in the same transaction: that is
    bot.services.progress.ProgressService.set_server_timezone's, so it is refused here."""
    if "timezone" in changes or "board_reset_at" in changes:
        raise ValueError("timezone and board resets change the boards too: use ProgressService")
    return await db.atomic(lambda conn: change_guild_settings(conn, guild_id, **changes))
