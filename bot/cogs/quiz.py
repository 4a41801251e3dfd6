"""/quiz: multiple-choice rounds in a channel, answered with letter reactions.

The rules live in bot.core.quiz, storage in bot.services.quiz; a QuizSession (bot.cogs._quiz_session) runs one round
as its own task. This cog turns /quiz, the Stop button and reaction events into calls on sessions, and starts the
recovery of rounds a restart cut off.
"""
from __future__ import annotations

import asyncio
import random
from datetime import datetime
from typing import TYPE_CHECKING, Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._base import RecallCog, deck_autocomplete, require_deck
from bot.cogs._quiz_session import QuizSession, clock, expected_end, real_seconds, recover_interrupted
from bot.core.decks import Deck, QuizQuestion
from bot.core.errors import InvalidInput, NotAllowed, Stale
from bot.core.quiz import pick_questions
from bot.core.translation import N_, _, speaking
from bot.services.quiz import RoundRecord
from bot.ui.quiz import (
    ALREADY_STOPPING,
    PICK_A_DECK,
    QUIZ_ENDED,
    STOPPING,
    StopButton,
    announcement_embed,
    busy_text,
    missing_permissions_text,
    no_questions_text,
    stop_refused_text,
    stop_view,
)
from bot.ui import replies
from bot.ui.i18n import member_language, server_language
from bot.ui.replies import send_private

if TYPE_CHECKING:
    from bot.app import RecallBot

# Discord's names of the permissions, as its settings show them in English (translated where they are shown).
REQUIRED_PERMISSIONS: tuple[tuple[str, str], ...] = (
    # Translators: a permission's name, as Discord's channel settings show it in your language.
    ("view_channel", N_("View Channel")),
    # Translators: a permission's name, as Discord's channel settings show it in your language.
    ("send_messages", N_("Send Messages")),
    # Translators: a permission's name, as Discord's channel settings show it in your language.
    ("embed_links", N_("Embed Links")),
    # Translators: a permission's name, as Discord's channel settings show it in your language.
    ("add_reactions", N_("Add Reactions")),
    # Translators: a permission's name, as Discord's channel settings show it in your language.
    ("read_message_history", N_("Read Message History")),
)


def missing_permissions(permissions: discord.Permissions) -> list[str]:
    """The English names of the permissions a quiz needs that `permissions` lacks (stored as they are by the daily
    challenge; bot.ui.quiz.missing_permissions_text translates them)."""
    return [label for name, label in REQUIRED_PERMISSIONS if not getattr(permissions, name)]


class QuizCog(RecallCog, name="Quiz"):
    """Implements bot.ui.quiz.QuizActions (the Stop button's feature)."""

    dynamic_items = (StopButton,)

    def __init__(self, bot: RecallBot) -> None:
        super().__init__(bot)
        self.service = bot.services.quiz
        self.sessions: dict[int, QuizSession] = {}  # by channel id: one quiz per channel
        # Channels whose /quiz is between its busy check and its session (when it should end, for the busy note).
        # Claimed with no await after the check, so two /quiz at once cannot both pass it.
        self.claims: dict[int, datetime] = {}
        self._recovery: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        await super().cog_load()
        self._recovery = asyncio.create_task(recover_interrupted(self.bot, self.service, self.forget, self.is_live))

    async def cog_unload(self) -> None:
        await super().cog_unload()
        # Rounds stop at their next wait rather than being cancelled mid-write; a stuck one is cancelled after 5 s.
        tasks = [s.task for s in self.sessions.values() if s.task is not None]
        for session in self.sessions.values():
            session.halt()
        if self._recovery is not None:
            if not self.bot.is_ready():
                self._recovery.cancel()
            tasks.append(self._recovery)
        if tasks:
            _done, stuck = await asyncio.wait(tasks, timeout=5)
            for task in stuck:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self.sessions.clear()

    def forget(self, session: QuizSession) -> None:
        if self.sessions.get(session.channel_id) is session:
            del self.sessions[session.channel_id]

    def session_of(self, round_id: int) -> QuizSession | None:
        return next((s for s in self.sessions.values() if s.record.id == round_id), None)

    def is_live(self, round_id: int) -> bool:
        """The round runs in this process (started after this start-up, so not one a restart cut off)."""
        return self.session_of(round_id) is not None

    # /quiz -------------------------------------------------------------------------------------------------------

    @app_commands.command(name="quiz", description="Start a multiple-choice quiz in this channel; answer with letter reactions",
                          extras=replies.PUBLIC_REPLY)
    @app_commands.guild_only()
    @app_commands.describe(
        deck="The deck to quiz on (your last deck when left out)",
        questions="How many questions (1–20, default 5)",
        seconds="Seconds to answer each question (5–120, default 20)",
    )
    @app_commands.autocomplete(deck=deck_autocomplete)
    async def quiz(
        self,
        interaction: discord.Interaction,
        deck: str | None = None,
        questions: app_commands.Range[int, 1, 20] = 5,
        seconds: app_commands.Range[int, 5, 120] = 20,
    ) -> None:
        # Refusals raise bot.core.errors; RecallTree.on_error answers them privately, so their texts are in the
        # member's language, while the round itself speaks the server's (the language this command runs in).
        channel_id = interaction.channel_id
        assert channel_id is not None and interaction.guild_id is not None  # guild_only
        with speaking(member_language(interaction)):
            self._refuse_if_busy(channel_id)
            if missing := missing_permissions(interaction.app_permissions):
                raise NotAllowed(missing_permissions_text(missing))
        self.claims[channel_id] = expected_end(clock(), questions, real_seconds(seconds))
        try:
            with speaking(member_language(interaction)):
                chosen = await self._chosen_deck(interaction, deck)
            picked = pick_questions(chosen.quiz, questions, random.Random(random.random()))
            await self._start(interaction, chosen, picked, asked_for=questions, seconds=seconds)
        finally:
            del self.claims[channel_id]  # the session holds the channel now, or the start failed

    def is_busy(self, channel_id: int) -> bool:
        """A round runs in the channel, or a /quiz there is starting one."""
        return channel_id in self.sessions or channel_id in self.claims

    def _refuse_if_busy(self, channel_id: int) -> None:
        running = self.sessions.get(channel_id)
        if running is not None:
            raise NotAllowed(busy_text(running.ends_at()))
        if channel_id in self.claims:
            raise NotAllowed(busy_text(self.claims[channel_id]))

    async def _chosen_deck(self, interaction: discord.Interaction, deck_id: str | None) -> Deck:
        """The deck to quiz on: the one named, else the member's last deck."""
        if deck_id is None:
            deck_id = await self.service.last_deck(interaction.guild_id or 0, interaction.user.id)
            if deck_id is None:
                raise InvalidInput(_(PICK_A_DECK))
        deck = require_deck(interaction, deck_id)
        if not deck.quiz:
            raise InvalidInput(no_questions_text(deck))
        return deck

    async def _start(
        self, interaction: discord.Interaction, deck: Deck, picked: list[QuizQuestion], *, asked_for: int, seconds: int
    ) -> None:
        removes = interaction.app_permissions.manage_messages
        language = await server_language(interaction)
        with speaking(language):
            embed = announcement_embed(deck, questions=len(picked), seconds=seconds, starter_id=interaction.user.id,
                                       removes_reactions=removes, asked_for=asked_for)

        async def announce(record: RoundRecord) -> int | None:
            with speaking(language):
                view = stop_view(record.id)
            return await replies.send(interaction, embed=embed, view=view)

        await self._begin(interaction.guild_id or 0, interaction.channel_id or 0, interaction.user.id, deck, picked,
                          seconds=seconds, removes=removes, announce=announce, language=language)

    async def start_unprompted(
        self, channel: discord.TextChannel, deck: Deck, picked: list[QuizQuestion], *, seconds: int,
        announcement: Callable[[bool], discord.Embed],
    ) -> None:
        """Start a round no member asked for (the daily challenge): the bot is its starter, so only a moderator can
        stop it. `announcement(removes_reactions)` is its first message, built in the server's language like the
        whole round. Refuses (NotAllowed) while the channel has a quiz; discord.HTTPException when the channel cannot
        be posted in."""
        assert self.bot.user is not None  # the bot is logged in before it starts rounds
        self._refuse_if_busy(channel.id)
        self.claims[channel.id] = expected_end(clock(), len(picked), real_seconds(seconds))
        try:
            # No interaction says which language: the round is everyone's, so it speaks the server's.
            language = await self.bot.services.languages.of_server(channel.guild.id, channel.guild.preferred_locale)
            removes = channel.permissions_for(channel.guild.me).manage_messages
            with speaking(language):
                embed = announcement(removes)

            async def announce(record: RoundRecord) -> int:
                with speaking(language):
                    view = stop_view(record.id)
                message = await channel.send(embed=embed, view=view)
                return message.id

            await self._begin(channel.guild.id, channel.id, self.bot.user.id, deck, picked, seconds=seconds,
                              removes=removes, announce=announce, language=language)
        finally:
            del self.claims[channel.id]

    async def _begin(
        self, guild_id: int, channel_id: int, starter_id: int, deck: Deck, picked: list[QuizQuestion], *,
        seconds: int, removes: bool, announce: Callable[[RoundRecord], Awaitable[int | None]], language: str,
    ) -> None:
        """Store the round, post its announcement with `announce`, and run it in its own session, which speaks
        `language` (the server's)."""
        record = await self.service.create_round(
            guild_id=guild_id, channel_id=channel_id, deck_id=deck.id, starter_id=starter_id,
            question_count=len(picked), seconds=real_seconds(seconds), started_at=clock(),
        )
        session = QuizSession(self.bot, self.service, self.forget, record, picked, deck_title=deck.title,
                              removes_reactions=removes, language=language)
        self.sessions[channel_id] = session
        try:
            message_id = await announce(record)
            if message_id is not None:
                session.record = await self.service.set_announcement(record, message_id)
        except Exception:
            self.forget(session)
            await self.service.finish_round(record.id, "failed", clock())
            raise
        session.start()

    # Stop button (QuizActions) -----------------------------------------------------------------------------------

    async def stop_pressed(self, interaction: discord.Interaction, round_id: int) -> None:
        """The starter or a member with Manage Messages ends the round after its open question."""
        session = self.session_of(round_id)
        if session is None:
            raise Stale(_(QUIZ_ENDED))
        starter = session.record.starter_id
        if interaction.user.id != starter and not interaction.permissions.manage_messages:
            raise NotAllowed(stop_refused_text(starter))
        if session.round.stop_requested:
            raise Stale(_(ALREADY_STOPPING))
        # The round posts its scoreboard in the server's language; this note is the clicker's.
        session.request_stop(interaction.user.id)
        await send_private(interaction, _(STOPPING))

    # Reactions ---------------------------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        session = self.sessions.get(payload.channel_id)
        if session is not None:
            session.on_reaction(payload)


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(QuizCog(bot))
