"""Quizlet's text export: one term and its definition per row.

Quizlet lets the exporter choose both separators: between term and definition tab (default), comma or any text;
between rows newline (default), semicolon or any text. A row is split at the first term separator only, so a
definition may contain it. With a comma between term and definition Quizlet quotes as CSV does (import_quoted_pairs);
otherwise there is no quoting.
"""
from __future__ import annotations

import csv
from collections.abc import Sequence

from bot.core.importers.common import DeckBuilder, ImportFailed, ImportLimits, ImportResult, Progress
from bot.core.importers.csv_import import Dialect, numbered_rows

SEPARATOR_NAMES = {"tab": "\t", "comma": ",", "newline": "\n", "semicolon": ";"}


def separator(value: str | None, default: str) -> str:
    """A separator given by name (tab, comma, newline, semicolon) or literally; `\\t` and `\\n` as typed work too."""
    if value is None or value == "":
        return default
    named = SEPARATOR_NAMES.get(value.casefold())
    if named is not None:
        return named
    return value.replace("\\t", "\t").replace("\\n", "\n")


def split_rows(text: str, row_sep: str) -> list[str]:
    if row_sep == "\n":
        return text.splitlines()
    return text.replace("\r\n", "\n").split(row_sep)


def import_quizlet(text: str, *, deck_id: str, title: str = "", term_sep: str | None = None,
                   row_sep: str | None = None, limits: ImportLimits = ImportLimits(),
                   progress: Progress | None = None) -> ImportResult:
    if not text.strip():
        raise ImportFailed("The file is empty.")
    rows_sep = separator(row_sep, "\n")
    # Without an explicit choice, tab is Quizlet's default; a file with no tab at all was exported with commas.
    term = separator(term_sep, "\t" if "\t" in text or term_sep else ",")
    pairs: list[tuple[int, str, str | None]] = []
    for number, row in enumerate(split_rows(text, rows_sep), 1):
        if row.strip():
            front, found, back = row.partition(term)
            pairs.append((number, front, back if found else None))
    return _deck(pairs, deck_id=deck_id, title=title, term_sep=term, limits=limits, progress=progress)


def import_quoted_pairs(text: str, *, deck_id: str, title: str = "", limits: ImportLimits = ImportLimits(),
                        progress: Progress | None = None) -> ImportResult:
    """Quizlet's export with a comma between term and definition: Quizlet quotes a term or definition that holds a
    comma, a quote or a line break, as CSV does, so the rows are read as CSV; an unquoted definition may still hold
    commas (Quizlet splits at the first one), so every field after the first is the definition, commas restored."""
    try:
        rows, lines = numbered_rows(text.removeprefix("\ufeff"), Dialect(","))
    except csv.Error as exc:
        raise ImportFailed(f"The file cannot be read as comma-separated text ({exc}).") from None
    pairs = [(number, row[0], ",".join(row[1:]) if len(row) > 1 else None) for number, row in zip(lines, rows)]
    return _deck(pairs, deck_id=deck_id, title=title, term_sep=",", limits=limits, progress=progress)


def _deck(pairs: Sequence[tuple[int, str, str | None]], *, deck_id: str, title: str, term_sep: str,
          limits: ImportLimits, progress: Progress | None) -> ImportResult:
    """One card per (row number, term, definition); a definition of None is a row without the separator."""
    builder = DeckBuilder(deck_id, limits=limits, fmt="quizlet")
    for count, (number, term, definition) in enumerate(pairs, 1):
        if definition is None:
            builder.skip(f"row {number}", f"no {_name(term_sep)} between term and definition")
        elif builder.add_card(term.strip() or f"row {number}", term.strip(), term, definition):
            builder.imported += 1
        if progress is not None and count % 200 == 0:
            progress(count, len(pairs))
    if progress is not None:
        progress(len(pairs), len(pairs))
    return builder.build(title=title, tags=("quizlet",))


def _name(sep: str) -> str:
    return next((name for name, char in SEPARATOR_NAMES.items() if char == sep), repr(sep))
