"""A thing that happens once a day at a local time of day (a member's reminder, a server's daily challenge): the
next such moment in a zone, DST included, the first one after switching it on, and when it is too late to still
happen. Pure rules."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from bot.core.streaks import local_day

# Past its time by more than this (the bot was down), a day's run is skipped, never held late.
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
    """When a daily run switched on (or moved) at `now` first happens: its next time, or the day after when that
    falls on the local day one already happened (one a day, however often it is switched on)."""
    candidate = next_send_at(moment, tz, now)
    if last_sent is not None and local_day(last_sent, tz) == local_day(candidate, tz):
        candidate = next_send_at(moment, tz, candidate)
    return candidate


def too_late(due_at: datetime, now: datetime) -> bool:
    """Whether a run due at `due_at` is skipped rather than held at `now` (more than LATE_LIMIT late)."""
    return now - due_at > LATE_LIMIT
