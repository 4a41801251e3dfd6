"""Which columns of a CSV (or Anki text) file become a card's front and back, as a member or the CLI chose them.

One small frozen dataclass of strings and a flag, so it pickles into the import worker unchanged and `/decks upload`
and `python -m bot import` offer the same choices.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CsvOptions:
    """`front`: a column name or 1-based number; `back`: the same, or a comma list (`2,3`, `meaning,reading`) whose
    columns are joined, one per line, into the back; `no_header`: the first row is a card, not column names."""

    front: str | None = None
    back: str | None = None
    no_header: bool = False

    @property
    def back_columns(self) -> list[str]:
        return [part.strip() for part in (self.back or "").split(",") if part.strip()]

    def __bool__(self) -> bool:
        return bool(self.front or self.back or self.no_header)
