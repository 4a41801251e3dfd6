"""What is PostgreSQL's own: placeholders, opening and migrating, refusing what is not Recall's, start-up errors,
and transactions that conflict across connections and processes (SQLite's equivalents: test_db.py, test_db_atomic.py)."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any, AsyncIterator

import asyncpg
import pytest

from bot.store.api import SchemaTooNewError, UnusableDatabase
from bot.store.db import _migrations
from bot.store.postgres import PostgresDatabase, translate
from tests.backends import postgres_schema, require_postgres, with_search_path
from tests.conftest import REPO

LATEST = len(_migrations("migrations_pg"))


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with postgres_schema() as schema_url:
        yield schema_url


async def raw(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url)


# --- Statements ------------------------------------------------------------------------------------------------------


def test_placeholders_become_numbered_and_hints_are_left_out() -> None:
    statement = translate("SELECT a FROM t INDEXED BY t_index WHERE x = ? AND y = '?' AND z::text = ? -- ?\n")
    assert statement.sql == "SELECT a FROM t WHERE x = $1 AND y = '?' AND z::text = $2 -- ?\n"
    assert statement.arguments((1, 2)) == (1, 2)


def test_named_placeholders_are_numbered_once_each() -> None:
    statement = translate("SELECT :g, :u, :g, '10:00', \"odd:name\"")
    assert statement.sql == "SELECT $1, $2, $1, '10:00', \"odd:name\""
    assert statement.arguments({"u": 2, "g": 1}) == [1, 2]


def test_mixed_placeholders_are_refused() -> None:
    with pytest.raises(ValueError, match="mixes"):
        translate("SELECT ?, :g")


def test_the_migrations_match_sqlites_one_for_one() -> None:
    assert [name for _, name, _ in _migrations("migrations_pg")] == [name for _, name, _ in _migrations()]


# --- Opening ---------------------------------------------------------------------------------------------------------


async def test_an_empty_schema_is_migrated_and_reopening_applies_nothing(url: str) -> None:
    db = await PostgresDatabase.open(url, pool_size=2)
    try:
        assert await db.schema_version() == LATEST
        assert await db.migrate() == []
    finally:
        await db.close()
    again = await PostgresDatabase.open(url, pool_size=2)
    await again.close()


async def test_processes_starting_together_migrate_once(url: str) -> None:
    opened = await asyncio.gather(*(PostgresDatabase.open(url, pool_size=1) for _ in range(3)))
    try:
        assert {await db.schema_version() for db in opened} == {LATEST}
    finally:
        await asyncio.gather(*(db.close() for db in opened))


async def test_a_newer_schema_is_refused(url: str) -> None:
    db = await PostgresDatabase.open(url, pool_size=1)
    await db.close()
    conn = await raw(url)
    await conn.execute("UPDATE recall_schema_version SET version = 999")
    await conn.close()
    with pytest.raises(SchemaTooNewError, match=f"DATABASE_URL: .* schema version 999, newer than this Recall knows \\({LATEST}\\)"):
        await PostgresDatabase.open(url, pool_size=1)


async def test_another_programs_tables_are_refused_untouched(url: str) -> None:
    conn = await raw(url)
    try:
        await conn.execute("CREATE TABLE reviews (id integer)")
        with pytest.raises(UnusableDatabase, match=r"already has tables named like Recall's \(reviews\)"):
            await PostgresDatabase.open(url, pool_size=1)
        tables = await conn.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        assert [row[0] for row in tables] == ["reviews"]
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_the_schema_untouched(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.store.postgres as pg

    good = pg._migrations("migrations_pg")
    monkeypatch.setattr(pg, "_migrations", lambda folder="migrations": [*good, (len(good) + 1, "bad.sql", "SELEC oops")])
    with pytest.raises(UnusableDatabase, match="upgrading its schema failed .*syntax error.*left as it was"):
        await PostgresDatabase.open(url, pool_size=1)
    conn = await raw(url)
    try:
        assert await conn.fetchval("SELECT to_regclass('recall_schema_version')") is None
    finally:
        await conn.close()


@pytest.mark.parametrize(
    "target, said",
    [
        ("postgresql://recall:s3cret@127.0.0.1:1/recall", "cannot reach the server"),
        ("postgresql://recall:s3cret@127.0.0.1:5432:99/recall", "not a valid PostgreSQL URL"),
    ],
)
async def test_a_database_that_cannot_be_reached_says_why_without_the_password(target: str, said: str) -> None:
    with pytest.raises(UnusableDatabase) as caught:
        await PostgresDatabase.open(target, pool_size=1)
    text = str(caught.value)
    assert text.startswith("DATABASE_URL: 'postgresql://recall:***@") and said in text and "s3cret" not in text
    assert "\n" not in text


async def test_a_missing_database_or_user_is_named() -> None:
    base = require_postgres()
    with pytest.raises(UnusableDatabase, match="does not exist.*createdb"):
        await PostgresDatabase.open(base.rsplit("/", 1)[0] + "/recall_no_such_database", pool_size=1)
    host = base.split("@", 1)[1]
    with pytest.raises(UnusableDatabase, match="refused the login.*user and password"):
        await PostgresDatabase.open(f"postgresql://recall_no_such_user:pw@{host}", pool_size=1)


def test_the_bot_stops_with_one_line_and_exit_2(tmp_path: Any) -> None:
    env = {**os.environ, "DISCORD_TOKEN": "x" * 59, "DATABASE_URL": "postgresql://recall:s3cret@127.0.0.1:1/recall"}
    done = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: DATABASE_URL: ") and "s3cret" not in done.stderr


# --- Transactions ----------------------------------------------------------------------------------------------------


async def test_sums_and_averages_come_back_as_numbers(url: str) -> None:
    db = await PostgresDatabase.open(url, pool_size=1)
    try:
        row = await db.fetchone("SELECT SUM(x) AS s, AVG(x) AS a FROM (VALUES (CAST(1 AS BIGINT)), (2)) AS v(x)")
        assert (row["s"], row["a"]) == (3, 1.5) and type(row["s"]) is int and type(row["a"]) is float
    finally:
        await db.close()


async def test_conflicting_read_then_write_transactions_across_processes_lose_nothing(url: str) -> None:
    """Two pools (two processes' worth) increment one counter by reading it first, as a rating reads its session:
    without REPEATABLE READ and running conflicting bodies again, increments would be lost."""
    first = await PostgresDatabase.open(url, pool_size=4)
    second = await PostgresDatabase.open(url, pool_size=4)
    runs: list[int] = []
    committed: list[int] = []

    async def increment(conn: Any) -> int:
        runs.append(1)
        async with conn.execute("SELECT value FROM meta WHERE key = 'counter'") as cur:
            row = await cur.fetchone()
        value = int(row["value"]) + 1 if row else 1
        await conn.execute("INSERT INTO meta (key, value) VALUES ('counter', ?) ON CONFLICT (key) DO UPDATE SET "
                           "value = excluded.value", (str(value),))
        return value

    try:
        results = await asyncio.gather(*(
            db.atomic(increment, committed.append) for db in [first, second] * 20
        ))
        assert sorted(results) == list(range(1, 41)) and sorted(committed) == list(range(1, 41))
        assert len(runs) > 40  # some bodies did conflict and ran again
        row = await first.fetchone("SELECT value FROM meta WHERE key = 'counter'")
        assert row["value"] == "40"
    finally:
        await first.close()
        await second.close()


async def test_a_failing_body_leaves_nothing_and_after_commit_does_not_run(url: str) -> None:
    db = await PostgresDatabase.open(url, pool_size=1)
    told: list[Any] = []

    async def body(conn: Any) -> None:
        await conn.execute("INSERT INTO meta (key, value) VALUES ('a', 'b')")
        raise ValueError("the body's own failure")

    try:
        with pytest.raises(ValueError):
            await db.atomic(body, told.append)
        assert told == [] and await db.fetchone("SELECT * FROM meta WHERE key = 'a'") is None
    finally:
        await db.close()


def test_a_schema_of_its_own_is_named_in_the_url() -> None:
    assert with_search_path("postgresql://u@h/db?sslmode=disable", "s1") == "postgresql://u@h/db?sslmode=disable&search_path=s1"


async def test_a_search_path_naming_no_schema_is_refused() -> None:
    url = with_search_path(require_postgres(), "recall_no_such_schema")
    with pytest.raises(UnusableDatabase, match="no schema its search_path names exists. Create it"):
        await PostgresDatabase.open(url, pool_size=1)
