"""Quizlet's text export: one term and its definition per row, no quoting.

Quizlet lets the exporter choose both separators: between term and definition tab (default), comma or any text;
between rows newline (default), semicolon or any text. A row is split at the first term separator only, so a
definition may contain it.
"""
from __future__ import annotations

from bot.core.importers.common import DeckBuilder, ImportFailed, ImportLimits, ImportResult, Progress

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
    rows = split_rows(text, rows_sep)
    builder = DeckBuilder(deck_id, limits=limits, fmt="quizlet")
    for number, row in enumerate(rows, 1):
        if not row.strip():
            continue
        front, found, back = row.partition(term)
        if not found:
            builder.skip(f"row {number}", f"no {_name(term)} between term and definition")
        elif builder.add_card(front.strip() or f"row {number}", front.strip(), front, back):
            builder.imported += 1
        if progress is not None and number % 200 == 0:
            progress(number, len(rows))
    if progress is not None:
        progress(len(rows), len(rows))
    return builder.build(title=title, tags=("quizlet",))


def _name(sep: str) -> str:
    return next((name for name, char in SEPARATOR_NAMES.items() if char == sep), repr(sep))
