"""preview_intervals is cached by card state; it must always equal scheduling the rating (unfuzzed), and the days it
counts are calendar days, not py-fsrs's 24-hour periods."""
from datetime import datetime, timedelta, timezone

from fsrs import Rating
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.scheduling import RATING_NAMES, new_card, preview_intervals, review, scheduler

START = datetime(2025, 3, 1, 12, tzinfo=timezone.utc)


def direct(card, now, retention):
    return {r: review(card, r, now, desired_retention=retention, fuzz=False)[0].due - now for r in RATING_NAMES}


def test_a_review_the_next_morning_a_little_earlier_counts_as_a_day_later() -> None:
    # py-fsrs alone counts 23h56m as 0 days: a same-day step, with far less stability growth.
    card, _ = review(new_card(START), 3, START, fuzz=False)
    card, _ = review(card, 3, START + timedelta(minutes=10), fuzz=False)
    card, _ = review(card, 3, START + timedelta(days=2, minutes=10), fuzz=False)
    next_morning = card.last_review + timedelta(hours=23, minutes=56)
    ours = review(card, 3, next_morning, fuzz=False)[0]
    plain = scheduler(0.9).review_card(card, Rating(3), review_datetime=next_morning)[0]
    day_later = scheduler(0.9).review_card(card, Rating(3), review_datetime=card.last_review + timedelta(days=1))[0]
    assert ours.stability == day_later.stability != plain.stability
    assert preview_intervals(card, next_morning)[3] == ours.due - next_morning


@settings(max_examples=150, deadline=None)
@given(
    history=st.lists(
        st.tuples(st.integers(1, 4), st.integers(0, 60 * 24 * 400)),  # (rating, minutes after the previous review)
        max_size=8,
    ),
    wait=st.integers(0, 60 * 24 * 800),
    retention=st.sampled_from([0.8, 0.9, 0.95]),
)
def test_preview_equals_fsrs_for_any_history(history, wait, retention) -> None:
    now = START
    card = new_card(now)
    for rating, minutes in history:
        now += timedelta(minutes=minutes)
        card, _ = review(card, rating, now, desired_retention=retention, fuzz=False)
    now += timedelta(minutes=wait, seconds=17)
    assert preview_intervals(card, now, desired_retention=retention) == direct(card, now, retention)


def test_same_state_at_another_time_reuses_the_answer_only_when_it_is_the_same() -> None:
    card, _ = review(new_card(START), 3, START, fuzz=False)
    card, _ = review(card, 3, START + timedelta(minutes=10), fuzz=False)  # now in review, days matter
    soon, later = START + timedelta(days=2), START + timedelta(days=40)
    assert preview_intervals(card, soon) == direct(card, soon, 0.9)
    assert preview_intervals(card, later) == direct(card, later, 0.9)
    assert preview_intervals(card, soon) != preview_intervals(card, later)
