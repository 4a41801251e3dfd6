"""`python -m bot run` refusing to start: one readable line naming the cause and what to do, a non-zero exit code,
no traceback, and nothing written to a database that is not Recall's.

The bot runs as its own process against the local Discord emulator (in this process), so each failure is met
where a person running Recall meets it. Hostile files are made here, from a real Recall database.
"""
from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Callable

import pytest

from bot.emulator import Emulator
from bot.store.db import Database, _migrations

REPO = Path(__file__).resolve().parent.parent
EXIT_TIMEOUT = 30  # a bot that starts instead of refusing is stopped here, and the test fails


@dataclass
class Outcome:
    returncode: int | None
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stderr.strip().splitlines()

    def error_line(self) -> str:
        """The one `error:` line, last on stderr (discord.py's INFO lines may come before it), and no traceback."""
        assert "Traceback" not in self.stderr, self.stderr
        errors = [line for line in self.lines if line.startswith("error:")]
        assert len(errors) == 1 and self.lines[-1] == errors[0], self.stderr
        return errors[0]


async def run_bot(env: dict[str, str], cwd: Path) -> Outcome:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "DEV_GUILD"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=cwd, env={**base, "PYTHONPATH": str(REPO), "LOG_LEVEL": "INFO", **env},
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), EXIT_TIMEOUT)
    except asyncio.TimeoutError:
        process.kill()
        _, stderr = await process.communicate()
        pytest.fail(f"the bot kept running instead of refusing to start; its log:\n{stderr.decode()[-3000:]}")
    return Outcome(process.returncode, stderr.decode("utf-8", "replace"))


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        guild = emulator.add_guild("Study Hall")
        emulator.add_channel(guild, "general")
        yield emulator


def env_for(emu: Emulator, database: Path, **extra: str) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": emu.token,
        "DISCORD_API_BASE": emu.api_base,
        "DISCORD_GATEWAY_URL": emu.gateway_url,
        "DATABASE_PATH": str(database),
        "DECKS_DIR": str(REPO / "decks"),
        **extra,
    }


async def recall_database(path: Path) -> Path:
    """A real, current Recall database with a row in it, closed cleanly (no log left beside it)."""
    db = await Database.open(path)
    await db.atomic(lambda conn: conn.execute("INSERT INTO meta (key, value) VALUES ('installed', 'yes')"))
    await db.close()
    return path


# --- Damaged databases ---------------------------------------------------------------------------------------------


async def not_a_database(path: Path) -> str:
    path.write_text('{"decks": ["a JSON file given as DATABASE_PATH by mistake"]}\n' * 200)
    return "is not an SQLite database"


async def truncated(path: Path) -> str:
    await recall_database(path)
    with path.open("r+b") as file:  # a copy cut short (a full disk, an interrupted scp)
        file.truncate(path.stat().st_size * 2 // 5)
    return "is damaged (SQLite: database disk image is malformed"


async def unopenable_log(path: Path) -> str:
    await recall_database(path)
    # Docker bind-mounting a -wal file that did not exist leaves a folder in its place: SQLite cannot open its log.
    path.with_name(path.name + "-wal").mkdir()
    return "SQLite cannot open or write it or the -wal and -shm files beside it"


async def schema_broken(path: Path) -> str:
    await recall_database(path)
    with sqlite3.connect(path) as raw:  # a table dropped by hand: Recall would fail on every /study
        raw.execute("DROP TABLE reviews")
    return f"is Recall's (schema version {len(_migrations())}) but lacks table reviews"


@pytest.mark.parametrize("damage", [not_a_database, truncated, unopenable_log, schema_broken])
async def test_a_damaged_database_is_one_line_naming_database_path(
    emu: Emulator, tmp_path: Path, damage: Callable[[Path], "asyncio.Future[str]"]
) -> None:
    database = tmp_path / "data" / "recall.db"
    database.parent.mkdir()
    said = await damage(database)
    outcome = await run_bot(env_for(emu, database), tmp_path)
    assert outcome.returncode == 2, outcome.stderr
    assert len(outcome.lines) == 1, outcome.stderr  # refused before logging in: nothing else was printed
    line = outcome.error_line()
    assert line.startswith(f"error: DATABASE_PATH: {str(database)!r}") and said in line, line
    assert "backup" in line or "move" in line or "must be" in line  # what to do
    assert emu.gateway.connections == 0  # refused before going online


async def test_another_programs_database_is_refused_without_a_byte_written(emu: Emulator, tmp_path: Path) -> None:
    other = tmp_path / "inventory.sqlite"
    with sqlite3.connect(other) as raw:  # another application's file, with a table name Recall also uses
        raw.execute("CREATE TABLE members (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        raw.execute("INSERT INTO members (name) VALUES ('not a Recall member')")
    before = other.read_bytes()
    outcome = await run_bot(env_for(emu, other), tmp_path)
    assert outcome.returncode == 2
    line = outcome.error_line()
    assert line == (
        f"error: DATABASE_PATH: {str(other)!r} is another program's SQLite database (it has tables, but not "
        "Recall's); Recall left it untouched. Point DATABASE_PATH at Recall's database, or at a new file."
    )
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.sqlite"]  # no -wal, -shm or -journal either


# --- Discord ---------------------------------------------------------------------------------------------------------


def closed_port() -> int:
    """A local port nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_discord_api_is_one_line(tmp_path: Path) -> None:
    port = closed_port()
    env = {
        "DISCORD_TOKEN": "unreachable.token.abc",
        "DISCORD_API_BASE": f"http://127.0.0.1:{port}/api/v10",
        "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/gateway",
        "DATABASE_PATH": str(tmp_path / "recall.db"),
        "DECKS_DIR": str(REPO / "decks"),
    }
    outcome = await run_bot(env, tmp_path)
    assert outcome.returncode == 1, outcome.stderr
    line = outcome.error_line()
    assert line.startswith(f"error: cannot reach Discord's API at http://127.0.0.1:{port}/api/v10 (")
    assert line.endswith("Check the network, or DISCORD_API_BASE, and start Recall again.")
    assert "unreachable.token.abc" not in outcome.stderr


async def test_a_dev_guild_the_bot_is_not_in_is_one_line(emu: Emulator, tmp_path: Path) -> None:
    outcome = await run_bot(env_for(emu, tmp_path / "recall.db", DEV_GUILD_ID="123456789012345678"), tmp_path)
    assert outcome.returncode == 2, outcome.stderr
    line = outcome.error_line()
    assert line.startswith("error: DEV_GUILD_ID=123456789012345678: Discord refused to register commands in that "
                           "server ("), line
    assert line.endswith("the bot is not in it. Invite the bot there (see README 'Create the Discord application') "
                         "or unset DEV_GUILD_ID.")
    assert emu.token not in outcome.stderr
