"""Every SQL statement about study sessions, and the rows a study use case reads (bot.services.study composes them).

A session row names the item on screen and a token that the item's buttons carry; the rating transaction checks the
token before it stores anything, so a double click, two racing clicks or a stale message never store a second review.
Rows in, rows out: which item comes next, FSRS and streaks are bot.core's rules, applied by bot.services.study.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fsrs import Card, State

from bot.core.clock import from_text, to_text
from bot.core.scheduling import DEFAULT_RETENTION
from bot.core.study_queue import KIND_CARD, ItemSchedule, StudySession
from bot.store.api import Connection, Store
from bot.store.sql import upsert
from bot.store.streaks import CONTEXT_COLUMNS as STREAK_COLUMNS
from bot.store.streaks import StreakInputs, inputs_of

DEFAULT_NEW_LIMIT = 20


@dataclass(frozen=True, slots=True)
class StudyContext:
    """The settings a study step depends on, as stored (defaults where a server or member has none)."""

    desired_retention: float = DEFAULT_RETENTION
    new_card_limit: int = DEFAULT_NEW_LIMIT
    member_timezone: str | None = None
    server_timezone: str | None = None
    parameters: str | None = None  # the fitted set scheduling the member (theirs, else the server's); None: defaults


@dataclass(frozen=True, slots=True)
class ShownRow:
    """The open session with the shown item's stored card and the server's retention (what Reveal reads)."""

    session: StudySession
    card: Card | None  # None: the item was never studied
    desired_retention: float
    parameters: str | None


@dataclass(frozen=True, slots=True)
class RatingRow:
    """What a rating reads, in one statement: the session, the shown item's card, the settings, the member's stored
    name and what their streak step needs."""

    session: StudySession
    card_json: str | None
    context: StudyContext
    member_name: str | None
    streak: StreakInputs


_SESSION_COLUMNS = (
    "guild_id, user_id, deck_id, item_id, item_kind, token, shown_at, available, reviewed, again, started_at, "
    "channel_id, message_id"
)
_SESSION_FIELDS = [c.strip() for c in _SESSION_COLUMNS.split(",")]
_SESSION_SQL = f"SELECT {_SESSION_COLUMNS} FROM study_sessions WHERE guild_id = ? AND user_id = ?"

# The open session with the shown item's stored card and the settings a rating depends on, in one statement.
_SHOWN_COLUMNS = (
    f"{', '.join('s.' + c for c in _SESSION_FIELDS)}, st.card_json, "
    "g.desired_retention, g.new_card_limit, g.timezone AS server_tz, m.timezone AS member_tz, "
    "COALESCE(mm.parameters, ms.parameters) AS parameters"
)
# The member's fitted parameters, else the server's (migration 0009).
_MODEL_JOINS = (
    "LEFT JOIN memory_models mm ON mm.guild_id = {k}.guild_id AND mm.user_id = {k}.user_id "
    "LEFT JOIN memory_models ms ON ms.guild_id = {k}.guild_id AND ms.user_id = 0 "
)
_SHOWN_FROM = (
    "FROM study_sessions s "
    "LEFT JOIN srs_state st ON st.guild_id = s.guild_id AND st.user_id = s.user_id AND st.deck_id = s.deck_id "
    "AND st.item_id = s.item_id "
    "LEFT JOIN guild_settings g ON g.guild_id = s.guild_id "
    "LEFT JOIN members m ON m.guild_id = s.guild_id AND m.user_id = s.user_id "
    + _MODEL_JOINS.format(k="s")
)
_SHOWN_SQL = f"SELECT {_SHOWN_COLUMNS} {_SHOWN_FROM} WHERE s.guild_id = ? AND s.user_id = ?"
# A rating also needs the member's stored name and streak: the same read, so the rating costs no extra statement.
_RATING_SQL = (
    f"SELECT {_SHOWN_COLUMNS}, m.display_name AS member_name, {STREAK_COLUMNS} {_SHOWN_FROM}"
    "LEFT JOIN streaks sk ON sk.guild_id = s.guild_id AND sk.user_id = s.user_id "
    "WHERE s.guild_id = ? AND s.user_id = ?"
)
_CONTEXT_SQL = (
    "SELECT g.desired_retention, g.new_card_limit, g.timezone AS server_tz, m.timezone AS member_tz, "
    "COALESCE(mm.parameters, ms.parameters) AS parameters "
    "FROM (SELECT CAST(? AS BIGINT) AS guild_id, CAST(? AS BIGINT) AS user_id) k "
    "LEFT JOIN guild_settings g ON g.guild_id = k.guild_id "
    "LEFT JOIN members m ON m.guild_id = k.guild_id AND m.user_id = k.user_id "
    + _MODEL_JOINS.format(k="k")
)
# Where /study without a deck continues: the session's deck (and whether it is open), the member's last deck.
_DECK_HISTORY_SQL = (
    "SELECT s.deck_id AS session_deck, s.item_id AS session_item, m.last_deck "
    "FROM (SELECT CAST(? AS BIGINT) AS guild_id, CAST(? AS BIGINT) AS user_id) k "
    "LEFT JOIN study_sessions s ON s.guild_id = k.guild_id AND s.user_id = k.user_id "
    "LEFT JOIN members m ON m.guild_id = k.guild_id AND m.user_id = k.user_id"
)


# --- Reads outside a transaction -------------------------------------------------------------------------------------


async def get_shown(db: Store, guild_id: int, user_id: int) -> ShownRow | None:
    """The member's session with the shown item's card and the server's retention, in one read."""
    row = await db.lookup(_SHOWN_SQL, (guild_id, user_id))
    if row is None:
        return None
    card = Card.from_json(row["card_json"]) if row["card_json"] else None
    context = _context_of(row)
    return ShownRow(_session(row), card, context.desired_retention, context.parameters)


async def deck_history(db: Store, guild_id: int, user_id: int) -> tuple[str | None, str | None]:
    """(the deck of the member's open session, their last deck); None where there is none."""
    row = await db.lookup(_DECK_HISTORY_SQL, (guild_id, user_id))
    open_deck = row["session_deck"] if row["session_item"] is not None else None
    return open_deck, row["last_deck"]


# --- Inside a transaction --------------------------------------------------------------------------------------------


async def read_session(conn: Connection, guild_id: int, user_id: int) -> StudySession | None:
    async with conn.execute(_SESSION_SQL, (guild_id, user_id)) as cur:
        row = await cur.fetchone()
    return _session(row) if row else None


async def read_rating(conn: Connection, guild_id: int, user_id: int) -> RatingRow | None:
    """The one read of a rating (see RatingRow); None when the member has no session."""
    async with conn.execute(_RATING_SQL, (guild_id, user_id)) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    return RatingRow(_session(row), row["card_json"], _context_of(row), row["member_name"], inputs_of(row))


async def read_context(conn: Connection, guild_id: int, user_id: int) -> StudyContext:
    async with conn.execute(_CONTEXT_SQL, (guild_id, user_id)) as cur:
        row = await cur.fetchone()
    return _context_of(row)


async def read_misses(conn: Connection, guild_id: int, user_id: int, deck_id: str) -> dict[str, datetime]:
    """Quiz questions of the deck the member answered wrong: question id -> the latest wrong answer."""
    async with conn.execute(
        "SELECT question_id, MAX(answered_at) AS missed_at FROM quiz_answers "
        "WHERE guild_id = ? AND user_id = ? AND deck_id = ? AND correct = 0 GROUP BY question_id",
        (guild_id, user_id, deck_id),
    ) as cur:
        rows = await cur.fetchall()
    return {row["question_id"]: from_text(row["missed_at"]) for row in rows}


class StoredSchedule:
    """A member's stored schedule of one deck's items, as the queue reads it, and their stored cards."""

    __slots__ = ("items", "first_seen", "cards", "_due_days")

    def __init__(self, items: dict[str, ItemSchedule], first_seen: dict[str, str], cards: dict[str, str | Card]) -> None:
        self.items = items
        self.first_seen = first_seen  # card id -> when first studied (fixed-width UTC text), for the new-card limit
        self.cards = cards  # item id -> its fsrs Card, or the Card's JSON until someone needs it
        self._due_days: Counter[date] | None = None

    def busy(self, day: date) -> int:
        """Items due on `day` (UTC): the load balancer's view of the deck, counted once per schedule and kept by
        record() (a remembered schedule serves many ratings)."""
        if self._due_days is None:
            self._due_days = Counter(item.due.date() for item in self.items.values() if item.due is not None)
        return self._due_days[day]

    def record(self, item_id: str, kind: str | None, card: Card, at: datetime) -> None:
        """The row save_review stored for this review: the same values the database would give back."""
        known = self.items.get(item_id)
        if self._due_days is not None:
            if known is not None and known.due is not None:
                self._due_days[known.due.date()] -= 1
            self._due_days[card.due.date()] += 1
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


async def load_schedule(conn: Connection, deck_id: str, guild_id: int, user_id: int) -> StoredSchedule:
    """The member's stored schedule of the deck's items."""
    # The stored columns, so no fsrs Card is parsed until one is shown (migration 0007 filled state in older rows).
    async with conn.execute(
        "SELECT item_id, kind, first_seen, due, last_review, state, card_json "
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
    return StoredSchedule(items, first_seen, cards)


_WRITE_SESSION_SQL = upsert("study_sessions", _SESSION_FIELDS, ("guild_id", "user_id"))


async def write_session(conn: Connection, s: StudySession) -> None:
    await conn.execute(
        _WRITE_SESSION_SQL,
        (
            s.guild_id, s.user_id, s.deck_id, s.item_id, s.item_kind, s.token, to_text(s.shown_at), s.available,
            s.reviewed, s.again, to_text(s.started_at), s.channel_id, s.message_id,
        ),
    )


async def write_message(conn: Connection, guild_id: int, user_id: int, token: str, channel_id: int,
                        message_id: int) -> None:
    """Note which message shows the session, only while it still shows the item `token` names."""
    await conn.execute(
        "UPDATE study_sessions SET channel_id = ?, message_id = ? WHERE guild_id = ? AND user_id = ? AND token = ?",
        (channel_id, message_id, guild_id, user_id, token),
    )


async def write_last_deck(conn: Connection, guild_id: int, user_id: int, deck_id: str) -> None:
    """The deck /study without a deck continues with; the member row exists (remember_member ran first)."""
    await conn.execute(
        "UPDATE members SET last_deck = ? WHERE guild_id = ? AND user_id = ?", (deck_id, guild_id, user_id)
    )


# --- Row mapping -----------------------------------------------------------------------------------------------------


def _context_of(row: Any) -> StudyContext:
    """The settings columns of _CONTEXT_SQL (or of _SHOWN_SQL), defaults where a server or member has none."""
    return StudyContext(
        desired_retention=row["desired_retention"] if row["desired_retention"] is not None else DEFAULT_RETENTION,
        new_card_limit=row["new_card_limit"] if row["new_card_limit"] is not None else DEFAULT_NEW_LIMIT,
        member_timezone=row["member_tz"],
        server_timezone=row["server_tz"],
        parameters=row["parameters"],
    )


def _session(row: Any) -> StudySession:
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
