"""The single SQLite connection: WAL, foreign keys, serialised transactions and versioned migrations."""
from __future__ import annotations

import asyncio
import logging
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any, Awaitable, Callable, Generator, Iterable, Iterator

import aiosqlite

from bot.core.errors import Busy, NotSaved
from bot.store.api import Connection, Params, SchemaTooNewError, T, UnusableDatabase

log = logging.getLogger("recall.store")

__all__ = ["Connection", "Database", "SchemaTooNewError", "UnusableDatabase"]

# Bodies that queue up while the lock is busy are committed together, up to this many per commit (a group runs
# without yielding to the event loop, so it is kept short).
GROUP_LIMIT = 32

# How long a statement keeps trying while another program (a backup tool, a sqlite3 shell) holds the database's
# write lock, before the member is told it was not saved. Each try returns at once (busy_timeout is 0: waiting
# inside SQLite would block the event loop, or the connection's thread that reads share); between tries the
# event loop serves everyone else. Pauses grow from 2 ms to 100 ms, like SQLite's own busy handler.
BUSY_PATIENCE = 12.0
FIRST_PAUSE = 0.002
LONGEST_PAUSE = 0.1


def _is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY (any extended code): another connection holds a lock; trying again later may succeed."""
    return isinstance(exc, sqlite3.OperationalError) and (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY


def _pauses() -> Iterator[float]:
    pause = FIRST_PAUSE
    while True:
        yield pause
        pause = min(pause * 2, LONGEST_PAUSE)


def _migrations(folder: str = "migrations") -> list[tuple[int, str, str]]:
    """(version, name, sql) for every bundled migration, in order (`migrations_pg`: PostgreSQL's)."""
    found = []
    for entry in resources.files("bot.store").joinpath(folder).iterdir():
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
    SQLITE_BUSY (another program holds the lock) is raised after rolling everything back, so the caller can run the
    same bodies again later: nothing of theirs was stored.
    """
    conn = InlineConnection(raw)
    outcomes: list[Outcome] = []
    alone = len(bodies) == 1  # no savepoint needed: rolling back the transaction is the same
    raw.execute("BEGIN IMMEDIATE")  # SQLITE_BUSY here: nothing begun, nothing to undo
    try:
        for body in bodies:
            if not alone:
                raw.execute("SAVEPOINT atomic_body")
            try:
                value = _drive(body(conn))
            except Exception as exc:  # the body's own failure: undo its writes only
                if _is_busy(exc):  # not the body's fault: the whole group is tried again
                    raise
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
        if not isinstance(exc, Exception) or _is_busy(exc):
            raise
        return [(False, exc)] * len(bodies)
    return outcomes


# --- Recognising Recall's database -------------------------------------------------------------------------------------
# A file is Recall's when PRAGMA user_version (which every migration sets, in its own transaction) is 1 or more and it
# has the `meta` table of migration 0001; it is new when it has no tables at all and user_version 0. Anything else
# with tables belongs to another program and is refused before a single byte of it is written (no WAL switch).

_TABLES_SQL = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
_COLUMNS_SQL = "SELECT name FROM pragma_table_info(?)"


def _schema_of(raw: sqlite3.Connection) -> dict[str, set[str]]:
    """Every table's columns."""
    tables = [row[0] for row in raw.execute(_TABLES_SQL)]
    return {table: {row[0] for row in raw.execute(_COLUMNS_SQL, (table,))} for table in tables}


def _reference_schema(version: int) -> dict[str, set[str]]:
    """The tables and columns Recall's migrations 1..version create, built in memory (a few milliseconds)."""
    reference = sqlite3.connect(":memory:")
    try:
        for number, _name, sql in _migrations():
            if number > version:
                break
            for statement in _statements(sql):
                reference.execute(statement)
        return _schema_of(reference)
    finally:
        reference.close()


def _missing(schema: dict[str, set[str]], reference: dict[str, set[str]]) -> list[str]:
    """The tables and columns of `reference` that `schema` lacks (more is fine: a later Recall may add some)."""
    missing = []
    for table, columns in sorted(reference.items()):
        if table not in schema:
            missing.append(f"table {table}")
        else:
            missing += [f"column {table}.{column}" for column in sorted(columns - schema[table])]
    return missing


def _recognise(raw: sqlite3.Connection, path: Path) -> int:
    """Recall's schema version of the open file (0: a new, empty database), found by reading only.

    Raises UnusableDatabase for another program's database, one newer than this Recall, or one whose tables are
    not those its schema version has (damaged, or edited by hand).
    """
    version = int(raw.execute("PRAGMA user_version").fetchone()[0])
    tables = {row[0] for row in raw.execute(_TABLES_SQL)}
    if version == 0 and not tables:
        return 0
    where = f"DATABASE_PATH: {str(path)!r}"
    if version == 0 or "meta" not in tables:
        raise UnusableDatabase(
            f"{where} is another program's SQLite database (it has tables, but not Recall's); Recall left it "
            "untouched. Point DATABASE_PATH at Recall's database, or at a new file."
        )
    latest = len(_migrations())
    if version > latest:
        raise _too_new(path, version, latest)
    missing = _missing(_schema_of(raw), _reference_schema(version))
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise UnusableDatabase(
            f"{where} is Recall's (schema version {version}) but lacks {shown}: it is damaged or was edited. "
            "Restore it from a backup, or point DATABASE_PATH at a new file."
        )
    return version


def _too_new(path: Path, version: int, latest: int) -> SchemaTooNewError:
    return SchemaTooNewError(
        f"{path} has schema version {version}, newer than this Recall knows ({latest}). "
        "Upgrade Recall, or point DATABASE_PATH at another file."
    )


def _unusable(path: Path, exc: sqlite3.Error) -> UnusableDatabase:
    """One line for an SQLite error met while opening the database: what is wrong and what to do."""
    where = f"DATABASE_PATH: {str(path)!r}"
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_NOTADB:
        text = f"{where} is not an SQLite database. Point DATABASE_PATH at Recall's database, or move the file " \
            "away and Recall starts a new one."
    elif code == sqlite3.SQLITE_CORRUPT:
        text = f"{where} is damaged (SQLite: {exc}; e.g. a copy cut short). Restore it from a backup, or move it " \
            "away and Recall starts a new one."
    elif code == sqlite3.SQLITE_BUSY:
        text = f"{where} is locked by another program for longer than {BUSY_PATIENCE:.0f} s. Let it finish (or " \
            "stop it) and start Recall again."
    elif code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
        text = f"{where}: SQLite cannot open or write it or the -wal and -shm files beside it (SQLite: {exc}). " \
            "They must be regular files this user can write."
    else:
        text = f"{where} cannot be used (SQLite: {exc})."
    return UnusableDatabase(text)


class Database:
    """Owns the connection. Every write goes through `atomic()`, every read through `lookup()`, `fetchone()` or
    `fetchall()`, one at a time (they share one lock). This is the interface services use (see bot.store.api).

    Two speeds: `fetchone()`, `fetchall()` and `atomic(offload=True)` run in aiosqlite's thread, so a slow statement
    never stalls the event loop; `atomic()` and `lookup()` are for the short, indexed statements of hot paths (a rating,
    a Reveal) and run in the event loop's thread, because handing them to another thread costs more than they do and
    buys no parallelism (that thread would need the GIL for the Python around them). Nothing on the fast path waits
    for the disk: with WAL and synchronous=NORMAL a commit only appends to the log, and checkpoints (which do
    fsync) run on a second connection in the background instead of inside some member's commit.

    Nothing waits inside SQLite for another program's lock either (busy_timeout is 0): a statement that finds the
    database locked is tried again after a pause in which the event loop serves everyone else, for BUSY_PATIENCE;
    then the caller gets `NotSaved` (a write, rolled back whole) or `Busy` (a read), which members are shown.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        # (body, its caller's future, after_commit, when it gives up on a locked database)
        self._queued: list[
            tuple[Callable[[InlineConnection], Awaitable[Any]], asyncio.Future[Any], Callable[[Any], object] | None, float]
        ] = []
        self._writer: asyncio.Task[None] | None = None
        self._checkpointer: Checkpointer | None = None

    @classmethod
    async def open(cls, path: Path | str) -> "Database":
        """Open (or create) Recall's database and bring its schema up to date.

        A file that is not Recall's, is damaged, or cannot be opened raises `UnusableDatabase` with one line naming
        DATABASE_PATH; a file that has tables but is not Recall's is refused before anything is written to it.
        """
        path = Path(path)
        in_memory = str(path) == ":memory:"
        if not in_memory:
            path.parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: atomic() and lookup() use the connection from the event loop's thread, always
        # under the lock, so it is never used by two threads at once. timeout=0: see BUSY_PATIENCE.
        conn = await aiosqlite.connect(path, isolation_level=None, check_same_thread=False, timeout=0)
        conn.row_factory = aiosqlite.Row
        db = cls(conn, path)
        try:
            check_aiosqlite(conn)
            await db._prepare(in_memory)
        except BaseException as exc:
            await conn.close()
            if isinstance(exc, Busy):
                raise _unusable(path, sqlite3.OperationalError("database is locked")) from exc
            if isinstance(exc, sqlite3.Error):
                raise _unusable(path, exc) from exc
            raise
        return db

    async def _prepare(self, in_memory: bool) -> None:
        conn = self.conn
        await _in_worker(conn, _recognise, _raw(conn), self.path)  # reads only: a foreign file stays untouched
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA synchronous=NORMAL")
        try:
            await self.migrate()
        except sqlite3.Error as exc:
            raise UnusableDatabase(
                f"DATABASE_PATH: {str(self.path)!r}: upgrading its schema failed (SQLite: {exc}); it was left as it "
                "was. Restore it from a backup, or point DATABASE_PATH at a new file."
            ) from exc
        if not in_memory:
            await conn.execute("PRAGMA wal_autocheckpoint=0")  # the Checkpointer does it, off the hot path
            await conn.execute(f"PRAGMA journal_size_limit={64 * 1024 * 1024}")  # a restarted log shrinks
            self._checkpointer = await Checkpointer.open(self.path, self._lock)
            self._committed()  # the migrations are still only in the log

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
            raise _too_new(self.path, current, latest)
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
        after_commit: Callable[[T], object] | None = None,
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

        While another program holds the database's write lock, the body is run again (whole: its earlier run was
        rolled back) until it commits or BUSY_PATIENCE passes; then `NotSaved` is raised and nothing of it is stored.
        """
        if offload:
            ((ok, value),) = await self._patiently(
                lambda: _in_worker(self.conn, _write_group, _raw(self.conn), [body]), NotSaved
            )
            self._committed()
            if not ok:
                raise value
            if after_commit is not None:
                after_commit(value)
            return value  # type: ignore[no-any-return]
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queued.append((body, future, after_commit, loop.time() + BUSY_PATIENCE))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        return await future

    async def _write_queued(self) -> None:
        pauses: Iterator[float] | None = None  # set while another program holds the lock
        while self._queued:
            async with self._lock:
                group = self._queued[:GROUP_LIMIT]
                try:
                    outcomes = _write_group(_raw(self.conn), [body for body, _, _, _ in group])
                except Exception as exc:
                    if not _is_busy(exc):  # the connection itself failed (e.g. closed)
                        outcomes = [(False, exc)] * len(group)
                    else:
                        outcomes = None
                if outcomes is not None:
                    del self._queued[: len(group)]
                    self._committed()
            if outcomes is None:  # rolled back whole: wait with the lock released, so reads go on meanwhile
                self._give_up_waiting()
                pauses = pauses or _pauses()
                await asyncio.sleep(next(pauses))
                continue
            pauses = None
            for (_, future, after_commit, _), (ok, value) in zip(group, outcomes):
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

    def _give_up_waiting(self) -> None:
        """Drop the queued bodies that waited for another program's lock past their patience: NotSaved."""
        now = asyncio.get_running_loop().time()
        waiting = []
        for entry in self._queued:
            _, future, _, give_up_at = entry
            if give_up_at > now:
                waiting.append(entry)
            elif not future.done():
                future.set_exception(NotSaved())
        if len(waiting) < len(self._queued):
            log.warning("another program held the database lock for %.0f s; %d writes were not saved",
                        BUSY_PATIENCE, len(self._queued) - len(waiting))
        self._queued[:] = waiting

    async def _patiently(self, attempt: Callable[[], Awaitable[T]], refusal: type[Busy]) -> T:
        """`await attempt()` under the lock; while it finds the database locked by another program, try again after
        a pause with the lock released, until BUSY_PATIENCE passes (then `refusal`)."""
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + BUSY_PATIENCE
        for pause in _pauses():
            async with self._lock:
                try:
                    return await attempt()
                except sqlite3.OperationalError as exc:
                    if not _is_busy(exc):
                        raise
                    if loop.time() + pause > give_up_at:
                        log.warning("another program held the database lock for %.0f s; gave up", BUSY_PATIENCE)
                        raise refusal() from exc
            await asyncio.sleep(pause)
        raise AssertionError("unreachable: _pauses() never ends")

    async def lookup(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """The first row of a short, indexed read on a hot path (a key lookup), without a thread hop."""
        # The first try is written out rather than handed to _patiently: every Reveal runs it, and the closure and
        # pause generator are only needed when another program holds the lock.
        async with self._lock:
            try:
                return _fetch_one(_raw(self.conn), sql, params)
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise

        async def attempt() -> Any:
            return _fetch_one(_raw(self.conn), sql, params)

        return await self._patiently(attempt, Busy)

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        # One thread hop instead of three (execute, fetchone, close).
        return await self._patiently(lambda: _in_worker(self.conn, _fetch_one, _raw(self.conn), sql, params), Busy)

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        return list(await self._patiently(lambda: self.conn.execute_fetchall(sql, params), Busy))

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
