"""`python -m bot import FILE [--format F] [-o decks/NAME.yaml] [--front COL --back COL] [--no-header]`: turn
another tool's export into a deck file.

The same importers as `/decks upload`, run the same way: in a worker process with a CPU-time limit (`--time-limit`,
60 s by default; a file that takes longer is reported, never left hanging) and a memory limit. The output is a
Recall deck file that `python -m bot check` accepts. Exit codes: 0 written, 1 the file could not be imported, 2 a
usage problem (missing input, output already there). The summary names the separators the file was read with; a
reader that stops early (`| head`) ends the output quietly.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from bot.core.decks import MAX_DECK_BYTES, is_slug
from bot.core.importers import (
    FORMATS,
    CsvOptions,
    ImportFailed,
    ImportLimits,
)
from bot.core.importers.common import MAX_UNPACKED_BYTES, human_size, slugify
from bot.core.importers.detect import separator_text
from bot.import_worker import Imported, WorkerLimits, import_in_worker

PROGRESS_FROM_BYTES = 256 * 1024  # smaller files import in a blink; a bar would only flicker
LOCAL_MAX_BYTES = 256 * 1024 * 1024  # a local file may be far bigger than an upload (an .apkg with media)
BAR_WIDTH = 30
CLI_CPU_SECONDS = 60  # a local file may be big, but an import that runs longer is stuck on something
CLI_MEMORY_MB = 8192  # a sanity bound only: a local import may need far more than an upload
SEPARATOR_OPTIONS = ("--term-sep", "--row-sep")  # their values may start with "-" (a Quizlet export with ---)


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

    def end(self) -> None:
        """End a bar drawn part of the way (an import that failed), so the next message starts on its own line."""
        if 0 <= self.shown < 100:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = 100


def default_output(file: Path) -> Path:
    return Path("decks") / f"{slugify(file.stem)}.yaml"


def run_import(file: Path, fmt: str | None, out: Path | None, *, force: bool = False, term_sep: str | None = None,
               row_sep: str | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None,
               time_limit: int = CLI_CPU_SECONDS, importer: str | None = None,
               options: CsvOptions | None = None) -> int:
    """Import `file` and write it as a deck to `out` (default decks/<file name>.yaml); returns the exit code.
    `options` chooses a CSV file's columns. `importer` (module:function) replaces import_file in the worker: tests
    only."""
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
    worker = WorkerLimits(cpu_seconds=time_limit, memory_mb=CLI_MEMORY_MB)
    data = file.read_bytes()
    try:
        imported = _import(data, file.name, fmt=fmt, deck_id=out.stem, limits=limits, worker=worker,
                           progress=progress, term_sep=term_sep, row_sep=row_sep, importer=importer, options=options)
    except ImportFailed as exc:
        if progress is not None:
            progress.end()
        print(f"error: {file}: {exc.message}", file=stderr)
        for line in exc.problems:
            if line != exc.message:
                print(f"  {line}", file=stderr)
        return 1
    if progress is not None:
        progress.end()
    result, text = imported.result, imported.yaml_text
    if len(text.encode("utf-8")) > MAX_DECK_BYTES:
        print(f"error: the deck would be {human_size(len(text.encode()))}, over the {human_size(MAX_DECK_BYTES)} "
              "a deck file may hold; split the source into smaller files.", file=stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    separators = separator_text(data.decode("utf-8-sig", "replace"), result.format, term_sep=term_sep,
                                row_sep=row_sep)
    try:
        print(result.summary(limit=50).replace("**", ""), file=stdout)
        if separators:
            print(separators, file=stdout)
        print(f"Wrote {out} ({FORMATS[result.format]} → Recall deck). Check it with: python -m bot check {out}",
              file=stdout)
        stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe(stdout)
    return 0


def _import(data: bytes, filename: str, *, options: CsvOptions | None, importer: str | None,
            **kwargs: Any) -> Imported:
    return asyncio.run(import_in_worker(data, filename, importer=importer, options=options, **kwargs))


def _quiet_broken_pipe(stream: TextIO) -> None:
    """The reader (`| head`) stopped reading: the deck is written, so end quietly. Python would otherwise report
    the pipe again when it flushes the stream at exit, so the stream's descriptor now points at /dev/null."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test's StringIO): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


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
    parser.add_argument("--term-sep", help="Quizlet: between term and definition (tab, comma or text; default tab); "
                                           "a value starting with - works as `--term-sep ---`")
    parser.add_argument("--row-sep", help="Quizlet: between rows (newline, semicolon or text; default newline)")
    parser.add_argument("--front", metavar="COL", help="CSV: the front's column, by header name or number from 1")
    parser.add_argument("--back", metavar="COL", help="CSV: the back's column, by name or number; a comma list "
                                                      "(2,3) joins those columns into the back")
    parser.add_argument("--no-header", action="store_true", help="CSV: the first row is a card, not column names")
    parser.add_argument("--time-limit", type=int, default=CLI_CPU_SECONDS, metavar="SECONDS",
                        help=f"stop reading the file after this much CPU time (default {CLI_CPU_SECONDS})")
    parse_known_args = parser.parse_known_args

    def parse_with_dash_values(args: Any = None, namespace: Any = None) -> Any:
        return parse_known_args(None if args is None else attach_dash_values(list(args)), namespace)

    # argparse reads "---" after --term-sep as another option and stops with "expected one argument"; the
    # sub-command's own parsing is the one place that sees these arguments, so they are rejoined there.
    parser.parse_known_args = parse_with_dash_values  # type: ignore[method-assign]
    return parser


def attach_dash_values(args: list[str]) -> list[str]:
    """`--term-sep ---` → `--term-sep=---`: a separator option followed by a value that looks like an option."""
    joined: list[str] = []
    at = 0
    while at < len(args):
        if args[at] in SEPARATOR_OPTIONS and at + 1 < len(args) and args[at + 1].startswith("-"):
            joined.append(f"{args[at]}={args[at + 1]}")
            at += 2
        else:
            joined.append(args[at])
            at += 1
    return joined


def main_import(args: argparse.Namespace) -> int:
    if args.time_limit < 1:
        print("error: --time-limit must be at least 1 second", file=sys.stderr)
        return 2
    options = CsvOptions(front=args.front, back=args.back, no_header=args.no_header)
    return run_import(args.file, args.fmt, args.output, force=args.force, term_sep=args.term_sep,
                      row_sep=args.row_sep, time_limit=args.time_limit, options=options or None)
