"""Opening the configured database: the SQLite file at DATABASE_PATH, or PostgreSQL when DATABASE_URL is set."""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store.api import Store

if TYPE_CHECKING:
    from bot.settings import Settings


async def open_database(settings: "Settings") -> Store:
    """Open (creating or upgrading its schema) the database the settings name.

    Raises `UnusableDatabase` with one line naming DATABASE_PATH or DATABASE_URL when it cannot be used.
    """
    if settings.database_url:
        from bot.store.postgres import PostgresDatabase  # asyncpg is imported only by those who use it

        return await PostgresDatabase.open(settings.database_url, pool_size=settings.database_pool_size)
    from bot.store.db import Database

    return await Database.open(settings.database_path)
