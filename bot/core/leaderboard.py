"""Leaderboard rules: boards, time windows in a timezone, the ranking order, month starts, and the result types.

- Windows start at local midnight in the server's timezone: today, this week (from Monday), this month, or all
  time; never before the admin's last board reset.
- Higher values rank first; a tie goes to whoever reached the value first (`reached_at`), then the lower user id
  so the order is total and stable across pages. bot.store.boards ranks in SQL in exactly this order.
- Accuracy ranks only members with at least `ACCURACY_MIN_ANSWERS` answers in the window.
- A current streak is alive on each member's local today while freezes cover the missed days (bot.core.streaks);
  a streak survives at most MAX_FREEZES + 1 days without a counted day.
- A server's months start at local midnight of the 1st; `month_starts` lists those instants so the store can file
  every logged row under its server-local month ('YYYY-MM') when it is written.

The rules run in bot.services.progress; the store gets what they decided as a `BoardWindow`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Iterable
from zoneinfo import ZoneInfo

from bot.core.streaks import MAX_FREEZES, today_in, zone

PAGE_SIZE = 10
ACCURACY_MIN_ANSWERS = 10
# Years whose month starts are kept per server: far more than any server's history and the next decades.
MONTH_STARTS_YEARS = (2000, 2100)


class Board(str, Enum):
    POINTS = "points"
    STREAK = "streak"
    REVIEWS = "reviews"
    ACCURACY = "accuracy"


class Period(str, Enum):
    TODAY = "today"
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class Entry:
    """One member's value on a board. `answers` is the number of quiz answers (accuracy's minimum)."""

    user_id: int
    value: float
    reached_at: datetime
    answers: int = 0
    correct: int = 0


@dataclass(frozen=True, slots=True)
class Ranked:
    rank: int
    entry: Entry


@dataclass(frozen=True, slots=True)
class BoardWindow:
    """What the rules decided about one board's window, for the store to query with.

    Counted boards (points, accuracy, reviews) use `since` (None: all time) and the server's last reset, and whether
    `since` is the start of a UTC month or of a month in the server's zone (only then can month totals hold exactly
    the window's rows). The streak board uses each stored zone's local today and the oldest last day still alive.
    """

    now: datetime
    since: datetime | None = None
    reset_at: datetime | None = None
    utc_month_start: bool = False
    local_month_start: bool = False
    today_by_zone: tuple[tuple[str, date], ...] = ()
    oldest_alive: date | None = None


@dataclass(frozen=True, slots=True)
class BoardPage:
    """One page of a ranked board, with the caller's own row wherever it is."""

    board: Board
    period: Period
    deck_id: str | None
    since: datetime | None
    page: int
    total: int
    rows: list[Ranked]
    viewer: Ranked | None


@dataclass(frozen=True, slots=True)
class BoardScreen:
    """What a leaderboard message shows: the page, the names of the members on it, whether the viewer hid their
    streak (so the line can say why they are not on the streak board), and when it was counted."""

    page: BoardPage
    names: dict[int, str] = field(default_factory=dict)
    viewer_hidden: bool = False
    now: datetime | None = None


def window_start(period: Period, now: datetime, tz: ZoneInfo, reset_at: datetime | None = None) -> datetime | None:
    """The UTC instant a window starts (None: from the beginning). Local midnight, so DST days work out."""
    local = now.astimezone(tz)
    midnight = datetime.combine(local.date(), datetime.min.time())
    if period is Period.TODAY:
        start_local = midnight
    elif period is Period.WEEK:
        start_local = midnight - timedelta(days=local.weekday())
    elif period is Period.MONTH:
        start_local = midnight.replace(day=1)
    else:
        start_local = None
    start = start_local.replace(tzinfo=tz).astimezone(timezone.utc) if start_local else None
    if reset_at is not None and (start is None or reset_at > start):
        return reset_at.astimezone(timezone.utc)
    return start


def counted_window(period: Period, now: datetime, tz: ZoneInfo, reset_at: datetime | None = None) -> BoardWindow:
    """The window of a counted board in the server's zone `tz`, from its last reset at the earliest."""
    since = window_start(period, now, tz, reset_at)
    if since is None:
        return BoardWindow(now, None, reset_at)
    return BoardWindow(now, since, reset_at, is_month_start(since, timezone.utc), is_month_start(since, tz))


def streak_window(zone_names: Iterable[str], now: datetime) -> BoardWindow:
    """The streak board's window: the local today of every zone streaks are stored in, and the oldest last counted
    day a streak can have and still be alive today anywhere (a day later than the latest zone's today at most)."""
    today = tuple((name, today_in(zone(name), now)) for name in zone_names)
    return BoardWindow(now, today_by_zone=today, oldest_alive=now.date() - timedelta(days=MAX_FREEZES + 2))


def month_start(year: int, month: int, tz: ZoneInfo) -> datetime:
    """The UTC instant local midnight of the 1st begins: the same instant `window_start` gives for that month."""
    return datetime(year, month, 1, tzinfo=tz).astimezone(timezone.utc)


def month_label(year: int, month: int) -> str:
    """A month's key: 'YYYY-MM', in the same text the stored times begin with, so keys sort like months."""
    return f"{year:04d}-{month:02d}"


def is_month_start(moment: datetime, tz: ZoneInfo) -> bool:
    local = moment.astimezone(tz)
    return month_start(local.year, local.month, tz) == moment


def month_starts(tz: ZoneInfo, years: tuple[int, int] = MONTH_STARTS_YEARS) -> list[tuple[datetime, str]]:
    """(UTC start, 'YYYY-MM') of every local month from January of the first year to December of the last, in order."""
    first, last = years
    return [
        (month_start(year, month, tz), month_label(year, month))
        for year in range(first, last + 1)
        for month in range(1, 13)
    ]
