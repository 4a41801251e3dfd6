"""Leaderboard windows (in a timezone, across DST, from a reset), month starts, and the ranking rule (as the oracle
the store's SQL ranking is checked against)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import leaderboard as lb
from bot.core.clock import to_text
from bot.core.leaderboard import Board, Entry, Period, Ranked
from bot.core.paging import clamp_page, page_count
from bot.core.streaks import MAX_FREEZES, zone

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


def rank(entries: list[Entry], board: Board) -> list[Ranked]:
    """The ranking rule written plainly, as the oracle the store's SQL ranking is checked against
    (tests/store/test_boards.py, test_board_months.py): best first; ties to who reached the value first, then the
    lower user id; accuracy only with ACCURACY_MIN_ANSWERS answers."""
    eligible = [e for e in entries if board is not Board.ACCURACY or e.answers >= lb.ACCURACY_MIN_ANSWERS]
    eligible.sort(key=lambda e: (-e.value, e.reached_at, e.user_id))
    return [Ranked(i + 1, e) for i, e in enumerate(eligible)]


def test_higher_value_first_then_who_reached_it_first() -> None:
    ranked = rank([entry(1, 100, 30), entry(2, 300, 50), entry(3, 100, 10), entry(4, 50, 0)], Board.POINTS)
    assert [(r.rank, r.entry.user_id) for r in ranked] == [(1, 2), (2, 3), (3, 1), (4, 4)]


def test_same_value_same_moment_falls_back_to_user_id_for_a_stable_order() -> None:
    ranked = rank([entry(9, 10, 5), entry(4, 10, 5)], Board.REVIEWS)
    assert [r.entry.user_id for r in ranked] == [4, 9]


def test_accuracy_needs_ten_answers() -> None:
    entries = [entry(1, 1.0, 0, answers=9, correct=9), entry(2, 0.5, 0, answers=10, correct=5)]
    ranked = rank(entries, Board.ACCURACY)
    assert [r.entry.user_id for r in ranked] == [2]
    assert len(rank(entries, Board.POINTS)) == 2


def test_boards_page_with_the_shared_paging_rule() -> None:
    assert [page_count(n, lb.PAGE_SIZE) for n in (0, 1, 10, 11, 23)] == [1, 1, 1, 2, 3]
    assert clamp_page(7, 23, lb.PAGE_SIZE) == 2 and clamp_page(-1, 23, lb.PAGE_SIZE) == 0


def test_a_counted_window_says_where_month_totals_can_serve_it() -> None:
    now = datetime(2025, 6, 11, 12, tzinfo=UTC)
    tokyo = zone("Asia/Tokyo")
    month = lb.counted_window(Period.MONTH, now, tokyo)
    assert month.since == datetime(2025, 5, 31, 15, tzinfo=UTC) and month.now == now
    assert (month.local_month_start, month.utc_month_start) == (True, False)
    utc_month = lb.counted_window(Period.MONTH, now, zone("UTC"))
    assert (utc_month.local_month_start, utc_month.utc_month_start) == (True, True)
    week = lb.counted_window(Period.WEEK, now, tokyo)
    assert (week.local_month_start, week.utc_month_start) == (False, False)
    reset = datetime(2025, 6, 5, 8, tzinfo=UTC)
    after_reset = lb.counted_window(Period.MONTH, now, tokyo, reset)
    assert (after_reset.since, after_reset.reset_at, after_reset.local_month_start) == (reset, reset, False)
    everything = lb.counted_window(Period.ALL, now, tokyo)
    assert (everything.since, everything.reset_at) == (None, None)


def test_the_streak_window_has_each_zones_today_and_the_oldest_day_still_alive() -> None:
    now = datetime(2025, 6, 11, 3, 30, tzinfo=UTC)  # 12:30 in Tokyo, 23:30 yesterday in New York
    window = lb.streak_window(["Asia/Tokyo", "America/New_York", "UTC"], now)
    assert dict(window.today_by_zone) == {
        "Asia/Tokyo": date(2025, 6, 11), "America/New_York": date(2025, 6, 10), "UTC": date(2025, 6, 11)
    }
    # A streak lasts MAX_FREEZES + 1 days without a counted day; a zone's today is at most a day after UTC's.
    assert window.oldest_alive == date(2025, 6, 11) - timedelta(days=MAX_FREEZES + 2)
    assert lb.streak_window([], now).today_by_zone == ()


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
