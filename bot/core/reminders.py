"""Streak reminders: when a member's daily reminder is sent, and what it says. Pure rules, no discord, no SQL.

- A reminder is sent once a day at the member's local time (HH:MM, default 19:00) in their zone for the server it is
  tied to. The next time is always the first one strictly after the moment it is worked out, so a claimed reminder
  moves to the next day and one past its time (after downtime) to its next occurrence.
- A reminder whose time passed more than an hour ago is skipped, never sent late (bot.core.daily_time).
- It says how many cards are due per deck and, when the streak is at risk (a streak > 0 whose today is not counted
  yet), how long is left until the local day ends. Nothing due and the streak safe: no reminder.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Iterable

from bot.core.streaks import StreakState, local_day, view
from bot.core.study_queue import day_bounds
from bot.core.translation import _, ngettext, number

DEFAULT_TIME = time(19, 0)

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


def time_left_text(left: timedelta) -> str:
    """Whole hours, or minutes under two hours (rounded down: never promise more time than is left)."""
    minutes = max(int(left.total_seconds() // 60), 0)
    if minutes >= 120:
        return ngettext("{count} hour", "{count} hours", minutes // 60).format(count=minutes // 60)
    minutes = max(minutes, 1)
    return ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes)


def reminder_lines(content: ReminderContent) -> list[str]:
    """The reminder's lines: "12 cards due in <deck>", then "your 9-day streak ends in 3 hours; one review keeps it"."""
    lines = [ngettext("{count} card due in {deck}", "{count} cards due in {deck}", d.count)
             .format(count=number(d.count), deck=d.title) for d in content.decks]
    risk = content.risk
    if risk is not None:
        # Translators: the subject of the reminder's streak sentence ("your 9-day streak ends in 3 hours; ...").
        streak = ngettext("your {count}-day streak", "your {count}-day streak", risk.days).format(
            count=number(risk.days))
        left = time_left_text(risk.left)
        if risk.needed == 1:
            # Translators: {streak} is "your 9-day streak", {left} a time such as "3 hours".
            lines.append(_("{streak} ends in {left}; one review keeps it").format(streak=streak, left=left))
        else:
            # Translators: {count} (2 or more) reviews are still needed today to keep the streak.
            lines.append(ngettext("{streak} ends in {left}; {count} review keeps it",
                                  "{streak} ends in {left}; {count} reviews keep it", risk.needed)
                         .format(streak=streak, left=left, count=number(risk.needed)))
    return lines
