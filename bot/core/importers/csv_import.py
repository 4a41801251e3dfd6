"""CSV and other delimited text: a header row naming the columns in one of the project's languages, or no header.

UTF-8 with or without a byte-order mark; the dialect (comma, semicolon, tab or pipe; `"` quoting, so fields may hold
separators and line breaks; CRLF or LF) comes from the standard library's `csv.Sniffer`, checked against how evenly
each candidate splits the rows (the sniffer alone picks a comma inside quoted text, or a space). Columns are found
by name (front/back, Frage/Antwort, pregunta/respuesta, recto/verso, 表/裏, expression/meaning, …) or chosen with
CsvOptions; without a header the first two columns are front and back. Columns nobody asked for are named in the
summary, never silently dropped. An optional `level` column sets each card's level.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter
from dataclasses import dataclass

from bot.core.decks import LEVELS
from bot.core.importers.common import (
    DeckBuilder,
    ImportFailed,
    ImportLimits,
    ImportResult,
    Progress,
    validate,
)
from bot.core.importers.options import CsvOptions

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SNIFF_CHARS = 64 * 1024  # enough rows to judge a dialect; a whole large file would only cost time
# The sniffer's quote patterns (`".*?"` from every quote) cost the square of their input on a file of unclosed
# quotes, so it sees only the first few KB; the evenness check that guards its answer is linear and sees more.
SNIFFER_CHARS = 2 * 1024
MAX_HEADER_CHARS = 2000  # a longer first line is a row, not column names

# Header names, compared after casefolding and removing accents (so réponse, reponse and RÉPONSE are one name).
# English, German, Spanish, French, Portuguese, Japanese; plus Anki-style vocabulary headers.
FRONT_NAMES = (
    "front", "question", "term", "prompt", "q", "word", "expression", "vocab", "vocabulary", "kanji", "side 1",
    "frage", "vorderseite", "begriff", "wort", "ausdruck",
    "pregunta", "anverso", "frente", "termino", "palabra",
    "recto", "terme", "mot",
    "pergunta", "termo", "palavra",
    "表", "おもて", "質問", "問題", "問い", "単語", "用語", "表現",
)
BACK_NAMES = (
    "back", "answer", "definition", "a", "meaning", "response", "translation", "side 2",
    "antwort", "ruckseite", "rueckseite", "ubersetzung", "uebersetzung", "bedeutung",
    "respuesta", "reverso", "definicion", "significado", "traduccion",
    "verso", "reponse", "traduction", "sens", "signification",
    "resposta", "definicao", "traducao",
    "裏", "うら", "答え", "こたえ", "回答", "解答", "意味", "訳", "定義",
)
READING_NAMES = ("reading", "furigana", "kana", "pronunciation", "aussprache", "lectura", "lecture", "leitura",
                 "読み", "よみ", "読み方")
LEVEL_NAMES = ("level", "niveau", "stufe", "nivel", "レベル")


def fold(name: str) -> str:
    """A header cell as compared with the name lists: trimmed, casefolded, accents removed, `Front:` → `front`."""
    decomposed = unicodedata.normalize("NFKD", name.strip().strip(":：").strip().casefold())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


_FOLDED = {kind: {fold(n) for n in names} for kind, names in
           (("front", FRONT_NAMES), ("back", BACK_NAMES), ("reading", READING_NAMES), ("level", LEVEL_NAMES))}


@dataclass(frozen=True, slots=True)
class Dialect:
    delimiter: str
    quotechar: str = '"'

    @property
    def name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


def _rows(text: str, dialect: Dialect) -> list[list[str]]:
    return numbered_rows(text, dialect)[0]


def numbered_rows(text: str, dialect: Dialect) -> tuple[list[list[str]], list[int]]:
    """The non-blank rows, and the line each starts on (a quoted field may span lines), for messages that name it."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter, quotechar=dialect.quotechar,
                        strict=False)
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    for row in reader:
        if any(cell.strip() for cell in row):
            # A quoted line break in a CRLF file keeps its "\r"; a card's text has plain "\n" line breaks.
            rows.append([cell.replace("\r\n", "\n") for cell in row])
            lines.append(start)
        start = reader.line_num + 1
    return rows, lines


def _sample(text: str, size: int) -> str:
    """The first `size` characters, cut at a line end so the last row is whole."""
    if len(text) <= size:
        return text
    cut = text.rfind("\n", 0, size)
    return text[:cut] if cut > 0 else text[:size]


def _safe_rows(text: str, dialect: Dialect) -> list[list[str]]:
    try:
        return _rows(text, dialect)
    except csv.Error:  # a field over the csv module's limit: this delimiter is no candidate
        return []


def _evenness(rows: list[list[str]]) -> tuple[float, int]:
    """How well a delimiter splits the sample: the share of rows with the commonest field count (over 1), then that
    count; a delimiter that never splits scores nothing."""
    counts = Counter(len(row) for row in rows)
    if not counts:
        return 0.0, 0
    width, rows_of_width = counts.most_common(1)[0]
    return (rows_of_width / len(rows) if width > 1 else 0.0), width


def sniff_dialect(text: str) -> Dialect:
    """The file's dialect, judged on its first SNIFF_CHARS characters (cut at a line end)."""
    sample = _sample(text, SNIFF_CHARS)
    sniffed: Dialect | None = None
    try:
        found = csv.Sniffer().sniff(_sample(sample, SNIFFER_CHARS), delimiters="".join(DELIMITERS))
        sniffed = Dialect(found.delimiter, found.quotechar if found.quotechar in ('"', "'") else '"')
    except csv.Error:
        pass  # no consistent delimiter found: judged below by evenness alone
    scores = {sep: _evenness(_safe_rows(sample, Dialect(sep))) for sep in DELIMITERS}
    best = max(DELIMITERS, key=lambda sep: scores[sep])  # ties go to the earlier (commoner) delimiter
    if sniffed is not None and sniffed.delimiter in scores and scores[sniffed.delimiter][0] >= scores[best][0]:
        return sniffed
    if scores[best][0] == 0:
        first = next((line for line in sample.splitlines() if line.strip()), "")
        return Dialect(next((sep for sep in DELIMITERS if sep in first), ","))
    return Dialect(best)


def known_header(line: str) -> bool:
    """Whether one line names a front and a back column in a language Recall knows, with any delimiter."""
    if len(line) > MAX_HEADER_CHARS:
        return False
    for sep in DELIMITERS:
        if sep in line:
            cells = next(csv.reader([line], delimiter=sep, strict=False), [])
            front = find_column(cells, "front", set())
            if front is not None and find_column(cells, "back", {front}) is not None:
                return True
    return False


def find_column(header: list[str], kind: str, taken: set[int]) -> int | None:
    """The first column not in `taken` whose header names a `kind` of column (front, back, reading or level)."""
    return next((i for i, cell in enumerate(header) if i not in taken and fold(cell) in _FOLDED[kind]), None)


def _column(spec: str, header: list[str] | None, width: int, what: str) -> int:
    """A column chosen by 1-based number or by header name."""
    if spec.isdigit():
        number = int(spec)
        if not 1 <= number <= width:
            raise ImportFailed(f"The {what} column {number} does not exist; the file has {width} "
                               f"{'column' if width == 1 else 'columns'}.")
        return number - 1
    if header is None:
        raise ImportFailed(f"The {what} column {spec!r} is a name, but the file has no header row; give its number.")
    folded = [fold(cell) for cell in header]
    if fold(spec) not in folded:
        raise ImportFailed(f"No column is named {spec!r}; the header has {_names(header)}.")
    return folded.index(fold(spec))


def _names(header: list[str]) -> str:
    shown = ", ".join(repr(cell) for cell in header[:8])
    return shown + (f" and {len(header) - 8} more" if len(header) > 8 else "")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the cards come from: the header (None without one), the front column, the back columns, the level."""

    header: list[str] | None
    front: int
    back: list[int]
    level: int | None

    def left_out(self, width: int) -> list[int]:
        used = {self.front, *self.back, *([self.level] if self.level is not None else [])}
        return [i for i in range(width) if i not in used]


def _layout(rows: list[list[str]], options: CsvOptions) -> Layout:
    first = rows[0]
    width = max(len(row) for row in rows[:200])
    found_front = find_column(first, "front", set())
    found_back = find_column(first, "back", {found_front} if found_front is not None else set())
    named = found_front is not None and found_back is not None
    if options.no_header:
        header = None
    elif named or options.front and not options.front.isdigit() or any(not c.isdigit() for c in options.back_columns):
        header = first  # recognised names, or the member named columns: the first row names them
    elif len(rows) > 1 and _looks_like_header(rows):
        header = first
    else:
        header = None
    if header is not None:
        width = max(width, len(header))
    if width < 2 and not (options.front and options.back):
        raise ImportFailed("Every row has one column, so there is nothing to put on the back; the file needs a front "
                           "and a back column separated by a comma, semicolon or tab.")
    if options.front:
        front = _column(options.front, header, width, "front")
    else:
        front = found_front if header is not None and found_front is not None else 0
    if options.back_columns:
        back = [_column(spec, header, width, "back") for spec in options.back_columns]
    elif header is not None and found_back is not None and found_back != front:
        back = [found_back]
    else:
        back = [next(i for i in range(width) if i != front)]
    if front in back:
        raise ImportFailed("The same column is both the front and the back; choose another column.")
    level = find_column(header, "level", {front, *back}) if header is not None else None
    return Layout(header, front, back, level)


def _looks_like_header(rows: list[list[str]]) -> bool:
    """A first row of names Recall does not know, judged as `csv.Sniffer.has_header` judges (it cannot be handed
    rows already split): a column whose values below are all numbers, or all one length, votes for a header when the
    first row's cell differs from them and against it when it does not; text of varying length gives no vote, and so
    do fewer than three values of one length (two short words often match in length by chance)."""
    header, body = rows[0], rows[1:51]
    votes = 0
    for index, name in enumerate(header):
        values = [row[index].strip() for row in body if index < len(row) and row[index].strip()]
        if not values:
            continue
        if all(_is_number(v) for v in values):
            votes += -1 if _is_number(name.strip()) else 1
        elif len(values) >= 3 and len({len(v) for v in values}) == 1:  # one or two values are always "one length"
            votes += -1 if len(name.strip()) == len(values[0]) else 1
    return votes > 0


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def import_csv(text: str, *, deck_id: str, title: str = "", limits: ImportLimits = ImportLimits(),
               progress: Progress | None = None, options: CsvOptions | None = None) -> ImportResult:
    options = options or CsvOptions()
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ImportFailed("The file is empty.")
    dialect = sniff_dialect(text)
    try:
        rows, lines = numbered_rows(text, dialect)
    except csv.Error as exc:
        raise ImportFailed(f"The CSV cannot be read as {dialect.name}-separated text ({exc}).") from None
    if not rows:
        raise ImportFailed("The file has no rows.")
    if not options and [cell.strip().casefold() for cell in rows[0][:4]] == list(RECALL_EXPORT_COLUMNS):
        return _recall_export(text, deck_id=deck_id, title=title, limits=limits)
    layout = _layout(rows, options)
    builder = DeckBuilder(deck_id, limits=limits, fmt="csv")
    skip = 1 if layout.header is not None else 0
    body, lines = rows[skip:], lines[skip:]
    width = max([len(layout.header or [])] + [len(row) for row in body])
    for count, (number, row) in enumerate(zip(lines, body), 1):
        front = _cell(row, layout.front)
        back = "\n".join(part for part in (_cell(row, i).strip() for i in layout.back) if part)
        level = _cell(row, layout.level).strip().casefold() or LEVELS[0]
        what = front.strip() or f"row {number}"
        if level not in LEVELS:
            builder.skip(what, f"level {level!r} is not one of {', '.join(LEVELS)}")
        elif builder.add_card(what, front.strip(), front, back, level=level):
            builder.imported += 1
        if progress is not None and count % 200 == 0:
            progress(count, len(body))
    if progress is not None:
        progress(len(body), len(body))
    for index in layout.left_out(width):
        builder.skip(_column_label(layout.header, index),
                     f"left out; to add it to the back, choose back {_back_hint(layout, index)}")
    return builder.build(title=title, tags=("csv",))


# The header of Recall's own CSV export (bot.core.exporting): such a file comes back whole, quiz choices and explain
# concepts included, not as cards.
RECALL_EXPORT_COLUMNS = ("kind", "id", "front", "back")


def _recall_export(text: str, *, deck_id: str, title: str, limits: ImportLimits) -> ImportResult:
    from bot.core.exporting import read_export_csv  # (it brings genanki, which other imports do not need)

    try:
        deck = read_export_csv(text, deck_id=deck_id, title=title)
    except (KeyError, TypeError, ValueError) as exc:
        raise ImportFailed(f"The file has Recall's export header but a row cannot be read ({exc}).") from None
    if deck.item_count > limits.max_items:
        raise ImportFailed(f"The file holds {deck.item_count} items; a deck may hold {limits.max_items}.")
    return ImportResult(validate(deck, source=deck_id), deck.item_count, [], "csv")


def _cell(row: list[str], index: int | None) -> str:
    return row[index] if index is not None and index < len(row) else ""


def _column_label(header: list[str] | None, index: int) -> str:
    name = header[index].strip() if header is not None and index < len(header) else ""
    return f"column {index + 1} ({name})" if name else f"column {index + 1}"


def _back_hint(layout: Layout, index: int) -> str:
    return ",".join(str(i + 1) for i in [*layout.back, index])
