"""Importing study material from other tools (and Recall's own YAML) into a validated Deck.

Shared by `/decks upload` and the `python -m bot import` command: `import_file` takes the raw bytes and a file
name, works out the format unless told, and returns an ImportResult or raises ImportFailed; nothing is stored here.
"""
from __future__ import annotations

from pathlib import PurePath

from bot.core.decks import DeckError, parse_deck
from bot.core.importers.anki import import_anki_text, import_apkg
from bot.core.importers.anki_comments import anki_text_body
from bot.core.importers.common import (
    ImportFailed,
    ImportLimits,
    ImportResult,
    Progress,
    deck_to_yaml,
    human_size,
    slugify,
    with_source,
)
from bot.core.importers.csv_import import import_csv
from bot.core.importers.detect import FORMATS, decode_text, detect_format
from bot.core.importers.options import CsvOptions
from bot.core.importers.quizlet import import_quizlet, import_quoted_pairs, separator
from bot.core.importers.red import import_red

__all__ = [
    "FORMATS",
    "CsvOptions",
    "ImportFailed",
    "ImportLimits",
    "ImportResult",
    "deck_to_yaml",
    "detect_format",
    "import_file",
    "slugify",
]


def import_recall(text: str, *, deck_id: str, source: str, limits: ImportLimits) -> ImportResult:
    try:
        deck = parse_deck(text, deck_id=deck_id, source=source)
    except DeckError as exc:
        count = len(exc.problems)
        raise ImportFailed(f"The deck has {count} {'problem' if count == 1 else 'problems'}.",
                           [str(p) for p in exc.problems]) from None
    if deck.item_count > limits.max_items:
        raise ImportFailed(f"The deck has {deck.item_count} items; the limit is {limits.max_items}.")
    return ImportResult(deck, deck.item_count, [], "recall")


def import_file(data: bytes, filename: str, *, fmt: str | None = None, deck_id: str | None = None,
                limits: ImportLimits = ImportLimits(), progress: Progress | None = None,
                term_sep: str | None = None, row_sep: str | None = None,
                options: CsvOptions | None = None) -> ImportResult:
    """Import one file; the deck id defaults to the file name as a slug. `options` chooses a CSV file's front and
    back columns. Raises ImportFailed, never a parser's own exception, so callers can show every failure the same
    way."""
    if len(data) > limits.max_bytes:
        raise ImportFailed(f"`{filename}` is {human_size(len(data))}; the limit is {human_size(limits.max_bytes)}.")
    if fmt is not None and fmt not in FORMATS:
        raise ImportFailed(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    chosen = fmt
    fmt = fmt or detect_format(data, filename)
    if options and fmt != "csv":
        if fmt == "quizlet" and chosen is None:
            fmt = "csv"  # rows of delimited text without a header: the member's column choice says it is a table
        else:
            raise ImportFailed(f"The front, back and no-header options choose a CSV file's columns, but `{filename}` "
                               f"is read as {FORMATS[fmt]}; choose the csv format to read it as CSV.")
    deck_id = deck_id or slugify(PurePath(filename).stem)
    if not data.strip():
        raise ImportFailed(f"`{filename}` is empty.")
    if fmt == "anki":
        result = import_apkg(data, deck_id=deck_id, limits=limits, progress=progress)
        return with_source(result, filename)
    text = decode_text(data, filename)
    if fmt == "recall":
        return import_recall(text, deck_id=deck_id, source=filename, limits=limits)
    if fmt == "red":
        result = import_red(text, deck_id=deck_id, limits=limits, progress=progress)
    elif fmt == "anki-text":
        result = import_anki_text(anki_text_body(text), deck_id=deck_id, limits=limits, progress=progress)
    elif fmt == "quizlet" and _comma_rows(text, term_sep, row_sep):
        result = import_quoted_pairs(text, deck_id=deck_id, limits=limits, progress=progress)
    elif fmt == "quizlet":
        result = import_quizlet(text, deck_id=deck_id, term_sep=term_sep, row_sep=row_sep, limits=limits,
                                progress=progress)
    else:
        result = import_csv(text, deck_id=deck_id, limits=limits, progress=progress, options=options)
    return with_source(result, filename)


def _comma_rows(text: str, term_sep: str | None, row_sep: str | None) -> bool:
    """A Quizlet export with commas between term and definition and rows on lines, holding quotes: Quizlet wrote it
    with CSV quoting (quoted commas and line breaks), which the plain split of its other forms would break."""
    term = separator(term_sep, "\t" if "\t" in text or term_sep else ",")
    return term == "," and separator(row_sep, "\n") == "\n" and '"' in text
