"""CSV with a header row naming the two sides (front/back, question/answer, term/definition, …).

UTF-8 with or without a byte-order mark; comma, semicolon or tab separated (sniffed from the header); standard `"`
quoting, so fields may hold separators and line breaks. An optional `level` column sets each card's level.
"""
from __future__ import annotations

import csv
import io

from bot.core.decks import LEVELS
from bot.core.importers.common import DeckBuilder, ImportFailed, ImportLimits, ImportResult, Progress

FRONT_NAMES = ("front", "question", "term", "prompt", "q", "word")
BACK_NAMES = ("back", "answer", "definition", "a", "meaning", "response")


def _delimiter(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _find(columns: list[str], names: tuple[str, ...]) -> int | None:
    folded = [c.strip().casefold() for c in columns]
    return next((folded.index(n) for n in names if n in folded), None)


def import_csv(text: str, *, deck_id: str, title: str = "", limits: ImportLimits = ImportLimits(),
               progress: Progress | None = None) -> ImportResult:
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ImportFailed("The file is empty.")
    first_line = text.lstrip("\r\n").splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=False)
    try:
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ImportFailed(f"The CSV cannot be read ({exc}).") from None
    if not rows:
        raise ImportFailed("The file has no rows.")
    header = rows[0]
    front_at, back_at = _find(header, FRONT_NAMES), _find(header, BACK_NAMES)
    if front_at is None or back_at is None:
        raise ImportFailed(
            "The first row must name the columns, e.g. `front,back`, `question,answer` or `term,definition`; "
            f"found: {', '.join(repr(c) for c in header[:6])}."
        )
    level_at = _find(header, ("level",))
    builder = DeckBuilder(deck_id, limits=limits, fmt="csv")
    body = rows[1:]
    for number, row in enumerate(body, 2):
        front = row[front_at] if front_at < len(row) else ""
        back = row[back_at] if back_at < len(row) else ""
        level = (row[level_at].strip().casefold() if level_at is not None and level_at < len(row) else "") or LEVELS[0]
        what = front.strip() or f"row {number}"
        if level not in LEVELS:
            builder.skip(what, f"level {level!r} is not one of {', '.join(LEVELS)}")
        elif builder.add_card(what, front.strip(), front, back, level=level):
            builder.imported += 1
        if progress is not None and number % 200 == 0:
            progress(number, len(body))
    if progress is not None:
        progress(len(body), len(body))
    return builder.build(title=title, tags=("csv",))
