"""Spaced repetition through the fsrs package (FSRS-6): one review, interval previews for button labels."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache

from fsrs import Card, Rating, ReviewLog, Scheduler, State

RATING_NAMES: dict[int, str] = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
# The share of cards a member should still remember when they come due, unless an admin chose another.
DEFAULT_RETENTION = 0.9


@lru_cache(maxsize=16)
def scheduler(desired_retention: float = DEFAULT_RETENTION, fuzz: bool = True) -> Scheduler:
    # One Scheduler per retention value: building one validates its parameters, which is wasted work per review.
    return Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzz)


def new_card(now: datetime) -> Card:
    # A fixed card_id avoids fsrs' 1 ms sleep to make a unique one; identity lives in our own keys.
    return Card(card_id=1, due=now)


def load_card(card_json: str | None, now: datetime) -> Card:
    return Card.from_json(card_json) if card_json else new_card(now)


def review(
    card: Card, rating: int, now: datetime, *, desired_retention: float = DEFAULT_RETENTION, fuzz: bool = True
) -> tuple[Card, ReviewLog]:
    """Schedule `card` after a rating of 1..4 at `now` (aware UTC)."""
    if rating not in RATING_NAMES:
        raise ValueError(f"rating must be 1..4, got {rating!r}")
    return scheduler(desired_retention, fuzz).review_card(card, Rating(rating), review_datetime=_utc(now))


def preview_intervals(card: Card, now: datetime, *, desired_retention: float = DEFAULT_RETENTION) -> dict[int, timedelta]:
    """How long until the card comes back for each rating (no fuzz, so the label matches the typical outcome)."""
    moment = _utc(now)
    days = (moment - card.last_review).days if card.last_review else None
    return dict(_intervals(card.state, card.step, card.stability, card.difficulty, days, desired_retention))


_ANCHOR = datetime(2000, 1, 1, tzinfo=timezone.utc)


@lru_cache(maxsize=4096)
def _intervals(
    state: State, step: int | None, stability: float | None, difficulty: float | None, days: int | None,
    desired_retention: float,
) -> tuple[tuple[int, timedelta], ...]:
    # Without fuzz, fsrs decides the next interval from the card's state, step, stability and difficulty and the whole
    # days since its last review, nothing else; so the four reviews behind every Reveal are computed once per such
    # state (a new card's buttons always read the same) on a stand-in card reviewed at a fixed moment.
    plain = scheduler(desired_retention, False)
    last_review = _ANCHOR - timedelta(days=days) if days is not None else None
    card = Card(card_id=1, state=state, step=step, stability=stability, difficulty=difficulty, due=_ANCHOR,
                last_review=last_review)
    return tuple(
        (rating, plain.review_card(card, Rating(rating), review_datetime=_ANCHOR)[0].due - _ANCHOR)
        for rating in RATING_NAMES
    )


# (below this many seconds, unit size in seconds, suffix, decimals): the first unit whose rounded value stays below
# its limit wins, so 59m50s reads "1h" rather than "60m".
_INTERVAL_UNITS = (
    (60, 1, "s", 0),
    (3600, 60, "m", 0),
    (86400, 3600, "h", 0),
    (30 * 86400, 86400, "d", 0),
    (365 * 86400, 30 * 86400, "mo", 1),
    (float("inf"), 365 * 86400, "y", 1),
)


@lru_cache(maxsize=1024)  # the same few intervals label every Reveal's buttons
def format_interval(delta: timedelta) -> str:
    """Anki-style short interval: 45s, 10m, 3h, 2d, 1.5mo, 1.4y."""
    seconds = max(0.0, delta.total_seconds())
    for limit, size, suffix, decimals in _INTERVAL_UNITS:
        value = round(seconds / size, decimals)
        if value * size < limit:
            break
    text = f"{value:.{decimals}f}".removesuffix(".0")
    return f"{text}{suffix}"


def rating_for_share(hit: int, total: int, *, hint_used: bool = False) -> int:
    """A graded answer as a rating: all → Good, at least half → Hard, fewer → Again; a hint caps it at Hard."""
    if total <= 0 or hit * 2 < total:
        return 1
    rating = 3 if hit == total else 2
    return min(rating, 2) if hint_used else rating


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the scheduler")
    return moment.astimezone(timezone.utc)
