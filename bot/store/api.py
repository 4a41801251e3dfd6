"""The store interface services program against; `bot.store.db.Database` is its SQLite implementation.

A second backend implements the same two protocols: a transaction body gets a `Connection` and may await only it,
writes happen only inside `Store.atomic`, and reads outside a transaction go through the three read helpers.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Iterable, Protocol, Sequence, TypeVar

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


class Cursor(Protocol):
    """What a statement gives back: awaitable, usable with `async with`, rows fetched with await."""

    def __await__(self) -> Any: ...

    async def __aenter__(self) -> "Cursor": ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> list[Any]: ...

    @property
    def lastrowid(self) -> int | None: ...

    @property
    def rowcount(self) -> int: ...


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
