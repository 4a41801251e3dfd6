"""The bot as a whole against the emulator: login, command registration, faults, permissions, process life cycle."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.emulator import CommandNotAvailable, Emulator

REPO = Path(__file__).resolve().parents[2]
DECK = "pytorch-lr-schedulers"
EXPECTED_COMMANDS = {"study", "quiz", "explain", "leaderboard", "stats", "decks", "recall-admin", "settings"}


def registered(emu: Emulator) -> set[str]:
    """Names of the global commands the bot registered with the emulator (from its PUT)."""
    names: set[str] = set()
    for call in emu.rest_calls:
        if call.method == "PUT" and call.path.endswith("/commands") and "/guilds/" not in call.path:
            names = {c["name"] for c in call.json}
    return names


async def test_logs_in_registers_commands_and_answers(world: Any) -> None:
    assert world.bot.user.id == world.emu.bot_user.id
    assert EXPECTED_COMMANDS <= registered(world.emu)
    ix = await world.emu.slash(world.alice, world.channel, "study", deck=DECK)
    message = await ix.wait_message()
    assert message.embeds and message.buttons()[0]["label"] == "Reveal"
    assert not ix.failed


async def test_unchanged_commands_are_not_synced_again_after_a_restart(world: Any) -> None:
    puts = lambda: [c for c in world.emu.rest_calls if c.method == "PUT" and c.path.endswith("/commands")]
    assert len(puts()) == 1
    await world.restart_bot()
    assert len(puts()) == 1  # the command set's hash is kept in the database


async def test_a_member_without_manage_server_is_refused_admin_commands(world: Any) -> None:
    # Discord hides a command with default permissions from members who lack them ...
    with pytest.raises(CommandNotAvailable):
        await world.emu.slash(world.alice, world.channel, "recall-admin new-cards", limit=5)
    # ... and the bot checks again for sub-commands Discord cannot hide.
    ix = await world.emu.slash(world.alice, world.channel, "decks remove", deck=DECK)
    reply = await ix.wait_message()
    assert reply.ephemeral and "Manage Server" in reply.text()


async def test_a_dropped_gateway_is_reconnected_and_the_next_command_works(world: Any) -> None:
    before = world.emu.connections
    await world.emu.drop_gateway()
    await world.emu.wait_until_connected(timeout=15)
    ix = await world.emu.slash(world.alice, world.channel, "study", deck=DECK)
    assert (await ix.wait_message(timeout=10)).embeds
    assert world.emu.connections > before


async def test_a_study_flow_completes_with_ten_percent_of_rest_calls_rate_limited(world: Any) -> None:
    world.emu.rate_limit_share = 0.1
    ix = await world.emu.slash(world.alice, world.channel, "study", deck=DECK, public=True)
    message = await ix.wait_message(timeout=10)
    ratings = 0
    while any(b["label"] == "Reveal" for b in message.buttons()):  # study the whole deck, to its summary
        reveal = await world.emu.click(world.alice, message, label="Reveal")
        await reveal.wait_message(timeout=10)
        good = next(b for b in message.buttons() if b["label"].startswith("Good"))
        rate = await world.emu.click(world.alice, message, custom_id=good["custom_id"])
        await rate.wait_message(timeout=10)
        ratings += 1
    assert ratings >= 5
    assert sum(c.status == 429 for c in world.emu.rest_calls) >= 1
    assert not world.emu.failed_interactions
    rows = await world.bot.db.fetchall("SELECT rating FROM reviews WHERE user_id = ?", (world.alice.user.id,))
    assert [r["rating"] for r in rows] == [3] * ratings


async def test_a_channel_without_add_reactions_gives_a_clear_message(world: Any) -> None:
    quiet = world.emu.add_channel(world.guild, "no-reactions", bot_deny=("add_reactions",))
    ix = await world.emu.slash(world.alice, quiet, "quiz", deck=DECK)
    reply = await ix.wait_message()
    assert reply.ephemeral and "Add Reactions" in reply.text()
    assert not [m for m in world.emu.messages(quiet) if not m.ephemeral]


async def test_deck_text_never_pings(world: Any) -> None:
    ix = await world.emu.slash(world.alice, world.channel, "study", deck=DECK, public=True)
    await ix.wait_message()
    bodies = [c.json.get("data", c.json) for c in world.emu.rest_calls
              if c.method in {"POST", "PATCH"} and isinstance(c.json, dict)]
    sent = [b for b in bodies if isinstance(b, dict) and ("embeds" in b or "content" in b)]
    assert sent
    for body in sent:
        assert body.get("allowed_mentions", {}).get("parse") == []


async def _read_until(stream: asyncio.StreamReader, needle: str, timeout: float) -> str:
    seen = ""
    async def scan() -> str:
        nonlocal seen
        while needle not in seen:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"process ended before {needle!r}; output:\n{seen}")
            seen += line.decode()
        return seen
    return await asyncio.wait_for(scan(), timeout)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_the_process_starts_reports_ready_and_shuts_down_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    async with Emulator() as emu:
        guild = emu.add_guild("Study Hall")
        emu.add_channel(guild, "general")
        db_path = tmp_path / "fresh" / "recall.db"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DEV_GUILD"))},
            "PYTHONPATH": str(REPO),
            "DISCORD_TOKEN": emu.token,
            "DISCORD_API_BASE": emu.api_base,
            "DISCORD_GATEWAY_URL": emu.gateway_url,
            "DATABASE_PATH": str(db_path),
            "DECKS_DIR": str(REPO / "decks"),
            "LOG_LEVEL": "DEBUG",
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        try:
            output = await _read_until(proc.stdout, "Recall ready", timeout=30)
            assert "Recall ready" in output and "1 servers" in output
            assert db_path.exists()  # created on first run, with its folder
            proc.send_signal(sig)
            rest, _ = await asyncio.wait_for(proc.communicate(), timeout=10)
            output += rest.decode()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert proc.returncode == 0, output
        assert "Traceback" not in output
        assert emu.token not in output
        wal = Path(f"{db_path}-wal")
        assert not wal.exists() or wal.stat().st_size == 0
