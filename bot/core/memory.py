"""Memory models fitted to learners' own reviews: FSRS-6 parameters from the Rust optimiser (fsrs-rs-python), judged
on held-out reviews before they are used, and the forecasts members see.

A review history is a list of `Review`s; each card's reviews become training items the way FSRS defines them (one
item per review after the first: the card's history up to and including it, with the days between reviews counted
as day boundaries crossed, Anki's way, not as whole 24-hour periods: see `elapsed_days`). A
candidate set is adopted only when, fitted on the earlier reviews, it predicts the later ones better than the set in
use (log loss and RMSE(bins) both lower); the adopted set is then fitted again on every review, so nothing is thrown
away. Parameters that are not 21 finite numbers inside FSRS's bounds are never used (`checked_parameters`).

Pure: no discord, no database; the fitting runs in a worker thread (the Rust code releases the GIL).
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache

import fsrs_rs_python as rs
from fsrs import Scheduler

from bot.core.scheduling import elapsed_days

PARAMETER_COUNT = 21
# FSRS-6's defaults, as py-fsrs schedules with them (the same numbers the Rust optimiser starts from).
DEFAULT_PARAMETERS: tuple[float, ...] = tuple(Scheduler().parameters)
# A member's own parameters from this many reviews (Anki's advice: about 400); a server's pooled ones from more, since
# they must speak for members who have few reviews of their own. The memory benchmark measures the member threshold.
MIN_MEMBER_REVIEWS = 400
MIN_SERVER_REVIEWS = 1_000
# Fit again after this many new reviews of a scope, or after a week with any new review, whichever comes first.
REFIT_AFTER_REVIEWS = 500
REFIT_AFTER = timedelta(days=7)
# The latest quarter of a history (by time) is held out to judge a candidate.
HOLDOUT_SHARE = 0.25
# The retentions an admin may choose (the /recall-admin retention range); the recommendation stays inside it.
RETENTION_RANGE = (0.70, 0.97)
# The user id of a server's pooled set (no Discord user has id 0).
SERVER_SCOPE = 0


class InvalidParameters(ValueError):
    """A parameter set that must not schedule anything; the message says why."""


@dataclass(frozen=True, slots=True)
class Review:
    """One rating of one card (any hashable key naming the card), at an aware UTC time."""

    card: object
    rating: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Evaluation:
    log_loss: float
    rmse_bins: float

    def beats(self, other: "Evaluation") -> bool:
        return self.log_loss < other.log_loss and self.rmse_bins < other.rmse_bins


@dataclass(frozen=True, slots=True)
class FitOutcome:
    """What a fit decided: `parameters` to adopt (None: keep the set in use), and why."""

    parameters: tuple[float, ...] | None
    reviews: int
    reason: str
    before: Evaluation | None = None  # the set in use, on the held-out reviews
    after: Evaluation | None = None  # the candidate fitted on the earlier reviews, on the same held-out reviews

    @property
    def adopted(self) -> bool:
        return self.parameters is not None


@dataclass(frozen=True, slots=True)
class _Item:
    at: datetime  # when its last review (the one it predicts) was given
    item: rs.FSRSItem
    long_term: bool = True  # its last review came a day or more after the one before (what evaluation judges)


# --- What fits report (the store keeps them, services return them, ui shows them) -----------------------------------


@dataclass(frozen=True, slots=True)
class FitRow:
    fitted_at: datetime
    user_id: int
    reviews: int
    adopted: bool
    reason: str
    log_loss_before: float | None
    rmse_before: float | None
    log_loss_after: float | None
    rmse_after: float | None


@dataclass(frozen=True, slots=True)
class Calibration:
    reviews: int
    predicted: float | None  # mean predicted recall
    actual: float | None  # share recalled (rated Hard or better)


@dataclass(frozen=True, slots=True)
class ScopeFit:
    user_id: int  # SERVER_SCOPE for the server's pooled set
    outcome: FitOutcome
    rescheduled: int


@dataclass(frozen=True, slots=True)
class ModelSummary:
    """What /recall-admin memory-model shows."""

    members_own: int  # members scheduled by their own set
    members_server: int  # by the server's set
    members_default: int  # by FSRS-6's defaults
    server_fitted: bool
    last_fit: FitRow | None
    last_adopted: FitRow | None
    reviews: int
    min_member_reviews: int
    min_server_reviews: int


@dataclass(frozen=True, slots=True)
class RetentionAdvice:
    current: float
    recommended: float
    scope: str  # whose parameters the recommendation was simulated with: 'server' or 'default'


@dataclass(frozen=True, slots=True)
class MemberMemory:
    """The memory section of /stats."""

    scope: str  # 'member', 'server' or 'default'
    since: datetime | None  # when the member's own set was adopted
    due_today: int
    predicted_today: float | None  # mean predicted recall of the cards due today, now
    calibration: Calibration  # the last 30 days


# --- Parameters ------------------------------------------------------------------------------------------------------


def checked_parameters(values: object) -> tuple[float, ...]:
    """`values` as a parameter set, or InvalidParameters naming what is wrong (length, NaN, out of FSRS's bounds)."""
    if not isinstance(values, (list, tuple)) or len(values) != PARAMETER_COUNT:
        size = len(values) if isinstance(values, (list, tuple)) else type(values).__name__
        raise InvalidParameters(f"expected {PARAMETER_COUNT} numbers, got {size}")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
        raise InvalidParameters("not every parameter is a finite number")
    params = tuple(float(v) for v in values)
    try:
        Scheduler(parameters=params)  # py-fsrs checks each parameter against FSRS-6's bounds
    except ValueError as exc:
        raise InvalidParameters(str(exc).replace("\n", "; ")) from None
    return params


@lru_cache(maxsize=4096)
def parameters_from_text(text: str) -> tuple[float, ...]:
    """A stored set (JSON list) checked; InvalidParameters when it is corrupt. Cached: every rating reads one."""
    try:
        values = json.loads(text)
    except ValueError:
        raise InvalidParameters("stored parameters are not JSON") from None
    return checked_parameters(values)


def parameters_to_text(params: Sequence[float]) -> str:
    return json.dumps([round(float(p), 6) for p in params])


# --- Histories into training items -----------------------------------------------------------------------------------


def training_items(reviews: Iterable[Review], zone: tzinfo = timezone.utc) -> list[_Item]:
    """FSRS training items of a history, oldest first, with days counted in `zone` (see `elapsed_days`). Items with
    no review a day or more after the card's first are left out: the optimiser cannot learn from them (and its Rust
    code refuses them)."""
    by_card: dict[object, list[Review]] = {}
    for review in reviews:
        by_card.setdefault(review.card, []).append(review)
    items: list[_Item] = []
    for card_reviews in by_card.values():
        card_reviews.sort(key=lambda r: r.at)
        steps: list[rs.FSRSReview] = []
        previous: datetime | None = None
        long_term = False
        for review in card_reviews:
            days = elapsed_days(previous, review.at, zone) if previous is not None else 0
            steps.append(rs.FSRSReview(review.rating, days))
            long_term = long_term or (previous is not None and days > 0)
            if previous is not None and long_term:
                items.append(_Item(review.at, rs.FSRSItem(list(steps)), days > 0))
            previous = review.at
    items.sort(key=lambda i: i.at)
    return items


def _split(items: list[_Item], holdout_share: float) -> tuple[list[_Item], list[_Item]]:
    cut = int(len(items) * (1 - holdout_share))
    return items[:cut], items[cut:]


# --- Fitting and judging ---------------------------------------------------------------------------------------------


def fit(items: Sequence[_Item]) -> tuple[float, ...]:
    """Parameters fitted to `items` (starting from the defaults)."""
    fitted = rs.FSRS(list(DEFAULT_PARAMETERS)).compute_parameters([i.item for i in items])
    # The optimiser clips to FSRS's bounds in float32, where 0.8 is 0.80000001: rounded as stored, a set at a bound
    # stays inside it (and the set judged is the set stored).
    return checked_parameters([round(float(p), 6) for p in fitted])


def evaluate(params: Sequence[float], items: Sequence[_Item]) -> Evaluation:
    """How well `params` predict the last review of each item: log loss and RMSE over bins, as srs-benchmark reports.
    Items ending in a same-day step are left out: the Rust evaluation refuses them (InvalidInput)."""
    result = rs.FSRS(list(params)).evaluate([i.item for i in items if i.long_term])
    return Evaluation(float(result.log_loss), float(result.rmse_bins))


def judge(
    reviews: Sequence[Review], current: Sequence[float] | Callable[[datetime], Sequence[float]], *, min_reviews: int,
    holdout_share: float = HOLDOUT_SHARE, zone: tzinfo = timezone.utc,
) -> FitOutcome:
    """Fit a candidate for `reviews` and decide whether it replaces `current` (see the module's docstring); days
    between reviews are counted in the learner's `zone`.

    `current` may be a function of the moment the held-out reviews begin, giving the set the scope would have had
    then: a server's pooled set fitted on every review has seen the member's held-out answers, and would win a
    comparison it should not be in."""
    count = len(reviews)
    if count < min_reviews:
        return FitOutcome(None, count, f"{count} reviews; {min_reviews} needed")
    items = training_items(reviews, zone)
    train, held_out = _split(items, holdout_share)
    if len(train) < 2 or not held_out:
        return FitOutcome(None, count, "too few reviews spaced a day or more apart")
    baseline = current(held_out[0].at) if callable(current) else current
    before = evaluate(baseline, held_out)
    after = evaluate(fit(train), held_out)
    if not after.beats(before):
        return FitOutcome(None, count, "the fitted parameters did not predict the latest reviews better", before, after)
    return FitOutcome(fit(items), count, "better on the latest reviews", before, after)


# --- What the model says ---------------------------------------------------------------------------------------------


def recall_probability(params: Sequence[float], stability: float, days: float) -> float:
    """FSRS-6's forgetting curve: the chance of recalling a card of `stability` after `days`."""
    decay = -params[20]
    factor = 0.9 ** (1 / decay) - 1
    return (1 + factor * max(days, 0.0) / stability) ** decay


def recommended_retention(params: Sequence[float], *, deck_size: int = 2_000, days: int = 365) -> float:
    """The retention that minimises study time per remembered card for `params`, by FSRS's own simulation of a deck
    studied for a year (takes about a second: call it from a worker thread)."""
    config = rs.default_simulator_config()
    config.deck_size = deck_size
    config.learn_span = days
    best = float(rs.optimal_retention(config, list(params)))
    low, high = RETENTION_RANGE
    return round(min(max(best, low), high), 2)


# --- Rescheduling ----------------------------------------------------------------------------------------------------


def memory_states(
    histories: Sequence[Sequence[tuple[int, datetime]]], params: Sequence[float]
) -> list[tuple[float, float]]:
    """Each card's (stability, difficulty) after its ratings (oldest first) by FSRS-6 with `params`, computed by the
    Rust code, which releases the GIL (call it from a worker thread). It is what py-fsrs's replay of the same ratings
    gives, whole days apart as py-fsrs counts them, up to float32 rounding (and a stability cap of 36,500 days)."""
    items = [rs.FSRSItem(_replay_steps(ratings)) for ratings in histories]
    states = rs.FSRS(list(params)).memory_state_batch(items)
    return [(float(state.stability), float(state.difficulty)) for state in states]


def _replay_steps(ratings: Sequence[tuple[int, datetime]]) -> list[rs.FSRSReview]:
    steps: list[rs.FSRSReview] = []
    previous: datetime | None = None
    for rating, at in ratings:
        steps.append(rs.FSRSReview(rating, elapsed_days(previous, at) if previous is not None else 0))
        previous = at
    return steps


def interval_days(params: Sequence[float], stability: float, retention: float, maximum: int) -> int:
    """FSRS-6's review interval for `stability` at `retention`, as py-fsrs's Scheduler gives it without fuzz: the days
    until recall_probability falls to `retention`, rounded, at least one, at most `maximum`."""
    decay = -params[20]
    factor = 0.9 ** (1 / decay) - 1
    return min(max(round(stability / factor * (retention ** (1 / decay) - 1)), 1), maximum)
