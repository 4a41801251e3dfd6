"""SQL text both backends run alike (SQLite 3.35+ and PostgreSQL 12+)."""
from __future__ import annotations

from typing import Sequence


def upsert(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """INSERT a row, or update the row with the same `key` in place: SQLite's INSERT OR REPLACE, written so that
    PostgreSQL runs it too (and without the delete and re-insert OR REPLACE does)."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT ({', '.join(key)}) {action}")
