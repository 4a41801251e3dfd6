from __future__ import annotations

from typing import Any, AsyncIterator

import pytest

from bot.settings import Settings
from bot.store.open import open_database
from tests.backends import postgres_schema
from tests.store.conftest import db, sqlite_db  # noqa: F401  the store tests' database fixtures


@pytest.fixture
async def two() -> AsyncIterator[tuple[Any, Any]]:
    """Two stores on one PostgreSQL database, as two Recall processes would hold."""
    async with postgres_schema() as url:
        settings = Settings(database_url=url, database_pool_size=4)
        first = await open_database(settings)
        second = await open_database(settings)
        try:
            yield first, second
        finally:
            await first.close()
            await second.close()
