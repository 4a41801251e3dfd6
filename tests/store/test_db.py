import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.store.db import Database, SchemaTooNewError, _migrations
from tests.store.conftest import write


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
    await write(db, "INSERT INTO meta (key, value) VALUES ('k', 'v')")
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
    await write(db, "INSERT INTO meta (key, value) VALUES ('k', 'v')")
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


async def test_offloaded_and_inline_transactions_never_interleave(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "r.db")
    order: list[str] = []

    async def slow(conn) -> None:
        order.append("offloaded-begin")
        await conn.execute("INSERT INTO meta (key, value) VALUES ('t', '1')")
        # Some real work in the worker thread, so the inline body below is queued while this one runs.
        await conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) "
                           "SELECT count(*) FROM n")
        order.append("offloaded-end")

    async def quick(conn) -> None:
        order.append("inline")
        await conn.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")

    try:
        first = asyncio.create_task(db.atomic(slow, offload=True))
        await asyncio.sleep(0.005)
        await db.atomic(quick)
        await first
        assert order == ["offloaded-begin", "offloaded-end", "inline"]
    finally:
        await db.close()


async def test_an_offloaded_body_runs_off_the_event_loop_and_rolls_back_on_error(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "r.db")
    loop_thread = threading.get_ident()
    threads: list[int] = []

    async def failing(conn) -> None:
        threads.append(threading.get_ident())
        await conn.execute("INSERT INTO meta (key, value) VALUES ('x', '1')")
        raise RuntimeError("boom")

    try:
        with pytest.raises(RuntimeError, match="boom"):
            await db.atomic(failing, offload=True)
        assert threads and threads[0] != loop_thread
        assert await db.fetchone("SELECT 1 FROM meta WHERE key = 'x'") is None
    finally:
        await db.close()


async def test_the_aiosqlite_internals_the_store_uses_are_there(tmp_path: Path) -> None:
    # bot.store.db reaches two private attributes of aiosqlite (pinned in pyproject.toml): an upgrade that drops either
    # must fail here, loudly, not somewhere in a member's rating.
    from bot.store import db as dbmod

    db = await Database.open(tmp_path / "r.db")
    try:
        assert isinstance(dbmod._raw(db.conn), sqlite3.Connection)
        assert await dbmod._in_worker(db.conn, lambda: threading.get_ident()) != threading.get_ident()
        dbmod.check_aiosqlite(db.conn)
    finally:
        await db.close()


    class Changed:  # what a later aiosqlite might look like: neither attribute
        pass

    with pytest.raises(RuntimeError, match="changed its internals"):
        dbmod.check_aiosqlite(Changed())  # type: ignore[arg-type]
