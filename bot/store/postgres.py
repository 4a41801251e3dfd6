"""PostgreSQL through an asyncpg pool: the same `Store` as bot.store.db, for hosts that outgrow one SQLite file.

Store SQL is shared with SQLite (see bot.store.api); this module turns its `?`/`:name` placeholders into `$n` once
per statement text and leaves out SQLite's INDEXED BY hints.

Concurrency: SQLite has one writer, so a transaction body never met another's writes. Here several pool connections
and several processes write at once, so every `atomic` body runs at REPEATABLE READ: it reads one snapshot, and
when it writes a row that another transaction changed after that snapshot (first updater wins), or two wait on each
other, PostgreSQL fails it with a serialization error (40001) or a deadlock (40P01). Such a body is run again from
the start, as SQLite's runs again after another program's lock: bodies are written to be re-run (bot.store.api).

That keeps every rule that relied on the single writer, because each such rule's check and its write meet on one
row: a rating reads the member's session and always rewrites it (a double click's second rating then conflicts,
runs again and finds its token used: one review); an explain answer reads and marks its showing; a streak step
reads and upserts the member's streak row; an answer is one unique row (INSERT … ON CONFLICT DO NOTHING); totals are
kept by single-row upserts (`x = x + excluded.x`). A new body whose check reads rows it does not write needs
`SELECT … FOR UPDATE` on them. (SERIALIZABLE would also cover that case, but its predicate locks on shared index
pages failed unrelated members' ratings against each other: measured, 2.7 runs per rating under load.)
"""
from __future__ import annotations

import asyncio
import logging
import random
import re
from typing import Any, Awaitable, Callable, Iterable, Sequence
from urllib.parse import urlsplit

import asyncpg

from bot.core.errors import Busy, NotSaved
from bot.settings import redact_url
from bot.store.api import Params, SchemaTooNewError, T, UnusableDatabase
from bot.store.db import BUSY_PATIENCE, _migrations

log = logging.getLogger("recall.store")

# Pause before running a body again after a conflict: grows, with jitter so two conflicting bodies drift apart.
FIRST_PAUSE = 0.002
LONGEST_PAUSE = 0.1

# Every process that migrates takes this transaction-level advisory lock first, so processes starting together
# migrate one at a time (the second then finds nothing to do). Any fixed 64-bit number; this one spells "recall".
MIGRATION_LOCK = 0x726563616C6C

_VERSION_TABLE = "recall_schema_version"

# Errors after which running the whole transaction again may succeed: another transaction conflicted with it.
_CONFLICTS = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)
# A unique key taken by a transaction that committed while this one ran (two racing submits insert the same
# nonce): had they run one after the other, the second would have seen the first's row. PostgreSQL reports this as
# a serialization failure only when the body read that key first, so it is run again too, but only a few times: a
# body that inserts a duplicate by itself gets the error, as on SQLite.
_RACED_KEY = asyncpg.UniqueViolationError
RACED_KEY_RERUNS = 2
# The connection or the server went away (restart, failover, network): nothing more this statement can do.
_GONE = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.CannotConnectNowError,
         asyncpg.AdminShutdownError, OSError, asyncio.TimeoutError)

# A quoted string, a quoted name or a comment (copied as they are), `::` (a cast), a placeholder, or a hint.
_TOKENS = re.compile(
    r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|::|\?|:[A-Za-z_]\w*|\bINDEXED\s+BY\s+\w+\s*", re.IGNORECASE
)


class Statement:
    """One store statement as PostgreSQL takes it, and how to order its parameters."""

    __slots__ = ("sql", "names")

    def __init__(self, sql: str, names: tuple[str, ...] | None) -> None:
        self.sql = sql
        self.names = names  # :name placeholders in $n order; None for `?` placeholders

    def arguments(self, params: Params) -> Sequence[Any]:
        if self.names is None:
            if isinstance(params, dict):
                raise TypeError("a statement with ? placeholders takes a sequence of parameters")
            return params
        if not isinstance(params, dict):
            raise TypeError("a statement with :name placeholders takes a dict of parameters")
        return [params[name] for name in self.names]


_translated: dict[str, Statement] = {}


def translate(sql: str) -> Statement:
    """The statement with `$n` placeholders (cached: store SQL is a bounded set of texts)."""
    found = _translated.get(sql)
    if found is not None:
        return found
    positional = 0
    names: list[str] = []

    def replace(match: re.Match[str]) -> str:
        nonlocal positional
        token = match.group(0)
        if token == "?":
            positional += 1
            return f"${positional}"
        if token[0] == ":" and token != "::":
            name = token[1:]
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"
        if token[:7].upper() == "INDEXED":
            return ""
        return token

    text = _TOKENS.sub(replace, sql)
    if positional and names:
        raise ValueError(f"a statement mixes ? and :name placeholders: {sql!r}")
    statement = _translated[sql] = Statement(text, tuple(names) if names else None)
    return statement


def _numeric(text: str) -> int | float:
    # SUM and AVG of integers are `numeric` on PostgreSQL (Decimal in Python); SQLite gives int or float, and the
    # code above the store does arithmetic with them as such.
    return float(text) if any(c in text for c in ".eEN") else int(text)


async def _prepare_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("numeric", encoder=str, decoder=_numeric, schema="pg_catalog", format="text")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection needs when it goes back to the pool: nothing. Recall's connections keep no session state
    (no LISTEN, SET, session advisory locks or cursors outside a transaction), so asyncpg's default reset query
    (UNLISTEN, RESET ALL, …) would only cost a round trip after every transaction and every read."""


class PgCursor:
    """A statement's rows, run on the first await (a store body awaits every statement it runs)."""

    __slots__ = ("_conn", "_statement", "_args", "_many", "_rows", "_next")

    def __init__(self, conn: asyncpg.Connection, statement: Statement, args: Any, many: bool = False) -> None:
        self._conn = conn
        self._statement = statement
        self._args = args
        self._many = many
        self._rows: list[asyncpg.Record] | None = None
        self._next = 0

    async def _run(self) -> "PgCursor":
        if self._rows is None:
            if self._many:
                await self._conn.executemany(self._statement.sql, self._args)
                self._rows = []
            else:
                self._rows = await self._conn.fetch(self._statement.sql, *self._args)
        return self

    def __await__(self) -> Any:
        return self._run().__await__()

    async def __aenter__(self) -> "PgCursor":
        return await self._run()

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def fetchone(self) -> Any:
        await self._run()
        assert self._rows is not None
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def fetchall(self) -> list[Any]:
        await self._run()
        assert self._rows is not None
        rest, self._next = self._rows[self._next:], len(self._rows)
        return rest


class PgConnection:
    """The `Connection` a transaction body gets: store SQL run on one pooled connection, inside the transaction."""

    __slots__ = ("_conn",)

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Params = ()) -> PgCursor:
        statement = translate(sql)
        return PgCursor(self._conn, statement, statement.arguments(parameters))

    def executemany(self, sql: str, parameters: Iterable[Params]) -> PgCursor:
        statement = translate(sql)
        return PgCursor(self._conn, statement, [statement.arguments(p) for p in parameters], many=True)


def _pauses() -> Iterable[float]:
    pause = FIRST_PAUSE
    while True:
        yield pause * (0.5 + random.random())
        pause = min(pause * 2, LONGEST_PAUSE)


class PostgresDatabase:
    """Recall's database on PostgreSQL; the interface services use (bot.store.api.Store)."""

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self.pool = pool
        self.url = url
        self.where = f"DATABASE_URL: {redact_url(url)!r}"

    @classmethod
    async def open(cls, url: str, *, pool_size: int = 10) -> "PostgresDatabase":
        """Connect, and create or upgrade Recall's schema in the database (or the schema the URL's search_path names).

        An invalid URL, an unreachable server, a refused login, another program's tables or a newer schema raise
        `UnusableDatabase` with one line naming DATABASE_URL (the password left out).
        """
        where = f"DATABASE_URL: {redact_url(url)!r}"
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=pool_size, init=_prepare_connection, reset=_keep_session, timeout=10,
                # Every store statement stays prepared (a few hundred texts; asyncpg keeps 100 by default).
                statement_cache_size=1024,
                # Times are stored as UTC text and compared as text; the session zone only matters to the few date
                # casts in SQL, which must read them as UTC whatever the server's default is. No JIT: a board over
                # 100,000 members costs enough for PostgreSQL to compile it, every time (measured: 380 ms with
                # JIT, 67 ms without).
                server_settings={"timezone": "UTC", "application_name": "recall", "jit": "off"},
            )
        except Exception as exc:
            raise UnusableDatabase(connect_failure(where, url, exc)) from None
        db = cls(pool, url)
        try:
            await db.migrate()
        except BaseException:
            await pool.close()
            raise
        return db

    async def close(self) -> None:
        await self.pool.close()

    async def schema_version(self) -> int:
        async with self.pool.acquire() as conn:
            return await _version(conn)

    async def migrate(self) -> list[str]:
        """Apply pending migrations in one transaction (one process at a time); return the names applied."""
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                return await migrate_schema(conn, self.where)

    async def atomic(
        self,
        body: Callable[[Any], Awaitable[T]],
        after_commit: Callable[[T], object] | None = None,
        *,
        offload: bool = False,  # noqa: ARG002  nothing here blocks the event loop: every body is awaited I/O
    ) -> T:
        """Run `await body(conn)` as one REPEATABLE READ transaction and return its result (see the module's note).

        A body that conflicts with a concurrent transaction is run again, from the start, until it commits or
        BUSY_PATIENCE passes (then `NotSaved`). If the server cannot be reached, `NotSaved` at once.
        """
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + BUSY_PATIENCE
        raced = 0
        for pause in _pauses():
            try:
                async with self.pool.acquire() as conn:
                    async with conn.transaction(isolation="repeatable_read"):
                        value = await body(PgConnection(conn))
            except _RACED_KEY:
                raced += 1
                if raced > RACED_KEY_RERUNS:
                    raise
                await asyncio.sleep(pause)
                continue
            except _CONFLICTS:
                if loop.time() + pause > give_up_at:
                    log.warning("a transaction kept conflicting with others for %.0f s; gave up", BUSY_PATIENCE)
                    raise NotSaved() from None
                await asyncio.sleep(pause)
                continue
            except _GONE as exc:
                log.warning("PostgreSQL cannot be reached (%s); a write was not saved", _one_line(exc))
                raise NotSaved() from exc
            if after_commit is not None:
                after_commit(value)
            return value
        raise AssertionError("unreachable: _pauses() never ends")

    async def _read(self, fetch: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        try:
            async with self.pool.acquire() as conn:
                return await fetch(conn)
        except _GONE as exc:
            log.warning("PostgreSQL cannot be reached (%s); a read failed", _one_line(exc))
            raise Busy() from exc

    async def lookup(self, sql: str, params: Params = ()) -> Any:
        statement = translate(sql)
        return await self._read(lambda conn: conn.fetchrow(statement.sql, *statement.arguments(params)))

    async def fetchone(self, sql: str, params: Params = ()) -> Any:
        return await self.lookup(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        statement = translate(sql)
        return await self._read(lambda conn: conn.fetch(statement.sql, *statement.arguments(params)))


async def migrate_schema(conn: asyncpg.Connection, where: str) -> list[str]:
    """Bring Recall's schema in `conn`'s current schema up to date, inside the caller's transaction (so it is undone
    with it); return the names applied. Holds the migration lock to the end of that transaction.

    Refuses (`UnusableDatabase`, naming `where`) a search_path that names no schema, a newer schema, and tables named
    like Recall's in a schema that is not Recall's, before writing anything.
    """
    migrations = _migrations("migrations_pg")
    latest = migrations[-1][0] if migrations else 0
    await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
    if await conn.fetchval("SELECT current_schema()") is None:
        raise UnusableDatabase(
            f"{where}: no schema its search_path names exists. Create it (CREATE SCHEMA …) or name an existing one."
        )
    current = await _version(conn)
    if current > latest:
        raise SchemaTooNewError(
            f"{where} has schema version {current}, newer than this Recall knows ({latest}). "
            "Upgrade Recall, or point it at another database."
        )
    if current == 0:
        await _claim(conn, where)
    pending = [m for m in migrations if m[0] > current]
    try:
        async with conn.transaction():  # a savepoint: a failing migration leaves the schema as it was
            for _number, _name, sql in pending:
                await conn.execute(sql)
            if pending:
                await conn.execute(f"UPDATE {_VERSION_TABLE} SET version = $1", pending[-1][0])
    except asyncpg.PostgresError as exc:
        raise UnusableDatabase(
            f"{where}: upgrading its schema failed (PostgreSQL: {_one_line(exc)}); it was left as it "
            "was. Restore it from a backup, or point it at an empty database."
        ) from exc
    return [name for _, name, _ in pending]


async def _claim(conn: asyncpg.Connection, where: str) -> None:
    """Refuse, before writing anything, a schema holding tables Recall would create; then mark it Recall's."""
    taken = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_name = ANY($1::text[]) ORDER BY table_name",
        sorted(_recall_tables()),
    )
    if taken:
        names = ", ".join(row[0] for row in taken[:3])
        raise UnusableDatabase(
            f"{where} already has tables named like Recall's ({names}) but is not Recall's database; "
            "Recall left it untouched. Use an empty database, or a schema of its own (?search_path=recall)."
        )
    await conn.execute(f"CREATE TABLE {_VERSION_TABLE} (version integer NOT NULL)")
    await conn.execute(f"INSERT INTO {_VERSION_TABLE} (version) VALUES (0)")


async def _version(conn: asyncpg.Connection) -> int:
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", _VERSION_TABLE)
    if not exists:
        return 0
    return int(await conn.fetchval(f"SELECT version FROM {_VERSION_TABLE}") or 0)


def _recall_tables() -> set[str]:
    """The tables Recall's migrations create (read from the migration files)."""
    names: set[str] = set()
    for _number, _name, sql in _migrations("migrations_pg"):
        names.update(m.lower() for m in re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", sql, re.IGNORECASE))
    return names


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _without_password(text: str, url: str) -> str:
    # The URL in the text is redacted already; this catches a driver message that quotes a piece of the URL.
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    return text.replace(password, "***") if password else text


def connect_failure(where: str, url: str, exc: Exception) -> str:
    """One line saying why connecting to `url` failed, starting with `where`; never the password."""
    return _without_password(f"{where}: {_connect_failure(exc)}", url)


def _connect_failure(exc: Exception) -> str:
    """What went wrong connecting, in words for the person running the bot (never the password)."""
    if isinstance(exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        return f"PostgreSQL refused the login ({_one_line(exc)}). Check the user and password in DATABASE_URL."
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"{_one_line(exc)}. Create it (createdb) or name an existing database in DATABASE_URL."
    if isinstance(exc, ValueError | asyncpg.ClientConfigurationError):
        return f"not a valid PostgreSQL URL ({_one_line(exc)}); the form is postgresql://user:password@host:5432/db."
    if isinstance(exc, OSError | asyncio.TimeoutError):
        return (f"cannot reach the server ({_one_line(exc)}). Is PostgreSQL running and listening there? "
                "Check the host and port in DATABASE_URL.")
    return f"cannot connect ({type(exc).__name__}: {_one_line(exc)})."
