"""Streak reminders: when a member's daily reminder is sent, and what it says. Pure rules, no discord, no SQL.

- A reminder is sent once a day at the member's local time (HH:MM, default 19:00) in their zone for the server it is
  tied to. The next time is always the first one strictly after the moment it is worked out, so a claimed reminder
  moves to the next day and one past its time (after downtime) to its next occurrence.
- A reminder whose time passed more than LATE_LIMIT ago is skipped, never sent late.
- It says how many cards are due per deck and, when the streak is at risk (a streak > 0 whose today is not counted
  yet), how long is left until the local day ends. Nothing due and the streak safe: no reminder.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Iterable

from bot.core.streaks import StreakState, local_day, view
from bot.core.study_queue import day_bounds

DEFAULT_TIME = time(19, 0)
LATE_LIMIT = timedelta(hours=1)

_HH_MM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)", re.ASCII)


def parse_local_time(text: str) -> time:
    """'HH:MM' (24-hour, '7:05' too) as a time; ValueError otherwise."""
    match = _HH_MM.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a time of day as HH:MM: {text[:20]!r}")
    return time(int(match.group(1)), int(match.group(2)))


def time_text(moment: time) -> str:
    """The stored and shown form, 'HH:MM'."""
    return moment.strftime("%H:%M")


def _on(day: date, moment: time, tz: tzinfo) -> datetime:
    # A time in a spring-forward gap reads with the offset before the change (zoneinfo's fold=0): 02:30 becomes
    # 03:30 that day; a time repeated by a fall-back is its first occurrence. Either way one moment a day.
    return datetime.combine(day, moment, tzinfo=tz).astimezone(timezone.utc)


def next_send_at(moment: time, tz: tzinfo, after: datetime) -> datetime:
    """The first moment strictly after `after` when the clock in `tz` shows `moment` (aware UTC)."""
    day = after.astimezone(tz).date()
    candidate = _on(day, moment, tz)
    while candidate <= after:
        day += timedelta(days=1)
        candidate = _on(day, moment, tz)
    return candidate


def first_send_at(moment: time, tz: tzinfo, now: datetime, last_sent: datetime | None) -> datetime:
    """When a reminder switched on (or moved) at `now` is first sent: its next time, or the day after when that
    falls on the local day a reminder was already sent (one a day, however often it is switched on)."""
    candidate = next_send_at(moment, tz, now)
    if last_sent is not None and local_day(last_sent, tz) == local_day(candidate, tz):
        candidate = next_send_at(moment, tz, candidate)
    return candidate


def too_late(due_at: datetime, now: datetime) -> bool:
    """Whether a reminder due at `due_at` is skipped rather than sent at `now` (more than LATE_LIMIT late)."""
    return now - due_at > LATE_LIMIT


@dataclass(frozen=True, slots=True)
class DeckDue:
    title: str
    count: int


@dataclass(frozen=True, slots=True)
class StreakRisk:
    """A streak that ends with the local day unless `needed` more activities happen in the `left` time."""

    days: int
    left: timedelta
    needed: int


@dataclass(frozen=True, slots=True)
class ReminderContent:
    decks: tuple[DeckDue, ...]
    risk: StreakRisk | None


def streak_risk(state: StreakState | None, tz: tzinfo, minimum: int, now: datetime) -> StreakRisk | None:
    """The member's streak at risk today: alive, above zero, and today not counted yet; else None."""
    if state is None:
        return None
    today = local_day(now, tz)
    seen = view(state, today)
    if seen.current == 0 or seen.counted_today:
        return None
    done_today = state.pending_count if state.pending_day == today else 0
    _start, end = day_bounds(now, tz)
    return StreakRisk(seen.current, end - now, max(max(minimum, 1) - done_today, 1))


def reminder_content(decks: Iterable[DeckDue], risk: StreakRisk | None) -> ReminderContent | None:
    """What the reminder says (decks with cards due, most first); None when there is nothing to remind of."""
    due = tuple(sorted((d for d in decks if d.count > 0), key=lambda d: (-d.count, d.title)))
    if not due and risk is None:
        return None
    return ReminderContent(due, risk)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def time_left_text(left: timedelta) -> str:
    """Whole hours, or minutes under two hours (rounded down: never promise more time than is left)."""
    minutes = max(int(left.total_seconds() // 60), 0)
    if minutes >= 120:
        return _plural(minutes // 60, "hour")
    return _plural(max(minutes, 1), "minute")


def reminder_lines(content: ReminderContent) -> list[str]:
    """The reminder's lines: "12 cards due in <deck>", then "your 9-day streak ends in 3 hours; one review keeps it"."""
    lines = [f"{_plural(d.count, 'card')} due in {d.title}" for d in content.decks]
    risk = content.risk
    if risk is not None:
        keeps = "one review keeps it" if risk.needed == 1 else f"{risk.needed} reviews keep it"
        lines.append(f"your {risk.days}-day streak ends in {time_left_text(risk.left)}; {keeps}")
    return lines
