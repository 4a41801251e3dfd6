"""`python -m bot playground [--decks PATH] [--port 8765]`: try Recall in a browser, no Discord account needed."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from bot.playground.server import Playground

REPO_DECKS = Path(__file__).resolve().parent.parent.parent / "decks"
DEFAULT_DB = Path("data/playground.db")
DEFAULT_PORT = 8765


def add_playground_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "playground",
        help="try Recall in your browser against a local, simulated Discord (no token needed)",
        description="Start a simulated Discord server with the real bot and open it in your browser.",
    )
    parser.add_argument("--decks", type=Path, default=None, help="preview the decks in this folder (default: the shipped decks)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 for the page (default {DEFAULT_PORT})")
    return parser


def default_decks_dir() -> Path:
    """The shipped decks next to the code; `decks/` in the working folder when installed elsewhere."""
    return REPO_DECKS if REPO_DECKS.is_dir() else Path("decks")


def run_playground(decks: Path | None, port: int, db_path: Path) -> None:
    """Run until Ctrl+C (or SIGTERM); prints the URL to open."""
    asyncio.run(serve_playground(decks, port, db_path))


async def serve_playground(decks: Path | None, port: int, db_path: Path) -> None:
    playground = Playground(decks_dir=decks or default_decks_dir(), db_path=db_path, port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        url = await playground.start()
        problems = playground.deck_problems()
        print(f"Recall playground is running: open {url} in your browser (Ctrl+C stops it).", flush=True)
        if problems:
            print(f"{len(problems)} deck problem(s); they are listed on the page.", flush=True)
        await stop.wait()
    finally:
        await playground.stop()


def main_playground(args: argparse.Namespace) -> int:
    decks: Path | None = args.decks
    if decks is not None and not decks.is_dir():
        print(f"error: --decks {str(decks)!r} is not a folder of deck files.", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(f"error: --port must be between 0 and 65535, got {args.port}.", file=sys.stderr)
        return 2
    _quiet_logging()
    try:
        run_playground(decks, args.port, DEFAULT_DB)
    except OSError as exc:  # most often: the port is taken
        print(f"error: cannot start the playground on 127.0.0.1:{args.port} ({exc.strerror or exc}). Try --port 0.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


def _quiet_logging() -> None:
    # The bot's own warnings matter to a deck author; discord.py's connection chatter does not.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    for noisy in ("aiohttp.access", "bot.emulator"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("discord").setLevel(logging.ERROR)  # e.g. "PyNaCl is not installed, voice will NOT be supported"
