"""The two database backends tests run against: SQLite (a file in the test's folder) and PostgreSQL (a schema of
its own in the server RECALL_TEST_POSTGRES_URL names, dropped after the test).

Without a reachable server the PostgreSQL tests skip with one line saying how to start one, unless
RECALL_REQUIRE_POSTGRES=1 (set by .ci/run): then they fail, so a green run means both backends passed.
"""
from __future__ import annotations

import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

BACKENDS = ("sqlite", "postgres")
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
START_HINT = (
    "start one (e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main start`, or `docker run -p 5432:5432 "
    "-e POSTGRES_HOST_AUTH_METHOD=trust postgres:15`) or point RECALL_TEST_POSTGRES_URL at one"
)


def postgres_url() -> str:
    return os.environ.get("RECALL_TEST_POSTGRES_URL", "").strip() or DEFAULT_URL


@lru_cache(maxsize=1)
def _unreachable() -> str | None:
    """Why the test server cannot be used (None: it can), asked once per test run."""
    import asyncio

    import asyncpg

    async def probe() -> None:
        conn = await asyncpg.connect(postgres_url(), timeout=5)
        await conn.close()

    try:  # in a thread of its own: the caller may be inside a running event loop
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, probe()).result()
    except Exception as exc:  # any reason at all: the line below names it
        return f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return None


def require_postgres() -> str:
    """The test server's URL; skips the test (fails it under RECALL_REQUIRE_POSTGRES=1) when it cannot be reached."""
    reason = _unreachable()
    if reason is not None:
        from bot.settings import redact_url

        message = f"PostgreSQL at {redact_url(postgres_url())} is not reachable ({reason}); {START_HINT}"
        if os.environ.get("RECALL_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"RECALL_REQUIRE_POSTGRES=1: {message}", pytrace=False)
        pytest.skip(message)
    return postgres_url()


def with_search_path(url: str, schema: str) -> str:
    """The URL with `search_path=<schema>`: asyncpg passes unknown query parameters to the server as settings."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"] + [("search_path", schema)]
    return urlunsplit(parts._replace(query=urlencode(query)))


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """A new, empty schema in the test server for one test: yields a URL whose connections use it; dropped after."""
    import asyncpg

    base = require_postgres()
    schema = f"recall_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield with_search_path(base, schema)
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


@asynccontextmanager
async def database_settings(backend: str, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """The Settings fields that point Recall at a new database on `backend` for one test."""
    if backend == "sqlite":
        yield {"database_path": tmp_path / "data" / "recall.db"}
        return
    async with postgres_schema() as url:
        yield {"database_path": tmp_path / "data" / "unused.db", "database_url": url, "database_pool_size": 4}


@asynccontextmanager
async def open_store(backend: str, tmp_path: Path) -> AsyncIterator[Any]:
    """An open, migrated store on `backend`, closed after the test."""
    from bot.settings import Settings
    from bot.store.open import open_database

    async with database_settings(backend, tmp_path) as fields:
        store = await open_database(Settings(**fields))
        try:
            yield store
        finally:
            await store.close()


def committed_row(store: Any, sql: str, params: tuple = ()) -> Any:
    """The row another connection reads right now (only committed data), from synchronous code such as a callback.
    `sql` uses `?` placeholders on both backends."""
    if hasattr(store, "path"):  # SQLite: the file
        import sqlite3

        with sqlite3.connect(store.path) as other:
            return other.execute(sql, params).fetchone()

    import asyncio

    import asyncpg

    from bot.store.postgres import translate

    async def read() -> Any:
        other = await asyncpg.connect(store.url)
        try:
            row = await other.fetchrow(translate(sql).sql, *params)
            return tuple(row) if row is not None else None
        finally:
            await other.close()

    with ThreadPoolExecutor(1) as thread:  # the caller's event loop is blocked meanwhile, as with sqlite3
        return thread.submit(asyncio.run, read()).result()
