"""`python -m bot import FILE [--format F] [-o decks/NAME.yaml]`: turn another tool's export into a deck file.

The same importers as `/decks upload`; the output is a Recall deck file that `python -m bot check` accepts. Exit
codes: 0 written, 1 the file could not be imported, 2 a usage problem (missing input, output already there).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from bot.core.decks import MAX_DECK_BYTES, is_slug
from bot.core.importers import FORMATS, ImportFailed, ImportLimits, import_file
from bot.core.importers.common import MAX_UNPACKED_BYTES, deck_to_yaml, human_size, slugify

PROGRESS_FROM_BYTES = 256 * 1024  # smaller files import in a blink; a bar would only flicker
LOCAL_MAX_BYTES = 256 * 1024 * 1024  # a local file may be far bigger than an upload (an .apkg with media)
BAR_WIDTH = 30


class ProgressBar:
    """A one-line bar on a stream, redrawn only when the shown percentage changes."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.shown = -1
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        if percent == self.shown:
            return
        self.shown = percent
        filled = BAR_WIDTH * percent // 100
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {percent:3d}% {done}/{total}")
        if percent == 100:
            self.stream.write("\n")
        self.stream.flush()


def default_output(file: Path) -> Path:
    return Path("decks") / f"{slugify(file.stem)}.yaml"


def run_import(file: Path, fmt: str | None, out: Path | None, *, force: bool = False, term_sep: str | None = None,
               row_sep: str | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Import `file` and write it as a deck to `out` (default decks/<file name>.yaml); returns the exit code."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    out = out or default_output(file)
    problem = _usage_problem(file, out, force)
    if problem:
        print(f"error: {problem}", file=stderr)
        return 2
    size = file.stat().st_size
    if size > LOCAL_MAX_BYTES:
        print(f"error: {file} is {human_size(size)}; the import limit is {human_size(LOCAL_MAX_BYTES)}.", file=stderr)
        return 1
    progress = ProgressBar(stderr, f"Importing {file.name}") if size >= PROGRESS_FROM_BYTES else None
    limits = ImportLimits(max_bytes=LOCAL_MAX_BYTES, max_unpacked_bytes=max(MAX_UNPACKED_BYTES, 8 * size))
    try:
        result = import_file(file.read_bytes(), file.name, fmt=fmt, deck_id=out.stem, limits=limits,
                             progress=progress, term_sep=term_sep, row_sep=row_sep)
    except ImportFailed as exc:
        print(f"error: {file}: {exc.message}", file=stderr)
        for line in exc.problems:
            if line != exc.message:
                print(f"  {line}", file=stderr)
        return 1
    text = deck_to_yaml(result.deck)
    if len(text.encode("utf-8")) > MAX_DECK_BYTES:
        print(f"error: the deck would be {human_size(len(text.encode()))}, over the {human_size(MAX_DECK_BYTES)} "
              "a deck file may hold; split the source into smaller files.", file=stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(result.summary(limit=50).replace("**", ""), file=stdout)
    print(f"Wrote {out} ({FORMATS[result.format]} → Recall deck). Check it with: python -m bot check {out}",
          file=stdout)
    return 0


def _usage_problem(file: Path, out: Path, force: bool) -> str | None:
    if not file.is_file():
        return f"{file}: no such file"
    if out.suffix not in (".yaml", ".yml"):
        return f"{out}: a deck file name ends in .yaml"
    if not is_slug(out.stem):
        return (f"{out}: the file name is the deck id, so it must use only lowercase letters, digits, - and _ "
                f"(for example {slugify(out.stem)}.yaml)")
    if out.exists() and not force:
        return f"{out} already exists; pass --force to overwrite it"
    return None


def add_import_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `import` on the `python -m bot` sub-command parser."""
    parser = subparsers.add_parser(
        "import", help="turn a Red trivia list, Anki package, Quizlet or CSV export into a deck file",
        description="Import another tool's export as a Recall deck file. Formats: "
                    + "; ".join(f"{key} = {text}" for key, text in FORMATS.items()) + ".",
    )
    parser.add_argument("file", type=Path, help="the file to import")
    parser.add_argument("--format", "-f", dest="fmt", choices=list(FORMATS), help="the file's format (default: detect)")
    parser.add_argument("-o", "--output", type=Path, help="deck file to write (default: decks/<file name>.yaml)")
    parser.add_argument("--force", action="store_true", help="overwrite the output file when it exists")
    parser.add_argument("--term-sep", help="Quizlet: between term and definition (tab, comma or text; default tab)")
    parser.add_argument("--row-sep", help="Quizlet: between rows (newline, semicolon or text; default newline)")
    return parser


def main_import(args: argparse.Namespace) -> int:
    return run_import(args.file, args.fmt, args.output, force=args.force, term_sep=args.term_sep,
                      row_sep=args.row_sep)
