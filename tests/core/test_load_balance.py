"""Anki's fuzz and load balancer in scheduling: the fuzz range at a few intervals, repeatable draws under a seed, the
emptiest day chosen up to 90 days and not beyond, and a fitted parameter set scheduling differently from the defaults.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from fsrs import State

from bot.core import scheduling
from bot.core.memory import DEFAULT_PARAMETERS, checked_parameters
from bot.core.scheduling import LOAD_BALANCE_DAYS, fuzz_range, fuzzed_days

T0 = datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc)
TODAY = T0.date()
SEEDS = range(40)


def _good_answers(count: int, **kwargs) -> scheduling.Card:
    """A card answered Good `count` times, each when it came due."""
    card, now = scheduling.new_card(T0), T0
    for _ in range(count):
        card, _log = scheduling.review(card, 3, now, **kwargs)
        now = card.due
    return card


def _busy_except(*empty: int, today: date = TODAY, full: int = 50):
    """A load where every day is full but the given offsets from `today`; records the days asked about."""
    asked: list[date] = []

    def busy(day: date) -> int:
        asked.append(day)
        return 0 if (day - today).days in empty else full

    busy.asked = asked  # type: ignore[attr-defined]
    return busy


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        # Anki: none under 2.5 days, else ±(1 + 15% of days 2.5-7 + 10% of days 7-20 + 5% beyond), rounded.
        (1, (1, 1)),
        (2, (2, 2)),
        (3, (2, 4)),  # ±1.075
        (10, (8, 12)),  # ±1.975
        (30, (27, 33)),  # ±3.475
        (100, (93, 107)),  # ±6.975
    ],
)
def test_fuzz_range_follows_ankis_rule(interval: int, expected: tuple[int, int]):
    assert fuzz_range(interval) == expected


def test_fuzz_never_goes_past_the_maximum_interval():
    assert fuzz_range(36_500)[1] == 36_500


def test_the_same_seed_gives_the_same_due_and_other_seeds_spread_it():
    dues = {}
    for seed in SEEDS:
        random.seed(seed)
        dues[seed] = _good_answers(4).due
        random.seed(seed)
        assert _good_answers(4).due == dues[seed]
    assert len(set(dues.values())) > 1


def test_short_intervals_are_not_fuzzed():
    assert {fuzzed_days(2, TODAY) for _ in SEEDS} == {2}


def test_without_a_load_every_day_of_the_range_can_be_drawn():
    random.seed(5)
    assert {fuzzed_days(30, TODAY) for _ in range(400)} == set(range(27, 34))


def test_the_load_balancer_picks_the_one_empty_day():
    for seed in SEEDS:
        random.seed(seed)
        assert fuzzed_days(30, TODAY, _busy_except(31)) == 31


def test_ties_between_the_emptiest_days_are_drawn_at_random():
    random.seed(3)
    assert {fuzzed_days(30, TODAY, _busy_except(28, 32)) for _ in range(100)} == {28, 32}


def test_the_load_balancer_reaches_ninety_days_and_no_further():
    high = fuzz_range(LOAD_BALANCE_DAYS)[1]
    assert {fuzzed_days(LOAD_BALANCE_DAYS, TODAY, _busy_except(high)) for _ in SEEDS} == {high}

    beyond = _busy_except(100)
    random.seed(9)
    drawn = {fuzzed_days(100, TODAY, beyond) for _ in range(200)}
    assert len(drawn) > 1 and drawn <= set(range(93, 108))
    assert beyond.asked == []  # beyond 90 days the load is not even read


def test_review_places_a_card_on_the_empty_day():
    card = _good_answers(2, fuzz=False)  # in Review state now, due in a few days
    plain, _log = scheduling.review(card, 3, card.due, fuzz=False)
    interval = (plain.due - card.due).days
    low, high = fuzz_range(interval)
    assert plain.state == State.Review and low < high
    for seed in SEEDS:
        random.seed(seed)
        rated, _log = scheduling.review(card, 3, card.due, busy=_busy_except(low, today=card.due.date()))
        assert rated.due == card.due + timedelta(days=low)


def test_a_fitted_set_schedules_the_same_history_differently():
    fitted = list(DEFAULT_PARAMETERS)
    fitted[0:4] = [0.1, 0.3, 0.6, 2.0]
    fitted[8] = 0.9
    fitted[20] = 0.5
    fitted = checked_parameters(fitted)
    default_card = _good_answers(4, fuzz=False)
    fitted_card = _good_answers(4, fuzz=False, parameters=fitted)
    assert fitted_card.stability < default_card.stability
    assert fitted_card.due < default_card.due
    assert scheduling.retrievability(default_card, T0 + timedelta(days=60), parameters=fitted) != pytest.approx(
        scheduling.retrievability(default_card, T0 + timedelta(days=60)))
