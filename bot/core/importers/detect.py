"""Telling an uploaded file's format from its name and first bytes, so most uploads need no `format` option."""
from __future__ import annotations

import re
from pathlib import PurePath

from bot.core.importers.anki_comments import setting
from bot.core.importers.common import ImportFailed
from bot.core.importers.csv_import import DELIMITERS, known_header

FORMATS: dict[str, str] = {
    "recall": "Recall deck file (YAML)",
    "red": "Red-DiscordBot trivia list",
    "anki": "Anki package, .apkg",
    "anki-text": "Anki notes exported as text",
    "quizlet": "Quizlet export, term tab definition",
    "csv": "CSV, with a header row such as front,back or none",
}

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_RECALL_KEY = re.compile(r"^(?:title|cards|quiz|explain)\s*:", re.MULTILINE)
# Signs of Anki's older, headerless text export ("Notes in Plain Text"): its fields keep Anki's HTML and a field
# holding a tab, line break or quote is quoted; Quizlet's export has neither.
_ANKI_HTML = re.compile(r"<(?:br|div|span|b|i|u|img|p)\b[^>\n]*+>|&nbsp;|\[sound:", re.IGNORECASE)
_QUOTED_FIELD = re.compile(r'(?:^|\t)"[^"\t]*+(?:""[^"\t]*+)*+(?:\t|\n|"(?:\t|$))', re.MULTILINE)
# A `question:` line followed by a `- answer` line. Was `:\s*\n\s*-\s`: over a long run of blank lines that never
# reached a "-", every way of splitting the run between the two \s* was tried (quadratic). The same text matches
# as "blanks within the line, the line break, then every following blank at once" with nothing to backtrack.
_YAML_QUESTION = re.compile(r"^[^\s#-][^\n]*:[^\S\n]*+\n\s*+-\s", re.MULTILINE)


def unknown_format(filename: str) -> ImportFailed:
    names = ", ".join(f"`{key}`" for key in FORMATS)
    return ImportFailed(f"Recall cannot tell which format `{filename}` is in. Pick one with the format option "
                        f"({names}).")


def decode_text(data: bytes, filename: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed(f"`{filename}` is not UTF-8 text (first bad byte on line {line}); save it as UTF-8 "
                           "and upload it again.") from None


def detect_format(data: bytes, filename: str) -> str:
    """One of FORMATS; raises ImportFailed for an empty file or one Recall cannot place."""
    if not data.strip():
        raise ImportFailed(f"`{filename}` is empty.")
    suffix = PurePath(filename).suffix.casefold()
    if data.startswith(_ZIP_MAGIC) or suffix in (".apkg", ".colpkg"):
        return "anki"  # a damaged package is still reported as one, with the reason
    if b"\x00" in data[:4096]:
        raise unknown_format(filename)
    text = decode_text(data, filename)
    if suffix in (".yaml", ".yml"):
        return "recall" if _RECALL_KEY.search(text) else "red"
    lines = [line for line in text.splitlines()[:200] if line.strip()]
    rows = [line for line in lines if not line.startswith("#")]
    first = rows[0] if rows else ""
    if lines and lines[0].startswith("#"):
        if any(setting(line) for line in lines):
            return "anki-text"  # Anki's settings lines
        if any(sep in first for sep in DELIMITERS) and not (_RECALL_KEY.search(text) or _YAML_QUESTION.search(text)):
            return "anki-text"  # comment lines above delimited rows (a YAML file may start with comments too)
    if suffix == ".csv":
        return "csv"
    if known_header(first):
        return "csv"
    if "\t" in first:
        sample = "\n".join(rows[:50])
        return "anki-text" if _ANKI_HTML.search(sample) or _QUOTED_FIELD.search(sample) else "quizlet"
    if _RECALL_KEY.search(text):
        return "recall"
    if _YAML_QUESTION.search(text):
        return "red"
    raise unknown_format(filename)


def separator_text(text: str, fmt: str, *, term_sep: str | None = None, row_sep: str | None = None) -> str:
    """Which separators reading `text` as `fmt` used, for a summary ("" for formats without one): the same rules
    as the importers, so a wrong guess shows before anyone studies the deck."""
    # Imported here: detect is imported by those modules' package and needs them only for this sentence.
    from bot.core.importers.anki_comments import anki_text_body
    from bot.core.importers.csv_import import sniff_dialect
    from bot.core.importers.quizlet import separator

    if fmt == "csv":
        return f"Columns separated by {sniff_dialect(text.removeprefix(chr(0xFEFF))).name}."
    if fmt == "quizlet":
        term = separator(term_sep, "\t" if "\t" in text or term_sep else ",")
        rows = separator(row_sep, "\n")
        return f"Term and definition separated by {_sep_name(term)}, rows by {_sep_name(rows)}."
    if fmt == "anki-text":
        body = anki_text_body(text)
        found = (setting(line) for line in body.splitlines() if line.startswith("#"))
        given = next((pair[1] for pair in found if pair is not None and pair[0] == "separator"), "")
        names = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}
        sep = names.get(given.casefold(), given)
        if not sep:
            first = next((line for line in body.splitlines() if line.strip() and not line.startswith("#")), "")
            sep = next((c for c in ("\t", ";", ",") if c in first), "\t")
        return f"Fields separated by {_sep_name(sep)}" + (" (from `#separator:`)." if given else ".")
    return ""


def _sep_name(sep: str) -> str:
    names = {"\t": "tab", ",": "comma", ";": "semicolon", "\n": "newline", " ": "space", "|": "pipe", ":": "colon"}
    return names.get(sep, repr(sep))
