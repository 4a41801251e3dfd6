"""What /stats, /settings and /recall-admin show, as plain data (bot.services.progress makes it, bot.ui.progress
renders it), and the local-day bounds the store counts a member's activity between."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.streaks import StreakView, today_in

RETENTION_DAYS = 30  # the retention figure covers the reviews of the last 30 days
WEEK_DAYS = 7  # "7 days": today and the six before it


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The instant local midnight of `day` begins in `tz` (aware; the store keeps it as UTC text)."""
    return datetime.combine(day, datetime.min.time()).replace(tzinfo=tz)


@dataclass(frozen=True, slots=True)
class StatsBounds:
    """The instants a member's counts are split at, worked out in their zone."""

    now: datetime
    today: datetime  # local midnight that began today
    week: datetime  # local midnight six days before today
    tomorrow: datetime  # local midnight that ends today (cards due before it are due today)
    recent: datetime  # RETENTION_DAYS ago

    @classmethod
    def of(cls, now: datetime, tz: ZoneInfo) -> "StatsBounds":
        today = today_in(tz, now)
        return cls(
            now=now,
            today=day_start(today, tz),
            week=day_start(today - timedelta(days=WEEK_DAYS - 1), tz),
            tomorrow=day_start(today + timedelta(days=1), tz),
            recent=now - timedelta(days=RETENTION_DAYS),
        )


@dataclass(frozen=True, slots=True)
class StudyCounts:
    """A member's counts in one server, as the store reads them."""

    reviews_today: int
    reviews_week: int
    reviews_all: int
    retention_reviews: int  # reviews in the last RETENTION_DAYS days
    retention_kept: int  # of which not rated Again
    due_now: int
    due_today: int
    quiz_answers: int
    quiz_correct: int
    quiz_points: int
    explain_attempts: int
    explain_hit: float  # average concepts found per attempt
    explain_total: float  # average concepts asked per attempt

    @property
    def retention(self) -> float | None:
        return self.retention_kept / self.retention_reviews if self.retention_reviews else None

    @property
    def accuracy(self) -> float | None:
        return self.quiz_correct / self.quiz_answers if self.quiz_answers else None


@dataclass(frozen=True, slots=True)
class MemberStats:
    """What /stats shows of one member: the zone their days are counted in, their streak today, their counts, and
    the PNG heatmap of their activity (bot.core.heatmap)."""

    zone: str
    streak: StreakView
    counts: StudyCounts
    heatmap_png: bytes


@dataclass(frozen=True, slots=True)
class MemberZone:
    """A member's zone after /settings timezone: the one their days now count in, whether it is the server's
    (they chose none of their own), and their streak recounted in it."""

    zone: str
    server_default: bool
    streak: StreakView
    now: datetime


@dataclass(frozen=True, slots=True)
class ServerZone:
    """The server's zone after /recall-admin timezone, and how many members' streaks were recounted in it."""

    zone: str
    recounted: int
    now: datetime
