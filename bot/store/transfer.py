"""Moving Recall's SQLite database into an empty PostgreSQL database (`python -m bot migrate-db`, bot/migrate_db.py).

Everything written to PostgreSQL is written in ONE transaction: Recall's schema is created in it (the migrations of
bot/store/migrations_pg, run by bot.store.postgres.migrate_schema), every table is copied into it with binary COPY,
identity sequences are moved past the copied ids, and then every table is read back and compared with what was read
from SQLite (row count, and a SHA-256 over its rows in primary-key order) before COMMIT. A refusal, a value that
does not fit, a failed check, a lost connection or Ctrl-C roll all of it back: the target is left as it was.

The SQLite file is first opened as the bot opens it (bot.store.db.Database), so an older file is upgraded to the
latest schema; then it is read in one read transaction (one snapshot, even if the bot were still writing) on a
connection that cannot write.

Board and month totals are kept by triggers on the logs (reviews, quiz_answers). They are copied as they are, so
those triggers must not fire while the logs are copied (every total would be counted twice). A superuser sets
`session_replication_role = replica` for this transaction; any other user has each table's own triggers disabled
(ALTER TABLE … DISABLE TRIGGER USER) and enabled again inside the same transaction.
"""
from __future__ import annotations

import asyncio
import hashlib
import re
import reprlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from bot.settings import redact_url
from bot.store.api import UnusableDatabase

# The drivers and the stores are imported inside the functions that use them: `python -m bot` imports this module
# for its command on every start, and a bot on SQLite never needs asyncpg (as in bot.store.open).
if TYPE_CHECKING:
    import aiosqlite
    import asyncpg

# Rows read from SQLite (and back from PostgreSQL) per round trip: bounded memory whatever the database's size.
BATCH = 10_000
# Values that do not fit, listed one per line before giving up; past this many only their number is given.
SHOWN_PROBLEMS = 20

VERSION_TABLE = "recall_schema_version"  # written by PostgresDatabase.migrate, never copied from SQLite
REPLICA = "replica"

_INTEGER_TEXT = re.compile(r"\s*[+-]?[0-9]+\s*")
_NUMBER_TEXT = re.compile(r"\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*")
_INTEGER_LIMITS = {"smallint": 2**15, "integer": 2**31, "bigint": 2**63}
_FLOATS = ("double precision", "real")
_TEXTS = ("text", "character varying", "character")
_BYTE_ORDER = ' COLLATE "C"'  # text in byte order, as SQLite's BINARY sorts it, whatever the column's collation
_short = reprlib.Repr()
_short.maxstring = 40
_short.maxother = 40


class Refused(Exception):
    """The migration stops here; `str()` is what the person running it reads (after "error: ")."""

    def __init__(self, message: str, code: int, detail: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.detail = list(detail)  # further lines (one per value that did not fit), printed under the message


class Unfit(ValueError):
    """A SQLite value the PostgreSQL column cannot take as it is; the message says why."""


# --- What is copied ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str
    nullable: bool
    convert: Callable[[Any], Any]


@dataclass(frozen=True)
class TablePlan:
    """One table: the columns both sides have (matched by name, in SQLite's order) and the order rows are read in."""

    name: str
    columns: tuple[Column, ...]
    order: tuple[str, ...]  # the primary key's columns (every column when there is none)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def source_select(self) -> str:
        # SQLite sorts text by its bytes (BINARY) and NULLs first; the target's select below sorts the same way.
        return f"SELECT {_list(self.names)} FROM {_quote(self.name)} ORDER BY {_list(self.order)}"

    def target_select(self) -> str:
        kinds = {c.name: c.pg_type for c in self.columns}
        order = ", ".join(
            _quote(name) + (_BYTE_ORDER if kinds[name] in _TEXTS else "") + " NULLS FIRST" for name in self.order
        )
        return f"SELECT {_list(self.names)} FROM {_quote(self.name)} ORDER BY {order}"

    def key_of(self, row: Sequence[Any]) -> str:
        """The row's primary key as the person reading a problem finds it again (`guild_id=1, user_id=2`)."""
        where = {c.name: i for i, c in enumerate(self.columns)}
        return ", ".join(f"{name}={_short.repr(row[where[name]])}" for name in self.order)


@dataclass
class Tally:
    """A running row count and checksum: SHA-256 over each row's repr (ints as ints, floats as their repr, text,
    bytes, None), one line per row, in the order the rows come."""

    rows: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self.rows += len(rows)
        self.digest.update("".join([f"{row!r}\n" for row in rows]).encode("utf-8", "surrogatepass"))

    @property
    def checksum(self) -> str:
        return str(self.digest.hexdigest())


@dataclass
class TableResult:
    name: str
    source: Tally
    target: Tally | None = None

    @property
    def ok(self) -> bool:
        return (self.target is not None and self.source.rows == self.target.rows
                and self.source.checksum == self.target.checksum)


# --- Converting SQLite's loosely typed values by the PostgreSQL column's type -----------------------------------------


def _kind(value: Any) -> str:
    kinds = {int: "an integer", float: "a real number", str: "text", bytes: "a blob"}
    return kinds.get(type(value), type(value).__name__)


def _to_integer(limit: int) -> Callable[[Any], Any]:
    def convert(value: Any) -> int:
        if type(value) is int:
            number = value
        elif type(value) is float and value.is_integer():
            number = int(value)
        elif type(value) is str and _INTEGER_TEXT.fullmatch(value):
            number = int(value)
        else:
            raise Unfit("not a whole number")
        if not -limit <= number < limit:
            raise Unfit("out of the column's range")
        return number

    return convert


def _to_float(value: Any) -> float:
    if type(value) is float:
        return value
    if type(value) is int or (type(value) is str and _NUMBER_TEXT.fullmatch(value)):
        return float(value)
    raise Unfit("not a number")


def _to_text(value: Any) -> str:
    if type(value) is str:
        text = value
    elif type(value) is int:
        text = str(value)
    elif type(value) is float:
        text = repr(value)
    elif type(value) is bytes:
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            raise Unfit("bytes that are not UTF-8 text") from None
    else:
        raise Unfit("not text")
    if "\x00" in text:
        raise Unfit("holds a NUL character, which PostgreSQL text cannot")
    return text


def _to_bytes(value: Any) -> bytes:
    if type(value) is bytes:
        return value
    if type(value) is str:
        return value.encode("utf-8")
    raise Unfit("not bytes or text")


def _as_is(value: Any) -> Any:
    return value


def converter(pg_type: str) -> Callable[[Any], Any]:
    """How a SQLite value becomes a value of PostgreSQL type `pg_type` (raises Unfit when it cannot without loss)."""
    if pg_type in _INTEGER_LIMITS:
        return _to_integer(_INTEGER_LIMITS[pg_type])
    if pg_type in _FLOATS:
        return _to_float
    if pg_type in _TEXTS:
        return _to_text
    if pg_type == "bytea":
        return _to_bytes
    return _as_is  # a type Recall's schema does not use: asyncpg's encoder decides (its error names the table)


class Converter:
    """Turns the rows of one table into what its PostgreSQL columns take, noting every value that does not fit."""

    def __init__(self, plan: TablePlan, problems: list[str]) -> None:
        self.plan = plan
        self.problems = problems
        self.unfit = 0

    def __call__(self, row: Sequence[Any]) -> tuple[Any, ...] | None:
        values = []
        for value, column in zip(row, self.plan.columns):
            if value is None:
                if not column.nullable:
                    self._note(row, column, value, "NULL, but the column is NOT NULL")
                    return None
                values.append(None)
                continue
            try:
                values.append(column.convert(value))
            except Unfit as why:
                self._note(row, column, value, f"{_kind(value)} {_short.repr(value)}: {why}")
                return None
        return tuple(values)

    def _note(self, row: Sequence[Any], column: Column, value: Any, what: str) -> None:
        self.unfit += 1
        if len(self.problems) < SHOWN_PROBLEMS:
            self.problems.append(
                f"{self.plan.name} ({self.plan.key_of(row)}): {column.name} is {what} "
                f"(the PostgreSQL column is {column.pg_type})"
            )


# --- SQLite: the source -----------------------------------------------------------------------------------------------

_TABLES_SQL = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
)


def _peek_version(path: Path) -> int | None:
    """The file's schema version before Database.open upgrades it (None: not readable here; open() will say why)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return None


@dataclass(frozen=True)
class SourceTable:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    parents: tuple[str, ...]  # tables its foreign keys refer to


async def read_source_schema(reader: "aiosqlite.Connection") -> list[SourceTable]:
    """Every table (sqlite_* left out), parents before the tables that refer to them, else by name."""
    tables: dict[str, SourceTable] = {}
    for (name,) in await reader.execute_fetchall(_TABLES_SQL):
        columns = await reader.execute_fetchall("SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", (name,))
        key = tuple(c for c, pk in sorted((row for row in columns if row[1]), key=lambda row: row[1]))
        parents = await reader.execute_fetchall('SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)', (name,))
        tables[name] = SourceTable(name, tuple(row[0] for row in columns), key,
                                   tuple(sorted(p[0] for p in parents if p[0] != name)))
    return _parents_first(tables)


def _parents_first(tables: dict[str, SourceTable]) -> list[SourceTable]:
    # With per-table trigger disabling, foreign keys are checked during the copy, so a parent's rows go in first.
    ordered: list[SourceTable] = []
    placed: set[str] = set()
    waiting = sorted(tables)
    while waiting:
        ready = [n for n in waiting if all(p in placed or p not in tables for p in tables[n].parents)]
        ready = ready or waiting[:1]  # a cycle: name order (replica mode does not check keys during the copy)
        for name in ready:
            ordered.append(tables[name])
            placed.add(name)
        waiting = [n for n in waiting if n not in placed]
    return ordered


async def _orphans(reader: "aiosqlite.Connection") -> list[str]:
    rows = await reader.execute_fetchall("PRAGMA foreign_key_check")
    return [f"{table} row {rowid} refers to a {parent} row that is not there" for table, rowid, parent, _ in rows]


# --- PostgreSQL: the target -------------------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _list(names: Sequence[str]) -> str:
    return ", ".join(_quote(n) for n in names)


def _for_cli(text: str) -> str:
    # The store's messages name the setting the bot reads; here the URL came from --to (or DATABASE_URL).
    return text.replace("DATABASE_URL: ", "--to ").replace("DATABASE_URL", "--to")


async def _connect(url: str) -> "asyncpg.Connection":
    import asyncpg

    from bot.store.postgres import connect_failure

    try:
        return await asyncpg.connect(
            url, timeout=10, server_settings={"timezone": "UTC", "application_name": "recall migrate-db"}
        )
    except Exception as exc:  # any reason at all: the line names it, the password left out
        where = f"--to {redact_url(url)!r}"
        raise UnusableDatabase(_for_cli(connect_failure(where, url, exc))) from None


async def _base_tables(conn: "asyncpg.Connection") -> set[str]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE'"
    )
    return {row[0] for row in rows}


async def recall_data(conn: "asyncpg.Connection", recall_tables: Sequence[str]) -> tuple[int, list[tuple[str, int]]]:
    """What of Recall's the target's schema already holds: its schema version (0: none) and (table, rows) for every
    table of Recall's (by name) that has rows."""
    present = await _base_tables(conn)
    version = 0
    if VERSION_TABLE in present:
        version = int(await conn.fetchval(f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}") or 0)
    filled = []
    for name in sorted(present & set(recall_tables)):
        rows = int(await conn.fetchval(f"SELECT count(*) FROM {_quote(name)}"))
        if rows:
            filled.append((name, rows))
    return version, filled


def _held_text(where: str, version: int, filled: list[tuple[str, int]]) -> str:
    parts = [f"schema version {version}"] if version else []
    filled = sorted(filled, key=lambda item: (-item[1], item[0]))  # the fullest tables tell the most
    if filled:
        first, rows = filled[0]
        shown = [f"{rows:,} {'row' if rows == 1 else 'rows'} in {first}"] + [f"{n:,} in {t}" for t, n in filled[1:4]]
        more = f" and {len(filled) - 4} more tables" if len(filled) > 4 else ""
        parts.append(", ".join(shown) + more)
    else:
        parts.append("no rows yet")
    return (f"{where} already holds Recall data ({'; '.join(parts)}); nothing was written. "
            "Point --to at an empty database.")


async def plan_tables(conn: "asyncpg.Connection", source: list[SourceTable]) -> tuple[list[TablePlan], list[str]]:
    """Each source table's copy, columns matched by name; and the tables only the target has (they stay empty).

    A table or column the target lacks would lose data: Refused."""
    rows = await conn.fetch(
        "SELECT table_name, column_name, data_type, is_nullable = 'YES' AS nullable, is_generated = 'ALWAYS' AS made "
        "FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    )
    target: dict[str, dict[str, Any]] = {}
    for row in rows:
        if not row["made"]:
            target.setdefault(row["table_name"], {})[row["column_name"]] = row
    missing = []
    plans = []
    for table in source:
        columns = target.get(table.name)
        if columns is None:
            missing.append(f"table {table.name}")
            continue
        missing += [f"column {table.name}.{c}" for c in table.columns if c not in columns]
        chosen = tuple(
            Column(c, columns[c]["data_type"], columns[c]["nullable"], converter(columns[c]["data_type"]))
            for c in table.columns if c in columns
        )
        plans.append(TablePlan(table.name, chosen, table.key or tuple(c.name for c in chosen)))
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise Refused(
            f"the PostgreSQL schema lacks {shown}, which the SQLite database has (added by hand, or by another "
            "Recall version): copying would lose them, so nothing was written.", 1
        )
    only_target = sorted(set(target) - {t.name for t in source} - {VERSION_TABLE})
    return plans, only_target


async def hold_triggers(conn: "asyncpg.Connection", plans: list[TablePlan]) -> list[str] | None:
    """Keep the tables' triggers from firing during the copy: None when session_replication_role did it, else the
    tables whose user triggers were disabled (enable them again with release_triggers, before COMMIT)."""
    import asyncpg

    try:
        async with conn.transaction():  # a savepoint: a refused SET must not abort the copy's transaction
            await conn.execute(f"SET LOCAL session_replication_role = {REPLICA}")
        return None
    except asyncpg.InsufficientPrivilegeError:  # not a superuser: table by table (the tables are this user's)
        pass
    disabled = []
    for plan in plans:
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = $1::regclass "
                               "AND NOT tgisinternal)", _quote(plan.name)):
            await conn.execute(f"ALTER TABLE {_quote(plan.name)} DISABLE TRIGGER USER")
            disabled.append(plan.name)
    return disabled


async def release_triggers(conn: "asyncpg.Connection", disabled: list[str] | None) -> None:
    for name in disabled or ():
        await conn.execute(f"ALTER TABLE {_quote(name)} ENABLE TRIGGER USER")


async def copy_table(conn: "asyncpg.Connection", reader: "aiosqlite.Connection", plan: TablePlan,
                     convert: Converter) -> Tally:
    """Stream one table from SQLite into PostgreSQL (binary COPY), BATCH rows at a time; the tally of what was sent.
    Rows with a value that does not fit are noted by `convert` and left out (the caller then rolls back)."""
    tally = Tally()
    async with reader.execute(plan.source_select()) as cursor:
        while batch := await cursor.fetchmany(BATCH):
            rows = [values for values in map(convert, batch) if values is not None]
            tally.add(rows)
            if rows:
                await conn.copy_records_to_table(plan.name, records=rows, columns=plan.names)
    return tally


async def target_tally(conn: "asyncpg.Connection", plan: TablePlan) -> Tally:
    """Read one table back (inside the copy's transaction), BATCH rows per round trip, in the source's order."""
    tally = Tally()
    # A cursor of SQL's own, closed at the end: an open one would keep the table busy for ALTER TABLE after it.
    # Named after the table: asyncpg caches a statement's row shape by its text, so each table's FETCH is its own.
    cursor = _quote(f"check_{plan.name}")
    await conn.execute(f"DECLARE {cursor} NO SCROLL CURSOR FOR {plan.target_select()}")
    while batch := await conn.fetch(f"FETCH {BATCH} FROM {cursor}"):
        tally.add([tuple(record) for record in batch])
    await conn.execute(f"CLOSE {cursor}")
    return tally


async def move_identities(conn: "asyncpg.Connection", plans: list[TablePlan]) -> None:
    """Move every identity (or serial) sequence past the largest copied id, so new rows never take a copied id."""
    for plan in plans:
        identities = await conn.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped "
            "AND pg_get_serial_sequence($1::text, attname::text) IS NOT NULL", _quote(plan.name)
        )
        for (column,) in identities:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence($1::text, $2::text), top) "
                f"FROM (SELECT MAX({_quote(column)}) AS top FROM {_quote(plan.name)}) m WHERE top IS NOT NULL",
                _quote(plan.name), column,
            )


# --- The whole migration ----------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    results: list[TableResult]
    version: int
    triggers: list[str] | None
    only_target: list[str]


@dataclass
class Transfer:
    """What was moved: the source's schema version before and after its upgrade, and each table's outcome."""

    source: Path
    before: int | None
    version: int
    outcome: Outcome


async def transfer(source: Path, url: str, source_label: str = "--from") -> Transfer:
    """Copy the SQLite database at `source` into the empty PostgreSQL database at `url` (see the module's note);
    raises `Refused` with the reason and an exit code when it did not (nothing written then)."""
    import aiosqlite

    from bot.store.db import Database

    where = f"{source_label} {str(source)!r}"
    if not source.is_file():
        raise Refused(f"{where}: no such file, so there is nothing to migrate.", 2)
    before = _peek_version(source)
    if before == 0:  # empty, or another program's: Database.open would create Recall's tables in an empty file
        raise Refused(f"{where} holds no Recall database (its schema version is 0), so there is nothing to migrate; "
                      "nothing was written to it.", 2)
    try:
        db = await Database.open(source)  # brings an older file to the latest schema, as the bot's start-up would
    except UnusableDatabase as exc:
        raise Refused(str(exc), 2) from None
    try:
        version = await db.schema_version()
    finally:
        await db.close()
    reader = await aiosqlite.connect(source, isolation_level=None)
    try:
        await reader.execute("PRAGMA query_only = ON")  # this connection cannot write the source, whatever happens
        await reader.execute("BEGIN")  # one snapshot for every table
        try:
            tables = await read_source_schema(reader)
            orphans = await _orphans(reader)
            if orphans:
                raise Refused(
                    f"{where} has {len(orphans)} rows whose parent row is missing (PostgreSQL would refuse or keep "
                    "them broken); delete them or restore a backup, then run migrate-db again. Nothing was written.",
                    1, orphans[:SHOWN_PROBLEMS],
                )
            outcome = await _copy(reader, tables, url)
        finally:
            await reader.execute("ROLLBACK")
    finally:
        await reader.close()
    return Transfer(source, before, version, outcome)


async def _copy(reader: "aiosqlite.Connection", tables: list[SourceTable], url: str) -> Outcome:
    """Fill the target in one transaction (see Filling); a failure anywhere rolls all of it back."""
    import asyncpg

    try:
        conn = await _connect(url)
    except UnusableDatabase as exc:
        raise Refused(str(exc), 2) from None
    filling = Filling(conn, reader, url)
    try:
        transaction = conn.transaction()
        await transaction.start()
        try:
            outcome = await filling.run(tables)
        except BaseException:
            await _roll_back(transaction)
            raise
        filling.step = "committing"
        await transaction.commit()
        await _analyze(conn, outcome.results)
        return outcome
    except asyncpg.PostgresError as exc:
        raise Refused(f"{filling.step} failed (PostgreSQL: {_one_line(exc)}); {_fate(filling.step)}", 1) from None
    except (OSError, asyncio.TimeoutError, asyncpg.InterfaceError) as exc:
        raise Refused(f"{filling.step}: the connection to PostgreSQL failed ({_one_line(exc)}); "
                      f"{_fate(filling.step)}", 1) from None
    finally:
        await conn.close(timeout=5)


class Filling:
    """The steps inside the transaction, in order; `step` says which one is running (for the error line)."""

    def __init__(self, conn: "asyncpg.Connection", reader: "aiosqlite.Connection", url: str) -> None:
        self.conn = conn
        self.reader = reader
        self.url = url
        self.step = "checking the target"

    async def run(self, tables: list[SourceTable]) -> Outcome:
        conn = self.conn
        await self.create_schema(tables)
        version = int(await conn.fetchval(f"SELECT version FROM {VERSION_TABLE}"))
        plans, only_target = await plan_tables(conn, tables)
        triggers = await hold_triggers(conn, plans)
        results = await self.copy(plans)
        self.step = "moving the id sequences"
        await move_identities(conn, plans)
        await self.check(plans, results)
        await release_triggers(conn, triggers)
        return Outcome(results, version, triggers, only_target)

    async def create_schema(self, tables: list[SourceTable]) -> None:
        """Refuse a target holding Recall data; else create Recall's schema (in this transaction)."""
        from bot.store.postgres import MIGRATION_LOCK, migrate_schema

        # Held to COMMIT: no other migrate-db, nor a bot's start-up migration, touches the target meanwhile.
        await self.conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        if await self.conn.fetchval("SELECT current_schema()") is None:
            raise Refused(f"--to {redact_url(self.url)!r}: no schema of its search_path exists here. Create it "
                          "(CREATE SCHEMA …) or name an existing one; nothing was written.", 2)
        version, filled = await recall_data(self.conn, [t.name for t in tables] + [VERSION_TABLE])
        if version or filled:
            raise Refused(_held_text(f"--to {redact_url(self.url)!r}", version, filled), 2)
        self.step = "creating Recall's schema"
        try:
            await migrate_schema(self.conn, f"--to {redact_url(self.url)!r}")
        except UnusableDatabase as exc:
            raise Refused(_for_cli(str(exc)), 2) from None

    async def copy(self, plans: list[TablePlan]) -> list[TableResult]:
        """Every table; then, if any value did not fit, all of them listed (one run finds every one)."""
        results, problems, unfit = [], [], 0
        for plan in plans:
            self.step = f"copying {plan.name}"
            convert = Converter(plan, problems)
            results.append(TableResult(plan.name, await copy_table(self.conn, self.reader, plan, convert)))
            unfit += convert.unfit
        if unfit:
            more = [f"… and {unfit - len(problems)} more"] if unfit > len(problems) else []
            raise Refused(
                f"{unfit} values in the SQLite database cannot be stored in PostgreSQL's columns as they are "
                "(listed below); nothing was written. Correct them in the SQLite file, then run migrate-db again.",
                1, problems + more,
            )
        return results

    async def check(self, plans: list[TablePlan], results: list[TableResult]) -> None:
        """Read every table back before COMMIT: a count or checksum that differs rolls everything back."""
        for plan, result in zip(plans, results):
            self.step = f"checking {plan.name}"
            result.target = await target_tally(self.conn, plan)
        bad = [r for r in results if not r.ok]
        if bad:
            raise Refused(
                f"the copy of {', '.join(r.name for r in bad)} does not match the SQLite database (row count or "
                "checksum); nothing was written.", 1,
                [f"{r.name}: {r.source.rows} rows, {r.source.checksum[:12]} in SQLite; {r.target.rows} rows, "
                 f"{r.target.checksum[:12]} in PostgreSQL" for r in bad if r.target is not None],
            )


async def _roll_back(transaction: "asyncpg.transaction.Transaction") -> None:
    try:
        await transaction.rollback()
    except Exception:  # the connection is gone: the server rolls back a transaction whose connection is gone
        pass


def _fate(step: str) -> str:
    if step == "committing":
        return "the server may or may not have committed the copy; run migrate-db again: it refuses a filled target."
    return "nothing was written."


async def _analyze(conn: "asyncpg.Connection", results: list[TableResult]) -> None:
    """Fresh planner statistics, so the first leaderboards after the move do not guess (ANALYZE samples: cheap).
    Committed and verified already: a failure here only leaves it to autovacuum."""
    import asyncpg

    try:
        for result in results:
            await conn.execute(f"ANALYZE {_quote(result.name)}")
    except (asyncpg.PostgresError, OSError):
        pass


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


