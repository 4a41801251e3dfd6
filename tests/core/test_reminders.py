"""Reminder rules: the next send time in the member's zone (DST included), skipping late ones, what a reminder says."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core.daily_time import first_send_at, next_send_at, parse_local_time, time_text, too_late
from bot.core.reminders import DeckDue, StreakRisk, reminder_content, reminder_lines, streak_risk, time_left_text
from bot.core.streaks import StreakState

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("text, expected", [("19:00", time(19, 0)), ("7:05", time(7, 5)), (" 23:59 ", time(23, 59)),
                                            ("00:00", time(0, 0))])
def test_times_are_read_as_hh_mm(text: str, expected: time) -> None:
    assert parse_local_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "19:60", "7pm", "19", "19:0", "", "１９:００"])
def test_other_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_local_time(text)


def test_time_text_is_fixed_width() -> None:
    assert time_text(time(7, 5)) == "07:05"


def test_next_send_is_today_before_the_time_and_tomorrow_from_it() -> None:
    assert next_send_at(time(19), BERLIN, utc(2026, 1, 10, 12)) == utc(2026, 1, 10, 18)
    assert next_send_at(time(19), BERLIN, utc(2026, 1, 10, 18)) == utc(2026, 1, 11, 18)  # claimed at its time
    assert next_send_at(time(19), BERLIN, utc(2026, 1, 10, 18, 30)) == utc(2026, 1, 11, 18)


def test_the_local_time_holds_across_a_dst_change() -> None:
    # Berlin moves to summer time on 2026-03-29: 19:00 is 18:00 UTC before and 17:00 UTC after.
    assert next_send_at(time(19), BERLIN, utc(2026, 3, 28, 18)) == utc(2026, 3, 29, 17)
    # And back on 2026-10-25.
    assert next_send_at(time(19), BERLIN, utc(2026, 10, 24, 17)) == utc(2026, 10, 25, 18)


def test_a_time_in_the_spring_gap_is_sent_once_that_day() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29; it is read as 03:30 summer time (01:30 UTC).
    first = next_send_at(time(2, 30), BERLIN, utc(2026, 3, 28, 12))
    assert first == utc(2026, 3, 29, 1, 30)
    assert next_send_at(time(2, 30), BERLIN, first) == utc(2026, 3, 30, 0, 30)


def test_a_time_repeated_by_the_fall_back_is_sent_once() -> None:
    first = next_send_at(time(2, 30), BERLIN, utc(2026, 10, 24, 12))
    assert first == utc(2026, 10, 25, 0, 30)  # the first 02:30 (summer time)
    assert next_send_at(time(2, 30), BERLIN, first) == utc(2026, 10, 26, 1, 30)


def test_switching_on_again_after_todays_reminder_waits_for_tomorrow() -> None:
    sent = utc(2026, 1, 10, 18)  # 19:00 Berlin
    assert first_send_at(time(21), BERLIN, utc(2026, 1, 10, 19), sent) == utc(2026, 1, 11, 20)
    assert first_send_at(time(21), BERLIN, utc(2026, 1, 10, 19), None) == utc(2026, 1, 10, 20)
    assert first_send_at(time(21), BERLIN, utc(2026, 1, 10, 19), utc(2026, 1, 9, 18)) == utc(2026, 1, 10, 20)


def test_a_reminder_more_than_an_hour_late_is_skipped() -> None:
    due = utc(2026, 1, 10, 18)
    assert not too_late(due, due)
    assert not too_late(due, due + timedelta(hours=1))
    assert too_late(due, due + timedelta(hours=1, seconds=1))


def test_nothing_due_and_streak_safe_means_no_reminder() -> None:
    assert reminder_content([DeckDue("Schedulers", 0)], None) is None
    assert reminder_content([], None) is None


def test_decks_with_cards_due_come_most_first() -> None:
    content = reminder_content([DeckDue("B", 3), DeckDue("A", 0), DeckDue("C", 12), DeckDue("D", 1)], None)
    assert content is not None
    assert reminder_lines(content) == ["12 cards due in C", "3 cards due in B", "1 card due in D"]


def test_the_streak_line_says_how_long_is_left() -> None:
    content = reminder_content([], StreakRisk(9, timedelta(hours=3, minutes=40), 1))
    assert content is not None
    assert reminder_lines(content) == ["your 9-day streak ends in 3 hours; one review keeps it"]
    two = reminder_content([DeckDue("A", 2)], StreakRisk(4, timedelta(minutes=90), 2))
    assert two is not None
    assert reminder_lines(two) == ["2 cards due in A", "your 4-day streak ends in 90 minutes; 2 reviews keep it"]


@pytest.mark.parametrize("left, text", [(timedelta(hours=5, minutes=59), "5 hours"), (timedelta(hours=2), "2 hours"),
                                        (timedelta(minutes=119), "119 minutes"), (timedelta(seconds=20), "1 minute")])
def test_time_left_is_rounded_down(left: timedelta, text: str) -> None:
    assert time_left_text(left) == text


def test_a_streak_is_at_risk_until_today_counts() -> None:
    now = utc(2026, 1, 10, 20)  # 21:00 in Berlin: 3 hours left of the local day
    yesterday = date(2026, 1, 9)
    state = StreakState(current=9, best=9, last_day=yesterday, pending_day=yesterday, pending_count=1)
    assert streak_risk(state, BERLIN, 1, now) == StreakRisk(9, timedelta(hours=3), 1)
    today = date(2026, 1, 10)
    counted = StreakState(current=10, best=10, last_day=today, pending_day=today, pending_count=1)
    assert streak_risk(counted, BERLIN, 1, now) is None


def test_a_partial_day_needs_only_the_rest_of_the_minimum() -> None:
    now = utc(2026, 1, 10, 20)
    state = StreakState(current=3, best=3, last_day=date(2026, 1, 9), pending_day=date(2026, 1, 10), pending_count=2)
    assert streak_risk(state, BERLIN, 5, now) == StreakRisk(3, timedelta(hours=3), 3)


def test_no_streak_or_a_broken_one_is_not_at_risk() -> None:
    now = utc(2026, 1, 10, 20)
    assert streak_risk(None, BERLIN, 1, now) is None
    assert streak_risk(StreakState(), BERLIN, 1, now) is None
    broken = StreakState(current=5, best=5, last_day=date(2026, 1, 1), pending_day=date(2026, 1, 1), pending_count=1)
    assert streak_risk(broken, BERLIN, 1, now) is None
