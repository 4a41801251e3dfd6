"""The one database fixture of the store and service tests, and a helper to write rows for a test."""
from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator, Sequence

import pytest

from bot.store.api import Store
from bot.store.db import Database
from tests.backends import open_store


@pytest.fixture
async def db(backend: str, tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(backend, tmp_path) as store:
        yield store


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """SQLite only: for what is SQLite's alone (its file, its lock, its write queue)."""
    database = await Database.open(tmp_path / "recall.db")
    try:
        yield database
    finally:
        await database.close()


async def write(db: Store, sql: str, *rows: Sequence[Any]) -> None:
    """Run one statement (once per row of parameters, or once without any) in a transaction of its own."""

    async def body(conn: Any) -> None:
        for params in rows or [()]:
            await conn.execute(sql, params)

    await db.atomic(body)
