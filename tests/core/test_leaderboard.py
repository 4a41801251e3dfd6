"""Leaderboard windows (in a timezone, across DST, from a reset) and ranking tie-breaks."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.core import leaderboard as lb
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
