"""Streak rules: counting days, freezes, timezones/DST, and incremental == recomputed from the log."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import streaks as s
from bot.core.streaks import StreakState, zone
from bot.ui.common import streak_line

UTC = timezone.utc


def at(day: date, hour: int = 12, minute: int = 0, tz: str = "UTC") -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone(tz)).astimezone(UTC)


def run(days: list[date], minimum: int = 1, tz: str = "UTC") -> tuple[StreakState, list[s.StreakUpdate]]:
    """Feed one activity at noon of each given day (in order) through the incremental rule."""
    state, updates = StreakState(), []
    for day in days:
        moment = at(day, tz=tz)
        update = s.apply_activity(state, s.local_day(moment, zone(tz)), moment, minimum)
        assert update is not None
        state = update.state
        updates.append(update)
    return state, updates


D = date(2025, 3, 3)  # a Monday


def consecutive(n: int, start: date = D) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


def test_first_day_starts_a_one_day_streak() -> None:
    state, (update,) = run([D])
    assert (state.current, state.best, state.freezes, state.last_day) == (1, 1, 0, D)
    assert streak_line(update) == "🔥 1-day streak"


def test_same_day_twice_counts_once_and_says_nothing_the_second_time() -> None:
    state, updates = run([D, D])
    assert state.current == 1
    assert state.pending_count == 2
    assert streak_line(updates[1]) is None


def test_consecutive_days_grow_the_streak() -> None:
    state, updates = run(consecutive(5))
    assert state.current == 5
    assert streak_line(updates[-1]) == "🔥 5-day streak"


def test_missed_day_without_freeze_breaks_the_streak() -> None:
    state, _ = run(consecutive(3) + [D + timedelta(days=4)])
    assert (state.current, state.best) == (1, 3)


def test_a_freeze_is_earned_on_the_seventh_day() -> None:
    state, updates = run(consecutive(7))
    assert state.freezes == 1
    assert updates[-1].freeze_earned
    assert "freeze earned (1/2 held)" in streak_line(updates[-1])
    assert run(consecutive(6))[0].freezes == 0


def test_a_missed_day_uses_a_freeze_instead_of_breaking() -> None:
    days = consecutive(7) + [D + timedelta(days=8)]  # day 8 (index 7) missed
    state, updates = run(days)
    assert (state.current, state.freezes) == (8, 0)
    assert updates[-1].freezes_used == 1
    assert streak_line(updates[-1]).startswith("🧊 a freeze saved your streak")
    assert "🔥 8-day streak" in streak_line(updates[-1])


def test_freezes_are_capped_at_two() -> None:
    state, _ = run(consecutive(21))
    assert state.freezes == 2
    assert state.current == 21


def test_two_missed_days_use_two_freezes_three_break() -> None:
    base = consecutive(14)
    bridged, _ = run(base + [D + timedelta(days=16)])
    assert (bridged.current, bridged.freezes) == (15, 0)
    broken, _ = run(base + [D + timedelta(days=17)])
    assert (broken.current, broken.freezes, broken.best) == (1, 0, 14)


def test_daily_minimum_counts_the_day_at_the_nth_activity() -> None:
    state, updates = run([D, D, D], minimum=3)
    assert [u.grew for u in updates] == [False, False, True]
    assert state.current == 1
    short, _ = run([D, D, D + timedelta(days=1)], minimum=3)
    assert short.current == 0


def test_view_keeps_streak_alive_until_a_day_is_really_missed() -> None:
    state, _ = run(consecutive(3))
    last = D + timedelta(days=2)
    assert s.view(state, last).current == 3 and s.view(state, last).counted_today
    tomorrow = s.view(state, last + timedelta(days=1))
    assert tomorrow.current == 3 and not tomorrow.counted_today
    assert s.view(state, last + timedelta(days=2)).current == 0
    assert s.view(state, last + timedelta(days=2)).best == 3


def test_view_spends_pending_freezes() -> None:
    state, _ = run(consecutive(14))
    last = D + timedelta(days=13)
    assert s.view(state, last + timedelta(days=3)) == s.StreakView(14, 14, 0, False)
    assert s.view(state, last + timedelta(days=2)).freezes == 1
    assert s.view(state, last + timedelta(days=4)).current == 0


def test_midnight_edges_count_in_the_members_zone() -> None:
    tz = zone("Europe/Berlin")
    before = datetime(2025, 3, 3, 22, 59, 59, tzinfo=UTC)  # 23:59:59 local
    after = datetime(2025, 3, 3, 23, 0, 0, tzinfo=UTC)  # 00:00 local on the 4th
    assert s.local_day(before, tz) == date(2025, 3, 3)
    assert s.local_day(after, tz) == date(2025, 3, 4)
    state = s.recompute([before, after], tz, 1)
    assert state.current == 2
    # The same two moments are one UTC day.
    assert s.recompute([before, after], zone("UTC"), 1).current == 1


def test_dst_days_are_still_single_days() -> None:
    tz = zone("America/New_York")
    # 2025-03-09 is 23 hours long, 2025-11-02 is 25 hours long in New York.
    short_day = [datetime(2025, 3, 9, 5, 0, tzinfo=UTC), datetime(2025, 3, 10, 3, 59, tzinfo=UTC)]
    assert {s.local_day(m, tz) for m in short_day} == {date(2025, 3, 9)}
    long_day = [datetime(2025, 11, 2, 4, 0, tzinfo=UTC), datetime(2025, 11, 3, 4, 59, tzinfo=UTC)]
    assert {s.local_day(m, tz) for m in long_day} == {date(2025, 11, 2)}
    days = [datetime(2025, 3, 8, 16, tzinfo=UTC), datetime(2025, 3, 9, 16, tzinfo=UTC), datetime(2025, 3, 10, 16, tzinfo=UTC)]
    assert s.recompute(days, tz, 1).current == 3


def test_timezone_change_recounts_the_history() -> None:
    # Late evenings in New York are the next morning in UTC: a UTC member studying at 02:00 UTC daily.
    moments = [datetime(2025, 3, d, 2, 0, tzinfo=UTC) for d in (3, 4, 5)]
    assert s.recompute(moments, zone("UTC"), 1).current == 3
    assert s.recompute(moments, zone("America/New_York"), 1).last_day == date(2025, 3, 4)


def test_zone_falls_back_to_utc_never_the_host() -> None:
    assert s.zone(None).key == "UTC"
    assert s.zone("Not/AZone").key == "UTC"
    assert s.effective_zone_name(None, "Asia/Tokyo") == "Asia/Tokyo"
    assert s.effective_zone_name("Europe/Paris", "Asia/Tokyo") == "Europe/Paris"
    assert s.effective_zone_name("bogus", None) == "UTC"


def test_out_of_order_activity_asks_for_a_recount() -> None:
    state, _ = run(consecutive(2))
    older = at(D, hour=1)
    assert s.apply_activity(state, D, older, 1) is None


# --- the property: incremental (as record_activity does it) == recomputed from the log --------------------------

ZONES = [
    "UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Kiritimati",
    "Pacific/Pago_Pago", "Asia/Kolkata", "America/Santiago", "Pacific/Apia",
]
# Around DST changes in both hemispheres, and Samoa skipping 30 December 2011.
ANCHORS = [
    datetime(2025, 3, 8, tzinfo=UTC), datetime(2025, 3, 29, tzinfo=UTC), datetime(2025, 10, 24, tzinfo=UTC),
    datetime(2025, 4, 4, tzinfo=UTC), datetime(2011, 12, 27, tzinfo=UTC),
]


@st.composite
def histories(draw: st.DrawFn) -> tuple[list, int]:
    """A list of steps: ("act", utc moment) or ("zone", new zone name); plus the daily minimum."""
    anchor = draw(st.sampled_from(ANCHORS))
    minimum = draw(st.integers(1, 3))
    offsets = draw(st.lists(st.integers(0, 40 * 24 * 60), min_size=1, max_size=60))
    offsets.sort()
    steps: list = [("zone", draw(st.sampled_from(ZONES)))]
    for offset in offsets:
        # Mostly in order; sometimes a few minutes earlier than the last one, as concurrent commits can be.
        jitter = draw(st.sampled_from([0, 0, 0, 0, -3]))
        steps.append(("act", anchor + timedelta(minutes=offset + jitter)))
        if draw(st.integers(0, 15)) == 0:
            steps.append(("zone", draw(st.sampled_from(ZONES))))
    return steps, minimum


def incremental(steps: list, minimum: int) -> tuple[StreakState, list[datetime], str]:
    """What the store does: fast path per activity, recount on a zone change or out-of-order activity."""
    state, log, zone_name = StreakState(), [], "UTC"
    for kind, value in steps:
        if kind == "zone":
            zone_name = value
            state = s.recompute(log, zone(zone_name), minimum)
            continue
        log.append(value)
        update = s.apply_activity(state, s.local_day(value, zone(zone_name)), value, minimum)
        state = update.state if update else s.recompute(log, zone(zone_name), minimum)
    return state, log, zone_name


@settings(max_examples=300, deadline=None)
@given(histories())
def test_incremental_streak_equals_recount_from_log(history: tuple[list, int]) -> None:
    steps, minimum = history
    state, log, zone_name = incremental(steps, minimum)
    expected = s.recompute(log, zone(zone_name), minimum)
    assert state == expected
    today = s.local_day(max(log), zone(zone_name))
    for later in range(4):
        assert s.view(state, today + timedelta(days=later)) == s.view(expected, today + timedelta(days=later))


def day_by_day(days: set[date]) -> tuple[int, int, int]:
    """An independent oracle: walk every calendar day, spending a freeze on each empty one."""
    current = best = freezes = 0
    day, last = min(days), max(days)
    while day <= last:
        if day in days:
            current += 1
            if current % 7 == 0:
                freezes = min(freezes + 1, 2)
        elif freezes:
            freezes -= 1
        else:
            current = 0
        best = max(best, current)
        day += timedelta(days=1)
    return current, best, freezes


@settings(max_examples=300, deadline=None)
@given(st.sets(st.integers(0, 80), min_size=1, max_size=70), st.sampled_from(ZONES))
def test_recount_matches_a_day_by_day_walk(offsets: set[int], zone_name: str) -> None:
    tz = zone(zone_name)
    days = {D + timedelta(days=o) for o in offsets}
    moments = [datetime(d.year, d.month, d.day, 12, tzinfo=tz).astimezone(UTC) for d in days]
    state = s.recompute(moments, tz, 1)
    assert (state.current, state.best, state.freezes) == day_by_day(days)


@pytest.mark.parametrize("n, freezes", [(6, 0), (7, 1), (13, 1), (14, 2), (28, 2)])
def test_freezes_held_after_n_days(n: int, freezes: int) -> None:
    assert run(consecutive(n))[0].freezes == freezes
