"""Time in one shape everywhere: aware UTC datetimes, stored as fixed-width ISO text so text order is time order."""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Recall stores aware UTC times only")
    # isoformat writes the same text as strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"), in half the time.
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def from_text(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)
