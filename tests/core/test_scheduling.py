"""Scheduling through fsrs with fixed times and fuzzing off."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from fsrs import State

from bot.core.scheduling import (
    RATING_NAMES,
    format_interval,
    load_card,
    new_card,
    preview_intervals,
    rating_for_share,
    review,
)

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)


def good_streak(count: int, retention: float = 0.9) -> list[timedelta]:
    """Intervals after `count` Good answers, each given exactly when the card falls due."""
    card, at, intervals = new_card(T0), T0, []
    for _ in range(count):
        card, _log = review(card, 3, at, desired_retention=retention, fuzz=False)
        intervals.append(card.due - at)
        at = card.due
    return intervals


def test_good_answers_follow_the_fsrs6_ladder():
    days = [round(i.total_seconds() / 86400) for i in good_streak(7)[1:]]
    assert good_streak(1)[0] == timedelta(minutes=10)
    assert days == [2, 11, 46, 163, 498, 1348]


def test_intervals_grow_with_every_good_answer():
    intervals = good_streak(8)
    assert all(later > earlier for earlier, later in zip(intervals, intervals[1:]))


def test_higher_retention_brings_cards_back_sooner():
    assert good_streak(4, retention=0.95)[-1] < good_streak(4, retention=0.9)[-1]


def test_new_card_is_due_at_once_in_learning():
    card = new_card(T0)
    assert card.due == T0
    assert card.state == State.Learning


@pytest.mark.parametrize("rating, expected", [(1, timedelta(minutes=1)), (2, timedelta(minutes=5, seconds=30)),
                                              (3, timedelta(minutes=10))])
def test_first_answer_uses_learning_steps(rating, expected):
    card, _ = review(new_card(T0), rating, T0, fuzz=False)
    assert card.due - T0 == expected
    assert card.state == State.Learning


def test_easy_on_a_new_card_graduates_it():
    card, _ = review(new_card(T0), 4, T0, fuzz=False)
    assert card.state == State.Review
    assert card.due - T0 >= timedelta(days=1)


def test_again_on_a_review_card_relearns_and_comes_back_in_minutes():
    card, at = new_card(T0), T0
    for _ in range(3):
        card, _ = review(card, 3, at, fuzz=False)
        at = card.due
    lapsed, _ = review(card, 1, at, fuzz=False)
    assert lapsed.state == State.Relearning
    assert lapsed.due - at == timedelta(minutes=10)


def test_review_does_not_change_the_card_it_was_given():
    card = new_card(T0)
    review(card, 3, T0, fuzz=False)
    assert card.due == T0 and card.state == State.Learning


def test_state_survives_json_round_trip():
    card, _ = review(new_card(T0), 3, T0, fuzz=False)
    again = load_card(card.to_json(), T0)
    assert (again.due, again.state, again.step, again.stability) == (card.due, card.state, card.step, card.stability)
    assert load_card(None, T0).due == T0


def test_preview_matches_what_review_does():
    card, _ = review(new_card(T0), 3, T0, fuzz=False)
    at = card.due
    previews = preview_intervals(card, at)
    assert set(previews) == set(RATING_NAMES)
    for rating, delta in previews.items():
        reviewed, _ = review(card, rating, at, fuzz=False)
        assert reviewed.due - at == delta
    assert previews[1] < previews[2] < previews[3] < previews[4]


def test_without_fuzz_the_global_random_does_not_matter():
    card, at = new_card(T0), T0
    for _ in range(2):
        card, _ = review(card, 3, at, fuzz=False)
        at = card.due
    outcomes = set()
    for seed in range(5):
        random.seed(seed)
        outcomes.add(review(card, 3, at, fuzz=False)[0].due)
    assert len(outcomes) == 1


def test_naive_times_and_bad_ratings_are_refused():
    with pytest.raises(ValueError):
        review(new_card(T0), 3, datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        review(new_card(T0), 5, T0)


def test_other_timezones_are_converted_to_utc():
    plus_two = timezone(timedelta(hours=2))
    card, _ = review(new_card(T0), 3, T0.astimezone(plus_two), fuzz=False)
    assert card.due == T0 + timedelta(minutes=10)


@pytest.mark.parametrize(
    "delta, text",
    [
        (timedelta(seconds=-5), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=10), "10m"),
        (timedelta(minutes=59, seconds=50), "1h"),
        (timedelta(hours=3), "3h"),
        (timedelta(hours=23, minutes=50), "1d"),
        (timedelta(days=2), "2d"),
        (timedelta(days=29, hours=23), "1mo"),
        (timedelta(days=46), "1.5mo"),
        (timedelta(days=163), "5.4mo"),
        (timedelta(days=364, hours=23), "1y"),
        (timedelta(days=498), "1.4y"),
        (timedelta(days=730), "2y"),
    ],
)
def test_format_interval(delta, text):
    assert format_interval(delta) == text


@pytest.mark.parametrize(
    "hit, total, hint, rating",
    [
        (4, 4, False, 3), (4, 4, True, 2), (2, 4, False, 2), (3, 4, True, 2),
        (1, 4, False, 1), (1, 4, True, 1), (0, 0, False, 1), (0, 3, False, 1), (1, 2, False, 2),
    ],
)
def test_rating_for_share(hit, total, hint, rating):
    assert rating_for_share(hit, total, hint_used=hint) == rating
