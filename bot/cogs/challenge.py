"""The daily challenge's scheduler: a pass every PASS_EVERY seconds (and one as soon as the bot is ready) starts the
due challenges of this process's servers as /quiz rounds in their channels.

What runs when and with which questions is bot.services.challenge's (its claim makes each day's run happen once
across restarts and processes); the round is the Quiz cog's. A channel that is gone or lacks a permission the quiz
needs turns the challenge off, and the admins are told at their next /recall-admin (bot.cogs._admin_challenge).
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord.ext import tasks

from bot.cogs._base import RecallCog
from bot.cogs._quiz_session import clock
from bot.cogs.quiz import QuizCog, missing_permissions
from bot.core.challenge import OFF_CHANNEL, OFF_DECK, Challenge, Decision, decide, permissions_reason
from bot.core.decks import Deck, QuizQuestion
from bot.core.errors import NotAllowed
from bot.services.challenge import ChallengeService
from bot.ui.challenge import announcement_embed

if TYPE_CHECKING:
    from bot.app import RecallBot

log = logging.getLogger("recall.challenge")

PASS_EVERY = 20.0  # seconds; a challenge starts at most this long after its time


class ChallengeCog(RecallCog, name="Challenge"):
    def __init__(self, bot: RecallBot) -> None:
        super().__init__(bot)
        self.service: ChallengeService = bot.services.challenge

    async def cog_load(self) -> None:
        await super().cog_load()
        self.passes.start()

    async def cog_unload(self) -> None:
        await super().cog_unload()
        self.passes.cancel()

    @tasks.loop(seconds=PASS_EVERY)
    async def passes(self) -> None:
        try:
            await self.run_due()
        except Exception:  # a failed pass (the database was busy, say) must not end the loop
            log.exception("daily challenge pass failed")

    @passes.before_loop
    async def _until_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def run_due(self) -> int:
        """One pass: start, skip or turn off every due challenge of this process's servers; how many it started."""
        now = clock()
        started = 0
        for challenge in await self.service.due(now, self.bot.owns_guild):
            try:
                started += await self._run(challenge, now)
            except Exception:
                log.exception("daily challenge of server %s failed", challenge.guild_id)
        return started

    async def _run(self, challenge: Challenge, now: datetime) -> bool:
        assert challenge.next_run_at is not None  # due challenges have their time
        decision = decide(challenge.next_run_at, now)
        if decision is Decision.SKIP:
            await self.service.skip(challenge, now)
            return False
        guild = self.bot.get_guild(challenge.guild_id)
        if guild is None:  # not available yet (an outage, a start-up): the next pass tries again
            return False
        channel = guild.get_channel(challenge.channel_id)
        deck = self.service.deck_of(challenge)
        if problem := self._problem(channel, deck):
            await self.service.disable(challenge, problem)
            return False
        assert isinstance(channel, discord.TextChannel) and deck is not None  # no problem
        quiz: QuizCog | None = self.bot.get_cog("Quiz")  # type: ignore[assignment]
        if quiz is None or quiz.is_busy(channel.id):  # a /quiz there: the next pass tries again
            return False
        picked = await self.service.claim_round(challenge, deck, now)
        if picked is None:  # another pass (or process) claimed it
            return False
        return await self._start(quiz, channel, challenge, deck, picked, late=decision is Decision.CATCH_UP)

    @staticmethod
    def _problem(channel: object, deck: Deck | None) -> str | None:
        """Why the challenge cannot run (an off_reason), or None."""
        if not isinstance(channel, discord.TextChannel):
            return OFF_CHANNEL
        if missing := missing_permissions(channel.permissions_for(channel.guild.me)):
            return permissions_reason(missing)
        return OFF_DECK if deck is None else None

    async def _start(
        self, quiz: QuizCog, channel: discord.TextChannel, challenge: Challenge, deck: Deck,
        picked: list[QuizQuestion], *, late: bool,
    ) -> bool:
        def announcement(removes: bool) -> discord.Embed:
            return announcement_embed(deck, questions=len(picked), seconds=challenge.seconds,
                                      local_time=challenge.local_time, late=late, removes_reactions=removes)

        try:
            await quiz.start_unprompted(channel, deck, picked, seconds=challenge.seconds, announcement=announcement)
        except NotAllowed:  # a /quiz started there while the run was claimed: today's run is lost, not doubled
            log.warning("daily challenge of server %s: channel %s became busy; skipped today", channel.guild.id,
                        channel.id)
            return False
        except discord.NotFound:
            await self.service.disable(challenge, OFF_CHANNEL)
            return False
        except discord.Forbidden:
            missing = missing_permissions(channel.permissions_for(channel.guild.me)) or ["Send Messages"]
            await self.service.disable(challenge, permissions_reason(missing))
            return False
        log.info("daily challenge of server %s started in channel %s", channel.guild.id, channel.id)
        return True


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(ChallengeCog(bot))
