"""Spaced repetition through the fsrs package (FSRS-6): one review, interval previews for button labels.

Days between reviews are counted as Anki and FSRS's optimiser count them: day boundaries crossed (a day ends at
4 a.m., UTC), not whole 24-hour periods, which py-fsrs uses on its own. A card reviewed at 08:05 and again at 08:01 the
next morning is 1 day apart, not a same-day step; fitted parameters (bot.core.memory) are learnt on the same count.

Parameters: `None` schedules with FSRS-6's defaults, else a member's or server's fitted set (bot.core.memory checks
sets before they get here). Fuzz is Anki's: none under 2.5 days, then a range around the interval; within it, when the
caller says how many cards are already due each day (`busy`), the emptiest day wins for intervals up to 90 days (Anki's
load balancer), ties and longer intervals drawn with the global `random` (seed it for repeatable runs).
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

from fsrs import Card, Rating, ReviewLog, Scheduler, State

from bot.core.translation import N_, _, current_language, number

# The four answers to a flashcard, as their buttons read (marked for the catalog: `_()` them where shown).
RATING_NAMES: dict[int, str] = {
    # Translators: rating of a flashcard: the member did not remember it (it comes back soon)
    1: N_("Again"),
    # Translators: rating of a flashcard: remembered with difficulty
    2: N_("Hard"),
    # Translators: rating of a flashcard: remembered
    3: N_("Good"),
    # Translators: rating of a flashcard: remembered without effort
    4: N_("Easy"),
}
# The share of cards a member should still remember when they come due, unless an admin chose another.
DEFAULT_RETENTION = 0.9


# Anki's fuzz: (from, to, share of the days in between added to the range on either side), plus one day.
_FUZZ_RANGES = ((2.5, 7.0, 0.15), (7.0, 20.0, 0.10), (20.0, math.inf, 0.05))
LOAD_BALANCE_DAYS = 90
MAXIMUM_INTERVAL = 36_500

# A learner's day ends at 4 a.m. (Anki's default rollover): a late-night review belongs to the day before.
DAY_ROLLOVER = timedelta(hours=4)

Parameters = Sequence[float] | None
# How many of the member's cards are already due on a day (the load balancer's view).
Busy = Callable[[date], int]


@lru_cache(maxsize=4096)
def scheduler(desired_retention: float = DEFAULT_RETENTION, parameters: tuple[float, ...] | None = None) -> Scheduler:
    # One Scheduler per retention and parameter set: building one validates its parameters, which is wasted work per
    # review. Fuzz is applied by review() itself, so these never fuzz.
    if parameters is None:
        return Scheduler(desired_retention=desired_retention, enable_fuzzing=False)
    return Scheduler(parameters=parameters, desired_retention=desired_retention, enable_fuzzing=False)


def new_card(now: datetime) -> Card:
    # A fixed card_id avoids fsrs' 1 ms sleep to make a unique one; identity lives in our own keys.
    return Card(card_id=1, due=now)


def load_card(card_json: str | None, now: datetime) -> Card:
    return Card.from_json(card_json) if card_json else new_card(now)


def elapsed_days(earlier: datetime, later: datetime, zone: tzinfo = timezone.utc) -> int:
    """FSRS's delta_t between two reviews: the day boundaries crossed (see DAY_ROLLOVER) in `zone`."""
    return ((later.astimezone(zone) - DAY_ROLLOVER).date() - (earlier.astimezone(zone) - DAY_ROLLOVER).date()).days


def _on_calendar_days(card: Card, moment: datetime) -> Card:
    """`card` as py-fsrs should see it at `moment`: py-fsrs counts whole 24-hour periods since the last review, so the
    last review is moved to exactly the calendar days before `moment` (the reviewed card's last review is `moment`
    itself, so nothing of the move is stored)."""
    if card.last_review is None:
        return card
    days = elapsed_days(card.last_review, moment)
    if (moment - card.last_review).days == days:
        return card
    return replace(card, last_review=moment - timedelta(days=days))


def review(
    card: Card, rating: int, now: datetime, *, desired_retention: float = DEFAULT_RETENTION, fuzz: bool = True,
    parameters: Parameters = None, busy: Busy | None = None,
) -> tuple[Card, ReviewLog]:
    """Schedule `card` after a rating of 1..4 at `now` (aware UTC), fuzzed (and load-balanced when `busy` is given)."""
    if rating not in RATING_NAMES:
        raise ValueError(f"rating must be 1..4, got {rating!r}")
    moment = _utc(now)
    rated, log = scheduler(desired_retention, _key(parameters)).review_card(
        _on_calendar_days(card, moment), Rating(rating), review_datetime=moment
    )
    if fuzz and rated.state == State.Review:
        days = fuzzed_days((rated.due - moment).days, moment.date(), busy)
        rated.due = moment + timedelta(days=days)
    return rated, log


def fuzz_range(interval_days: int) -> tuple[int, int]:
    """The days a review interval may move to (Anki's fuzz); (n, n) under 2.5 days."""
    if interval_days < 2.5:
        return interval_days, interval_days
    delta = 1.0 + sum(share * max(min(float(interval_days), end) - start, 0.0) for start, end, share in _FUZZ_RANGES)
    high = min(round(interval_days + delta), MAXIMUM_INTERVAL)
    return min(max(2, round(interval_days - delta)), high), high


def fuzzed_days(interval_days: int, today: date, busy: Busy | None = None) -> int:
    """An interval inside its fuzz range: the day with the fewest cards already due when `busy` says (intervals up to
    90 days), drawn at random among the emptiest otherwise."""
    low, high = fuzz_range(interval_days)
    days = range(low, high + 1)
    if busy is not None and interval_days <= LOAD_BALANCE_DAYS:
        loads = {day: busy(today + timedelta(days=day)) for day in days}
        fewest = min(loads.values())
        days = [day for day in days if loads[day] == fewest]
    return days[int(random.random() * len(days))]


def preview_intervals(
    card: Card, now: datetime, *, desired_retention: float = DEFAULT_RETENTION, parameters: Parameters = None
) -> dict[int, timedelta]:
    """How long until the card comes back for each rating (no fuzz, so the label matches the typical outcome)."""
    moment = _utc(now)
    days = elapsed_days(card.last_review, moment) if card.last_review else None
    return dict(_intervals(card.state, card.step, card.stability, card.difficulty, days, desired_retention,
                           _key(parameters)))


def retrievability(card: Card, now: datetime, *, parameters: Parameters = None) -> float:
    """The chance the member recalls `card` at `now` by the model scheduling them (0 for a card never reviewed)."""
    moment = _utc(now)
    plain = scheduler(DEFAULT_RETENTION, _key(parameters))
    return float(plain.get_card_retrievability(_on_calendar_days(card, moment), moment))


def _key(parameters: Parameters) -> tuple[float, ...] | None:
    return tuple(parameters) if parameters is not None else None


_ANCHOR = datetime(2000, 1, 1, tzinfo=timezone.utc)


@lru_cache(maxsize=4096)
def _intervals(
    state: State, step: int | None, stability: float | None, difficulty: float | None, days: int | None,
    desired_retention: float, parameters: tuple[float, ...] | None,
) -> tuple[tuple[int, timedelta], ...]:
    # Without fuzz, fsrs decides the next interval from the card's state, step, stability and difficulty and the whole
    # days since its last review, nothing else; so the four reviews behind every Reveal are computed once per such
    # state (a new card's buttons always read the same) on a stand-in card reviewed at a fixed moment.
    plain = scheduler(desired_retention, parameters)
    last_review = _ANCHOR - timedelta(days=days) if days is not None else None
    card = Card(card_id=1, state=state, step=step, stability=stability, difficulty=difficulty, due=_ANCHOR,
                last_review=last_review)
    return tuple(
        (rating, plain.review_card(card, Rating(rating), review_datetime=_ANCHOR)[0].due - _ANCHOR)
        for rating in RATING_NAMES
    )


# (below this many seconds, unit size in seconds, short form, decimals): the first unit whose rounded value stays
# below its limit wins, so 59m50s reads "1h" rather than "60m".
_INTERVAL_UNITS = (
    # Translators: a short interval in seconds on a rating button ("45s"); keep it as short as the English
    (60, 1, N_("{value}s"), 0),
    # Translators: a short interval in minutes on a rating button ("10m"); keep it as short as the English
    (3600, 60, N_("{value}m"), 0),
    # Translators: a short interval in hours on a rating button ("3h"); keep it as short as the English
    (86400, 3600, N_("{value}h"), 0),
    # Translators: a short interval in days on a rating button ("2d"); keep it as short as the English
    (30 * 86400, 86400, N_("{value}d"), 0),
    # Translators: a short interval in months on a rating button ("1.5mo"); keep it as short as the English
    (365 * 86400, 30 * 86400, N_("{value}mo"), 1),
    # Translators: a short interval in years on a rating button ("1.4y"); keep it as short as the English
    (float("inf"), 365 * 86400, N_("{value}y"), 1),
)


def format_interval(delta: timedelta) -> str:
    """Anki-style short interval in the current language: 45s, 10m, 3h, 2d, 1.5mo, 1.4y."""
    return _interval_text(delta, current_language())


@lru_cache(maxsize=4096)  # the same few intervals label every Reveal's buttons, in each language
def _interval_text(delta: timedelta, language: str) -> str:
    # `language` is the current language (`_` and `number` read it): it is an argument only to key the cache.
    seconds = max(0.0, delta.total_seconds())
    for limit, size, form, decimals in _INTERVAL_UNITS:
        value = round(seconds / size, decimals)
        if value * size < limit:
            break
    return _(form).format(value=number(value, decimals))


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
