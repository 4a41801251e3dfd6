"""The store interface services program against, and its two implementations' shared errors.

`bot.store.db.Database` (SQLite) and `bot.store.postgres.PostgresDatabase` implement it: a transaction body gets a
`Connection` and may await only it, writes happen only inside `Store.atomic`, and reads outside a transaction go
through the three read helpers. A body may be run more than once (its earlier run rolled back whole: another program
held SQLite's lock, or PostgreSQL found a conflicting transaction), so it must not act outside the database; what it
records beside the database belongs in `after_commit`.

Store SQL is written once, for both: `?` (or `:name`) placeholders, upserts with ON CONFLICT, RETURNING instead of
rowcount or lastrowid, aggregates with FILTER, NULLS FIRST where order matters; the PostgreSQL connection turns
placeholders into `$n` and leaves out SQLite's `INDEXED BY` hints.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Iterable, Protocol, Sequence, TypeVar

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


class UnusableDatabase(Exception):
    """DATABASE_PATH or DATABASE_URL names a database Recall cannot use; the message is one line for the person
    running the bot (a password is never in it)."""


class SchemaTooNewError(UnusableDatabase):
    """The database was written by a newer Recall than this one."""


class Cursor(Protocol):
    """What a statement gives back: awaitable, usable with `async with`, rows fetched with await."""

    def __await__(self) -> Any: ...

    async def __aenter__(self) -> "Cursor": ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """The connection a transaction body runs its statements on."""

    def execute(self, sql: str, parameters: Params = ()) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Params]) -> Cursor: ...


class Store(Protocol):
    """One database: transactions (the only way to write) and reads."""

    async def atomic(
        self,
        body: Callable[[Connection], Awaitable[T]],
        after_commit: Callable[[T], object] | None = None,
        *,
        offload: bool = False,
    ) -> T: ...

    async def lookup(self, sql: str, params: Params = ()) -> Any: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Any: ...

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]: ...

    async def close(self) -> None: ...
