import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.store.db import Database, SchemaTooNewError, UnusableDatabase, _migrations
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
        raw.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        raw.execute("PRAGMA user_version = 999")
    with pytest.raises(SchemaTooNewError, match="schema version 999, newer than this Recall knows"):
        await Database.open(path)


async def test_a_failing_migration_leaves_the_database_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.store.db as dbmod

    good = _migrations()
    broken = good + [(len(good) + 1, "9999_broken.sql", "CREATE TABLE fine (x);\nTHIS IS NOT SQL;")]
    monkeypatch.setattr(dbmod, "_migrations", lambda: broken)
    with pytest.raises(UnusableDatabase, match="upgrading its schema failed .*syntax error.*left as it was"):
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


async def test_an_empty_file_becomes_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    path.write_bytes(b"")
    db = await Database.open(path)
    assert await db.schema_version() == len(_migrations())
    await db.close()


@pytest.mark.parametrize("user_version", [0, 3, 999])
async def test_another_programs_database_is_refused_untouched(tmp_path: Path, user_version: int) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE members (id INTEGER PRIMARY KEY, name TEXT)")
        raw.execute("INSERT INTO members (name) VALUES ('someone')")
        raw.execute(f"PRAGMA user_version = {user_version}")
    before = path.read_bytes()
    with pytest.raises(UnusableDatabase, match="DATABASE_PATH: .*other.db' is another program's SQLite database"):
        await Database.open(path)
    assert path.read_bytes() == before
    assert not (tmp_path / "other.db-wal").exists()  # never switched to WAL


async def test_a_recall_database_missing_a_table_or_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = await Database.open(path)
    await db.close()
    with sqlite3.connect(path) as raw:
        raw.execute("DROP TABLE reviews")
        raw.execute("ALTER TABLE members DROP COLUMN last_deck")
    with pytest.raises(UnusableDatabase, match=r"is Recall's \(schema version \d+\) but lacks column members.last_deck, "
                       "table reviews: it is damaged"):
        await Database.open(path)


async def test_an_older_recall_database_is_recognised_and_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.store.db as dbmod

    every = _migrations()
    monkeypatch.setattr(dbmod, "_migrations", lambda: every[:3])
    db = await Database.open(tmp_path / "r.db")
    await db.close()
    monkeypatch.setattr(dbmod, "_migrations", lambda: every)
    db = await Database.open(tmp_path / "r.db")
    assert await db.schema_version() == len(every)
    await db.close()
