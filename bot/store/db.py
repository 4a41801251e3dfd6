"""The single SQLite connection: WAL, foreign keys, serialised transactions and versioned migrations."""
from __future__ import annotations

import asyncio
import logging
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any, Awaitable, Callable, Generator, Iterable

import aiosqlite

log = logging.getLogger("recall.store")

from bot.store.api import Connection, Params, T

__all__ = ["Connection", "Database", "SchemaTooNewError"]

# Bodies that queue up while the lock is busy are committed together, up to this many per commit (a group runs
# without yielding to the event loop, so it is kept short).
GROUP_LIMIT = 32


class SchemaTooNewError(Exception):
    """The database was written by a newer Recall than this one."""


def _migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every bundled migration, in order."""
    found = []
    for entry in resources.files("bot.store").joinpath("migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002, … without gaps; found {versions}")
    return found


def _statements(script: str) -> Iterable[str]:
    # executescript() would COMMIT first, so statements are split and run one by one inside our transaction.
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        yield buffer


# The two places Recall reaches inside aiosqlite (pinned to the tested range in pyproject.toml; the store tests fail
# loudly if either attribute disappears): the plain sqlite3 connection, used from the event loop's thread for the hot
# path, and the connection's worker thread, to run several statements in one hop.
def _raw(conn: aiosqlite.Connection) -> sqlite3.Connection:
    return conn._conn


def _in_worker(conn: aiosqlite.Connection, function: Callable[..., T], *args: Any) -> Awaitable[T]:
    return conn._execute(function, *args)


def check_aiosqlite(conn: aiosqlite.Connection) -> None:
    """Fail at start-up, with the reason, if this aiosqlite no longer has what _raw and _in_worker use."""
    if not isinstance(getattr(conn, "_conn", None), sqlite3.Connection) or not callable(getattr(conn, "_execute", None)):
        raise RuntimeError(
            f"aiosqlite {getattr(aiosqlite, '__version__', '?')} changed its internals; install the version range "
            "pyproject.toml names (pip install -e .)"
        )


class InlineCursor:
    """aiosqlite's cursor API over a plain sqlite3 cursor: every await completes at once, in the calling thread."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Generator[Any, None, "InlineCursor"]:
        return self
        yield  # pragma: no cover - makes this a generator that finishes without suspending

    async def __aenter__(self) -> "InlineCursor":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    def __aiter__(self) -> "InlineCursor":
        return self

    async def __anext__(self) -> sqlite3.Row:
        row = self._cursor.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def description(self) -> Any:
        return self._cursor.description


class InlineConnection:
    """The part of aiosqlite.Connection that store code uses inside a transaction, run synchronously.

    `Database.atomic` runs a transaction body with this in place of the aiosqlite connection: the same
    `await conn.execute(...)` code then runs straight through, with no thread hop per statement. Committing or
    rolling back is atomic()'s job, so those are refused.
    """

    __slots__ = ("_raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    def execute(self, sql: str, parameters: Params = ()) -> InlineCursor:
        return InlineCursor(self._raw.execute(sql, parameters))

    def executemany(self, sql: str, parameters: Iterable[Params]) -> InlineCursor:
        return InlineCursor(self._raw.executemany(sql, parameters))

    async def execute_fetchall(self, sql: str, parameters: Params = ()) -> list[Any]:
        return self._raw.execute(sql, parameters).fetchall()

    async def execute_insert(self, sql: str, parameters: Params = ()) -> Any:
        cursor = self._raw.execute(sql, parameters)
        return cursor.execute("SELECT last_insert_rowid()").fetchone()

    @property
    def in_transaction(self) -> bool:
        return self._raw.in_transaction

    @property
    def total_changes(self) -> int:
        return self._raw.total_changes

    async def commit(self) -> None:
        raise RuntimeError("an atomic transaction body must not commit; Database.atomic commits it")

    async def rollback(self) -> None:
        raise RuntimeError("an atomic transaction body must not roll back; raise an exception instead")


class AwaitedOutsideError(RuntimeError):
    """An atomic transaction body awaited something other than its connection (it must not suspend)."""


def _drive(body: Awaitable[T]) -> T:
    """Run a coroutine that never suspends to its end, without an event loop."""
    coroutine = body.__await__()
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]
    coroutine.close()
    raise AwaitedOutsideError("an atomic transaction body may only await its connection (no sleeps, locks or I/O)")


def _fetch_one(raw: sqlite3.Connection, sql: str, params: Params) -> Any:
    cursor = raw.execute(sql, params)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


Outcome = tuple[bool, Any]  # (True, value) or (False, exception)


def _write_group(raw: sqlite3.Connection, bodies: list[Callable[[InlineConnection], Awaitable[Any]]]) -> list[Outcome]:
    """One BEGIN … COMMIT for all bodies, each in its own savepoint.

    A failing body rolls back to its savepoint only, so the others still commit; a failing COMMIT fails them all.
    """
    conn = InlineConnection(raw)
    outcomes: list[Outcome] = []
    alone = len(bodies) == 1  # no savepoint needed: rolling back the transaction is the same
    raw.execute("BEGIN IMMEDIATE")
    try:
        for body in bodies:
            if not alone:
                raw.execute("SAVEPOINT atomic_body")
            try:
                value = _drive(body(conn))
            except Exception as exc:  # the body's own failure: undo its writes only
                if not alone:
                    raw.execute("ROLLBACK TO atomic_body")
                    raw.execute("RELEASE atomic_body")
                outcomes.append((False, exc))
            else:
                if not alone:
                    raw.execute("RELEASE atomic_body")
                outcomes.append((True, value))
        if alone and not outcomes[0][0]:
            raw.execute("ROLLBACK")
        else:
            raw.execute("COMMIT")
    except BaseException as exc:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        if not isinstance(exc, Exception):
            raise
        return [(False, exc)] * len(bodies)
    return outcomes


class Database:
    """Owns the connection. Every write goes through `atomic()`, every read through `lookup()`, `fetchone()` or
    `fetchall()`, one at a time (they share one lock). This is the interface services use (see bot.store.api).

    Two speeds: `fetchone()`, `fetchall()` and `atomic(offload=True)` run in aiosqlite's thread, so a slow statement
    never stalls the event loop; `atomic()` and `lookup()` are for the short, indexed statements of hot paths (a rating,
    a Reveal) and run in the event loop's thread, because handing them to another thread costs more than they do and
    buys no parallelism (that thread would need the GIL for the Python around them). Nothing on the fast path waits
    for the disk: with WAL and synchronous=NORMAL a commit only appends to the log, and checkpoints (which do
    fsync) run on a second connection in the background instead of inside some member's commit.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._queued: list[
            tuple[Callable[[InlineConnection], Awaitable[Any]], asyncio.Future[Any], Callable[[Any], None] | None]
        ] = []
        self._writer: asyncio.Task[None] | None = None
        self._checkpointer: Checkpointer | None = None

    @classmethod
    async def open(cls, path: Path | str) -> "Database":
        path = Path(path)
        in_memory = str(path) == ":memory:"
        if not in_memory:
            path.parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: atomic() and lookup() use the connection from the event loop's thread, always
        # under the lock, so it is never used by two threads at once.
        conn = await aiosqlite.connect(path, isolation_level=None, check_same_thread=False)
        conn.row_factory = aiosqlite.Row
        check_aiosqlite(conn)
        db = cls(conn, path)
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await db.migrate()
            if not in_memory:
                await conn.execute("PRAGMA wal_autocheckpoint=0")  # the Checkpointer does it, off the hot path
                await conn.execute(f"PRAGMA journal_size_limit={64 * 1024 * 1024}")  # a restarted log shrinks
                db._checkpointer = await Checkpointer.open(path, db._lock)
                db._committed()  # the migrations are still only in the log
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        if self._checkpointer is not None:
            await self._checkpointer.close()
            self._checkpointer = None
        async with self._lock:
            await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            await self.conn.close()

    async def schema_version(self) -> int:
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0])

    async def migrate(self) -> list[str]:
        """Apply pending migrations in one transaction; return the names applied."""
        migrations = _migrations()
        current = await self.schema_version()
        latest = migrations[-1][0] if migrations else 0
        if current > latest:
            raise SchemaTooNewError(
                f"{self.path} has schema version {current}, newer than this Recall knows ({latest}). "
                "Upgrade Recall, or point DATABASE_PATH at another file."
            )
        pending = [m for m in migrations if m[0] > current]
        if not pending:
            return []
        async def apply(conn: InlineConnection) -> None:
            for _version, _name, sql in pending:
                for statement in _statements(sql):
                    await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {pending[-1][0]}")

        await self.atomic(apply, offload=True)
        return [name for _, name, _ in pending]

    async def atomic(
        self,
        body: Callable[[Any], Awaitable[T]],
        after_commit: Callable[[T], None] | None = None,
        *,
        offload: bool = False,
    ) -> T:
        """Run `await body(conn)` as one transaction and return its result: the one way to write.

        It returns only after the COMMIT, so whatever the caller shows next is already stored. The body may await
        only `conn` (it runs to its end without suspending); raising rolls back its own writes only.
        `after_commit(result)` runs right after the COMMIT of an inline body, before any other coroutine can run: what
        it records beside the database is then never older than the database (an offloaded body's runs as soon as the
        worker thread hands the result back).

        Short, indexed bodies (a rating, an answer) run in the event loop's thread: handing them to another thread
        costs more than they do and buys no parallelism (that thread would need the GIL for the Python around them),
        and bodies that arrive while others wait for the lock are committed together (group commit), each in its own
        savepoint. `offload=True` is for bodies that may take long (a migration, recounting a server's streaks,
        refiling its months): they run alone in the connection's worker thread, so the event loop keeps serving.
        """
        if offload:
            async with self._lock:
                try:
                    ((ok, value),) = await _in_worker(self.conn, _write_group, _raw(self.conn), [body])
                finally:
                    self._committed()
            if not ok:
                raise value
            if after_commit is not None:
                after_commit(value)
            return value  # type: ignore[no-any-return]
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queued.append((body, future, after_commit))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        return await future

    async def _write_queued(self) -> None:
        while self._queued:
            async with self._lock:
                group, self._queued = self._queued[:GROUP_LIMIT], self._queued[GROUP_LIMIT:]
                try:
                    outcomes = _write_group(_raw(self.conn), [body for body, _, _ in group])
                except Exception as exc:  # the connection itself failed (e.g. closed)
                    outcomes = [(False, exc)] * len(group)
                self._committed()
            for (_, future, after_commit), (ok, value) in zip(group, outcomes):
                if ok and after_commit is not None:
                    try:
                        after_commit(value)
                    except Exception:  # the transaction stands; what was remembered beside it is the caller's
                        log.exception("after_commit failed")
                if future.done():  # the caller was cancelled; its writes stand, like a finished transaction's
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    async def lookup(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """The first row of a short, indexed read on a hot path (a key lookup), without a thread hop."""
        async with self._lock:
            return _fetch_one(_raw(self.conn), sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        async with self._lock:
            # One thread hop instead of three (execute, fetchone, close).
            return await _in_worker(self.conn, _fetch_one, _raw(self.conn), sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            return list(await self.conn.execute_fetchall(sql, params))

    def _committed(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.wake()


class Checkpointer:
    """Copies the write-ahead log back into the database file from its own connection and thread.

    SQLite would otherwise checkpoint inside whichever commit crosses 1000 log pages, making that member wait for
    an fsync. A PASSIVE checkpoint never blocks writers or readers; it runs shortly after writes, at most once per
    DELAY. Under steady writes a passive checkpoint never finds the log fully copied, so the log could never start
    over and would grow without end: once it holds RESTART_FRAMES, the next checkpoint takes the database lock (writers
    queue up in the event loop meanwhile; the loop itself is not blocked), copies the few frames left and restarts
    the log. A checkpoint that fails is retried after the next write.
    """

    DELAY = 0.5
    RESTART_FRAMES = 4096  # 16 MB of log with 4 KB pages

    def __init__(self, conn: aiosqlite.Connection, lock: asyncio.Lock) -> None:
        self.conn = conn
        self._lock = lock
        self._wanted = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="recall-checkpointer")

    @classmethod
    async def open(cls, path: Path, lock: asyncio.Lock) -> "Checkpointer":
        conn = await aiosqlite.connect(path, isolation_level=None)
        # Short: a RESTART that finds an outside reader gives up and is retried later rather than hold the lock.
        await conn.execute("PRAGMA busy_timeout=100")
        return cls(conn, lock)

    def wake(self) -> None:
        self._wanted.set()

    async def checkpoint(self) -> int:
        """Copy the log into the database file; restart it when it got long. Returns the frames it held."""
        async with self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)") as cur:
            _busy, frames, _copied = await cur.fetchone()
        if frames >= self.RESTART_FRAMES:
            async with self._lock:
                await self.conn.execute("PRAGMA wal_checkpoint(RESTART)")
        return int(frames)

    async def _run(self) -> None:
        while True:
            await self._wanted.wait()
            await asyncio.sleep(self.DELAY)
            self._wanted.clear()
            try:
                await self.checkpoint()
            except sqlite3.Error:
                log.warning("background checkpoint failed; retrying after the next write", exc_info=True)

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.conn.close()
