"""Sharded: two Recall processes, one shard each of two, against one PostgreSQL database, driven at the same time.

The emulator runs two shards (`Emulator(shard_count=2)`) with one server on each; each process is `python -m bot run`
with SHARD_COUNT=2 and its own SHARD_IDS, so it connects one gateway session and receives only its server's events,
as on Discord. Both servers are driven at once with the study phases' load (flat out, then paced), each process by
its own members: what both answer together per second, and each one's latency. Real processes, so each bot has its
own event loop; on a machine with fewer cores than the two bots, the emulator with its members and the database
server, they share the cores, and the CPU columns say how much each used.
"""
from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any, Callable

from bench.backends import Backend
from bench.common import Sizes, TimedEmulator, collector_paused, percentile, write_study_decks
from bench.procs import BotProcess, BotSpec, bot_env, server_cpu_seconds
from bench.study import PhaseResult, run_phase

SHARDS = 2


def combined(name: str, results: list[PhaseResult]) -> dict[str, Any]:
    """Both processes' figures of one phase: together (sum of rates, pooled latencies) and each."""
    pooled = [ms for r in results for ms in r.latencies_ms]
    server = [r.server_cpu for r in results if r.server_cpu is not None]
    return {
        "phase": name,
        "per_second": round(sum(r.throughput for r in results), 1),
        "p50_ms": _round(percentile(pooled, 0.50)),
        "p99_ms": _round(percentile(pooled, 0.99)),
        "failed": sum(r.failed + r.timeouts + r.refusals for r in results),
        "deferred": sum(r.deferred for r in results),
        # Both windows measure the same server over nearly the same seconds: the mean, not the sum.
        "server_cpu": round(sum(server) / len(server), 2) if server else None,
        "processes": [r.as_dict() for r in results],
    }


def _round(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 2)


async def _both(runs: list[Callable[[], Any]]) -> list[PhaseResult]:
    with collector_paused():
        return list(await asyncio.gather(*(run() for run in runs)))


async def sharded_phase(recall: BotSpec, sizes: Sizes, workdir: Path, backend: Backend,
                        progress: Callable[[str], None] = lambda text: None) -> dict[str, Any]:
    async with backend.target(workdir, "sharded") as target, TimedEmulator(shard_count=SHARDS) as emu:
        guilds = [emu.add_guild(f"Shard {n} Academy", shard=(n, SHARDS)) for n in range(SHARDS)]
        channels = [emu.add_channel(guild, "study") for guild in guilds]
        decks = write_study_decks(workdir / "decks", sizes.deck_cards)
        bots = [
            BotProcess(recall, bot_env(token=emu.token, api_base=emu.api_base, gateway_url=emu.gateway_url,
                                       database=target, decks=decks, session_ratings=2 * sizes.deck_cards,
                                       extra={"SHARD_COUNT": str(SHARDS), "SHARD_IDS": str(n)}))
            for n in range(SHARDS)
        ]
        try:
            await asyncio.gather(*(
                bot.start(until=None if sizes.wait_for_ready else _connected(emu, n)) for n, bot in enumerate(bots)
            ))
            for n in range(SHARDS):
                await emu.wait_until_connected(shard_id=n)
            progress("sharded: flat out in both servers at once")
            flat = await _both([
                lambda n=n: run_phase("flat", emu, guilds[n], channels[n], bots[n], members=sizes.flat_members,
                                      seconds=sizes.phase_seconds, warmup=sizes.warmup_seconds,
                                      server_cpu=server_cpu_seconds, seed=7 + n)
                for n in range(SHARDS)
            ])
            progress("sharded: paced in both servers at once")
            paced = await _both([
                lambda n=n: run_phase("paced", emu, guilds[n], channels[n], bots[n], members=sizes.paced_members,
                                      seconds=sizes.phase_seconds, warmup=sizes.warmup_seconds,
                                      rate=sizes.paced_rate, server_cpu=server_cpu_seconds, seed=17 + n)
                for n in range(SHARDS)
            ])
            # Each process must have received only its own server's events (else it would answer the other's).
            routed = [sorted(emu.guilds_sent_to(n)) == [guilds[n].id] for n in range(SHARDS)]
        finally:
            await asyncio.gather(*(bot.stop() for bot in bots))
    return {
        "processes": SHARDS,
        "shard_count": SHARDS,
        "in_process": False,
        "flat": combined("flat", flat),
        "paced": combined("paced", paced),
        "each_got_only_its_server": all(routed),
        "bot_errors": sum(bot.errors for bot in bots),
        "log_tail": "\n".join(bot.tail(8) for bot in bots if bot.errors),
    }


def _connected(emu: Any, shard_id: int) -> Callable[[], Any]:
    return lambda: emu.wait_until_connected(timeout=60, shard_id=shard_id)
