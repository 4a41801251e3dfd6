"""Study load: simulated members pressing /study → Reveal → Good → Reveal → … against a running bot.

Flat out: N members, each sending its next interaction as soon as the last one was answered; members whose session
ends (the summary has no Reveal button) are replaced by fresh ones. Paced: members acting on a Poisson schedule that
adds up to a fixed rate, so latency is the bot's own, not time in line.
"""
from __future__ import annotations

import asyncio
import itertools
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from bot.emulator import EmulatorError, FakeChannel, FakeGuild, FakeInteraction, FakeMember, FakeMessage

from bench.common import BENCH_DECK, DEFERRED_AFTER, answered_at, percentile

REPLY_TIMEOUT = 10.0
GOOD = 3


@dataclass
class Recorder:
    """Every interaction sent, with its send and callback times (perf_counter seconds)."""

    sent: list[FakeInteraction] = field(default_factory=list)
    timeouts: int = 0  # no reply within REPLY_TIMEOUT
    refusals: int = 0  # answered with something else than the next screen (e.g. "already rated")
    sessions_started: int = 0
    sessions_finished: int = 0

    def answered_between(self, start: float, end: float) -> list[FakeInteraction]:
        """The interactions whose answer the member saw in [start, end)."""
        return [ix for ix in self.sent if (at := answered_at(ix)) is not None and start <= at < end]

    def failed_between(self, start: float, end: float) -> int:
        return sum(1 for ix in self.sent if ix.failed and start <= ix.sent_at < end)  # type: ignore[attr-defined]


@dataclass
class PhaseResult:
    name: str
    seconds: float
    interactions: int
    failed: int
    timeouts: int
    refusals: int
    sessions: int
    latencies_ms: list[float]  # from INTERACTION_CREATE sent to the answer seen (after a defer: the edit that follows)
    bot_cpu: float  # share of one core the bot used
    driver_cpu: float  # share of one core the emulator + load generator used
    offered_rate: float | None = None
    deferred: int = 0  # answered after a defer: the work took longer than the bot's answer budget
    server_cpu: float | None = None  # share of one core the database server used (PostgreSQL), when measured

    @property
    def bot_cpu_ms_per_interaction(self) -> float:
        """The bot's CPU time per answered interaction: less sensitive than throughput to a busy machine."""
        return self.bot_cpu * self.seconds * 1000 / self.interactions if self.interactions else math.nan

    @property
    def throughput(self) -> float:
        return self.interactions / self.seconds if self.seconds else 0.0

    def latency(self, share: float) -> float:
        return percentile(self.latencies_ms, share)

    def as_dict(self) -> dict[str, Any]:
        return {
            "phase": self.name,
            "seconds": round(self.seconds, 2),
            "interactions": self.interactions,
            "per_second": round(self.throughput, 1),
            "failed": self.failed,
            "timeouts": self.timeouts,
            "refusals": self.refusals,
            "deferred": self.deferred,
            "sessions": self.sessions,
            "p50_ms": _round(self.latency(0.50)),
            "p95_ms": _round(self.latency(0.95)),
            "p99_ms": _round(self.latency(0.99)),
            "max_ms": _round(max(self.latencies_ms, default=math.nan)),
            "bot_cpu": round(self.bot_cpu, 2),
            "bot_cpu_ms_per_interaction": _round(self.bot_cpu_ms_per_interaction),
            "driver_cpu": round(self.driver_cpu, 2),
            "server_cpu": None if self.server_cpu is None else round(self.server_cpu, 2),
            "offered_rate": self.offered_rate,
        }


def _round(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 2)


class MemberPool:
    """Fresh members on demand: a member whose session ended is never reused, so every session starts new."""

    def __init__(self, emu: Any, guild: FakeGuild, prefix: str, locale: str = "en-US") -> None:
        self.emu, self.guild, self.prefix, self.locale = emu, guild, prefix, locale
        self._numbers = itertools.count(1)

    def fresh(self) -> FakeMember:
        member = self.emu.add_member(self.guild, f"{self.prefix}{next(self._numbers)}")
        member.user.locale = self.locale
        return member


class Pacer:
    """One member's schedule: Poisson arrivals at `rate` per second, never bunched up to catch up."""

    def __init__(self, rate: float, rng: random.Random, start: float) -> None:
        self.rate, self.rng = rate, rng
        self.next_at = start + rng.expovariate(rate)

    async def wait(self) -> None:
        delay = self.next_at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        self.next_at = max(self.next_at, time.perf_counter()) + self.rng.expovariate(self.rate)


def _button(message: FakeMessage, prefix: str, suffix: str = "") -> str | None:
    for button in message.buttons():
        cid = button["custom_id"] or ""
        if cid.startswith(prefix) and cid.endswith(suffix) and not button["disabled"]:
            return cid
    return None


async def _answered(ix: FakeInteraction, recorder: Recorder) -> FakeMessage | None:
    try:
        return await ix.wait_message(timeout=REPLY_TIMEOUT)
    except (asyncio.TimeoutError, EmulatorError):
        recorder.timeouts += 1
        return None


async def study_session(
    emu: Any, member: FakeMember, channel: FakeChannel, *, until: float, recorder: Recorder,
    pace: Callable[[], Any] | None = None,
) -> None:
    """One member's session: /study, then Reveal and Good until the summary (or time is up)."""
    if pace:
        await pace()
    ix = await emu.slash(member, channel, "study", deck=BENCH_DECK)
    recorder.sent.append(ix)
    recorder.sessions_started += 1
    message = await _answered(ix, recorder)
    while message is not None:
        reveal = _button(message, "study:rev:")
        if reveal is None:
            recorder.sessions_finished += 1
            return
        message = await _press(emu, member, message, reveal, until=until, recorder=recorder, pace=pace)
        if message is None:
            return
        good = _button(message, "study:rate:", f":{GOOD}")
        if good is None:
            recorder.refusals += 1
            return
        message = await _press(emu, member, message, good, until=until, recorder=recorder, pace=pace)


async def _press(
    emu: Any, member: FakeMember, message: FakeMessage, custom_id: str, *, until: float, recorder: Recorder,
    pace: Callable[[], Any] | None,
) -> FakeMessage | None:
    """Click a button of the study message; the message as updated, or None (time up, no reply, a refusal)."""
    if pace:
        await pace()
    if time.perf_counter() >= until:
        return None
    ix = await emu.click(member, message, custom_id=custom_id)
    recorder.sent.append(ix)
    answer = await _answered(ix, recorder)
    if answer is not None and answer.id != message.id:  # a private note instead of the next screen
        recorder.refusals += 1
        return None
    return answer


async def _worker(emu: Any, pool: MemberPool, channel: FakeChannel, until: float, recorder: Recorder,
                  rate: float | None, rng: random.Random) -> None:
    pacer = Pacer(rate, rng, time.perf_counter()) if rate else None
    while time.perf_counter() < until:
        await study_session(emu, pool.fresh(), channel, until=until, recorder=recorder,
                            pace=pacer.wait if pacer else None)


async def run_phase(
    name: str, emu: Any, guild: FakeGuild, channel: FakeChannel, bot: Any, *, members: int, seconds: float,
    warmup: float, rate: float | None = None, seed: int = 7, server_cpu: Callable[[], float] | None = None,
    locale: str = "en-US",
) -> PhaseResult:
    """Run `members` workers for warmup + seconds; measure what was answered in the last `seconds`.

    `server_cpu` reads the database server's CPU seconds so far (PostgreSQL runs outside the bot's process).
    """
    rng = random.Random(seed)
    pool = MemberPool(emu, guild, f"{name}-", locale)
    recorder = Recorder()
    start = time.perf_counter()
    measure_from, until = start + warmup, start + warmup + seconds
    per_member = rate / members if rate else None
    workers = [
        asyncio.create_task(_worker(emu, pool, channel, until, recorder, per_member, random.Random(rng.random())))
        for _ in range(members)
    ]
    await asyncio.sleep(warmup)
    server0 = server_cpu() if server_cpu else 0.0
    bot_cpu0, own_cpu0, wall0 = bot.cpu_seconds(), time.process_time(), time.perf_counter()
    await asyncio.sleep(max(0.0, until - time.perf_counter()))
    bot_cpu1, own_cpu1, wall1 = bot.cpu_seconds(), time.process_time(), time.perf_counter()
    server1 = server_cpu() if server_cpu else 0.0
    await asyncio.gather(*workers)
    answered = recorder.answered_between(measure_from, until)
    latencies = [(answered_at(ix) - ix.sent_at) * 1000 for ix in answered  # type: ignore[attr-defined,operator]
                 if ix.sent_at >= measure_from]  # type: ignore[attr-defined]
    deferred = sum(1 for ix in answered if ix.acked_at is not None  # type: ignore[attr-defined]
                   and answered_at(ix) - ix.acked_at > DEFERRED_AFTER)  # type: ignore[attr-defined,operator]
    wall = wall1 - wall0
    return PhaseResult(
        name=name,
        seconds=until - measure_from,
        interactions=len(answered),
        failed=recorder.failed_between(measure_from, until),
        timeouts=recorder.timeouts,
        refusals=recorder.refusals,
        sessions=recorder.sessions_finished,
        latencies_ms=latencies,
        bot_cpu=(bot_cpu1 - bot_cpu0) / wall if wall else 0.0,
        driver_cpu=(own_cpu1 - own_cpu0) / wall if wall else 0.0,
        offered_rate=rate,
        deferred=deferred,
        server_cpu=(server1 - server0) / wall if server_cpu and wall else None,
    )
