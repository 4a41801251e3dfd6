"""Memory models: do parameters fitted to a learner's own reviews predict their memory better than FSRS-6's defaults,
how long a fit takes, what fits running in the background do to study latency, and what the load balancer does to
the daily workload.

Simulated learners. Each learner's true memory is FSRS-6 with its own parameters: every default parameter multiplied
by a log-normal factor exp(N(0, SPREAD²)), clipped into FSRS-6's bounds and checked by
bot.core.memory.checked_parameters. A learner studies a deck of their own in a server of their own (its new-card
limit is their daily workload) once a day for `days` simulated days, through Recall's own code: StudyService.open,
then StudyService.rate until the session ends, on a real store (an SQLite file, or a PostgreSQL schema), with the
clock moved day by day and a few seconds per rating. A card's first rating is drawn from the learner's first-look
shares; after that the learner recalls it with the TRUE model's probability (fsrs_rs_python memory_state over the
card's history, its days counted as FSRS and the fitter count them, bot.core.memory.elapsed_days; then
bot.core.memory.recall_probability over the time since its last review) and rates Hard, Good or Easy
when they do, Again when they do not. Every learner is scheduled with the defaults throughout (no fit during the run).

Measured: on each learner's last third of days held out, log loss and RMSE(bins) of the defaults against parameters
fitted (bot.core.memory.fit) on the training items of the first two thirds; fit time per 10,000 reviews; paced rating
latency with and without MemoryService.fit_server running over the learners' servers; the spread of daily ratings with
the load balancer on (as the service runs) and off (the same learners again, with bot.core.scheduling.review patched
to drop `busy`).
"""
from __future__ import annotations

import asyncio
import math
import random
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import fsrs_rs_python as rs
from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

from bench.backends import Backend
from bench.common import percentile, study_deck_yaml
from bot.core import memory as core
from bot.core import scheduling
from bot.core.decks import Deck, parse_deck
from bot.core.library import DeckLibrary
from bot.services.memory import MemoryService
from bot.services.study import StudyService
from bot.store import memory as memory_store
from bot.store.api import Store
from bot.store.guilds import update_guild_settings
from bot.store.open import open_database

SPREAD = 0.5  # σ of the log of each parameter's factor
START = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)  # every simulated day's session starts at 08:00 UTC
SECONDS_PER_RATING = 8
FIRST_LOOK = (0.2, 0.1, 0.6, 0.1)  # shares of Again, Hard, Good, Easy at a card's first rating
RECALLED = (0.15, 0.75, 0.10)  # shares of Hard, Good, Easy when the learner recalls the card
BANDS = ((0, core.MIN_MEMBER_REVIEWS), (core.MIN_MEMBER_REVIEWS, 1_000), (1_000, math.inf))
RMSE_TARGET = 0.75  # fitted RMSE(bins) ≤ 75% of the defaults' for learners with ≥ 1,000 reviews
FIT_TARGET_S = 2.0
PACED_TARGET_MS = 50.0
PACED_GUILD = 1
PACED_MEMBERS = 20


@dataclass(frozen=True)
class MemorySizes:
    workloads: tuple[tuple[int, int | None], ...]  # each learner's new cards a day and deck size (None: never runs out)
    days: int
    paced_rate: float  # ratings a second, all paced members together
    paced_seconds: float
    balance_learners: int  # the busiest learners simulated again with the load balancer off
    fit_min_reviews: int | None = None  # the paced fits' threshold for every scope (None: the service's own)

    @classmethod
    def default(cls) -> "MemorySizes":
        # Ratings per card differ with the learner's memory (5 to 20 in the first 60 days): small decks and one new
        # card a day put some learners under 400 reviews then, the rest spread up to several thousand.
        workloads = ((1, 15), (1, 25), (2, 20), (1, 40), (1, None), (1, None), (1, None), (2, 50), (2, None), (2, None),
                     (3, None), (3, None), (4, None), (4, None), (5, None), (6, None))
        return cls(workloads, 90, 50.0, 4.0, 1)

    @classmethod
    def quick(cls) -> "MemorySizes":
        # Learners this small never reach the service's thresholds: the paced fits run at any size.
        return cls(((1, None), (3, None)), 15, 20.0, 1.0, 1, fit_min_reviews=1)

    @property
    def training_days(self) -> int:
        return self.days * 2 // 3


# --- Learners --------------------------------------------------------------------------------------------------------


def true_parameters(rng: random.Random) -> tuple[float, ...]:
    """FSRS-6's defaults, each scaled by a log-normal factor and clipped into FSRS-6's bounds."""
    drawn = (
        min(max(p * math.exp(rng.gauss(0.0, SPREAD)), low), high)
        for p, low, high in zip(core.DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS)
    )
    return core.checked_parameters(list(drawn))


@dataclass
class Learner:
    number: int
    new_per_day: int
    cards: int | None  # the deck's size; None: enough for a new card every day
    params: tuple[float, ...]
    seed: int  # of the learner's answers: the same learner simulated again draws the same stream
    histories: dict[str, list[tuple[int, datetime]]] = field(default_factory=dict)
    daily: list[int] = field(default_factory=list)  # ratings given each day

    def __post_init__(self) -> None:
        self.model = rs.FSRS(list(self.params))
        self.rng = random.Random(self.seed)

    @property
    def guild_id(self) -> int:
        return 1_000 + self.number

    @property
    def user_id(self) -> int:
        return 10_000 + self.number

    def answer(self, item_id: str, now: datetime) -> int:
        """The rating the learner gives the card now, drawn from their true memory of it."""
        history = self.histories.setdefault(item_id, [])
        if not history:
            return self.rng.choices((1, 2, 3, 4), FIRST_LOOK)[0]
        steps, previous = [], None
        for rating, at in history:
            steps.append(rs.FSRSReview(rating, core.elapsed_days(previous, at) if previous else 0))
            previous = at
        stability = self.model.memory_state(rs.FSRSItem(steps)).stability
        elapsed = (now - history[-1][1]).total_seconds() / 86_400
        if self.rng.random() >= core.recall_probability(self.params, stability, elapsed):
            return 1
        return self.rng.choices((2, 3, 4), RECALLED)[0]


def make_learners(sizes: MemorySizes, seed: int = 18) -> list[Learner]:
    rng = random.Random(seed)
    return [Learner(n, new, cards, true_parameters(rng), rng.randrange(2**32))
            for n, (new, cards) in enumerate(sizes.workloads, 1)]


def learner_deck(learner: Learner, days: int) -> Deck:
    deck_id = f"memory-{learner.number}"
    cards = learner.cards or learner.new_per_day * days + 5
    return parse_deck(study_deck_yaml(deck_id, cards, questions=0), deck_id=deck_id, source="bench")


async def study_day(study: StudyService, deck: Deck, learner: Learner, start: datetime) -> int:
    """One day's session, to its end: every card due today and the day's new cards. Returns the ratings given."""
    g, u = learner.guild_id, learner.user_id
    now = start
    screen = await study.open(deck, guild_id=g, user_id=u, display_name=f"learner {learner.number}", now=now)
    ratings = 0
    while screen.session.item_id is not None:
        item_id = screen.session.item_id
        rating = learner.answer(item_id, now)
        result = await study.rate(deck, guild_id=g, user_id=u, display_name=f"learner {learner.number}",
                                  item_id=item_id, token=screen.session.token, rating=rating, now=now)
        assert result is not None, "the token of the screen just shown was refused"
        learner.histories[item_id].append((rating, now))
        screen = result.screen
        ratings += 1
        now += timedelta(seconds=SECONDS_PER_RATING)
    return ratings


async def simulate(db: Store, learners: list[Learner], days: int, seed: int,
                   progress: Callable[[str], None]) -> None:
    """Every learner's `days` of study, one learner after another (fuzz seeded per learner: reruns repeat)."""
    for learner in learners:
        progress(f"memory: learner {learner.number}, {learner.new_per_day} new cards a day")
        random.seed(seed * 1_000 + learner.number)
        deck = learner_deck(learner, days)
        study = StudyService(db, DeckLibrary({deck.id: deck}))
        await update_guild_settings(db, learner.guild_id, new_card_limit=learner.new_per_day)
        for day in range(days):
            learner.daily.append(await study_day(study, deck, learner, START + timedelta(days=day)))


@contextmanager
def load_balancer_off() -> Iterator[None]:
    """bot.core.scheduling.review without its `busy` argument (the service looks it up on the module each rating)."""
    review = scheduling.review

    def unbalanced(*args: Any, busy: Any = None, **kwargs: Any) -> Any:
        return review(*args, **kwargs)

    scheduling.review = unbalanced  # type: ignore[assignment]
    try:
        yield
    finally:
        scheduling.review = review  # type: ignore[assignment]


# --- Models: defaults against fitted ---------------------------------------------------------------------------------


def _evaluation(e: core.Evaluation) -> dict[str, float]:
    return {"log_loss": round(e.log_loss, 4), "rmse_bins": round(e.rmse_bins, 4)}


def judge_learner(learner: Learner, reviews: list[core.Review], cut: datetime) -> dict[str, Any]:
    """The defaults and a set fitted on the items before `cut`, both on the items after it."""
    items = core.training_items(reviews)
    train = [i for i in items if i.at < cut]
    held_out = [i for i in items if i.at >= cut]
    out: dict[str, Any] = {
        "learner": learner.number, "new_per_day": learner.new_per_day,
        "reviews_training": sum(1 for r in reviews if r.at < cut), "reviews": len(reviews),
        "held_out_items": len(held_out), "default": _evaluation(core.evaluate(core.DEFAULT_PARAMETERS, held_out)),
        "true": _evaluation(core.evaluate(learner.params, held_out)),  # the best any fit could do
    }
    try:
        fitted = core.fit(train)
    except Exception as exc:  # the optimiser refuses some tiny histories: the defaults would stay
        out["fitted"], out["fit_error"] = None, f"{type(exc).__name__}: {exc}"
        return out
    out["fitted"] = _evaluation(core.evaluate(fitted, held_out))
    return out


def band_of(reviews: int) -> str:
    low, high = next((low, high) for low, high in BANDS if low <= reviews < high)
    return f"≥ {low:,}" if high == math.inf else f"< {high:,}" if low == 0 else f"{low:,}–{high - 1:,}"


def bands(judged: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per band of training reviews: mean log loss and RMSE(bins), defaults and fitted (a failed fit keeps the
    defaults), and fitted / default RMSE (ratio of the means)."""
    out = []
    for low, high in BANDS:
        mine = [j for j in judged if low <= j["reviews_training"] < high]
        if not mine:
            continue
        fitted = [j["fitted"] or j["default"] for j in mine]
        default_rmse = statistics.fmean(j["default"]["rmse_bins"] for j in mine)
        fitted_rmse = statistics.fmean(f["rmse_bins"] for f in fitted)
        out.append({
            "band": band_of(low), "learners": len(mine),
            "reviews": round(statistics.fmean(j["reviews_training"] for j in mine)),
            "default_log_loss": round(statistics.fmean(j["default"]["log_loss"] for j in mine), 4),
            "fitted_log_loss": round(statistics.fmean(f["log_loss"] for f in fitted), 4),
            "default_rmse": round(default_rmse, 4), "fitted_rmse": round(fitted_rmse, 4),
            "true_rmse": round(statistics.fmean(j["true"]["rmse_bins"] for j in mine), 4),
            "rmse_ratio": round(fitted_rmse / default_rmse, 3) if default_rmse else None,
        })
    return out


def worst(judged: list[dict[str, Any]]) -> dict[str, Any]:
    """The learner whose RMSE(bins) the fitted set changed most for the worse (or improved least)."""
    def change(j: dict[str, Any]) -> float:
        fitted = j["fitted"] or j["default"]
        return fitted["rmse_bins"] / j["default"]["rmse_bins"] if j["default"]["rmse_bins"] else 1.0

    j = max(judged, key=change)
    fitted = j["fitted"] or j["default"]
    return {"learner": j["learner"], "reviews_training": j["reviews_training"], "rmse_ratio": round(change(j), 3),
            "log_loss_change": round(fitted["log_loss"] - j["default"]["log_loss"], 4)}


def fit_seconds_per_10k(reviews: list[core.Review], repeats: int = 3) -> dict[str, Any]:
    """Median time of `repeats` fits of the first 10,000 reviews (all of them if fewer), scaled to 10,000."""
    used = sorted(reviews, key=lambda r: r.at)[:10_000]
    items = core.training_items(used)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        core.fit(items)
        times.append(time.perf_counter() - started)
    return {"reviews": len(used), "items": len(items),
            "seconds_per_10k": round(statistics.median(times) * 10_000 / len(used), 3)}


# --- Study while fits run --------------------------------------------------------------------------------------------


async def paced_ratings(db: Store, rate: float, seconds: float) -> list[float]:
    """Ratings at a steady `rate` by PACED_MEMBERS members of a server of their own; each latency (ms) runs from the
    moment the rating was due, so a stalled event loop counts."""
    deck = parse_deck(study_deck_yaml("memory-paced", 3_000, questions=0), deck_id="memory-paced", source="bench")
    study = StudyService(db, DeckLibrary({deck.id: deck}))
    await update_guild_settings(db, PACED_GUILD, new_card_limit=9_999)
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    started = loop.time() + 0.1
    each = PACED_MEMBERS / rate  # seconds between one member's ratings

    async def member(n: int) -> None:
        user = 50_000 + n
        screen = await study.open(deck, guild_id=PACED_GUILD, user_id=user, display_name=f"m{n}",
                                  now=datetime.now(timezone.utc))
        due = started + n / rate
        while due < started + seconds:
            await asyncio.sleep(max(0.0, due - loop.time()))
            result = await study.rate(deck, guild_id=PACED_GUILD, user_id=user, display_name=f"m{n}",
                                      item_id=screen.session.item_id or "", token=screen.session.token, rating=3,
                                      now=datetime.now(timezone.utc))
            latencies.append((loop.time() - due) * 1000)
            assert result is not None and result.screen.session.item_id is not None
            screen = result.screen
            due += each

    await asyncio.gather(*(member(n) for n in range(PACED_MEMBERS)))
    return latencies


async def paced_with_fits(db: Store, guilds: list[int], sizes: MemorySizes) -> dict[str, Any]:
    """Paced ratings alone, then again while MemoryService.fit_server fits the learners' servers over and over."""
    rate, seconds = sizes.paced_rate, sizes.paced_seconds
    alone = await paced_ratings(db, rate, seconds)
    least = sizes.fit_min_reviews
    service = MemoryService(db) if least is None else MemoryService(db, min_member_reviews=least,
                                                                     min_server_reviews=least)
    stop = asyncio.Event()
    fits = 0

    async def fitting() -> None:
        nonlocal fits
        while not stop.is_set():
            before = fits
            for guild in guilds:
                fits += len(await service.fit_server(guild, everyone=True))
                if stop.is_set():
                    return
            if fits == before:  # no scope is big enough: do not spin on the reads
                await asyncio.sleep(0.1)

    fitter = asyncio.create_task(fitting())
    try:
        busy = await paced_ratings(db, rate, seconds)
    finally:
        stop.set()
        await fitter
    return {"rate": rate, "seconds": seconds, "alone": _latency(alone), "fitting": _latency(busy), "fits": fits}


def _latency(values: list[float]) -> dict[str, Any]:
    return {"ratings": len(values), "p50_ms": round(percentile(values, 0.5), 1),
            "p99_ms": round(percentile(values, 0.99), 1)}


# --- Load balance ----------------------------------------------------------------------------------------------------


def spread(daily: list[int], window: int = 7) -> dict[str, float]:
    """Day-to-day unevenness of the daily ratings past the first third (the ramp-up): the standard deviation of each
    day's count around its centred `window`-day mean, and the largest count over its window's mean. Against the
    window's mean, not the whole period's, since the workload grows as the deck does."""
    half = window // 2
    steady = range(max(len(daily) // 3, half), len(daily) - half)
    means = {d: statistics.fmean(daily[d - half:d + half + 1]) for d in steady}
    return {"std": round(statistics.pstdev([daily[d] - means[d] for d in steady]), 2),
            "max_over_mean": round(max(daily[d] / means[d] for d in steady if means[d]), 3)}


def mean_spread(learners: list[Learner]) -> dict[str, float]:
    each = [spread(learner.daily) for learner in learners]
    return {key: round(statistics.fmean(s[key] for s in each), 3) for key in ("std", "max_over_mean")}


# --- The phase -------------------------------------------------------------------------------------------------------


async def memory_phase(sizes: MemorySizes, workdir: Path, backend: Backend,
                       progress: Callable[[str], None], seed: int = 18) -> dict[str, Any]:
    """Simulate, judge, time fits, pace ratings with and without fits, compare the load balancer on and off."""
    started = time.perf_counter()
    learners = make_learners(sizes, seed)
    async with backend.target(workdir, "memory") as target:
        db = await open_database(target.settings())
        try:
            await simulate(db, learners, sizes.days, seed, progress)
            simulated_s = time.perf_counter() - started
            cut = START + timedelta(days=sizes.training_days)
            histories = [await memory_store.review_history(db, l.guild_id, l.user_id) for l in learners]
            progress("memory: fitting each learner's first two thirds")
            judged = [judge_learner(l, h, cut) for l, h in zip(learners, histories)]
            fit_time = fit_seconds_per_10k([r for h in histories for r in h])
            progress(f"memory: paced ratings, {sizes.paced_seconds} s alone then {sizes.paced_seconds} s with fits")
            paced = await paced_with_fits(db, [l.guild_id for l in learners], sizes)
        finally:
            await db.close()
    busiest = sorted(learners, key=lambda l: -l.new_per_day)[:sizes.balance_learners]
    progress(f"memory: {len(busiest)} busiest learners again with the load balancer off")
    again = [Learner(l.number, l.new_per_day, l.cards, l.params, l.seed) for l in busiest]
    async with backend.target(workdir, "memory-unbalanced") as target:
        db = await open_database(target.settings())
        try:
            with load_balancer_off():
                await simulate(db, again, sizes.days, seed, progress)
        finally:
            await db.close()
    return {
        "spread": SPREAD, "days": sizes.days, "training_days": sizes.training_days, "workloads": sizes.workloads,
        "learners": judged, "bands": bands(judged), "worst": worst(judged), "fit": fit_time, "paced": paced,
        "balance": {"learners": len(busiest), "on": mean_spread(busiest), "off": mean_spread(again)},
        "simulated_ratings": sum(sum(l.daily) for l in learners), "simulation_s": round(simulated_s, 1),
    }


# --- Report ----------------------------------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """(phase, metric, Recall, baseline, target, verdict) rows for the benchmark's main table. Figures that differ
    between backends stay out of the metric's name, so each backend's run lands on the same row."""
    out = []
    big = next((b for b in result["bands"] if b["band"] == band_of(1_000)), None)
    if big is not None:
        out.append(("memory", "RMSE(bins) fitted / defaults, ≥ 1,000 reviews",
                    f"{big['rmse_ratio']:.2f} ({big['default_rmse']:.4f} → {big['fitted_rmse']:.4f}, "
                    f"{big['learners']} learners)", "", f"≤ {RMSE_TARGET}",
                    _verdict(big["rmse_ratio"] is not None and big["rmse_ratio"] <= RMSE_TARGET)))
    w = result["worst"]
    out.append(("memory", "worst learner: RMSE(bins) fitted / defaults, log loss change",
                f"{w['rmse_ratio']:.2f}, {w['log_loss_change']:+.4f} (learner {w['learner']}, "
                f"{w['reviews_training']:,} reviews)", "", "", ""))
    fit = result["fit"]
    out.append(("memory", "fit time per 10,000 reviews (median of 3)",
                f"{fit['seconds_per_10k']:.2f} s ({fit['reviews']:,} reviews)", "", f"≤ {FIT_TARGET_S:.0f} s",
                _verdict(fit["seconds_per_10k"] <= FIT_TARGET_S)))
    paced = result["paced"]
    busy, alone = paced["fitting"], paced["alone"]
    ratio = f"{busy['p99_ms'] / alone['p99_ms']:.1f}" if alone["p99_ms"] else "-"
    out.append(("memory", "paced ratings p50 / p99 while fits run",
                f"{busy['p50_ms']} / {busy['p99_ms']} ms (alone {alone['p50_ms']} / {alone['p99_ms']}: p99 × {ratio}; "
                f"{paced['rate']:.0f}/s, {paced['fits']} fits)", "", f"p99 ≤ {PACED_TARGET_MS:.0f} ms",
                _verdict(busy["p99_ms"] <= PACED_TARGET_MS)))
    on, off = result["balance"]["on"], result["balance"]["off"]
    out.append(("memory", "daily ratings around their week: std / max÷mean, load balancer on",
                f"{on['std']:.1f} / {on['max_over_mean']:.2f} (off {off['std']:.1f} / {off['max_over_mean']:.2f}; "
                f"{result['balance']['learners']} learners)", "", "", ""))
    return out


def band_table(result: dict[str, Any]) -> str:
    """The per-band Markdown table of defaults against fitted parameters on the held-out days."""
    lines = [
        f"memory models: {len(result['learners'])} simulated learners, true FSRS-6 parameters = defaults × "
        f"exp(N(0, {result['spread']}²)) clipped to FSRS's bounds; {result['days']} days studied through StudyService, "
        f"fitted on days 1–{result['training_days']}, judged on days {result['training_days'] + 1}–{result['days']}",
        "",
        "| reviews (first days) | learners | mean reviews | log loss default | log loss fitted | RMSE(bins) default "
        "| RMSE(bins) fitted | RMSE fitted / default | RMSE(bins) true parameters |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for b in result["bands"]:
        lines.append(f"| {b['band']} | {b['learners']} | {b['reviews']:,} | {b['default_log_loss']:.4f} | "
                     f"{b['fitted_log_loss']:.4f} | {b['default_rmse']:.4f} | {b['fitted_rmse']:.4f} | "
                     f"{b['rmse_ratio']:.2f} | {b['true_rmse']:.4f} |")
    small = [b for b in result["bands"] if b["band"] == band_of(0)]
    rest = [b for b in result["bands"] if b["band"] != band_of(0)]
    if small and rest:
        gain = statistics.fmean(1 - b["rmse_ratio"] for b in rest)
        lines.append(f"\nRMSE(bins) improvement under {core.MIN_MEMBER_REVIEWS} reviews: "
                     f"{1 - small[0]['rmse_ratio']:+.0%}; at or above it: {gain:+.0%} (mean of the bands)")
    return "\n".join(lines)
