"""/study as use cases: open a session, show the open card's back (Reveal), rate it, stop, and what /study without a
deck continues with. Each is one transaction composed of bot.store.study's statements and bot.core's rules (the study
queue, FSRS, streaks); each returns plain results from bot.core.study_queue (no discord here).

Speed: a rating is the benchmarked path. Its transaction is one read (session, card, settings, name and streak), the
review (2 statements), the activity and streak (2), the member's name only when it changed, the quiz misses and the
session: nothing else. The schedule a rating picks from is remembered per open session (ShownMemory) instead of read
back, and the member's local day is worked out once per zone and day (StudyDays).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from fsrs import Card

from bot.core import scheduling
from bot.core.clock import to_text
from bot.core.decks import Deck
from bot.core.library import DeckLibrary
from bot.core.study_queue import (
    QueuePick,
    RatingResult,
    Revealed,
    StudyScreen,
    StudySession,
    day_bounds,
    find_item,
    pick_next,
    study_zone,
)
from bot.services.memory import predicted_recall, usable_parameters
from bot.services.streaks import record_activity
from bot.store import study as store
from bot.store.api import Connection, Store
from bot.store.members import remember_member
from bot.store.srs import save_review
from bot.store.study import StoredSchedule, StudyContext

# Schedule items remembered in all (about 600 bytes each with the card's JSON: some 30 MB). Past it the sessions
# left longest ago are forgotten, and read from the database again when their member comes back.
SHOWN_ITEMS = 50_000


@dataclass(frozen=True, slots=True)
class Shown:
    """The open session, the shown item's card (None: never studied) and the server's retention: what Reveal needs."""

    session: StudySession
    card: Card | None
    desired_retention: float
    parameters: str | None = None


@dataclass(slots=True)
class _Remembered:
    """What a member's last study transaction left on screen: the session, the server's retention and the member's
    parameters then, the schedule."""

    session: StudySession
    retention: float
    schedule: StoredSchedule
    parameters: str | None


class ShownMemory:
    """Each open session as its last study transaction left it, by (guild, user), the one left longest ago first,
    with at most `limit` schedule items in all.

    A Reveal reads it instead of the database, a rating reuses its schedule. It stays true because every study
    transaction of the member goes through StudyService and updates it right after its COMMIT (atomic's
    after_commit), and every review a study session stores is a rating of that session, which shows a new token: a
    schedule is reused only under the token it was kept with. A member's explain reviews are of prompts, which the
    study queue ignores; quiz misses are read every time. A settings change makes it forget (StudyService.forget).
    """

    __slots__ = ("entries", "items", "limit")

    def __init__(self, limit: int = SHOWN_ITEMS) -> None:
        self.entries: dict[tuple[int, int], _Remembered] = {}
        self.items = 0
        self.limit = limit

    def get(self, key: tuple[int, int]) -> _Remembered | None:
        return self.entries.get(key)

    def pop(self, key: tuple[int, int]) -> _Remembered | None:
        shown = self.entries.pop(key, None)
        if shown is not None:
            self.items -= len(shown.schedule.items)
        return shown

    def put(self, key: tuple[int, int], shown: _Remembered) -> None:
        self.pop(key)
        self.entries[key] = shown  # last in the order: the most recently used
        self.items += len(shown.schedule.items)
        while self.items > self.limit and len(self.entries) > 1:
            self.pop(next(iter(self.entries)))

    def remember(self, screen: StudyScreen, schedule: StoredSchedule) -> None:
        """What a committed study transaction left: an open session is kept, an ended one dropped."""
        session = screen.session
        key = (session.guild_id, session.user_id)
        if session.is_open:
            self.put(key, _Remembered(session, screen.desired_retention, schedule, screen.parameters))
        else:
            self.pop(key)

    def take_schedule(self, session: StudySession) -> StoredSchedule | None:
        """The remembered schedule when it was left with the session's deck and token, taken out of memory (the
        rating changes it, and remembers it again once committed)."""
        key = (session.guild_id, session.user_id)
        shown = self.entries.get(key)
        if shown is None or shown.session.token != session.token or shown.session.deck_id != session.deck_id:
            return None
        self.pop(key)
        return shown.schedule

    def forget(self, guild_id: int | None = None, user_id: int | None = None) -> None:
        if guild_id is not None and user_id is not None:
            self.pop((guild_id, user_id))
            return
        if guild_id is None:
            self.entries.clear()
            self.items = 0
            return
        for key in [key for key in self.entries if key[0] == guild_id]:
            self.pop(key)


class StudyDays:
    """The start (as stored text) and end of a member's local day, worked out once per pair of zones and day."""

    __slots__ = ("days",)
    KEEP = 1024  # zones are few; this only bounds a cache that sees many made-up ones

    def __init__(self) -> None:
        self.days: dict[tuple[str | None, str | None], tuple[datetime, datetime, str]] = {}

    def of(self, context: StudyContext, now: datetime) -> tuple[str, datetime]:
        zones = (context.member_timezone, context.server_timezone)
        known = self.days.get(zones)
        if known is None or not known[0] <= now < known[1]:
            start, end = day_bounds(now, study_zone(*zones))
            if len(self.days) >= self.KEEP:
                self.days.clear()
            known = self.days[zones] = (start, end, to_text(start))
        return known[2], known[1]


def new_token() -> str:
    return secrets.token_hex(3)


class StudyService:
    def __init__(self, db: Store, decks: DeckLibrary) -> None:
        self.db = db
        self.decks = decks
        self.memory = ShownMemory()
        self.days = StudyDays()

    def forget(self, guild_id: int | None = None, user_id: int | None = None) -> None:
        """Drop what is remembered about open sessions (all, one server's or one member's): settings changed, or
        cards were rescheduled by a new memory model."""
        self.memory.forget(guild_id, user_id)

    # --- Use cases -------------------------------------------------------------------------------------------------

    async def default_deck(self, guild_id: int, user_id: int) -> Deck | None:
        """The deck of the member's open session, else their last deck (if the server still has them)."""
        open_deck, last_deck = await store.deck_history(self.db, guild_id, user_id)
        if open_deck is not None:
            deck = self.decks.get(guild_id, open_deck)
            if deck is not None:
                return deck
        return self.decks.get(guild_id, last_deck) if last_deck else None

    async def open(
        self, deck: Deck, *, guild_id: int, user_id: int, display_name: str, now: datetime,
        channel_id: int | None = None,
    ) -> StudyScreen:
        """Show the member's open item of `deck` again, or start a session on `deck` with the first item due; the
        deck becomes the member's last deck."""

        async def body(conn: Connection) -> tuple[StudyScreen, StoredSchedule]:
            await remember_member(conn, guild_id, user_id, display_name)
            await store.write_last_deck(conn, guild_id, user_id, deck.id)
            context = await store.read_context(conn, guild_id, user_id)
            session = await store.read_session(conn, guild_id, user_id)
            schedule = await store.load_schedule(conn, deck.id, guild_id, user_id)
            pick = await self._pick(conn, deck, guild_id, user_id, context, now, schedule)
            current = find_item(deck, session.item_id, session.item_kind) if _open_on(session, deck) else None
            if session is not None and current is not None:
                # Keep the token: the earlier message and this one show the same item, and one rating settles both.
                pick = replace(pick, item=current, available=max(pick.available, 1))
                return StudyScreen(session, pick, context.desired_retention, True, context.parameters), schedule
            fresh = StudySession(
                guild_id, user_id, deck.id, None, None, new_token(), now, 0, 0, 0, now, channel_id, None
            )
            fresh = await _show(conn, fresh, pick, now)
            return StudyScreen(fresh, pick, context.desired_retention, False, context.parameters), schedule

        screen, _schedule = await self.db.atomic(body, lambda done: self.memory.remember(*done))
        return screen

    async def shown(self, guild_id: int, user_id: int) -> Shown | None:
        """The open session with the shown item's card and the server's retention (for Reveal).

        From memory when the member's last study transaction left it there, else in one read.
        """
        remembered = self.memory.get((guild_id, user_id))
        if remembered is not None:
            session = remembered.session
            return Shown(session, remembered.schedule.card(session.item_id), remembered.retention,
                         remembered.parameters)
        row = await store.get_shown(self.db, guild_id, user_id)
        return Shown(row.session, row.card, row.desired_retention, row.parameters) if row is not None else None

    async def reveal(self, deck: Deck, *, guild_id: int, user_id: int, token: str, now: datetime) -> Revealed | None:
        """The shown item with when each rating would bring it back; None when `token` no longer names it."""
        shown = await self.shown(guild_id, user_id)
        if shown is None or shown.session.token != token or shown.session.item_id is None:
            return None
        session = shown.session
        item = find_item(deck, session.item_id, session.item_kind)  # type: ignore[arg-type]
        if item is None:
            return Revealed(session, None, {})
        card = shown.card or scheduling.new_card(now)
        intervals = scheduling.preview_intervals(card, now, desired_retention=shown.desired_retention,
                                                 parameters=usable_parameters(shown.parameters))
        return Revealed(session, item, intervals)

    async def rate(
        self, deck: Deck, *, guild_id: int, user_id: int, display_name: str, item_id: str, token: str, rating: int,
        now: datetime, fuzz: bool = True,
    ) -> RatingResult | None:
        """Rate the item on screen if `token` still names it: store the review, log the activity, show the next item,
        in one transaction. None: the token no longer names that item (already rated, or replaced); nothing stored."""
        if rating not in scheduling.RATING_NAMES:
            raise ValueError(f"rating must be 1..4, got {rating!r}")
        memory = self.memory

        async def body(conn: Connection) -> tuple[RatingResult, StoredSchedule] | None:
            read = await store.read_rating(conn, guild_id, user_id)
            if read is None:
                return None
            session = read.session
            if session.token != token or session.item_id != item_id or session.deck_id != deck.id:
                return None
            context = read.context
            schedule = memory.take_schedule(session)
            card = schedule.card(item_id) if schedule is not None else None  # parsed already, when it was shown
            if card is None:
                card = scheduling.load_card(read.card_json, now)
            params = usable_parameters(context.parameters)
            predicted = predicted_recall(card, now, params)
            if schedule is None:
                schedule = await store.load_schedule(conn, deck.id, guild_id, user_id)
            rated, _log = scheduling.review(card, rating, now, desired_retention=context.desired_retention, fuzz=fuzz,
                                            parameters=params, busy=schedule.busy)
            await save_review(
                conn, guild_id=guild_id, user_id=user_id, deck_id=deck.id, item_id=item_id,
                kind=session.item_kind, card=rated, rating=rating, at=now,  # type: ignore[arg-type]
                predicted_recall=predicted,
            )
            streak = await record_activity(conn, guild_id, user_id, "study", now, read.streak)
            if read.member_name != display_name:  # a new member, or a new name
                await remember_member(conn, guild_id, user_id, display_name)
            # The schedule (remembered, or read before the review) gets the review just stored, not read back.
            schedule.record(item_id, session.item_kind, rated, now)
            pick = await self._pick(conn, deck, guild_id, user_id, context, now, schedule)
            shown = await _show(conn, _counted(session, rating), pick, now)
            screen = StudyScreen(shown, pick, context.desired_retention, False, context.parameters)
            return RatingResult(screen, rated, streak), schedule

        def remember(done: tuple[RatingResult, StoredSchedule] | None) -> None:
            if done is not None:
                memory.remember(done[0].screen, done[1])

        # One transaction, no thread hop per statement, committed (maybe with other ratings) before it returns.
        done = await self.db.atomic(body, remember)
        return done[0] if done is not None else None

    async def stop(self, deck: Deck, *, guild_id: int, user_id: int, token: str, now: datetime) -> StudyScreen | None:
        """End the session if `token` is still the shown one; the screen is the summary. None: stale token."""

        async def body(conn: Connection) -> StudyScreen | None:
            session = await store.read_session(conn, guild_id, user_id)
            if session is None or session.token != token or not session.is_open:
                return None
            context = await store.read_context(conn, guild_id, user_id)
            schedule = await store.load_schedule(conn, deck.id, guild_id, user_id)
            pick = await self._pick(conn, deck, guild_id, user_id, context, now, schedule)
            ended = replace(session, item_id=None, item_kind=None, token=new_token())
            await store.write_session(conn, ended)
            return StudyScreen(ended, replace(pick, item=None), context.desired_retention, False, context.parameters)

        def forget(screen: StudyScreen | None) -> None:
            if screen is not None:
                self.memory.pop((guild_id, user_id))

        return await self.db.atomic(body, forget)

    async def set_message(self, guild_id: int, user_id: int, token: str, channel_id: int, message_id: int) -> None:
        """Remember which message shows the session (only while it still shows the same item)."""

        async def body(conn: Connection) -> None:
            await store.write_message(conn, guild_id, user_id, token, channel_id, message_id)

        def remember(_: None) -> None:
            shown = self.memory.get((guild_id, user_id))
            if shown is not None and shown.session.token == token:
                shown.session = replace(shown.session, channel_id=channel_id, message_id=message_id)

        await self.db.atomic(body, remember)

    # --- Inside a transaction --------------------------------------------------------------------------------------

    async def _pick(
        self, conn: Connection, deck: Deck, guild_id: int, user_id: int, context: StudyContext, now: datetime,
        schedule: StoredSchedule,
    ) -> QueuePick:
        """The queue's next pick of this deck for the member."""
        day_start, day_end = self.days.of(context, now)
        misses = await store.read_misses(conn, guild_id, user_id, deck.id)
        return pick_next(
            deck, schedule.items, misses, now=now, day_end=day_end, new_today=schedule.new_since(day_start),
            new_limit=context.new_card_limit,
        )


async def _show(conn: Connection, session: StudySession, pick: QueuePick, now: datetime) -> StudySession:
    """Put the pick on screen with a fresh token (or end the session when there is nothing to pick)."""
    item = pick.item
    s = session
    # Built field by field rather than with dataclasses.replace, which costs more than the rest of this function.
    shown = StudySession(
        s.guild_id, s.user_id, s.deck_id, item.item_id if item else None, item.kind if item else None, new_token(),
        now, pick.available, s.reviewed, s.again, s.started_at, s.channel_id, s.message_id,
    )
    await store.write_session(conn, shown)
    return shown


def _counted(s: StudySession, rating: int) -> StudySession:
    """The session with one more rating (and one more Again)."""
    return StudySession(
        s.guild_id, s.user_id, s.deck_id, s.item_id, s.item_kind, s.token, s.shown_at, s.available, s.reviewed + 1,
        s.again + (rating == 1), s.started_at, s.channel_id, s.message_id,
    )


def _open_on(session: StudySession | None, deck: Deck) -> bool:
    return session is not None and session.is_open and session.deck_id == deck.id
