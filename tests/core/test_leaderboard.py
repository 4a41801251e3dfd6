"""Leaderboard windows (in a timezone, across DST, from a reset), month starts, and ranking tie-breaks."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import leaderboard as lb
from bot.core.clock import to_text
from bot.core.leaderboard import Board, Entry, Period
from bot.core.streaks import zone

UTC = timezone.utc
T0 = datetime(2025, 6, 1, tzinfo=UTC)


def entry(user: int, value: float, minutes: int = 0, answers: int = 0, correct: int = 0) -> Entry:
    return Entry(user, value, T0 + timedelta(minutes=minutes), answers, correct)


def test_today_starts_at_local_midnight() -> None:
    now = datetime(2025, 6, 11, 3, 30, tzinfo=UTC)  # 12:30 in Tokyo, 23:30 yesterday in New York
    assert lb.window_start(Period.TODAY, now, zone("Asia/Tokyo")) == datetime(2025, 6, 10, 15, tzinfo=UTC)
    assert lb.window_start(Period.TODAY, now, zone("America/New_York")) == datetime(2025, 6, 10, 4, tzinfo=UTC)
    assert lb.window_start(Period.TODAY, now, zone("UTC")) == datetime(2025, 6, 11, tzinfo=UTC)


def test_week_starts_monday_and_month_on_the_first() -> None:
    now = datetime(2025, 6, 11, 12, tzinfo=UTC)  # a Wednesday
    assert lb.window_start(Period.WEEK, now, zone("UTC")) == datetime(2025, 6, 9, tzinfo=UTC)
    assert lb.window_start(Period.MONTH, now, zone("UTC")) == datetime(2025, 6, 1, tzinfo=UTC)
    assert lb.window_start(Period.ALL, now, zone("UTC")) is None


def test_week_across_a_dst_change_uses_the_old_offset_for_monday() -> None:
    now = datetime(2025, 3, 12, 12, tzinfo=UTC)  # Wednesday after New York's spring-forward (Sunday 9th)
    # Monday 10 March 00:00 EDT (UTC-4)
    assert lb.window_start(Period.WEEK, now, zone("America/New_York")) == datetime(2025, 3, 10, 4, tzinfo=UTC)
    sunday = datetime(2025, 3, 9, 12, tzinfo=UTC)
    # Monday 3 March 00:00 EST (UTC-5)
    assert lb.window_start(Period.WEEK, sunday, zone("America/New_York")) == datetime(2025, 3, 3, 5, tzinfo=UTC)


def test_reset_moves_the_start_forward_only() -> None:
    now = datetime(2025, 6, 11, 12, tzinfo=UTC)
    reset = datetime(2025, 6, 10, 8, tzinfo=UTC)
    assert lb.window_start(Period.WEEK, now, zone("UTC"), reset) == reset
    assert lb.window_start(Period.ALL, now, zone("UTC"), reset) == reset
    assert lb.window_start(Period.TODAY, now, zone("UTC"), reset) == datetime(2025, 6, 11, tzinfo=UTC)


def test_higher_value_first_then_who_reached_it_first() -> None:
    ranked = lb.rank([entry(1, 100, 30), entry(2, 300, 50), entry(3, 100, 10), entry(4, 50, 0)], Board.POINTS)
    assert [(r.rank, r.entry.user_id) for r in ranked] == [(1, 2), (2, 3), (3, 1), (4, 4)]


def test_same_value_same_moment_falls_back_to_user_id_for_a_stable_order() -> None:
    ranked = lb.rank([entry(9, 10, 5), entry(4, 10, 5)], Board.REVIEWS)
    assert [r.entry.user_id for r in ranked] == [4, 9]


def test_accuracy_needs_ten_answers() -> None:
    entries = [entry(1, 1.0, 0, answers=9, correct=9), entry(2, 0.5, 0, answers=10, correct=5)]
    ranked = lb.rank(entries, Board.ACCURACY)
    assert [r.entry.user_id for r in ranked] == [2]
    assert len(lb.rank(entries, Board.POINTS)) == 2


def test_paging_and_own_rank() -> None:
    ranked = lb.rank([entry(u, 1000 - u, 0) for u in range(1, 24)], Board.POINTS)
    assert lb.page_count(len(ranked)) == 3
    assert [r.rank for r in lb.page_of(ranked, 1)] == list(range(11, 21))
    assert [r.rank for r in lb.page_of(ranked, 2)] == [21, 22, 23]
    assert lb.page_of(ranked, 7) == lb.page_of(ranked, 2)  # clamped when the board shrank
    assert lb.find(ranked, 17).rank == 17
    assert lb.find(ranked, 99) is None
    assert lb.page_count(0) == 1


def test_medals_and_values() -> None:
    assert [lb.rank_label(i) for i in (1, 2, 3, 4)] == ["🥇", "🥈", "🥉", "**4.**"]
    assert lb.format_value(Board.POINTS, entry(1, 1250)) == "1,250 pts"
    assert lb.format_value(Board.STREAK, entry(1, 1)) == "1 day"
    assert lb.format_value(Board.ACCURACY, entry(1, 0.75, answers=12, correct=9)) == "75% (9/12)"


def test_empty_boards_say_how_to_get_on() -> None:
    for board in Board:
        assert "/" in lb.empty_text(board)


# Month starts: where a server's months begin, so the store can file each logged row under its local month.

MONTH_ZONES = ("UTC", "Asia/Tokyo", "America/Los_Angeles", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu",
               "America/Havana", "America/Goose_Bay", "Asia/Gaza", "Pacific/Kiritimati")


def test_month_starts_are_local_midnight_of_the_first_in_utc() -> None:
    berlin = {label: start for start, label in lb.month_starts(zone("Europe/Berlin"))}
    assert berlin["2025-01"] == datetime(2024, 12, 31, 23, tzinfo=UTC)  # CET, UTC+1
    assert berlin["2025-04"] == datetime(2025, 3, 31, 22, tzinfo=UTC)  # CEST, UTC+2 since 30 March
    la = {label: start for start, label in lb.month_starts(zone("America/Los_Angeles"))}
    assert la["2025-06"] == datetime(2025, 6, 1, 7, tzinfo=UTC)
    assert la["2025-12"] == datetime(2025, 12, 1, 8, tzinfo=UTC)
    utc = lb.month_starts(zone("UTC"))
    assert utc[0] == (datetime(2000, 1, 1, tzinfo=UTC), "2000-01")
    assert utc[-1] == (datetime(2100, 12, 1, tzinfo=UTC), "2100-12")
    assert len(utc) == 101 * 12


def test_a_midnight_that_does_not_exist_starts_the_month_when_the_clocks_jump() -> None:
    # Havana skipped 00:00-01:00 on 1 April 2012 (UTC-5 to UTC-4): the month starts at the jump, 05:00 UTC.
    havana = {label: start for start, label in lb.month_starts(zone("America/Havana"))}
    assert havana["2012-04"] == datetime(2012, 4, 1, 5, tzinfo=UTC)
    assert lb.window_start(Period.MONTH, datetime(2012, 4, 10, tzinfo=UTC), zone("America/Havana")) == havana["2012-04"]


def test_only_local_month_starts_are_month_starts() -> None:
    tokyo = zone("Asia/Tokyo")
    assert lb.is_month_start(datetime(2025, 5, 31, 15, tzinfo=UTC), tokyo)
    assert not lb.is_month_start(datetime(2025, 6, 1, tzinfo=UTC), tokyo)  # 09:00 in Tokyo
    assert lb.is_month_start(datetime(2025, 6, 1, tzinfo=UTC), zone("UTC"))
    assert not lb.is_month_start(datetime(2025, 6, 2, tzinfo=UTC), zone("UTC"))
    assert not lb.is_month_start(datetime(2025, 6, 1, 0, 0, 0, 1, tzinfo=UTC), zone("UTC"))


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2100, 12, 30)), st.sampled_from(MONTH_ZONES))
def test_the_month_window_starts_at_a_listed_month_start_with_the_local_month_as_label(
    moment: datetime, name: str
) -> None:
    now = moment.replace(tzinfo=UTC)
    tz = zone(name)
    starts = dict(lb.month_starts(tz))
    start = lb.window_start(Period.MONTH, now, tz)
    local = now.astimezone(tz)
    assert start in starts and starts[start] == f"{local.year:04d}-{local.month:02d}"
    assert start <= now and lb.is_month_start(start, tz)


@pytest.mark.parametrize("name", MONTH_ZONES)
def test_month_starts_are_in_order_and_their_text_sorts_like_time(name: str) -> None:
    starts = lb.month_starts(zone(name))
    texts = [to_text(start) for start, _ in starts]
    labels = [label for _, label in starts]
    assert [s for s, _ in starts] == sorted({s for s, _ in starts})  # strictly increasing instants
    assert texts == sorted(texts) and labels == sorted(labels) and len(set(labels)) == len(labels)
    # The logs' fixed-width text: a row exactly at a start compares equal, a microsecond either side falls either side.
    for start, _ in starts[::37]:
        assert to_text(start - timedelta(microseconds=1)) < to_text(start) < to_text(start + timedelta(microseconds=1))
        assert len(to_text(start)) == len("2025-06-01T00:00:00.000000+00:00")
