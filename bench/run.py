"""`python -m bench`: run the benchmark phases and print the table (or JSON with --json)."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from bench import report
from bench.common import Sizes, TimedEmulator, collector_paused, write_study_decks
from bench.procs import BASELINE, RECALL, BotProcess, BotSpec, bot_env
from bench.boards import boards_phase
from bench.decks import decks_phase
from bench.imports import imports_phase
from bench.quiz import quiz_crowd
from bench.startup import startup_phase
from bench.study import run_phase

PHASES = ("study", "quiz", "boards", "decks", "startup", "imports")
log = logging.getLogger("bench")


async def study_run(spec: BotSpec, sizes: Sizes, workdir: Path, label: str, profile: Path | None) -> dict[str, Any]:
    """One bot against a fresh emulator and database: the flat-out phase, then the paced one."""
    async with TimedEmulator() as emu:
        guild = emu.add_guild("Bench Academy")
        channel = emu.add_channel(guild, "study")
        decks = write_study_decks(workdir / "decks", sizes.deck_cards)
        env = bot_env(token=emu.token, api_base=emu.api_base, gateway_url=emu.gateway_url,
                      database=workdir / f"{label}.db", decks=decks, session_ratings=2 * sizes.deck_cards)
        bot = BotProcess(spec, env, profile_to=profile / f"{label}.folded" if profile else None)
        await bot.start(until=None if sizes.wait_for_ready else emu.wait_until_connected)
        try:
            await emu.wait_until_connected()
            with collector_paused():
                flat = await run_phase("flat", emu, guild, channel, bot, members=sizes.flat_members,
                                       seconds=sizes.phase_seconds, warmup=sizes.warmup_seconds)
            with collector_paused():
                paced = await run_phase("paced", emu, guild, channel, bot, members=sizes.paced_members,
                                        seconds=sizes.phase_seconds, warmup=sizes.warmup_seconds,
                                        rate=sizes.paced_rate)
        finally:
            await bot.stop()
        return {"bot": spec.name, "flat": flat, "paced": paced, "bot_errors": bot.errors,
                "log_tail": bot.tail(8) if bot.errors else ""}


async def study_phase(sizes: Sizes, workdir: Path, profile: Path | None, progress: Callable[[str], None],
                      bots: tuple[BotSpec, ...] = (RECALL, BASELINE)) -> dict:
    """Recall and the baseline alternating (A B A B …) so drift of the machine hits both alike."""
    runs: list[dict[str, Any]] = []
    for number in range(1, sizes.rounds + 1):
        for spec in bots:
            progress(f"study: {spec.name} round {number}/{sizes.rounds}")
            runs.append(await study_run(spec, sizes, workdir, f"{spec.name}-{number}", profile))
    summary = report.study_summary(runs)
    for run in runs:
        run["flat"], run["paced"] = run["flat"].as_dict(), run["paced"].as_dict()
    return {"runs": runs, "summary": summary}


async def run_all(sizes: Sizes, phases: tuple[str, ...], profile: Path | None, progress: Callable[[str], None],
                  recall: BotSpec = RECALL, only: str | None = None, quick: bool = False) -> dict[str, Any]:
    bots = {"recall": (recall,), "baseline": (BASELINE,)}.get(only or "", (recall, BASELINE))
    results: dict[str, Any] = {"machine": report.machine(), "sizes": sizes.__dict__, "phases": {}}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="recall-bench-") as tmp:
        workdir = Path(tmp)
        if "study" in phases:
            results["phases"]["study"] = await study_phase(sizes, workdir / "study", profile, progress, bots)
        if "quiz" in phases:
            progress(f"quiz crowd: {sizes.quiz_members} members")
            results["phases"]["quiz"] = await quiz_crowd(recall, sizes.quiz_members, sizes.quiz_seconds,
                                                      workdir / "quiz", wait_for_ready=sizes.wait_for_ready)
        if "boards" in phases:
            progress(f"leaderboard: seeding {sizes.board_members:,} members, {sizes.board_rows:,} answers and reviews")
            results["phases"]["boards"] = await boards_phase(sizes.board_members, sizes.board_rows,
                                                             sizes.board_servers, sizes.board_repeats,
                                                             workdir / "boards")
        if "decks" in phases:
            progress(f"decks: {sizes.deck_questions:,} questions; {sizes.memory_decks} decks in memory")
            results["phases"]["decks"] = await decks_phase(sizes.deck_questions, sizes.memory_decks, sizes.memory_items,
                                                           workdir / "decks")
        if "startup" in phases:
            progress(f"start-up: {sizes.startup_repeats} × (new database, existing database, baseline)")
            results["phases"]["startup"] = await startup_phase(recall, sizes.startup_repeats, workdir / "startup")
        if "imports" in phases:
            progress("imports: the worst known files uploaded in 3 servers while another studies (paced)")
            results["phases"]["imports"] = await imports_phase(recall, sizes, workdir / "imports", quick=quick)
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_after"] = report.machine()["load_average"]
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: every phase in a few seconds")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
    parser.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    parser.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated subset of {','.join(PHASES)}")
    parser.add_argument("--seconds", type=float, help="measured seconds of each study phase")
    parser.add_argument("--rounds", type=int, help="A B rounds of the study phases (Recall, baseline)")
    parser.add_argument("--members", type=int, help="members in the flat-out study phase")
    parser.add_argument("--profile", type=Path, help="write py-spy flame graphs of each bot run into this folder")
    parser.add_argument("--only", choices=("recall", "baseline"), help="run the study phases against one bot only")
    parser.add_argument("--recall-repo", type=Path,
                        help="run Recall from another checkout (e.g. the code before a change) instead of this one")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = Sizes.quick() if args.quick else Sizes()
    overrides = {k: v for k, v in (("phase_seconds", args.seconds), ("rounds", args.rounds),
                                     ("flat_members", args.members)) if v is not None}
    sizes = replace(sizes, **overrides)
    phases = tuple(p.strip() for p in args.phases.split(",") if p.strip())
    unknown = set(phases) - set(PHASES)
    if unknown:
        print(f"unknown phases: {', '.join(sorted(unknown))} (known: {', '.join(PHASES)})", file=sys.stderr)
        return 2
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    progress = (lambda text: print(f"… {text}", file=sys.stderr, flush=True))
    recall = replace(RECALL, repo=args.recall_repo.resolve()) if args.recall_repo else RECALL
    results = asyncio.run(run_all(sizes, phases, args.profile, progress, recall, args.only, quick=args.quick))
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    elif args.markdown:
        print(report.markdown(results))
    else:
        print(report.table(results))
    return 0
