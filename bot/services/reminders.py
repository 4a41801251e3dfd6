"""Streak reminders by direct message (/remind): who is due a reminder, what it says, and recording that it was sent.

Delivery is at most once. The sender claims each due row (moves its next_send_at to the next day's time, only if
it still holds the time read) in a committed transaction before it sends: two processes, or a restart, can never
both send the same day's reminder, and a crash between the claim and the send loses that day's reminder rather than
sending it twice. A row more than LATE_LIMIT past its time (downtime) is claimed the same way but skipped.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Callable

from bot.core.clock import from_text, utcnow
from bot.core.decks import Deck
from bot.core.library import DeckLibrary
from bot.core.daily_time import first_send_at, next_send_at, parse_local_time, time_text, too_late
from bot.core.reminders import DeckDue, ReminderContent, reminder_content, streak_risk
from bot.core.streaks import effective_zone_name, zone
from bot.core.study_queue import study_zone
from bot.store import reminders as store
from bot.store.api import Connection, Store
from bot.store.members import get_member, remember_member
from bot.store.reminders import OFF_DMS_CLOSED, OFF_LEFT, OFF_USER, ReminderRow
from bot.store.streaks import load_streak, read_inputs

log = logging.getLogger("recall.reminders")

# Rows claimed per transaction: a crash loses at most this many claimed but unsent reminders.
BATCH = 100


@dataclass(slots=True)
class SenderTuning:
    """Knobs of the sender in bot.cogs.remind. They live here, not in the cog: discord.py re-imports a cog's module on
    every bot start, so a test could not patch them across a restart."""

    interval: float = 20.0  # seconds between passes
    requests_per_second: float = 40.0  # under Discord's global 50/s: the rest is left to interactions
    run_loop: bool = True
    clock: Callable[[], datetime] = field(default=utcnow)


SENDER = SenderTuning()


@dataclass(frozen=True, slots=True)
class TurnedOn:
    reminder: ReminderRow
    zone_name: str  # the zone its time is read in
    moved_from: int | None  # the server the reminder was tied to before, when /remind on moved it


@dataclass(frozen=True, slots=True)
class Claim:
    """A due reminder this process claimed: send it, unless `skipped` (its time passed more than an hour ago)."""

    user_id: int
    guild_id: int
    due_at: datetime
    skipped: bool
    dm_channel_id: int | None = None  # the member's DM channel, when a reminder was sent there before
    language: str | None = None  # the catalog language of the member's client at /remind on (None: English)


class ReminderService:
    def __init__(self, db: Store, decks: DeckLibrary) -> None:
        self.db = db
        self.decks = decks
        # Members with a note pending ("your reminders were switched off"): checked on every command, so in memory.
        self.notes: set[int] = set()

    # --- /remind ----------------------------------------------------------------------------------------------------

    async def turn_on(
        self, guild_id: int, user_id: int, display_name: str, local_time: time, now: datetime,
        language: str | None = None,
    ) -> TurnedOn:
        """Tie the member's reminder to this server at `local_time` (their zone here) and switch it on; its DMs
        speak `language` (the member's client language now: a DM has no interaction to tell it later)."""

        async def body(conn: Connection) -> TurnedOn:
            await remember_member(conn, guild_id, user_id, display_name)
            before = await store.read_reminder(conn, user_id)
            inputs = await read_inputs(conn, guild_id, user_id)
            zone_name = effective_zone_name(inputs.member_zone, inputs.server_zone)
            first = first_send_at(local_time, zone(zone_name), now, before.last_sent_at if before else None)
            await store.save_reminder(conn, user_id, guild_id, time_text(local_time), first, language)
            after = await store.read_reminder(conn, user_id)
            assert after is not None  # just saved
            moved = before.guild_id if before is not None and before.guild_id != guild_id else None
            return TurnedOn(after, zone_name, moved)

        turned = await self.db.atomic(body)
        self.notes.discard(user_id)
        return turned

    async def turn_off(self, user_id: int) -> bool:
        """Switch the member's reminder off; False when it was not on."""
        return await store.switch_off(self.db, user_id, OFF_USER)

    async def status(self, user_id: int) -> ReminderRow | None:
        return await store.get_reminder(self.db, user_id)

    # --- The sender ---------------------------------------------------------------------------------------------------

    async def claim_due(self, now: datetime, limit: int = BATCH) -> list[Claim]:
        """Claim up to `limit` due reminders, the longest due first (see the module docstring)."""

        async def body(conn: Connection) -> list[Claim]:
            claims = []
            for row in await store.due_rows(conn, now, limit):
                tz = study_zone(row.member_zone, row.server_zone)
                following = next_send_at(parse_local_time(row.local_time), tz, now)
                if await store.claim(conn, row.user_id, row.next_send_at, following):
                    due_at = from_text(row.next_send_at)
                    claims.append(Claim(row.user_id, row.guild_id, due_at, too_late(due_at, now), row.dm_channel_id,
                                        row.language))
            return claims

        claims = await self.db.atomic(body)
        for claim in claims:
            if claim.skipped:
                log.info("reminder for %s due at %s skipped: more than an hour late", claim.user_id, claim.due_at)
        return claims

    async def content(self, guild_id: int, user_id: int, now: datetime) -> ReminderContent | None:
        """What the member's reminder says: cards due per deck of the server, and their streak if at risk."""
        counts = await store.due_per_deck(self.db, guild_id, user_id, now)
        decks = [DeckDue(deck.title, count) for deck_id, count in counts.items()
                 if (deck := self.decks.get(guild_id, deck_id)) is not None]
        stored = await load_streak(self.db, guild_id, user_id)
        risk = streak_risk(stored.state, zone(stored.timezone), stored.daily_minimum, now) if stored else None
        return reminder_content(decks, risk)

    async def sent(self, user_id: int, at: datetime, dm_channel_id: int) -> None:
        await store.mark_sent(self.db, user_id, at, dm_channel_id)

    async def member_left(self, user_id: int) -> None:
        await store.switch_off(self.db, user_id, OFF_LEFT)

    async def dms_closed(self, user_id: int) -> None:
        """Switch the reminder off, never retried, and keep a note to tell the member at their next command."""
        if await store.switch_off(self.db, user_id, OFF_DMS_CLOSED, note=True):
            self.notes.add(user_id)

    # --- The note about closed DMs ------------------------------------------------------------------------------------

    async def load_notes(self) -> None:
        self.notes = await store.pending_notes(self.db)

    async def take_note(self, user_id: int) -> str | None:
        """The reason of the member's pending note (cleared: it is shown once); None without one."""
        if user_id not in self.notes:
            return None
        self.notes.discard(user_id)
        return await store.take_note(self.db, user_id)

    # --- Study now ------------------------------------------------------------------------------------------------

    async def first_due_deck(self, guild_id: int, user_id: int, now: datetime) -> Deck | None:
        """The server's deck holding the member's longest-due card (None: nothing due in a deck it still has)."""
        for deck_id in await store.due_decks(self.db, guild_id, user_id, now):
            deck = self.decks.get(guild_id, deck_id)
            if deck is not None:
                return deck
        return None

    async def member_name(self, guild_id: int, user_id: int) -> str | None:
        """The member's name as the server last showed it (a DM knows only their global name)."""
        member = await get_member(self.db, guild_id, user_id)
        return member.display_name if member else None
