import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.store.db import Database, SchemaTooNewError, _migrations


async def test_migrates_an_empty_database(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "r.db")
    try:
        assert await db.schema_version() == len(_migrations())
        tables = {r["name"] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"meta", "guild_settings", "members", "activity", "srs_state", "reviews"} <= tables
        mode = await db.fetchone("PRAGMA journal_mode")
        assert mode[0] == "wal"
        fk = await db.fetchone("PRAGMA foreign_keys")
        assert fk[0] == 1
    finally:
        await db.close()


async def test_reopening_a_migrated_database_applies_nothing(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "r.db")
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    await db.close()
    db = await Database.open(tmp_path / "r.db")
    try:
        assert await db.migrate() == []
        row = await db.fetchone("SELECT value FROM meta WHERE key = 'k'")
        assert row["value"] == "v"
    finally:
        await db.close()


async def test_close_leaves_no_wal_behind(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "r.db")
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    await db.close()
    wal = tmp_path / "r.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0


async def test_newer_schema_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 999")
    with pytest.raises(SchemaTooNewError, match="schema version 999, newer than this Recall knows"):
        await Database.open(path)


async def test_a_failing_migration_leaves_the_database_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.store.db as dbmod

    good = _migrations()
    broken = good + [(len(good) + 1, "9999_broken.sql", "CREATE TABLE fine (x);\nTHIS IS NOT SQL;")]
    monkeypatch.setattr(dbmod, "_migrations", lambda: broken)
    with pytest.raises(sqlite3.OperationalError):
        await Database.open(tmp_path / "r.db")
    with sqlite3.connect(tmp_path / "r.db") as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 0
        assert raw.execute("SELECT count(*) FROM sqlite_master WHERE name = 'fine'").fetchone()[0] == 0


async def test_transactions_never_interleave(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "r.db")
    order: list[str] = []

    async def writer(name: str) -> None:
        async with db.transaction() as conn:
            order.append(f"{name}-begin")
            await conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (name, "1"))
            await asyncio.sleep(0.01)
            order.append(f"{name}-end")

    try:
        await asyncio.gather(writer("a"), writer("b"), writer("c"))
        for i in range(0, 6, 2):
            assert order[i].split("-")[0] == order[i + 1].split("-")[0]
    finally:
        await db.close()


async def test_rollback_on_error(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "r.db")
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO meta (key, value) VALUES ('x', '1')")
                raise RuntimeError("boom")
        assert await db.fetchone("SELECT 1 FROM meta WHERE key = 'x'") is None
    finally:
        await db.close()
