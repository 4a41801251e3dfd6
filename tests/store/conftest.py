"""The one database fixture of the store and service tests, and a helper to write rows for a test."""
from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator, Sequence

import pytest

from bot.store.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "recall.db")
    try:
        yield database
    finally:
        await database.close()


async def write(db: Database, sql: str, *rows: Sequence[Any]) -> None:
    """Run one statement (once per row of parameters, or once without any) in a transaction of its own."""

    async def body(conn: Any) -> None:
        for params in rows or [()]:
            await conn.execute(sql, params)

    await db.atomic(body)
