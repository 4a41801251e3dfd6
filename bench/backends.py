"""Where a phase's database lives: an SQLite file in the run's folder, or a schema of its own in a PostgreSQL server.

`--backend postgres` points every database a phase opens at a new schema (`recall_bench_<random>`) in the server of
`--postgres-url` (or RECALL_BENCH_POSTGRES_URL); the bot reaches it through DATABASE_URL with `?search_path=<schema>`,
which asyncpg passes to the server as a setting. Each schema is dropped when its phase ends, and any still there
when the run ends (an error, Ctrl-C) are dropped then: the benchmark leaves nothing behind in the server.
"""
from __future__ import annotations

import os
import secrets
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.settings import Settings, redact_url

SQLITE, POSTGRES = "sqlite", "postgres"
BACKENDS = (SQLITE, POSTGRES)
LABELS = {SQLITE: "SQLite", POSTGRES: "PostgreSQL"}
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
URL_VARIABLE = "RECALL_BENCH_POSTGRES_URL"
SCHEMA_PREFIX = "recall_bench_"


def postgres_url(given: str | None = None) -> str:
    """--postgres-url, else RECALL_BENCH_POSTGRES_URL, else the local test server."""
    return (given or os.environ.get(URL_VARIABLE, "").strip() or DEFAULT_POSTGRES_URL).rstrip("/")


def with_search_path(url: str, schema: str) -> str:
    """The URL with `search_path=<schema>`: asyncpg passes unknown query parameters to the server as settings."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"] + [("search_path", schema)]
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True)
class Target:
    """One database for one phase run: what the bot's environment and Settings need to open it."""

    backend: str
    path: Path  # the SQLite file (PostgreSQL: unused, but Settings always has a path)
    url: str | None = None  # PostgreSQL: the server URL with this target's search_path

    @property
    def label(self) -> str:
        return LABELS[self.backend]

    def env(self) -> dict[str, str]:
        """The bot's database settings: DATABASE_PATH, and DATABASE_URL on PostgreSQL."""
        env = {"DATABASE_PATH": str(self.path)}
        if self.url is not None:
            env["DATABASE_URL"] = self.url
        return env

    def settings(self, **fields: Any) -> Settings:
        return Settings(database_path=self.path, database_url=self.url, **fields)

    async def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of a read-only query without placeholders (read after the bot stopped, as another program would)."""
        if self.url is None:
            import sqlite3

            with sqlite3.connect(self.path) as raw:
                return [tuple(row) for row in raw.execute(sql).fetchall()]
        import asyncpg

        conn = await asyncpg.connect(self.url)
        try:
            return [tuple(row) for row in await conn.fetch(sql)]
        finally:
            await conn.close()


@dataclass
class Backend:
    """One backend of a run; for PostgreSQL, the server and the schemas made in it so far (to drop them)."""

    name: str
    server_url: str | None = None
    schemas: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return LABELS[self.name]

    @classmethod
    def sqlite(cls) -> "Backend":
        return cls(SQLITE)

    @classmethod
    def postgres(cls, url: str | None = None) -> "Backend":
        return cls(POSTGRES, postgres_url(url))

    def describe(self) -> str:
        return self.label if self.server_url is None else f"{self.label} at {redact_url(self.server_url)}"

    @property
    def where(self) -> str | None:
        """The server's URL, without its password (None for SQLite)."""
        return None if self.server_url is None else redact_url(self.server_url)

    async def check(self) -> str | None:
        """The server's version line (PostgreSQL), or raise with why it cannot be used; None for SQLite."""
        if self.server_url is None:
            return None
        import asyncpg

        conn = await asyncpg.connect(self.server_url, timeout=5)
        try:
            return str(await conn.fetchval("SHOW server_version")).split()[0]
        finally:
            await conn.close()

    @asynccontextmanager
    async def target(self, folder: Path, label: str) -> AsyncIterator[Target]:
        """A new, empty database for one phase run, removed after it (the SQLite file goes with the run's folder)."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{label}.db"
        if self.server_url is None:
            yield Target(SQLITE, path)
            return
        schema = await self._create_schema()
        try:
            yield Target(POSTGRES, path, with_search_path(self.server_url, schema))
        finally:
            await self._drop_schemas({schema})

    async def drop_all(self) -> None:
        """Drop every schema this run made that is still there (after a failure or Ctrl-C)."""
        if self.schemas:
            await self._drop_schemas(set(self.schemas))

    async def _create_schema(self) -> str:
        import asyncpg

        assert self.server_url is not None
        schema = SCHEMA_PREFIX + secrets.token_hex(5)
        conn = await asyncpg.connect(self.server_url)
        try:
            await conn.execute(f"CREATE SCHEMA {schema}")
        finally:
            await conn.close()
        self.schemas.add(schema)
        return schema

    async def _drop_schemas(self, schemas: set[str]) -> None:
        import asyncpg

        assert self.server_url is not None
        conn = await asyncpg.connect(self.server_url)
        try:
            for schema in sorted(schemas):
                await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                self.schemas.discard(schema)
        finally:
            await conn.close()


def backends_for(choice: str, url: str | None = None) -> tuple[Backend, ...]:
    """`sqlite`, `postgres` or `both` (SQLite first) as Backend objects."""
    if choice == "both":
        return (Backend.sqlite(), Backend.postgres(url))
    return (Backend.postgres(url),) if choice == POSTGRES else (Backend.sqlite(),)
