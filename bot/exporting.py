"""`python -m bot export DECK --format anki|csv|yaml [-o FILE]`: write a deck in a format other tools read.

DECK is a deck id from DECKS_DIR or the path of a deck file. The output defaults to `<deck id>.apkg|.csv|.yaml` in
the current folder; an existing file is never overwritten unless `--force`; `-o -` writes CSV or YAML to standard
output (an Anki package is a zip, no text for a terminal). Exit codes: 0 written, 1 the deck could not be read,
2 a usage problem (unknown deck, output already there).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from bot.core.decks import DeckError, load_deck_file
from bot.core.exporting import EXPORT_FORMATS, EXTENSIONS, export_deck

STDOUT = "-"


def find_deck_file(deck: str, decks_dir: Path) -> Path | None:
    """A deck id names DECKS_DIR/<id>.yaml (or .yml); anything that exists as a file is taken as its path."""
    path = Path(deck)
    if path.is_file():
        return path
    for suffix in (".yaml", ".yml"):
        candidate = decks_dir / f"{deck}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def run_export(deck: str, fmt: str, out: str | None, *, decks_dir: Path, force: bool = False,
               stdout: TextIO | None = None, stderr: TextIO | None = None,
               binary_stdout: BinaryIO | None = None) -> int:
    """Export `deck` as `fmt` to `out` (a path, "-" for standard output, None for `<deck id><extension>`)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if out == STDOUT and fmt == "anki":
        print("error: an Anki package is a zip file; write it to a file with -o NAME.apkg", file=stderr)
        return 2
    source = find_deck_file(deck, decks_dir)
    if source is None:
        print(f"error: {deck}: no such deck file, and no deck with that id in {decks_dir}", file=stderr)
        return 2
    try:
        loaded = load_deck_file(source)
    except DeckError as exc:
        print(f"error: {source} is not a valid deck:", file=stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=stderr)
        return 1
    target = Path(out) if out not in (None, STDOUT) else Path(f"{loaded.id}{EXTENSIONS[fmt]}")
    if out != STDOUT and target.exists() and not force:
        print(f"error: {target} already exists; pass --force to overwrite it", file=stderr)
        return 2
    exported = export_deck(loaded, fmt)
    if out == STDOUT:
        return _to_stdout(exported.data, binary_stdout, stdout)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(exported.data)
    print(f"Wrote {target}: {loaded.title} ({loaded.id}), {exported.items} items as {EXPORT_FORMATS[fmt]}.",
          file=stderr)
    return 0


def _to_stdout(data: bytes, binary: BinaryIO | None, text: TextIO) -> int:
    try:
        if binary is not None:
            binary.write(data)
            binary.flush()
        elif text is sys.stdout:
            sys.stdout.buffer.write(data)  # the bytes as exported (UTF-8, CRLF in CSV), whatever the locale
            sys.stdout.flush()
        else:
            text.write(data.decode("utf-8"))
    except BrokenPipeError:
        # `export … -o - | head`: the reader left; say nothing, and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return 0


def add_export_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `export` on the `python -m bot` sub-command parser."""
    parser = subparsers.add_parser(
        "export", help="write a deck as an Anki package, a CSV file or a Recall deck file",
        description="Export a deck for other tools. Formats: "
                    + "; ".join(f"{key} = {text}" for key, text in EXPORT_FORMATS.items()) + ".",
    )
    parser.add_argument("deck", help="a deck id from DECKS_DIR, or the path of a deck file")
    parser.add_argument("--format", "-f", dest="fmt", choices=list(EXPORT_FORMATS), required=True,
                        help="the format to write")
    parser.add_argument("-o", "--output", help="file to write (default: <deck id>.apkg|.csv|.yaml here); "
                                               "- writes CSV or YAML to standard output")
    parser.add_argument("--force", action="store_true", help="overwrite the output file when it exists")
    return parser


def main_export(args: argparse.Namespace) -> int:
    from bot.settings import SettingsError, load_settings

    try:
        decks_dir = load_settings(check_paths=False).decks_dir
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return run_export(args.deck, args.fmt, args.output, decks_dir=decks_dir, force=args.force)
