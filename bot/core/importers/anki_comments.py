"""The `#` lines of an Anki text export, read as Anki reads them, before the rows are split into notes.

Anki (2.1.55 and later) takes `#key:value` lines at the top of the file as settings (`#separator:`, `#html:`,
`#columns:`, `#tags column:`, …), ignores any other `#` line there as a comment, and skips every later line that
starts a row with `#`, as its CSV reader's comment character; a `#` inside a quoted field that spans lines is text.
`anki_text_body` gives the reader only the settings, at the top, and the rows.
"""
from __future__ import annotations

import re

SETTINGS = ("separator", "html", "tags", "columns", "deck", "notetype", "guid column", "notetype column",
            "deck column", "tags column")
_SETTING = re.compile(r"#([a-z ]+):(.*)", re.IGNORECASE)
_META = ("guid", "notetype", "deck", "tags")  # columns a `#columns:` line may name that hold no card text
_NAMED_SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}


def setting(line: str) -> tuple[str, str] | None:
    """(key, value) for a settings line Anki knows, None for any other line."""
    match = _SETTING.fullmatch(line.rstrip("\r\n"))
    if match is None or match.group(1).strip().casefold() not in SETTINGS:
        return None
    return match.group(1).strip().casefold(), match.group(2).strip()


def anki_text_body(text: str) -> str:
    """The file with its settings lines first (plus the meta columns a `#columns:` line names, as `#… column:N`),
    its comment lines left out, and its rows as they were."""
    lines = text.splitlines(keepends=True)
    settings: dict[str, str] = {}
    at = 0
    while at < len(lines) and (lines[at].startswith("#") or not lines[at].strip()):
        found = setting(lines[at])
        if found is not None:
            settings[found[0]] = found[1]
        at += 1
    _columns_to_settings(settings)
    head = "".join(f"#{key}:{value}\n" for key, value in settings.items())
    return head + "".join(_rows_without_comments(lines[at:]))


def _columns_to_settings(settings: dict[str, str]) -> None:
    columns = settings.get("columns")
    if not columns:
        return
    given = settings.get("separator", "")
    sep = _NAMED_SEPARATORS.get(given.casefold(), given) or next((c for c in "\t;," if c in columns), "\t")
    names = [name.strip().casefold() for name in columns.split(sep)]
    for meta in _META:
        if meta in names and f"{meta} column" not in settings:
            settings[f"{meta} column"] = str(names.index(meta) + 1)


def _rows_without_comments(lines: list[str]) -> list[str]:
    kept: list[str] = []
    quoted = False  # inside a quoted field that continues on the next line
    for line in lines:
        if not quoted and line.startswith("#"):
            continue
        kept.append(line)
        if line.count('"') % 2:  # a doubled quote inside a field counts twice, so only field edges flip this
            quoted = not quoted
    return kept
