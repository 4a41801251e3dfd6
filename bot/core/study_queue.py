"""Which card a member studies next.

Order, as in Anki: items due now (most overdue first), then new cards up to the daily new-card limit, then items
that are due soon enough to study ahead (learning steps within LEARN_AHEAD, reviews due later the same local day).
Quiz questions the member answered wrong join the queue as cards, due from the moment they were missed.

Pure: no discord, no SQL. The store reads the rows, this module decides. The session and the results of the study
use cases (bot.services.study) are defined here too, so bot.ui can draw them without importing the layers above.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import fsrs

from bot.core.decks import Card, Deck, QuizQuestion
from bot.core.streaks import StreakUpdate

KIND_CARD = "card"
KIND_QUIZ = "quiz"
STUDY_KINDS = (KIND_CARD, KIND_QUIZ)

# Anki's default: when nothing else is left, a learning card due within 20 minutes is shown now rather than
# ending the session and asking the member to come back for a single card.
LEARN_AHEAD = timedelta(minutes=20)


@dataclass(frozen=True, slots=True)
class StudyItem:
    """One thing to study, whatever it came from: a flashcard, or a quiz question the member missed."""

    item_id: str
    kind: str
    front: str
    back: str
    level: str
    image: str | None = None


@dataclass(frozen=True, slots=True)
class ItemSchedule:
    """What the member's spaced-repetition state says about one item."""

    item_id: str
    kind: str
    due: datetime
    # Reviews are scheduled in days, so one due "today" may be studied any time today; learning steps are minutes.
    in_review: bool
    last_review: datetime | None = None


@dataclass(frozen=True, slots=True)
class QueuePick:
    """The next item and what the screen says around it."""

    item: StudyItem | None  # None: nothing to study now
    available: int  # items that can be studied now, `item` included
    new_waiting: int  # new cards held back by the daily limit
    next_due: datetime | None  # the soonest item not available now (for "next due <t:…:R>")


def card_item(card: Card) -> StudyItem:
    return StudyItem(card.id, KIND_CARD, card.front, card.back, card.level, card.image)


def quiz_item(question: QuizQuestion) -> StudyItem:
    """A missed question as a card: the choices stay on the front (the question may refer to them)."""
    choices = "\n".join(f"• {choice}" for choice in question.choices)
    back = f"**{question.answer}**"
    if question.explanation:
        back += f"\n\n{question.explanation}"
    return StudyItem(question.id, KIND_QUIZ, f"{question.question}\n\n{choices}", back, question.level)


def find_item(deck: Deck, item_id: str, kind: str | None = None) -> StudyItem | None:
    """The study item `item_id` of `deck` (a card, or a quiz question), or None when the deck no longer has it."""
    if kind in (None, KIND_CARD):
        card = deck.card(item_id)
        if card is not None:
            return card_item(card)
    if kind in (None, KIND_QUIZ):
        question = deck.question(item_id)
        if question is not None:
            return quiz_item(question)
    return None


def miss_schedule(item_id: str, missed_at: datetime, known: ItemSchedule | None) -> ItemSchedule:
    """A quiz miss makes its question due from the moment of the miss, unless studied since."""
    if known is None:
        return ItemSchedule(item_id, KIND_QUIZ, missed_at, in_review=False)
    if known.last_review is None or missed_at > known.last_review:
        return ItemSchedule(item_id, KIND_QUIZ, min(known.due, missed_at), known.in_review, known.last_review)
    return known


def pick_next(
    deck: Deck,
    schedules: Mapping[str, ItemSchedule],
    misses: Mapping[str, datetime],
    *,
    now: datetime,
    day_end: datetime,
    new_today: int,
    new_limit: int,
    learn_ahead: timedelta = LEARN_AHEAD,
) -> QueuePick:
    """Choose the next item of `deck` for a member.

    `schedules`: the member's state per item id of this deck (other kinds, e.g. explain prompts, are ignored).
    `misses`: quiz question id -> latest time the member answered it wrong.
    `new_today`: new cards of this deck the member already started today; `day_end`: end of their local day.
    """
    # Items are ordered as their sources (deck cards and questions); only the one picked becomes a StudyItem.
    scheduled = list(_scheduled_items(deck, schedules, misses))
    fresh = [c for c in deck.cards if c.id not in schedules]

    due_now = sorted((s for s in scheduled if s[0].due <= now), key=_due_order)
    ahead = sorted(
        (s for s in scheduled if s[0].due > now and _available(s[0], now, day_end, learn_ahead)), key=_due_order
    )
    allowed_new = fresh[: max(0, new_limit - new_today)]
    order = [source for _, source in due_now] + allowed_new + [source for _, source in ahead]

    waiting = [s for s, _ in scheduled if s.due > now and not _available(s, now, day_end, learn_ahead)]
    return QueuePick(
        item=_study_item(order[0]) if order else None,
        available=len(order),
        new_waiting=len(fresh) - len(allowed_new),
        next_due=min((s.due for s in waiting), default=None),
    )


def _scheduled_items(
    deck: Deck, schedules: Mapping[str, ItemSchedule], misses: Mapping[str, datetime]
) -> Iterable[tuple[ItemSchedule, Card | QuizQuestion]]:
    for card in deck.cards:
        known = schedules.get(card.id)
        if known is not None and known.kind == KIND_CARD:
            yield known, card
    for question in deck.quiz:
        known = schedules.get(question.id)
        if known is not None and known.kind != KIND_QUIZ:
            continue
        missed_at = misses.get(question.id)
        if missed_at is not None:
            yield miss_schedule(question.id, missed_at, known), question
        elif known is not None:
            yield known, question


def _study_item(source: Card | QuizQuestion) -> StudyItem:
    return card_item(source) if isinstance(source, Card) else quiz_item(source)


def _available(schedule: ItemSchedule, now: datetime, day_end: datetime, learn_ahead: timedelta) -> bool:
    return schedule.due <= now + learn_ahead or (schedule.in_review and schedule.due < day_end)


def _due_order(entry: tuple[ItemSchedule, Card | QuizQuestion]) -> tuple[datetime, str]:
    return entry[0].due, entry[1].id


# --- The member's day ----------------------------------------------------------------------------------------------


def study_zone(member_timezone: str | None, server_timezone: str | None) -> tzinfo:
    """The member's timezone, else the server's, else UTC (never the host's zone). Unknown names fall through."""
    for name in (member_timezone, server_timezone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return timezone.utc


def day_bounds(now: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of the local day containing `now`, as aware UTC datetimes."""
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), time(0), tzinfo=zone)
    end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


# --- The session summary -------------------------------------------------------------------------------------------


def again_rate(reviewed: int, again: int) -> float | None:
    """Share of this session's ratings that were Again; None before the first rating."""
    return again / reviewed if reviewed else None


# --- A member's session and what the study use cases return ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StudySession:
    """The session a member has open: the item on screen and the token its buttons carry."""

    guild_id: int
    user_id: int
    deck_id: str
    item_id: str | None  # None: the session ended
    item_kind: str | None
    token: str  # changes whenever another item is shown: a rating or Stop must name the current one
    shown_at: datetime
    available: int
    reviewed: int
    again: int
    started_at: datetime
    channel_id: int | None = None
    message_id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.item_id is not None


@dataclass(frozen=True, slots=True)
class StudyScreen:
    """Everything needed to draw the session: the item on screen (pick.item; None = the summary) and its state."""

    session: StudySession
    pick: QueuePick
    desired_retention: float
    resumed: bool = False  # the open item was shown again rather than a new one picked
    parameters: str | None = None  # the fitted set scheduling the member, as stored (None: FSRS-6's defaults)


@dataclass(frozen=True, slots=True)
class RatingResult:
    """A stored rating: what comes next, the rated item's new state and what the rating did to the streak."""

    screen: StudyScreen
    rated: fsrs.Card
    streak: StreakUpdate


@dataclass(frozen=True, slots=True)
class Revealed:
    """The open item's back is shown: the item (None when the deck no longer has it) and when each rating would
    bring it back."""

    session: StudySession
    item: StudyItem | None
    intervals: dict[int, timedelta]
