"""Database.atomic (group commit, one savepoint per body), lookup, and the background checkpointer."""
import asyncio
import contextlib
import sqlite3
import threading
import time
from pathlib import Path
from typing import AsyncIterator

import pytest

import bot.store.db as dbmod
from bot.core.errors import NotSaved
from bot.store.db import AwaitedOutsideError, Checkpointer, Database


def insert(key: str, *, fail: bool = False):
    async def body(conn) -> str:
        await conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, "v"))
        if fail:
            raise ValueError(f"{key} failed")
        async with conn.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return f"{key}={row['value']}"

    return body


@pytest.fixture
def db(sqlite_db: Database) -> Database:
    """SQLite's own write path: these tests run on SQLite only (tests/store/test_postgres.py has PostgreSQL's)."""
    return sqlite_db


def committed_keys(path: Path) -> set[str]:
    """What another connection sees: only committed rows."""
    with sqlite3.connect(path) as other:
        return {key for (key,) in other.execute("SELECT key FROM meta")}


async def test_atomic_returns_the_body_result_after_the_commit(db: Database, tmp_path: Path) -> None:
    assert await db.atomic(insert("a")) == "a=v"
    assert committed_keys(db.path) == {"a"}


async def test_a_failing_body_rolls_back_only_its_own_writes(db: Database, tmp_path: Path) -> None:
    async with db._lock:  # hold the lock so all three queue up and are written as one group
        calls = [asyncio.ensure_future(db.atomic(insert(k, fail=k == "b"))) for k in ("a", "b", "c")]
        await asyncio.sleep(0)
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert results[0] == "a=v" and results[2] == "c=v"
    assert isinstance(results[1], ValueError) and str(results[1]) == "b failed"
    assert committed_keys(db.path) == {"a", "c"}


async def test_a_lone_failing_body_leaves_nothing_behind(db: Database, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="x failed"):
        await db.atomic(insert("x", fail=True))
    assert committed_keys(db.path) == set()
    assert await db.atomic(insert("y")) == "y=v"  # the connection is usable afterwards


async def test_bodies_waiting_for_the_lock_are_committed_together(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int] = []
    real = dbmod._write_group

    def counting(raw, bodies):
        sizes.append(len(bodies))
        return real(raw, bodies)

    monkeypatch.setattr(dbmod, "_write_group", counting)
    async with db._lock:
        calls = [asyncio.ensure_future(db.atomic(insert(f"k{n}"))) for n in range(5)]
        await asyncio.sleep(0)
    assert await asyncio.gather(*calls) == [f"k{n}=v" for n in range(5)]
    assert sizes == [5]


async def test_groups_are_capped(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    real = dbmod._write_group
    monkeypatch.setattr(dbmod, "GROUP_LIMIT", 2)
    monkeypatch.setattr(dbmod, "_write_group", lambda raw, bodies: sizes.append(len(bodies)) or real(raw, bodies))
    async with db._lock:
        calls = [asyncio.ensure_future(db.atomic(insert(f"k{n}"))) for n in range(5)]
        await asyncio.sleep(0)
    await asyncio.gather(*calls)
    assert sizes == [2, 2, 1]


async def test_after_commit_runs_once_committed_before_any_caller_resumes(db: Database, tmp_path: Path) -> None:
    seen: list[tuple] = []

    def after(value: str) -> None:
        seen.append(("after", value, committed_keys(db.path)))

    async def write(key: str, fail: bool = False) -> None:
        try:
            value = await db.atomic(insert(key, fail=fail), after)
        except ValueError:
            value = "failed"
        seen.append(("resumed", value))

    await asyncio.gather(write("a"), write("b", fail=True), write("c"))
    assert seen == [
        ("after", "a=v", {"a", "c"}),  # already stored, and not for the body that failed
        ("after", "c=v", {"a", "c"}),
        ("resumed", "a=v"),  # no caller saw the result before every callback of the group had run
        ("resumed", "failed"),
        ("resumed", "c=v"),
    ]


async def test_a_body_that_suspends_is_refused_and_undone(db: Database, tmp_path: Path) -> None:
    async def sleepy(conn) -> None:
        await conn.execute("INSERT INTO meta (key, value) VALUES ('s', '1')")
        await asyncio.sleep(0)

    with pytest.raises(AwaitedOutsideError):
        await db.atomic(sleepy)
    assert committed_keys(db.path) == set()


async def test_a_body_may_not_commit_itself(db: Database) -> None:
    async def committing(conn) -> None:
        await conn.commit()

    with pytest.raises(RuntimeError, match="must not commit"):
        await db.atomic(committing)


async def test_inline_cursor_reads_like_aiosqlite(db: Database) -> None:
    async def body(conn):
        await conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [("p", "1"), ("q", "2"), ("r", "3")])
        cursor = await conn.execute("SELECT key FROM meta ORDER BY key")
        first = await cursor.fetchone()
        rest = [row["key"] async for row in cursor]
        everything = await conn.execute_fetchall("SELECT value FROM meta ORDER BY key")
        inserted = await conn.execute("INSERT INTO meta (key, value) VALUES ('s', '4')")
        return first["key"], rest, [row[0] for row in everything], inserted.rowcount

    assert await db.atomic(body) == ("p", ["q", "r"], ["1", "2", "3"], 1)


async def test_lookup_reads_the_first_row_or_none(db: Database) -> None:
    await db.atomic(insert("a"))
    await db.atomic(insert("b"))
    row = await db.lookup("SELECT key FROM meta ORDER BY key")
    assert row is not None and row["key"] == "a"
    assert await db.lookup("SELECT key FROM meta WHERE key = 'zzz'") is None


async def test_commits_never_checkpoint_but_the_checkpointer_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Checkpointer, "DELAY", 0.01)
    db = await Database.open(tmp_path / "r.db")
    try:
        assert (await db.fetchone("PRAGMA wal_autocheckpoint"))[0] == 0
        await db.atomic(insert("a"))
        # immutable=1 reads the database file alone, ignoring the log: the row is there once checkpointed.
        uri = f"file:{tmp_path / 'r.db'}?immutable=1"
        for _ in range(200):
            with sqlite3.connect(uri, uri=True) as raw:
                try:
                    if raw.execute("SELECT count(*) FROM meta WHERE key = 'a'").fetchone()[0]:
                        break
                except sqlite3.OperationalError:  # not even the schema is in the file yet
                    pass
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the row never reached the database file")
    finally:
        await db.close()


async def test_a_long_log_is_restarted_under_the_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Under steady writes a passive checkpoint never completes, so SQLite would never start the log over by itself:
    # past RESTART_FRAMES the checkpointer restarts it, holding the lock so no write of ours is in the way.
    monkeypatch.setattr(Checkpointer, "DELAY", 3600)  # only the explicit checkpoints below run
    monkeypatch.setattr(Checkpointer, "RESTART_FRAMES", 20)
    db = await Database.open(tmp_path / "r.db")
    try:
        checkpointer = db._checkpointer
        assert checkpointer is not None
        ran: list[tuple[str, bool]] = []
        execute = checkpointer.conn.execute

        def recording(sql, *args):
            ran.append((sql, db._lock.locked()))
            return execute(sql, *args)

        await checkpointer.checkpoint()  # the migrations' log
        monkeypatch.setattr(checkpointer.conn, "execute", recording)
        await db.atomic(insert("one"))
        assert await checkpointer.checkpoint() < 20
        assert [sql for sql, _ in ran] == ["PRAGMA wal_checkpoint(PASSIVE)"]
        ran.clear()
        for n in range(40):
            await db.atomic(insert(f"k{n}"))
        assert await checkpointer.checkpoint() >= 20
        assert ran == [("PRAGMA wal_checkpoint(PASSIVE)", False), ("PRAGMA wal_checkpoint(RESTART)", True)]
    finally:
        await db.close()


# --- Another program holding the write lock ------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def another_program_writing(path: Path, seconds: float) -> AsyncIterator[None]:
    """Another connection (a backup tool, a sqlite3 shell) holds the write lock for `seconds`, from its own thread,
    so it lets go even if the event loop were blocked."""
    holding = threading.Event()

    def hold() -> None:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            holding.set()
            time.sleep(seconds)
            other.execute("COMMIT")

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        holding.wait()
        yield
    finally:
        await asyncio.to_thread(thread.join)


async def ticking(stop: asyncio.Event) -> int:
    """How many 10 ms sleeps the event loop completes until `stop`: it stays near zero if the loop is blocked."""
    ticks = 0
    while not stop.is_set():
        await asyncio.sleep(0.01)
        ticks += 1
    return ticks


async def test_a_locked_database_is_retried_off_the_loop_until_it_commits(db: Database) -> None:
    committed: list[str] = []
    async with another_program_writing(db.path, 0.6):
        stop = asyncio.Event()
        ticker = asyncio.ensure_future(ticking(stop))
        writes = [asyncio.ensure_future(db.atomic(insert(k), committed.append)) for k in ("a", "b")]
        offloaded = asyncio.ensure_future(db.atomic(insert("c"), committed.append, offload=True))
        await asyncio.sleep(0.3)
        assert not any(w.done() for w in writes) and not offloaded.done()  # still waiting for the lock
        # Reads go on meanwhile: WAL readers do not need the write lock, and no one holds ours while waiting.
        assert await db.lookup("SELECT count(*) AS n FROM meta") is not None
        assert (await db.fetchone("SELECT count(*) FROM meta"))[0] == 0
        assert await db.fetchall("SELECT key FROM meta") == []
        stop.set()
        assert await ticker > 10  # the loop kept turning (it is blocked for all 0.3 s if SQLite waits in it)
    assert await asyncio.gather(*writes, offloaded) == ["a=v", "b=v", "c=v"]
    assert sorted(committed) == ["a=v", "b=v", "c=v"]  # each after_commit once, after the real commit
    assert committed_keys(db.path) == {"a", "b", "c"}


async def test_a_write_locked_out_too_long_is_not_saved_and_says_so(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dbmod, "BUSY_PATIENCE", 0.3)
    committed: list[str] = []
    async with another_program_writing(db.path, 1.0):
        stop = asyncio.Event()
        ticker = asyncio.ensure_future(ticking(stop))
        inline = asyncio.ensure_future(db.atomic(insert("a"), committed.append))
        offloaded = asyncio.ensure_future(db.atomic(insert("b"), committed.append, offload=True))
        results = await asyncio.gather(inline, offloaded, return_exceptions=True)
        stop.set()
        assert await ticker > 10
    for result in results:
        assert isinstance(result, NotSaved) and "was **not** saved" in str(result)
    assert committed == [] and committed_keys(db.path) == set()
    assert await db.atomic(insert("c")) == "c=v"  # once the lock is free, writes work again
    assert committed_keys(db.path) == {"c"}


async def test_a_group_that_met_the_lock_midway_is_rolled_back_and_run_again_whole(db: Database) -> None:
    # As a statement of a journal-mode database can: the lock is found after some bodies wrote. Their writes are
    # rolled back with the rest and every body runs again, so nothing is stored twice and nothing half.
    runs: list[str] = []
    committed: list[str] = []

    def locked_once(key: str):
        async def body(conn) -> str:
            runs.append(key)
            await conn.execute("INSERT INTO meta (key, value) VALUES (?, 'v')", (key,))
            if runs.count(key) == 1:
                busy = sqlite3.OperationalError("database is locked")
                busy.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
                raise busy
            return key

        return body

    async with db._lock:  # queue both, so they run as one group
        calls = [asyncio.ensure_future(db.atomic(insert("a"), committed.append)),
                 asyncio.ensure_future(db.atomic(locked_once("b"), committed.append))]
        await asyncio.sleep(0)
    assert await asyncio.gather(*calls) == ["a=v", "b"]
    assert runs == ["b", "b"] and committed == ["a=v", "b"]
    assert committed_keys(db.path) == {"a", "b"}
