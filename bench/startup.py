"""Start-up: from process start to the gateway connection and to on_ready, for Recall and the baseline.

"Ready" includes discord.py's guild_ready_timeout (2 s by default, waiting for late GUILD_CREATEs), the same for
both bots; "connected" is when the emulator saw the bot's IDENTIFY, after imports, the database, decks, cogs and
command sync.
"""
from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

from bench.common import TimedEmulator, write_study_decks
from bench.procs import BASELINE, BotProcess, BotSpec, bot_env


async def time_start(spec: BotSpec, database: Path, decks: Path) -> tuple[float, float]:
    """(seconds to gateway connected, seconds to ready) of one start."""
    async with TimedEmulator() as emu:
        guild = emu.add_guild("Start Hall")
        emu.add_channel(guild, "general")
        for name in ("alice", "bob", "carol"):
            emu.add_member(guild, name)
        env = bot_env(token=emu.token, api_base=emu.api_base, gateway_url=emu.gateway_url, database=database,
                      decks=decks, session_ratings=10)
        bot = BotProcess(spec, env)

        async def connected() -> float:
            while emu.gateway.connections == 0:
                await asyncio.sleep(0.002)
            return time.perf_counter()

        watcher = asyncio.ensure_future(connected())
        try:
            ready = await bot.start()
            connected_at = await asyncio.wait_for(watcher, 5)
        finally:
            watcher.cancel()
            await bot.stop()
        return connected_at - bot.started_at, ready


async def startup_phase(recall: BotSpec, repeats: int, workdir: Path) -> dict[str, Any]:
    decks = write_study_decks(workdir / "decks", cards=20)
    cold, warm, base = [], [], []
    for n in range(repeats):
        database = workdir / f"startup-{n}.db"
        cold.append(await time_start(recall, database, decks))  # creates the database and syncs commands
        warm.append(await time_start(recall, database, decks))  # existing database, commands unchanged
        base.append(await time_start(BASELINE, workdir / "unused.db", decks))
    return {
        "connected_s": round(statistics.median(c for c, _ in cold), 3),
        "ready_s": round(statistics.median(r for _, r in cold), 3),
        "warm_connected_s": round(statistics.median(c for c, _ in warm), 3),
        "warm_ready_s": round(statistics.median(r for _, r in warm), 3),
        "baseline_connected_s": round(statistics.median(c for c, _ in base), 3),
        "baseline_ready_s": round(statistics.median(r for _, r in base), 3),
        "repeats": repeats,
    }
