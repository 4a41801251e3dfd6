"""The daily challenge: a quiz round an admin schedules in a channel, once a day at the server's local time.

Each run is held at most once. The scheduler claims a due row (moves next_run_at to the next local day's time, only
if it still holds the time read) in the same committed transaction that picks and logs the run's questions, before
the round starts: two processes, or a restart, never post the same day's challenge twice, and a crash between the
claim and the post loses that day's round rather than posting it twice. A row found more than an hour past its
time (downtime) is claimed the same way and skipped. The round itself is an ordinary /quiz round (QuizService).
"""
from __future__ import annotations

import logging
import random
from datetime import datetime, time
from typing import Callable
from zoneinfo import ZoneInfo

from bot.core.challenge import Challenge, choose_questions
from bot.core.decks import Deck, QuizQuestion
from bot.core.library import DeckLibrary
from bot.core.daily_time import first_send_at, next_send_at
from bot.core.streaks import effective_zone_name, zone
from bot.store import challenge as store
from bot.store.api import Connection, Store
from bot.store.guilds import get_guild_settings

log = logging.getLogger("recall.challenge")


class ChallengeService:
    def __init__(self, db: Store, decks: DeckLibrary) -> None:
        self.db = db
        self.decks = decks

    # --- /recall-admin daily-challenge ------------------------------------------------------------------------------

    async def turn_on(
        self, guild_id: int, *, channel_id: int, local_time: time, deck_id: str, questions: int, seconds: int,
        now: datetime,
    ) -> Challenge:
        """Set the server's challenge and switch it on; its first run is the next `local_time`, or tomorrow's when a
        challenge already ran on that local day (one a day, however often it is set)."""
        tz = await self._zone(guild_id)

        async def body(conn: Connection) -> Challenge:
            before = await store.read_challenge(conn, guild_id)
            last_run = before.last_run_at if before else None
            challenge = Challenge(
                guild_id, channel_id, local_time, deck_id, questions, seconds, enabled=True,
                next_run_at=first_send_at(local_time, tz, now, last_run), last_run_at=last_run,
            )
            await store.save_challenge(conn, challenge)
            return challenge

        return await self.db.atomic(body)

    async def turn_off(self, guild_id: int) -> bool:
        """An admin's off; False when no challenge was on."""
        return await self.db.atomic(lambda conn: store.turn_off(conn, guild_id, None))

    async def status(self, guild_id: int) -> Challenge | None:
        return await store.get_challenge(self.db, guild_id)

    async def take_note(self, guild_id: int) -> str | None:
        """Why the bot turned the challenge off, if the admins were not told yet (then never again)."""
        return await self.db.atomic(lambda conn: store.take_note(conn, guild_id))

    # --- The scheduler ----------------------------------------------------------------------------------------------

    async def due(self, now: datetime, owns: Callable[[int], bool]) -> list[Challenge]:
        """Switched-on challenges of the servers `owns` accepts whose run is due at `now`, oldest first."""
        return [c for c in await store.due_challenges(self.db, now) if owns(c.guild_id)]

    def deck_of(self, challenge: Challenge) -> Deck | None:
        """The challenge's deck if the server still has it and it has quiz questions."""
        deck = self.decks.get(challenge.guild_id, challenge.deck_id)
        return deck if deck is not None and deck.quiz else None

    async def skip(self, challenge: Challenge, now: datetime) -> bool:
        """Drop a run found too late (downtime): move it to the next local time. False when another pass did."""
        assert challenge.next_run_at is not None  # a due challenge has its time
        following = next_send_at(challenge.local_time, await self._zone(challenge.guild_id), now)
        claimed = await self.db.atomic(
            lambda conn: store.claim_run(conn, challenge.guild_id, challenge.next_run_at, following, None)
        )
        if claimed:
            log.info("daily challenge of server %s due at %s skipped: the bot was down until %s (more than an hour)",
                     challenge.guild_id, challenge.next_run_at, now)
        return claimed

    async def claim_round(
        self, challenge: Challenge, deck: Deck, now: datetime, rng: random.Random | None = None
    ) -> list[QuizQuestion] | None:
        """Claim a due run and pick its questions (logged as asked, in the same transaction); None when another pass
        claimed it first."""
        assert challenge.next_run_at is not None  # a due challenge has its time
        due = challenge.next_run_at
        following = next_send_at(challenge.local_time, await self._zone(challenge.guild_id), now)
        rng = rng or random.Random(random.random())

        async def body(conn: Connection) -> list[QuizQuestion] | None:
            if not await store.claim_run(conn, challenge.guild_id, due, following, now):
                return None
            asked = await store.asked_cycles(conn, challenge.guild_id, deck.id)
            pick = choose_questions(deck.quiz, asked, challenge.questions, rng)
            await store.log_asked(conn, challenge.guild_id, deck.id, pick.cycles, now)
            return pick.questions

        return await self.db.atomic(body)

    async def disable(self, challenge: Challenge, reason: str) -> None:
        """The bot turns the challenge off (its channel, deck or permissions are gone); the admins are told once."""
        if await self.db.atomic(lambda conn: store.turn_off(conn, challenge.guild_id, reason)):
            log.info("daily challenge of server %s turned off: %s", challenge.guild_id, reason)

    async def zone_name(self, guild_id: int) -> str:
        """The zone the server's challenge runs in: the server's, else UTC."""
        return effective_zone_name(None, (await get_guild_settings(self.db, guild_id)).timezone)

    async def _zone(self, guild_id: int) -> ZoneInfo:
        return zone(await self.zone_name(guild_id))

