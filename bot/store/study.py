"""The study session each member has open, and the one transaction that turns a rating into a review.

A session row names the item on screen and a token that the item's buttons carry. Rating checks the token, stores
the review (with the activity and the member's name) and moves the session to the next item with a new token, all in
one transaction: a double click, two racing clicks or a stale message can never store a second review.
"""
from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime

import aiosqlite
from fsrs import Card, State

from bot.core import scheduling
from bot.core.scheduling import DEFAULT_RETENTION
from bot.core.clock import from_text, to_text
from bot.core.decks import Deck
from bot.core.study_queue import (
    KIND_CARD,
    ItemSchedule,
    QueuePick,
    day_bounds,
    find_item,
    pick_next,
    study_zone,
)
from bot.services.streaks import record_activity as _record  # interim
from bot.ui.common import streak_line as _line  # interim
from bot.store.db import Database
from bot.store.members import remember_member
from bot.store.srs import save_review
from bot.store.streaks import CONTEXT_COLUMNS as STREAK_COLUMNS
from bot.store.streaks import inputs_of as streak_inputs_of

DEFAULT_NEW_LIMIT = 20


@dataclass(frozen=True, slots=True)
class StudySession:
    guild_id: int
    user_id: int
    deck_id: str
    item_id: str | None  # None: the session ended
    item_kind: str | None
    token: str
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
class StudyContext:
    """The settings a rating depends on, read inside the rating's transaction."""

    desired_retention: float = DEFAULT_RETENTION
    new_card_limit: int = DEFAULT_NEW_LIMIT
    member_timezone: str | None = None
    server_timezone: str | None = None


@dataclass(frozen=True, slots=True)
class StudyScreen:
    """Everything needed to draw the session: the item on screen (pick.item; None = the summary) and its state."""

    session: StudySession
    pick: QueuePick
    desired_retention: float
    resumed: bool = False  # the open item was shown again rather than a new one picked
    streak: str | None = None  # the line record_activity returned for the rating that led here


@dataclass(frozen=True, slots=True)
class RatingResult:
    """A stored rating (screen: what comes next) or a refused one (screen None: stale, already rated)."""

    screen: StudyScreen | None
    rated: Card | None = None  # the rated item's new state


_SESSION_COLUMNS = (
    "guild_id, user_id, deck_id, item_id, item_kind, token, shown_at, available, reviewed, again, started_at, "
    "channel_id, message_id"
)


_SESSION_FIELDS = [c.strip() for c in _SESSION_COLUMNS.split(",")]

# The open session with the shown item's stored card and the settings a rating depends on, in one statement.
_SHOWN_COLUMNS = (
    f"{', '.join('s.' + c for c in _SESSION_FIELDS)}, st.card_json, "
    "g.desired_retention, g.new_card_limit, g.timezone AS server_tz, m.timezone AS member_tz"
)
_SHOWN_FROM = (
    "FROM study_sessions s "
    "LEFT JOIN srs_state st ON st.guild_id = s.guild_id AND st.user_id = s.user_id AND st.deck_id = s.deck_id "
    "AND st.item_id = s.item_id "
    "LEFT JOIN guild_settings g ON g.guild_id = s.guild_id "
    "LEFT JOIN members m ON m.guild_id = s.guild_id AND m.user_id = s.user_id "
)
_SHOWN_SQL = f"SELECT {_SHOWN_COLUMNS} {_SHOWN_FROM} WHERE s.guild_id = ? AND s.user_id = ?"
# A rating also needs the member's stored name and streak: the same read, so the rating costs no extra statement.
_RATING_SQL = (
    f"SELECT {_SHOWN_COLUMNS}, m.display_name AS member_name, {STREAK_COLUMNS} {_SHOWN_FROM}"
    "LEFT JOIN streaks sk ON sk.guild_id = s.guild_id AND sk.user_id = s.user_id "
    "WHERE s.guild_id = ? AND s.user_id = ?"
)


def new_token() -> str:
    return secrets.token_hex(3)


# --- Reading ---------------------------------------------------------------------------------------------------------


async def get_session(db: Database, guild_id: int, user_id: int) -> StudySession | None:
    row = await db.lookup(
        f"SELECT {_SESSION_COLUMNS} FROM study_sessions WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    )
    return _session(row) if row else None


async def get_shown(db: Database, guild_id: int, user_id: int) -> tuple[StudySession, Card | None, float] | None:
    """The open session with the shown item's state and the server's retention (for Reveal).

    From memory when the last study transaction of the member left it there (see _remember), else in one read.
    """
    shown = _remembered(db).get((guild_id, user_id))
    if shown is not None:
        return shown.session, shown.schedule.card(shown.session.item_id), shown.retention
    row = await db.lookup(_SHOWN_SQL, (guild_id, user_id))
    if row is None:
        return None
    card = Card.from_json(row["card_json"]) if row["card_json"] else None
    return _session(row), card, _context_of(row).desired_retention


async def read_misses(conn: aiosqlite.Connection, guild_id: int, user_id: int, deck_id: str) -> dict[str, datetime]:
    """Quiz questions of the deck the member answered wrong: question id -> the latest wrong answer."""
    try:
        async with conn.execute(
            "SELECT question_id, MAX(answered_at) AS missed_at FROM quiz_answers "
            "WHERE guild_id = ? AND user_id = ? AND deck_id = ? AND correct = 0 GROUP BY question_id",
            (guild_id, user_id, deck_id),
        ) as cur:
            rows = await cur.fetchall()
    except sqlite3.OperationalError as exc:
        # A database from before the quiz feature has no answers table yet: then there are no misses either.
        if "no such table" in str(exc):
            return {}
        raise
    return {row["question_id"]: from_text(row["missed_at"]) for row in rows}


# --- Writing ---------------------------------------------------------------------------------------------------------


async def open_session(
    db: Database,
    deck: Deck,
    *,
    guild_id: int,
    user_id: int,
    display_name: str,
    now: datetime,
    channel_id: int | None = None,
) -> StudyScreen:
    """Show the member's open item of `deck` again, or start a session on `deck` with the first item due."""

    async def body(conn: aiosqlite.Connection) -> tuple[StudyScreen, _Schedule]:
        await remember_member(conn, guild_id, user_id, display_name)
        context = await _context(conn, guild_id, user_id)
        session = await _read_session(conn, guild_id, user_id)
        schedule = await _load_schedule(conn, deck.id, guild_id, user_id)
        pick = await _pick(conn, deck, guild_id, user_id, context, now, schedule)
        current = find_item(deck, session.item_id, session.item_kind) if _open_on(session, deck) else None
        if session is not None and current is not None:
            # Keep the token: the earlier message and this one show the same item, and one rating settles both.
            pick = replace(pick, item=current, available=max(pick.available, 1))
            return StudyScreen(session, pick, context.desired_retention, resumed=True), schedule
        session = StudySession(
            guild_id, user_id, deck.id, None, None, new_token(), now, 0, 0, 0, now, channel_id, None
        )
        session = await _show(conn, session, pick, now)
        return StudyScreen(session, pick, context.desired_retention), schedule

    screen, _schedule = await db.atomic(body, lambda done: _remember(db, done[0], done[1]))
    return screen


async def rate_current(
    db: Database,
    deck: Deck,
    *,
    guild_id: int,
    user_id: int,
    display_name: str,
    item_id: str,
    token: str,
    rating: int,
    now: datetime,
    fuzz: bool = True,
) -> RatingResult:
    """Rate the item on screen if `token` still names it; store the review and show the next item, atomically."""
    if rating not in scheduling.RATING_NAMES:
        raise ValueError(f"rating must be 1..4, got {rating!r}")

    async def body(conn: aiosqlite.Connection) -> tuple[RatingResult, _Schedule | None]:
        async with conn.execute(_RATING_SQL, (guild_id, user_id)) as cur:
            row = await cur.fetchone()
        session = _session(row) if row else None
        if (
            session is None
            or session.token != token
            or session.item_id != item_id
            or session.deck_id != deck.id
        ):
            return RatingResult(None), None
        context = _context_of(row)
        schedule = _take_schedule(db, session)
        card = schedule.card(item_id) if schedule is not None else None  # parsed already, when it was shown
        if card is None:
            card = scheduling.load_card(row["card_json"], now)
        rated, _log = scheduling.review(card, rating, now, desired_retention=context.desired_retention, fuzz=fuzz)
        await save_review(
            conn, guild_id=guild_id, user_id=user_id, deck_id=deck.id, item_id=item_id,
            kind=session.item_kind, card=rated, rating=rating, at=now,
        )
        streak = _line(await _record(conn, guild_id, user_id, "study", now, streak_inputs_of(row)))
        if row["member_name"] != display_name:  # a new member, or a new name
            await remember_member(conn, guild_id, user_id, display_name)
        if schedule is None:
            schedule = await _load_schedule(conn, deck.id, guild_id, user_id)
        else:  # the remembered one: add the review just stored instead of reading everything back
            schedule.record(item_id, session.item_kind, rated, now)
        pick = await _pick(conn, deck, guild_id, user_id, context, now, schedule)
        session = await _show(conn, _counted(session, rating), pick, now)
        screen = StudyScreen(session, pick, context.desired_retention, streak=streak)
        return RatingResult(screen, rated), schedule

    def remember(done: tuple[RatingResult, _Schedule | None]) -> None:
        result, schedule = done
        if result.screen is not None and schedule is not None:
            _remember(db, result.screen, schedule)

    # One transaction, no thread hop per statement, committed (maybe with other ratings) before it returns.
    result, _schedule = await db.atomic(body, remember)
    return result


async def close_session(
    db: Database, deck: Deck, *, guild_id: int, user_id: int, token: str, now: datetime
) -> StudyScreen | None:
    """End the session (Stop) if `token` is still the shown one; the screen is the summary."""

    async def body(conn: aiosqlite.Connection) -> StudyScreen | None:
        session = await _read_session(conn, guild_id, user_id)
        if session is None or session.token != token or not session.is_open:
            return None
        context = await _context(conn, guild_id, user_id)
        schedule = await _load_schedule(conn, deck.id, guild_id, user_id)
        pick = await _pick(conn, deck, guild_id, user_id, context, now, schedule)
        ended = replace(session, item_id=None, item_kind=None, token=new_token())
        await _write_session(conn, ended)
        return StudyScreen(ended, replace(pick, item=None), context.desired_retention)

    return await db.atomic(body, lambda screen: _remembered(db).pop((guild_id, user_id)) if screen else None)


async def set_message(db: Database, guild_id: int, user_id: int, token: str, channel_id: int, message_id: int) -> None:
    """Remember which message shows the session (only while it still shows the same item)."""

    async def body(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "UPDATE study_sessions SET channel_id = ?, message_id = ? WHERE guild_id = ? AND user_id = ? AND token = ?",
            (channel_id, message_id, guild_id, user_id, token),
        )

    def remember(_: None) -> None:
        shown = _remembered(db).get((guild_id, user_id))
        if shown is not None and shown.session.token == token:
            shown.session = replace(shown.session, channel_id=channel_id, message_id=message_id)

    await db.atomic(body, remember)


# --- Inside a transaction ------------------------------------------------------------------------------------------


async def _read_session(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> StudySession | None:
    async with conn.execute(
        f"SELECT {_SESSION_COLUMNS} FROM study_sessions WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    ) as cur:
        row = await cur.fetchone()
    return _session(row) if row else None


async def _context(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> StudyContext:
    async with conn.execute(
        "SELECT g.desired_retention, g.new_card_limit, g.timezone AS server_tz, m.timezone AS member_tz "
        "FROM (SELECT ? AS guild_id, ? AS user_id) k "
        "LEFT JOIN guild_settings g ON g.guild_id = k.guild_id "
        "LEFT JOIN members m ON m.guild_id = k.guild_id AND m.user_id = k.user_id",
        (guild_id, user_id),
    ) as cur:
        row = await cur.fetchone()
    return _context_of(row)


def _context_of(row: aiosqlite.Row) -> StudyContext:
    """The settings columns of _context() (or of _SHOWN_SQL), defaults where a server or member has none."""
    return StudyContext(
        desired_retention=row["desired_retention"] if row["desired_retention"] is not None else DEFAULT_RETENTION,
        new_card_limit=row["new_card_limit"] if row["new_card_limit"] is not None else DEFAULT_NEW_LIMIT,
        member_timezone=row["member_tz"],
        server_timezone=row["server_tz"],
    )


class _Schedule:
    """A member's stored schedule of one deck's items, as the queue reads it, and their stored cards."""

    __slots__ = ("items", "first_seen", "cards")

    def __init__(self, items: dict[str, ItemSchedule], first_seen: dict[str, str], cards: dict[str, str | Card]) -> None:
        self.items = items
        self.first_seen = first_seen  # card id -> when first studied (fixed-width UTC text), for the new-card limit
        self.cards = cards  # item id -> its fsrs Card, or the Card's JSON until someone needs it

    def record(self, item_id: str, kind: str | None, card: Card, at: datetime) -> None:
        """The row save_review stored for this review: the same values the database would give back."""
        known = self.items.get(item_id)
        kind = known.kind if known is not None else kind or KIND_CARD
        self.items[item_id] = ItemSchedule(item_id, kind, card.due, card.state == State.Review, at)
        self.cards[item_id] = card
        if kind == KIND_CARD and item_id not in self.first_seen:
            self.first_seen[item_id] = to_text(at)

    def new_since(self, start: str) -> int:
        # Fixed-width UTC text: comparing the text compares the times.
        return sum(1 for first in self.first_seen.values() if first >= start)

    def card(self, item_id: str | None) -> Card | None:
        card = self.cards.get(item_id) if item_id is not None else None
        if isinstance(card, str):
            card = self.cards[item_id] = Card.from_json(card)  # type: ignore[index]
        return card


@dataclass(slots=True)
class _Shown:
    """What a member's last study transaction left on screen: the session, the server's retention then, the schedule."""

    session: StudySession
    retention: float
    schedule: _Schedule


# Each open session as its last study transaction left it, by (guild, user): a Reveal reads it instead of the
# database, a rating reuses its schedule. It stays true because every study transaction of the member goes through
# this module and updates it right after its COMMIT (Database.atomic's after_commit), and every review a study session
# stores is a rating of that session, which shows a new token: a schedule is reused only under the token it was kept
# with. A member's explain reviews are of prompts, which the study queue ignores; quiz misses are read every time.
_MEMORY = "study.shown"
# Schedule items remembered in all (about 600 bytes each with the card's JSON: some 30 MB). Past it the sessions
# left longest ago are forgotten, and read from the database again when their member comes back.
SHOWN_ITEMS = 50_000


class _ShownMemory:
    """The remembered sessions, the one left longest ago first, with at most SHOWN_ITEMS schedule items in all."""

    __slots__ = ("entries", "items")

    def __init__(self) -> None:
        self.entries: dict[tuple[int, int], _Shown] = {}
        self.items = 0

    def get(self, key: tuple[int, int]) -> _Shown | None:
        return self.entries.get(key)

    def pop(self, key: tuple[int, int]) -> _Shown | None:
        shown = self.entries.pop(key, None)
        if shown is not None:
            self.items -= len(shown.schedule.items)
        return shown

    def put(self, key: tuple[int, int], shown: _Shown) -> None:
        self.pop(key)
        self.entries[key] = shown  # last in the order: the most recently used
        self.items += len(shown.schedule.items)
        while self.items > SHOWN_ITEMS and len(self.entries) > 1:
            self.pop(next(iter(self.entries)))


def _remembered(db: Database) -> _ShownMemory:
    return _INTERIM.setdefault(db, _ShownMemory())  # interim: moves into StudyService


import weakref  # noqa: E402  interim
_INTERIM: "weakref.WeakKeyDictionary[Database, _ShownMemory]" = weakref.WeakKeyDictionary()


def _remember(db: Database, screen: StudyScreen, schedule: _Schedule) -> None:
    session = screen.session
    key = (session.guild_id, session.user_id)
    if session.is_open:
        _remembered(db).put(key, _Shown(session, screen.desired_retention, schedule))
    else:
        _remembered(db).pop(key)


def _take_schedule(db: Database, session: StudySession) -> _Schedule | None:
    """The remembered schedule when it was left with the session's deck and token, taken out of memory (the rating
    changes it, and remembers it again once committed)."""
    key = (session.guild_id, session.user_id)
    shown = _remembered(db).get(key)
    if shown is None or shown.session.token != session.token or shown.session.deck_id != session.deck_id:
        return None
    _remembered(db).pop(key)
    return shown.schedule


async def _load_schedule(conn: aiosqlite.Connection, deck_id: str, guild_id: int, user_id: int) -> _Schedule:
    """The member's stored schedule of the deck's items."""
    # The stored columns, so no fsrs Card is parsed until one is shown. (state is NULL only in rows written before
    # that column existed.)
    async with conn.execute(
        "SELECT item_id, kind, first_seen, due, last_review, "
        "COALESCE(state, json_extract(card_json, '$.state')), card_json "
        "FROM srs_state WHERE guild_id = ? AND user_id = ? AND deck_id = ?",
        (guild_id, user_id, deck_id),
    ) as cur:
        rows = await cur.fetchall()
    items: dict[str, ItemSchedule] = {}
    first_seen: dict[str, str] = {}
    cards: dict[str, str | Card] = {}
    fromisoformat = datetime.fromisoformat
    for item_id, kind, first, due, last, state, card_json in rows:
        cards[item_id] = card_json
        # due and last_review are the card's own, stored as fixed-width UTC text by save_review.
        items[item_id] = ItemSchedule(
            item_id, kind, fromisoformat(due), state == State.Review, fromisoformat(last) if last else None
        )
        if kind == KIND_CARD:
            first_seen[item_id] = first
    return _Schedule(items, first_seen, cards)


async def _pick(
    conn: aiosqlite.Connection, deck: Deck, guild_id: int, user_id: int, context: StudyContext, now: datetime,
    schedule: _Schedule,
) -> QueuePick:
    """The queue's next pick of this deck for the member."""
    day_start, day_end = _study_day(context, now)
    misses = await read_misses(conn, guild_id, user_id, deck.id)
    return pick_next(
        deck, schedule.items, misses, now=now, day_end=day_end, new_today=schedule.new_since(day_start),
        new_limit=context.new_card_limit,
    )


_DAYS: dict[tuple[str | None, str | None], tuple[datetime, datetime, str]] = {}


def _study_day(context: StudyContext, now: datetime) -> tuple[str, datetime]:
    """The start (as stored text) and end of the member's local day, worked out once per timezone and day."""
    zones = (context.member_timezone, context.server_timezone)
    known = _DAYS.get(zones)
    if known is None or not known[0] <= now < known[1]:
        start, end = day_bounds(now, study_zone(*zones))
        if len(_DAYS) >= 1024:  # zones are few; this only bounds a store that sees many made-up ones
            _DAYS.clear()
        known = _DAYS[zones] = (start, end, to_text(start))
    return known[2], known[1]


async def _show(conn: aiosqlite.Connection, session: StudySession, pick: QueuePick, now: datetime) -> StudySession:
    """Put the pick on screen with a fresh token (or end the session when there is nothing to pick)."""
    item = pick.item
    s = session
    # Built field by field rather than with dataclasses.replace, which costs more than the rest of this function.
    shown = StudySession(
        s.guild_id, s.user_id, s.deck_id, item.item_id if item else None, item.kind if item else None, new_token(),
        now, pick.available, s.reviewed, s.again, s.started_at, s.channel_id, s.message_id,
    )
    await _write_session(conn, shown)
    return shown


# An upsert rather than INSERT OR REPLACE: updating the row in place spares a delete and re-insert in two b-trees.
_WRITE_SESSION_SQL = (
    f"INSERT INTO study_sessions ({_SESSION_COLUMNS}) VALUES ({', '.join('?' for _ in _SESSION_FIELDS)}) "
    "ON CONFLICT (guild_id, user_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _SESSION_FIELDS if c not in ("guild_id", "user_id"))
)


async def _write_session(conn: aiosqlite.Connection, s: StudySession) -> None:
    await conn.execute(
        _WRITE_SESSION_SQL,
        (
            s.guild_id, s.user_id, s.deck_id, s.item_id, s.item_kind, s.token, to_text(s.shown_at), s.available,
            s.reviewed, s.again, to_text(s.started_at), s.channel_id, s.message_id,
        ),
    )


def _counted(s: StudySession, rating: int) -> StudySession:
    """The session with one more rating (and one more Again)."""
    return StudySession(
        s.guild_id, s.user_id, s.deck_id, s.item_id, s.item_kind, s.token, s.shown_at, s.available, s.reviewed + 1,
        s.again + (rating == 1), s.started_at, s.channel_id, s.message_id,
    )


def _open_on(session: StudySession | None, deck: Deck) -> bool:
    return session is not None and session.is_open and session.deck_id == deck.id


def _session(row: aiosqlite.Row) -> StudySession:
    return StudySession(
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        deck_id=row["deck_id"],
        item_id=row["item_id"],
        item_kind=row["item_kind"],
        token=row["token"],
        shown_at=from_text(row["shown_at"]),
        available=row["available"],
        reviewed=row["reviewed"],
        again=row["again"],
        started_at=from_text(row["started_at"]),
        channel_id=row["channel_id"],
        message_id=row["message_id"],
    )
