"""Daily streaks: which local day an activity falls on, and how days build a streak (with freezes).

Rules (Duolingo-like):
- A day counts when the member had at least `minimum` activities (study ratings, quiz answers, explain attempts)
  on that calendar day in their timezone: the member's own, else the server's, else UTC (never the host's zone).
- Each counted day right after the previous counted day adds one to the current streak.
- Every 7th day of a streak (7, 14, 21, …) earns a freeze; at most `MAX_FREEZES` are held.
- Each missed day between two counted days uses one freeze; when freezes run out the streak breaks and the next
  counted day starts again at 1. Freeze-covered days keep the streak alive but do not lengthen it.
- The best streak is the longest current streak ever reached.

The log is the truth: `recompute` derives the state from the activity times alone; `apply_activity` is the fast
incremental step used when one activity arrives. Both must always agree (a property test checks it).
The timezone of the whole history is the member's *current* effective one: when it (or the server's daily minimum)
changes, the stored streak is recomputed from the log, so stored and log-derived values never disagree.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FREEZE_EVERY = 7
MAX_FREEZES = 2
UTC = ZoneInfo("UTC")


def zone(name: str | None) -> ZoneInfo:
    """A ZoneInfo for an IANA name; UTC for None or a name this machine does not know."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def is_valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def effective_zone_name(member_zone: str | None, server_zone: str | None) -> str:
    """The zone a member's days are counted in: theirs, else the server's, else UTC."""
    for name in (member_zone, server_zone):
        if name and is_valid_zone(name):
            return name
    return "UTC"


def local_day(at: datetime, tz: ZoneInfo) -> date:
    if at.tzinfo is None:
        raise ValueError("naive datetime: activity times must be aware")
    return at.astimezone(tz).date()


@dataclass(frozen=True, slots=True)
class StreakState:
    """What is stored per member. `last_day` is the last counted day; `pending_*` track the latest active day."""

    current: int = 0
    best: int = 0
    freezes: int = 0
    last_day: date | None = None
    reached_at: datetime | None = None
    pending_day: date | None = None
    pending_count: int = 0
    last_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StreakUpdate:
    """The result of one activity: the new state and what changed, for the reply line."""

    state: StreakState
    grew: bool = False
    freezes_used: int = 0
    freeze_earned: bool = False


@dataclass(frozen=True, slots=True)
class StreakView:
    """The streak as seen on a given local day (missed days since the last counted day are taken into account)."""

    current: int
    best: int
    freezes: int
    counted_today: bool


def _count_day(state: StreakState, day: date, at: datetime) -> StreakUpdate:
    """A day reached the daily minimum: extend, bridge with freezes, or restart the streak."""
    freezes = state.freezes
    used = 0
    if state.last_day is None:
        current = 1
    else:
        missed = (day - state.last_day).days - 1
        if missed <= freezes:
            used = max(missed, 0)
            freezes -= used
            current = state.current + 1
        else:
            freezes = 0
            current = 1
    earned = current % FREEZE_EVERY == 0 and freezes < MAX_FREEZES
    if earned:
        freezes += 1
    new = replace(
        state, current=current, best=max(state.best, current), freezes=freezes, last_day=day, reached_at=at
    )
    return StreakUpdate(new, grew=True, freezes_used=used, freeze_earned=earned)


def apply_activity(state: StreakState, day: date, at: datetime, minimum: int) -> StreakUpdate | None:
    """Add one activity at `at` (local `day`). Returns None when it is older than the latest one seen: the caller
    recomputes from the log then (two transactions may commit in the other order than their clocks read)."""
    if (state.last_at is not None and at < state.last_at) or (state.pending_day is not None and day < state.pending_day):
        return None
    count = state.pending_count + 1 if day == state.pending_day else 1
    state = replace(state, pending_day=day, pending_count=count, last_at=at)
    if count == max(minimum, 1):
        return _count_day(state, day, at)
    return StreakUpdate(state)


def recompute(times: Iterable[datetime], tz: ZoneInfo, minimum: int) -> StreakState:
    """The streak state the activity log implies, counted day by day (independent of `apply_activity`)."""
    minimum = max(minimum, 1)
    ordered = sorted(times)
    per_day = Counter(local_day(at, tz) for at in ordered)
    if not per_day:
        return StreakState()
    # The moment a day counted is the `minimum`-th activity of that day.
    seen: Counter[date] = Counter()
    counted_at: dict[date, datetime] = {}
    for at in ordered:
        day = local_day(at, tz)
        seen[day] += 1
        if seen[day] == minimum:
            counted_at[day] = at
    state = StreakState()
    for day in sorted(counted_at):
        state = _count_day(state, day, counted_at[day]).state
    latest = max(per_day)
    return replace(state, pending_day=latest, pending_count=per_day[latest], last_at=ordered[-1])


def alive(last_day: date, freezes: int, today: date) -> bool:
    """A streak whose last counted day is `last_day` is still alive on `today` while freezes cover the missed days."""
    return (today - last_day).days - 1 <= freezes


def view(state: StreakState, today: date) -> StreakView:
    """The streak on `today`: alive while the days missed since the last counted day are covered by freezes."""
    if state.last_day is None:
        return StreakView(0, state.best, state.freezes, False)
    missed = (today - state.last_day).days - 1
    if missed <= 0:
        return StreakView(state.current, state.best, state.freezes, state.last_day >= today)
    if alive(state.last_day, state.freezes, today):
        return StreakView(state.current, state.best, state.freezes - missed, False)
    return StreakView(0, state.best, 0, False)


def today_in(tz: ZoneInfo, now: datetime | None = None) -> date:
    return local_day(now or datetime.now(timezone.utc), tz)


def window_days(today: date, count: int) -> list[date]:
    """The `count` local days ending with `today`, oldest first."""
    return [today - timedelta(days=offset) for offset in range(count - 1, -1, -1)]
