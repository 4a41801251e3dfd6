"""Reminders: N members of one server opted in at the same minute, each with a card due, so every one is owed a DM.

The bot (Recall itself, started as `python -m bench.reminders`: this module) runs against the emulator with Discord's
global rate limit on (50 requests/s per bot, 429 past it). Once it is up and the study load is warm, the benchmark
moves the bot's clock to the minute (SIGUSR1: the sender's clock, SENDER.clock, jumps to it) and measures until the
last reminder is delivered: the time from the minute, REST requests per reminder, 429s received, and the paced study
latency of members rating at a steady rate meanwhile (after the same load alone, before the minute).

The sender's pass interval is the bot's own (SENDER.interval) unless the sizes set one, so "minute → first DM"
includes the wait for the next pass. The bot is always this checkout's (--recall-repo does not apply here).
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from fsrs import Card

from bench.backends import Backend
from bench.common import BENCH_DECK, TimedEmulator, collector_paused, write_study_decks
from bench.procs import RECALL_READY, REPO, BotProcess, BotSpec, bot_env
from bench.study import PhaseResult, run_phase
from bot.core.clock import utcnow
from bot.core.daily_time import time_text
from bot.core.reminders import DEFAULT_TIME
from bot.emulator import GlobalRateLimit, RestCall
from bot.emulator.server import TOKEN_AUTH
from bot.services.reminders import SENDER
from bot.store.api import Connection
from bot.store.members import remember_member
from bot.store.open import open_database
from bot.store.reminders import save_reminder
from bot.store.srs import save_review

DISCORD_GLOBAL_LIMIT = 50  # requests a second per bot
EXTRAPOLATE_TO = 10_000  # the crowd, when the run is smaller
PACED_P99_TARGET_MS = 50.0
SEED_CHUNK = 1_000  # members seeded per transaction
# The bot's side: the minute it jumps to, and the pass interval it is given (empty: its own).
MINUTE_VARIABLE = "BENCH_REMINDER_MINUTE"
INTERVAL_VARIABLE = "BENCH_SENDER_INTERVAL"
SPEC = BotSpec("recall", (sys.executable, "-m", "bench.reminders"), RECALL_READY, REPO)

MEMBER_CHECK = re.compile(r"^/guilds/\d+/members/\d+$")
DM_OPEN = "/users/@me/channels"
MESSAGE_POST = re.compile(r"^/channels/(\d+)/messages$")


@dataclass(frozen=True)
class ReminderSizes:
    members: int  # opted in at the minute, each owed a reminder
    paced_members: int
    paced_rate: float  # study interactions a second, all paced members together
    alone_seconds: float  # the paced load measured before the minute, for comparison
    warmup_seconds: float
    deck_cards: int
    sender_interval: float | None = None  # seconds between the sender's passes; None: the bot's own

    @classmethod
    def default(cls) -> "ReminderSizes":
        # 10,000 reminders at 3 requests each under the bot's 40 requests/s take about 12.5 minutes: the default run
        # sends 2,000 and the table extrapolates to 10,000.
        return cls(members=2_000, paced_members=100, paced_rate=200.0, alone_seconds=8.0, warmup_seconds=1.5,
                   deck_cards=20)

    @classmethod
    def quick(cls) -> "ReminderSizes":
        return cls(members=40, paced_members=6, paced_rate=20.0, alone_seconds=1.0, warmup_seconds=0.3,
                   deck_cards=5, sender_interval=1.0)

    def expected_seconds(self) -> float:
        """The sending time if every reminder costs 3 requests at the sender's pace, plus the wait for its pass."""
        interval = self.sender_interval if self.sender_interval is not None else SENDER.interval
        return interval + self.members * 3 / SENDER.requests_per_second


# --- The bot's side ----------------------------------------------------------------------------------------------


class MovableClock:
    """The real clock until SIGUSR1, then shifted so that it read `minute` at the signal."""

    def __init__(self, minute: datetime) -> None:
        self.minute = minute
        self.offset = timedelta(0)

    def move(self, *_: Any) -> None:
        self.offset = self.minute - utcnow()

    def __call__(self) -> datetime:
        return utcnow() + self.offset


def bot_main() -> int:
    """Recall's `python -m bot run`, with the sender's clock movable and its pass interval as the benchmark asks."""
    from bot.__main__ import main

    clock = MovableClock(datetime.fromisoformat(os.environ[MINUTE_VARIABLE]))
    signal.signal(signal.SIGUSR1, clock.move)
    SENDER.clock = clock
    if interval := os.environ.get(INTERVAL_VARIABLE):
        SENDER.interval = float(interval)
    return main(["run"])


# --- Seeding -----------------------------------------------------------------------------------------------------


def reminder_minute(now: datetime) -> datetime:
    """Tomorrow at the default reminder time (members and server in UTC)."""
    return datetime.combine(now.date() + timedelta(days=1), DEFAULT_TIME, tzinfo=timezone.utc)


async def seed(settings: Any, guild_id: int, members: list[tuple[int, str]], minute: datetime) -> None:
    """Each member remembered, opted in at the minute, and holding one card of the bench deck due an hour before it,
    through the store's own writes."""
    db = await open_database(settings)
    local_time = time_text(minute.time())
    studied = minute - timedelta(days=1)
    try:
        for start in range(0, len(members), SEED_CHUNK):
            chunk = members[start:start + SEED_CHUNK]

            async def body(conn: Connection, chunk: list[tuple[int, str]] = chunk) -> None:
                for user_id, name in chunk:
                    await remember_member(conn, guild_id, user_id, name)
                    await save_reminder(conn, user_id, guild_id, local_time, minute)
                    await save_review(conn, guild_id=guild_id, user_id=user_id, deck_id=BENCH_DECK, item_id="card-1",
                                      kind="card", card=Card(due=minute - timedelta(hours=1)), rating=1, at=studied)

            await db.atomic(body)
    finally:
        await db.close()


# --- Measuring ---------------------------------------------------------------------------------------------------


def delivered(emu: TimedEmulator) -> int:
    """Reminders delivered so far: DM channels holding a message (one reminder per member)."""
    return sum(1 for channel in emu.world.dm_channels.values() if emu.world.channel_messages.get(channel.id))


async def wait_delivered(emu: TimedEmulator, count: int, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while delivered(emu) < count:
        if time.perf_counter() >= deadline:
            return False
        await asyncio.sleep(0.25)
    return True


def request_counts(calls: list[RestCall], dm_ids: set[int], minute_at: float) -> dict[str, Any]:
    """The bot's REST calls bound by the global limit, by kind, and when the reminder messages went through."""
    bound = [c for c in calls if not TOKEN_AUTH.match(c.path)]  # interaction endpoints are exempt
    sends = [c for c in bound if c.method == "POST" and c.status == 200
             and (m := MESSAGE_POST.match(c.path)) and int(m.group(1)) in dm_ids]
    return {
        "requests": len(bound),
        "rate_limited": sum(1 for c in bound if c.status == 429),
        "member_checks": sum(1 for c in bound if c.method == "GET" and MEMBER_CHECK.match(c.path)),
        "dm_opens": sum(1 for c in bound if c.method == "POST" and c.path == DM_OPEN),
        "messages": len(sends),
        "first_s": round(sends[0].at - minute_at, 2) if sends else None,
        "last_s": round(sends[-1].at - minute_at, 2) if sends else None,
    }


def extrapolated(first_s: float, last_s: float, sent: int, target: int) -> float | None:
    """Minute → last DM for `target` reminders at the rate measured between the first and last of `sent`."""
    if sent < 2:
        return None
    return round(first_s + (last_s - first_s) * (target - 1) / (sent - 1), 1)


def _paced(result: PhaseResult) -> dict[str, Any]:
    data = result.as_dict()
    keys = ("interactions", "per_second", "p50_ms", "p99_ms", "failed", "timeouts", "refusals", "bot_cpu")
    return {k: data[k] for k in keys}


async def reminders_phase(sizes: ReminderSizes, workdir: Path, backend: Backend,
                          progress: Callable[[str], None]) -> dict[str, Any]:
    """Seed, start the bot, pace study alone, then move the bot to the minute and pace study until the last DM."""
    minute = reminder_minute(utcnow())
    async with backend.target(workdir, "reminders") as target, TimedEmulator() as emu:
        guild = emu.add_guild("Bench Academy")
        channel = emu.add_channel(guild, "study")
        crowd = [emu.add_member(guild, f"reminded-{n}") for n in range(sizes.members)]
        progress(f"reminders: seeding {sizes.members:,} members opted in at {time_text(minute.time())} UTC")
        await seed(target.settings(), guild.id, [(m.id, m.user.name) for m in crowd], minute)
        decks = write_study_decks(workdir / "decks", sizes.deck_cards)
        extra = {MINUTE_VARIABLE: minute.isoformat(), INTERVAL_VARIABLE: str(sizes.sender_interval or "")}
        env = bot_env(token=emu.token, api_base=emu.api_base, gateway_url=emu.gateway_url, database=target,
                      decks=decks, session_ratings=2 * sizes.deck_cards, extra=extra)
        emu.global_limit = GlobalRateLimit(DISCORD_GLOBAL_LIMIT)
        bot = BotProcess(SPEC, env)
        await bot.start()
        try:
            await emu.wait_until_connected()
            with collector_paused():
                alone = await run_phase("alone", emu, guild, channel, bot, members=sizes.paced_members,
                                        seconds=sizes.alone_seconds, warmup=sizes.warmup_seconds,
                                        rate=sizes.paced_rate)
            progress(f"reminders: the minute comes; sending {sizes.members:,} DMs at the global limit "
                     f"(~{sizes.expected_seconds():.0f} s expected)")
            with collector_paused():
                result = await sending(emu, bot, sizes, guild, channel)
        finally:
            await bot.stop()
    return {
        "members": sizes.members, "sent": result["counts"]["messages"], "complete": result["complete"],
        "limit_per_second": DISCORD_GLOBAL_LIMIT, "sender_per_second": SENDER.requests_per_second,
        **result["counts"], **pace(result["counts"], sizes.members),
        "paced_alone": _paced(alone), "paced_sending": _paced(result["paced"]), "paced_rate": sizes.paced_rate,
        "bot_errors": bot.errors, "log_tail": bot.tail(8) if bot.errors else "",
    }


def pace(counts: dict[str, Any], members: int) -> dict[str, Any]:
    """Requests per reminder, reminders a second between the first and the last, and the time 10,000 would take at
    that rate (only when fewer were sent)."""
    sent, first, last = counts["messages"], counts["first_s"], counts["last_s"]
    timed = sent > 1 and last > first
    return {
        "requests_per_reminder": round(counts["requests"] / sent, 2) if sent else None,
        "reminders_per_second": round((sent - 1) / (last - first), 1) if timed else None,
        "extrapolated_to": EXTRAPOLATE_TO,
        "extrapolated_last_s": extrapolated(first, last, sent, EXTRAPOLATE_TO)
        if timed and members < EXTRAPOLATE_TO else None,
    }


async def sending(emu: TimedEmulator, bot: BotProcess, sizes: ReminderSizes, guild: Any,
                  channel: Any) -> dict[str, Any]:
    """The paced load over the sending window; the clock moved once it is warm; the calls made from the minute on."""
    window = sizes.expected_seconds()
    paced = asyncio.create_task(run_phase("sending", emu, guild, channel, bot, members=sizes.paced_members,
                                          seconds=window, warmup=sizes.warmup_seconds, rate=sizes.paced_rate))
    await asyncio.sleep(sizes.warmup_seconds)
    first_call = len(emu.rest_calls)
    minute_at = asyncio.get_running_loop().time()
    assert bot.pid is not None
    os.kill(bot.pid, signal.SIGUSR1)
    complete = await wait_delivered(emu, sizes.members, timeout=3 * window + 60)
    result = await paced
    dm_ids = {c.id for c in emu.world.dm_channels.values()}
    counts = request_counts(emu.rest_calls[first_call:], dm_ids, minute_at)
    return {"paced": result, "counts": counts, "complete": complete}


# --- Report ------------------------------------------------------------------------------------------------------


def _num(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:,.1f}{unit}"


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """(phase, metric, Recall, baseline, target, verdict) rows for the benchmark's main table."""
    n, sent = result["members"], result["sent"]
    out = [
        ("reminders", f"DMs delivered / owed ({n:,} members, one minute)", f"{sent:,} / {n:,}", "", "all",
         _verdict(sent == n)),
        ("reminders", "minute → first / last DM",
         f"{_num(result['first_s'], ' s')} / {_num(result['last_s'], ' s')} "
         f"({_num(result['reminders_per_second'])} DMs/s; sender paced at {result['sender_per_second']:.0f} req/s, "
         f"limit {result['limit_per_second']}/s)", "", "", ""),
    ]
    if result["extrapolated_last_s"] is not None:
        out.append(("reminders", f"minute → last DM, {result['extrapolated_to']:,} members (EXTRAPOLATED)",
                    _num(result["extrapolated_last_s"], " s"), "", "a few minutes", ""))
    out.append(("reminders", "requests per reminder (member check / DM open / message)",
                f"{_num(result['requests_per_reminder'])} ({result['member_checks']:,} / {result['dm_opens']:,} / "
                f"{result['messages']:,})", "", "", ""))
    out.append(("reminders", "429s received", f"{result['rate_limited']:,}", "", "0",
                _verdict(result["rate_limited"] == 0)))
    alone, busy = result["paced_alone"], result["paced_sending"]
    errors = sum(busy[k] for k in ("failed", "timeouts", "refusals"))
    out.append(("reminders", "study paced p50 / p99 while sending",
                f"{_num(busy['p50_ms'])} / {_num(busy['p99_ms'])} ms (alone {_num(alone['p50_ms'])} / "
                f"{_num(alone['p99_ms'])}; {result['paced_rate']:.0f}/s, bot CPU {busy['bot_cpu']:.2f} "
                f"(alone {alone['bot_cpu']:.2f}), {errors} failed)", "",
                f"p99 ≤ {PACED_P99_TARGET_MS:.0f} ms",
                _verdict(busy["p99_ms"] is not None and busy["p99_ms"] <= PACED_P99_TARGET_MS and errors == 0)))
    return out


if __name__ == "__main__":
    sys.exit(bot_main())
