"""`python -m bench`: run the benchmark phases and print the table (or JSON with --json)."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar

from bench import report
from bench.backends import DEFAULT_POSTGRES_URL, POSTGRES, SQLITE, URL_VARIABLE, Backend, backends_for
from bench.common import Sizes, TimedEmulator, collector_paused, write_study_decks
from bench.procs import BASELINE, RECALL, BotProcess, BotSpec, bot_env, server_cpu_seconds
from bench.boards import boards_phase
from bench.decks import decks_phase
from bench.imports import imports_phase
from bench.memory import MemorySizes, memory_phase
from bench.quiz import quiz_crowd
from bench.reminders import ReminderSizes, reminders_phase
from bench.sharded import sharded_phase
from bench.startup import startup_phase
from bench.study import run_phase

PHASES = ("study", "quiz", "boards", "decks", "startup", "imports", "sharded", "memory", "reminders")
SQLITE_PHASES = ("study", "quiz", "boards", "decks", "startup", "imports", "memory")
POSTGRES_PHASES = ("study", "quiz", "boards", "sharded", "memory")  # the phases whose database is the backend's
log = logging.getLogger("bench")
T = TypeVar("T")


async def study_run(spec: BotSpec, sizes: Sizes, workdir: Path, label: str, profile: Path | None,
                    backend: Backend) -> dict[str, Any]:
    """One bot against a fresh emulator and database: the flat-out phase, then the paced one."""
    async with backend.target(workdir, label) as target, TimedEmulator() as emu:
        guild = emu.add_guild("Bench Academy")
        channel = emu.add_channel(guild, "study")
        decks = write_study_decks(workdir / "decks", sizes.deck_cards)
        env = bot_env(token=emu.token, api_base=emu.api_base, gateway_url=emu.gateway_url,
                      database=target, decks=decks, session_ratings=2 * sizes.deck_cards)
        bot = BotProcess(spec, env, profile_to=profile / f"{label}.folded" if profile else None)
        await bot.start(until=None if sizes.wait_for_ready else emu.wait_until_connected)
        server = server_cpu_seconds if target.url and spec.name != BASELINE.name else None
        try:
            await emu.wait_until_connected()
            with collector_paused():
                flat = await run_phase("flat", emu, guild, channel, bot, members=sizes.flat_members,
                                       seconds=sizes.phase_seconds, warmup=sizes.warmup_seconds, server_cpu=server,
                                       locale=sizes.locale)
            with collector_paused():
                paced = await run_phase("paced", emu, guild, channel, bot, members=sizes.paced_members,
                                        seconds=sizes.phase_seconds, warmup=sizes.warmup_seconds,
                                        rate=sizes.paced_rate, server_cpu=server, locale=sizes.locale)
        finally:
            await bot.stop()
        return {"bot": spec.name, "backend": backend.name if spec.name != BASELINE.name else None,
                "flat": flat, "paced": paced, "bot_errors": bot.errors, "log_tail": bot.tail(8) if bot.errors else ""}


async def study_phase(sizes: Sizes, workdir: Path, profile: Path | None, progress: Callable[[str], None],
                      bots: tuple[BotSpec, ...] = (RECALL, BASELINE),
                      backends: tuple[Backend, ...] | None = None) -> dict[str, dict]:
    """Recall (on each backend) and the baseline alternating (A B A B …, or A A' B …) so drift of the machine hits
    all alike; one summary per backend, each against the same baseline runs (the baseline has no database)."""
    backends = backends or (Backend.sqlite(),)
    runs: list[dict[str, Any]] = []
    plan = [(spec, backend) for spec in bots
            for backend in (backends if spec.name != BASELINE.name else (Backend.sqlite(),))]
    for number in range(1, sizes.rounds + 1):
        for spec, backend in plan:
            name = spec.name if spec.name == BASELINE.name else f"{spec.name} on {backend.label}"
            progress(f"study: {name} round {number}/{sizes.rounds}")
            label = f"{spec.name}-{backend.name}-{number}"
            runs.append(await study_run(spec, sizes, workdir, label, profile, backend))
    out: dict[str, dict] = {}
    for backend in backends:
        mine = [r for r in runs if r["backend"] in (None, backend.name)]
        out[backend.name] = {"runs": mine, "summary": report.study_summary(mine)}
    for run in runs:
        run["flat"], run["paced"] = run["flat"].as_dict(), run["paced"].as_dict()
    return out


async def run_all(sizes: Sizes, phases: tuple[str, ...], profile: Path | None, progress: Callable[[str], None],
                  recall: BotSpec = RECALL, only: str | None = None, quick: bool = False,
                  backends: tuple[Backend, ...] | None = None) -> dict[str, Any]:
    """Every phase asked for; study, quiz, boards and memory on each backend, sharded on PostgreSQL, the rest on
    SQLite."""
    backends = backends or (Backend.sqlite(),)
    bots = {"recall": (recall,), "baseline": (BASELINE,)}.get(only or "", (recall, BASELINE))
    results: dict[str, Any] = {"machine": report.machine(), "sizes": sizes.__dict__,
                               "backends": [b.name for b in backends], "phases": {}}
    by_name = {b.name: b for b in backends}
    postgres = by_name.get(POSTGRES)
    if postgres is not None:
        results["machine"]["postgres"] = await postgres.check()
        results[POSTGRES] = {"server": postgres.where, "phases": {}}
    places = {b.name: results["phases"] if b.name == SQLITE else results[POSTGRES]["phases"] for b in backends}
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="recall-bench-") as tmp:
            workdir = Path(tmp)
            if "study" in phases:
                for name, study in (await study_phase(sizes, workdir / "study", profile, progress, bots,
                                                      backends)).items():
                    places[name]["study"] = study
            for backend in backends:
                where = places[backend.name]
                on = f" on {backend.label}"
                if "quiz" in phases:
                    progress(f"quiz crowd{on}: {sizes.quiz_members} members")
                    where["quiz"] = await quiz_crowd(recall, sizes.quiz_members, sizes.quiz_seconds,
                                                     workdir / f"quiz-{backend.name}",
                                                     wait_for_ready=sizes.wait_for_ready, backend=backend)
                if "boards" in phases:
                    progress(f"leaderboard{on}: seeding {sizes.board_members:,} members, {sizes.board_rows:,} "
                             "answers and reviews")
                    where["boards"] = await boards_phase(sizes.board_members, sizes.board_rows, sizes.board_servers,
                                                         sizes.board_repeats, workdir / f"boards-{backend.name}",
                                                         backend=backend)
                if "memory" in phases:
                    memory_sizes = MemorySizes.quick() if quick else MemorySizes.default()
                    progress(f"memory models{on}: {len(memory_sizes.workloads)} learners × {memory_sizes.days} days")
                    where["memory"] = await memory_phase(memory_sizes, workdir / f"memory-{backend.name}", backend,
                                                         progress)
                if "reminders" in phases:
                    reminder_sizes = ReminderSizes.quick() if quick else ReminderSizes.default()
                    where["reminders"] = await reminders_phase(reminder_sizes, workdir / f"reminders-{backend.name}",
                                                               backend, progress)
            if "sharded" in phases and postgres is not None:
                progress(f"sharded on {postgres.label}: 2 processes, one shard each, one database")
                results[POSTGRES]["phases"]["sharded"] = await sharded_phase(recall, sizes, workdir / "sharded",
                                                                             postgres, progress)
            if "decks" in phases:
                progress(f"decks: {sizes.deck_questions:,} questions; {sizes.memory_decks} decks in memory")
                results["phases"]["decks"] = await decks_phase(sizes.deck_questions, sizes.memory_decks,
                                                               sizes.memory_items, workdir / "decks")
            if "startup" in phases:
                progress(f"start-up: {sizes.startup_repeats} × (new database, existing database, baseline)")
                results["phases"]["startup"] = await startup_phase(recall, sizes.startup_repeats, workdir / "startup")
            if "imports" in phases:
                progress("imports: the worst known files uploaded in 3 servers while another studies (paced)")
                results["phases"]["imports"] = await imports_phase(recall, sizes, workdir / "imports", quick=quick)
    finally:
        for backend in backends:  # schemas a failure or Ctrl-C left behind
            await backend.drop_all()
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_after"] = report.machine()["load_average"]
    return results


async def stoppable(work: Awaitable[T]) -> T:
    """`work`, cancelled by SIGTERM as asyncio.run cancels it on Ctrl-C: either way the phases' `finally` blocks stop
    the bots and drop the PostgreSQL schemas before the process ends."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await work


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: every phase in a few seconds")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
    parser.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    parser.add_argument("--phases", help=f"comma-separated subset of {','.join(PHASES)} (default: all but sharded on "
                        f"SQLite; {','.join(POSTGRES_PHASES)} on PostgreSQL; all with --backend both)")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite",
                        help="the database of the study, quiz, boards and memory phases (both: each phase on each, "
                        "side by side); the sharded phase needs PostgreSQL, the others always run on SQLite")
    parser.add_argument("--postgres-url", help=f"the PostgreSQL server (default: ${URL_VARIABLE}, else "
                        f"{DEFAULT_POSTGRES_URL}); the benchmark works in schemas of its own and drops them")
    parser.add_argument("--seconds", type=float, help="measured seconds of each study phase")
    parser.add_argument("--rounds", type=int, help="A B rounds of the study phases (Recall, baseline)")
    parser.add_argument("--members", type=int, help="members in the flat-out study phase")
    parser.add_argument("--locale", help="the Discord client language of the study phases' members (default en-US; "
                                         "de, es-ES, fr, pt-BR or ja measure translated replies)")
    parser.add_argument("--profile", type=Path, help="write py-spy flame graphs of each bot run into this folder")
    parser.add_argument("--only", choices=("recall", "baseline"), help="run the study phases against one bot only")
    parser.add_argument("--recall-repo", type=Path,
                        help="run Recall from another checkout (e.g. the code before a change) instead of this one")
    parser.add_argument("--report", type=Path, metavar="JSON",
                        help="run nothing: print the table (or --markdown) of the results a --json run saved")
    return parser.parse_args(argv)


def chosen_phases(raw: str | None, backend: str) -> tuple[str, ...]:
    """The phases to run; ValueError naming what cannot run."""
    if raw is None:
        default = {"sqlite": SQLITE_PHASES, "postgres": POSTGRES_PHASES}.get(backend, PHASES)
        return tuple(default)
    phases = tuple(p.strip() for p in raw.split(",") if p.strip())
    unknown = set(phases) - set(PHASES)
    if unknown:
        raise ValueError(f"unknown phases: {', '.join(sorted(unknown))} (known: {', '.join(PHASES)})")
    if "sharded" in phases and backend == "sqlite":
        raise ValueError("the sharded phase needs PostgreSQL (several processes cannot share one SQLite file): "
                         "add --backend postgres")
    return phases


def show(results: dict[str, Any], args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    elif args.markdown:
        print(report.markdown(results))
    else:
        print(report.table(results))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report is not None:
        show(json.loads(args.report.read_text(encoding="utf-8")), args)
        return 0
    sizes = Sizes.quick() if args.quick else Sizes()
    overrides = {k: v for k, v in (("phase_seconds", args.seconds), ("rounds", args.rounds),
                                     ("flat_members", args.members), ("locale", args.locale)) if v is not None}
    sizes = replace(sizes, **overrides)
    try:
        phases = chosen_phases(args.phases, args.backend)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    backends = backends_for(args.backend, args.postgres_url)
    for backend in backends:
        try:
            asyncio.run(backend.check())
        except Exception as exc:  # any reason: the line names it
            print(f"{backend.describe()} cannot be used ({type(exc).__name__}: {' '.join(str(exc).split())}); "
                  f"start a server or point --postgres-url / {URL_VARIABLE} at one", file=sys.stderr)
            return 2
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    progress = (lambda text: print(f"… {text}", file=sys.stderr, flush=True))
    recall = replace(RECALL, repo=args.recall_repo.resolve()) if args.recall_repo else RECALL
    try:
        results = asyncio.run(stoppable(run_all(sizes, phases, args.profile, progress, recall, args.only,
                                                quick=args.quick, backends=backends)))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted: the bots were stopped and the benchmark's PostgreSQL schemas dropped", file=sys.stderr)
        return 130
    show(results, args)
    return 0
