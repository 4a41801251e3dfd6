"""`python -m bot migrate-db --to postgresql://…`: move Recall's SQLite database into an empty PostgreSQL database.

The copy itself (one transaction, checked table by table before COMMIT) is bot.store.transfer; this is its command:
arguments, settings, and what it prints.

Exit codes: 0 copied and verified; 1 the rows could not be copied as they are (a value PostgreSQL cannot hold, a
check that failed, PostgreSQL refusing a row): nothing written; 2 a usage problem, a source or target that cannot be
used, or a target that already holds Recall data: nothing written.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from bot.settings import SettingsError, load_settings, redact_url
from bot.store.transfer import Outcome, Refused, transfer


async def run_migration(source: Path, url: str, *, source_label: str = "--from", out: TextIO | None = None,
                        err: TextIO | None = None) -> int:
    """Copy the SQLite database at `source` into the empty PostgreSQL database at `url`; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    started = time.monotonic()
    try:
        moved = await transfer(source, url, source_label)
    except Refused as refusal:
        print(f"error: {refusal}", file=err)
        for line in refusal.detail:
            print(f"  {line}", file=err)
        return refusal.code
    before, version = moved.before, moved.version
    upgraded = f"; upgraded from schema version {before} first" if before is not None and before < version else ""
    print(f"Source: {source} (SQLite, schema version {version}{upgraded})", file=out)
    _report(out, url, moved.outcome, time.monotonic() - started)
    return 0


def _report(out: TextIO, url: str, outcome: Outcome, elapsed: float) -> None:
    print(f"Target: {redact_url(url)} (PostgreSQL, Recall's schema version {outcome.version}, created by this copy)",
          file=out)
    if outcome.triggers is None:
        print("Triggers: held off during the copy with session_replication_role = replica (totals copied as they "
              "are)", file=out)
    else:
        print(f"Triggers: not a superuser, so the triggers of {len(outcome.triggers)} tables were disabled for the "
              "copy and enabled again before COMMIT (totals copied as they are)", file=out)
    width = max([len("table")] + [len(r.name) for r in outcome.results])
    rows_width = max([len("rows")] + [len(f"{r.source.rows:,}") for r in outcome.results])
    print(f"{'table':<{width}}  {'rows':>{rows_width}}  {'checksum':<12}  ok", file=out)
    for result in outcome.results:
        print(f"{result.name:<{width}}  {result.source.rows:>{rows_width},}  {result.source.checksum[:12]}  "
              f"{'ok' if result.ok else 'NO'}", file=out)
    if outcome.only_target:
        print(f"(only in PostgreSQL's schema, left empty: {', '.join(outcome.only_target)})", file=out)
    total = sum(r.source.rows for r in outcome.results)
    print(f"Copied {len(outcome.results)} tables, {total:,} rows in {elapsed:.1f} s; every table's row count and "
          "checksum match. Set DATABASE_URL to this database and start Recall.", file=out)


# --- Command line -----------------------------------------------------------------------------------------------------


def add_migrate_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `migrate-db` on the `python -m bot` sub-command parser."""
    parser = subparsers.add_parser(
        "migrate-db", help="copy the SQLite database into an empty PostgreSQL database",
        description="Copy Recall's SQLite database (every table, every row) into an empty PostgreSQL database in one "
                    "transaction, and check each table's row count and checksum before committing. A target that "
                    "already holds Recall data is refused. Stop the bot first.",
    )
    parser.add_argument("--to", metavar="URL",
                        help="the PostgreSQL database: postgresql://user:password@host:5432/db (default: DATABASE_URL)")
    parser.add_argument("--from", dest="source", type=Path, metavar="PATH",
                        help="the SQLite file (default: DATABASE_PATH, else data/recall.db)")
    return parser


def main_migrate(args: argparse.Namespace) -> int:
    source, label, url = args.source, "--from", args.to
    if source is None or url is None:
        try:
            settings = load_settings(check_paths=False)
        except SettingsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if source is None:
            source, label = settings.database_path, "DATABASE_PATH:"
        url = url or settings.database_url
    if not url:
        print("error: say which PostgreSQL database to fill: --to postgresql://user@host:5432/db (or set "
              "DATABASE_URL).", file=sys.stderr)
        return 2
    if not url.startswith(("postgresql://", "postgres://")):
        print(f"error: --to must start with postgresql://, got {redact_url(url)!r}.", file=sys.stderr)
        return 2
    try:
        return asyncio.run(run_migration(source, url, source_label=label))
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written (the transaction was not committed).", file=sys.stderr)
        return 1
