"""Leaderboard rules: boards, time windows in a timezone, ranking with tie-breaks, pages and medals.

- Windows start at local midnight in the server's timezone: today, this week (from Monday), this month, or all
  time; never before the admin's last board reset.
- Higher values rank first; a tie goes to whoever reached the value first (`reached_at`), then the lower user id
  so the order is total and stable across pages.
- Accuracy ranks only members with at least `ACCURACY_MIN_ANSWERS` answers in the window.
- A server's months start at local midnight of the 1st; `month_starts` lists those instants so the store can file
  every logged row under its server-local month ('YYYY-MM') when it is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from zoneinfo import ZoneInfo

PAGE_SIZE = 10
ACCURACY_MIN_ANSWERS = 10
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
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


BOARD_TITLES = {
    Board.POINTS: "Quiz points",
    Board.STREAK: "Current streaks",
    Board.REVIEWS: "Reviews",
    Board.ACCURACY: "Quiz accuracy",
}
PERIOD_TITLES = {Period.TODAY: "today", Period.WEEK: "this week", Period.MONTH: "this month", Period.ALL: "all time"}


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


def rank(entries: list[Entry], board: Board) -> list[Ranked]:
    """Order entries best first; ranks are 1, 2, 3… with ties broken by who reached the value first."""
    eligible = [e for e in entries if board is not Board.ACCURACY or e.answers >= ACCURACY_MIN_ANSWERS]
    eligible.sort(key=lambda e: (-e.value, e.reached_at, e.user_id))
    return [Ranked(i + 1, e) for i, e in enumerate(eligible)]


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def clamp_page(page: int, total: int) -> int:
    return min(max(page, 0), page_count(total) - 1)


def page_of(ranked: list[Ranked], page: int) -> list[Ranked]:
    page = clamp_page(page, len(ranked))
    return ranked[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]


def find(ranked: list[Ranked], user_id: int) -> Ranked | None:
    return next((r for r in ranked if r.entry.user_id == user_id), None)


def rank_label(rank_: int) -> str:
    return MEDALS.get(rank_, f"**{rank_}.**")


def format_value(board: Board, entry: Entry) -> str:
    if board is Board.POINTS:
        return f"{int(entry.value):,} pts"
    if board is Board.STREAK:
        days = int(entry.value)
        return f"{days} day" if days == 1 else f"{days} days"
    if board is Board.REVIEWS:
        count = int(entry.value)
        return f"{count:,} review" if count == 1 else f"{count:,} reviews"
    return f"{entry.value * 100:.0f}% ({entry.correct}/{entry.answers})"


def empty_text(board: Board, deck_id: str | None = None) -> str:
    """What an empty board says: how to get on it."""
    deck = f" `{deck_id}`" if deck_id else ""
    if board is Board.POINTS:
        return f"No quiz points yet. Play a round with `/quiz{' deck:' + deck_id if deck_id else ''}` to get on this board."
    if board is Board.STREAK:
        return "No streaks yet. Study with `/study`, play `/quiz` or answer `/explain` today to start one."
    if board is Board.REVIEWS:
        return f"No reviews yet. Rate some cards with `/study`{deck} to get on this board."
    return (
        f"Nobody has answered {ACCURACY_MIN_ANSWERS} quiz questions{deck} in this period yet. "
        "Play `/quiz` to get on this board."
    )
