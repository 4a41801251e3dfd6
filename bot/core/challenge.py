"""The daily challenge's rules: what to do with a run the bot finds late, why it was turned off, and which
questions it asks (none repeats within the deck until all were asked).

Pure: times are aware UTC datetimes in and out; the server's zone is a tzinfo; questions are the deck's own.

- A challenge runs once per local day at `local_time` in the server's zone: the next run is always the first such
  moment strictly after the claim (bot.core.daily_time.next_send_at, DST handled there), so a claimed run moves to
  the next day and one missed during downtime to its next occurrence, never a backlog.
- A run found due at most an hour after its time (bot.core.daily_time.too_late) is held now, later than `LATE_AFTER`
  with a short catch-up note; one found later than that is skipped.
- Questions: each (server, deck) counts cycles. A question is fresh when it was not asked in the current cycle;
  a run asks fresh questions first and, when too few are left, starts the next cycle with the rest.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import Enum
from typing import Mapping, Sequence

from bot.core.decks import QuizQuestion
from bot.core.quiz import shuffle_choices
from bot.core.daily_time import too_late

LATE_AFTER = timedelta(minutes=2)  # a pass runs every ~20 s: later than this, the bot was down at the time
MIN_QUESTIONS, MAX_QUESTIONS = 1, 10
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 5, 120, 20


@dataclass(frozen=True, slots=True)
class Challenge:
    """A server's daily challenge as stored (times as aware UTC datetimes)."""

    guild_id: int
    channel_id: int
    local_time: time  # in the server's zone
    deck_id: str
    questions: int
    seconds: int
    enabled: bool
    next_run_at: datetime | None
    last_run_at: datetime | None = None
    off_reason: str | None = None
    note_pending: bool = False


class Decision(Enum):
    ON_TIME = "on_time"
    CATCH_UP = "catch_up"  # the bot was down at the time, back within the hour: run now, with a note
    SKIP = "skip"  # more than an hour late: this day's run is dropped


# Why a challenge was turned off (stored in off_reason; bot.ui.challenge words them for the admin).
OFF_CHANNEL = "channel_missing"
OFF_DECK = "deck_missing"
OFF_PERMISSIONS = "missing_permissions"


def decide(due: datetime, now: datetime) -> Decision:
    """Run now, run now with a catch-up note, or skip: by how late `now` is for the run due at `due`."""
    if too_late(due, now):
        return Decision.SKIP
    return Decision.CATCH_UP if now - due > LATE_AFTER else Decision.ON_TIME


def permissions_reason(missing: Sequence[str]) -> str:
    """off_reason for missing channel permissions, naming them."""
    return f"{OFF_PERMISSIONS}:{', '.join(missing)}"


def missing_of(reason: str) -> list[str]:
    """The permission names in a `permissions_reason` (empty for any other reason)."""
    kind, _, names = reason.partition(":")
    return [n for n in names.split(", ") if n] if kind == OFF_PERMISSIONS else []


@dataclass(frozen=True, slots=True)
class Pick:
    """The questions one run asks, in order (choices shuffled), and the cycle each is logged in."""

    questions: list[QuizQuestion]
    cycles: dict[str, int]


def choose_questions(
    pool: Sequence[QuizQuestion], asked: Mapping[str, int], count: int, rng: random.Random
) -> Pick:
    """Up to `count` questions of `pool`: fresh ones (not asked in the current cycle) first; when fewer are left,
    all of them plus a start on the next cycle from the others (never one twice in a run).

    `asked`: the cycle each question id was last asked in (ids no longer in the deck are ignored).
    """
    ids = {q.id for q in pool}
    cycle = max((c for qid, c in asked.items() if qid in ids), default=0)
    fresh = [q for q in pool if asked.get(q.id, -1) < cycle]
    if len(fresh) >= count:
        chosen = rng.sample(fresh, count)
        cycles = {q.id: cycle for q in chosen}
    else:
        rest = [q for q in pool if q not in fresh]
        extra = rng.sample(rest, min(count - len(fresh), len(rest)))
        chosen = fresh + extra
        cycles = {q.id: cycle for q in fresh} | {q.id: cycle + 1 for q in extra}
    rng.shuffle(chosen)
    return Pick([shuffle_choices(q, rng) for q in chosen], cycles)
