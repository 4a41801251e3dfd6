"""Telling an uploaded file's format from its name and first bytes, so most uploads need no `format` option."""
from __future__ import annotations

import re
from pathlib import PurePath

from bot.core.importers.common import ImportFailed

FORMATS: dict[str, str] = {
    "recall": "Recall deck file (YAML)",
    "red": "Red-DiscordBot trivia list",
    "anki": "Anki package, .apkg",
    "anki-text": "Anki notes exported as text",
    "quizlet": "Quizlet export, term tab definition",
    "csv": "CSV with a header row such as front,back",
}

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_RECALL_KEY = re.compile(r"^(?:title|cards|quiz|explain)\s*:", re.MULTILINE)
_ANKI_HEADER = re.compile(r"#(?:separator|html|tags|columns|deck|notetype|guid column|notetype column|"
                          r"deck column|tags column):", re.IGNORECASE)
_CSV_HEADER = re.compile(r"\s*\"?(?:front|question|term|prompt|word)\"?\s*[,;\t]", re.IGNORECASE)
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
    if suffix == ".csv":
        return "csv"
    first = next((line for line in text.splitlines() if line.strip()), "")
    if _ANKI_HEADER.match(first):
        return "anki-text"
    if _CSV_HEADER.match(first):
        return "csv"
    if "\t" in first:
        return "quizlet"
    if _RECALL_KEY.search(text):
        return "recall"
    if _YAML_QUESTION.search(text):
        return "red"
    raise unknown_format(filename)
