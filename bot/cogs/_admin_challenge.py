"""/recall-admin daily-challenge: a mixin of the admin cog (bot.cogs.admin.AdminCog), kept in its own module.

`on`, `off` and `status` (Manage Server, checked like the admin cog's own commands). When the scheduler turned the
challenge off (channel gone, permissions missing, deck removed), the next successful /recall-admin command of an
admin shows why, once: these commands put the note above their reply, any other /recall-admin command gets it as a
private follow-up (`show_challenge_note`, run by the app_command_completion listener below).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._base import deck_autocomplete, require_deck
from bot.cogs._quiz_session import clock
from bot.cogs.quiz import missing_permissions
from bot.core.challenge import DEFAULT_SECONDS, MAX_QUESTIONS, MAX_SECONDS, MIN_QUESTIONS, MIN_SECONDS
from bot.core.errors import InvalidInput, NotAllowed
from bot.core.daily_time import parse_local_time
from bot.core.translation import _
from bot.services.challenge import ChallengeService
from bot.ui import replies
from bot.ui.challenge import (
    BAD_TIME,
    NOT_A_TEXT_CHANNEL,
    TURNED_OFF,
    WAS_OFF,
    missing_permissions_text,
    off_note_text,
    status_text,
    turned_on_text,
)
from bot.ui.quiz import no_questions_text

if TYPE_CHECKING:
    from bot.app import RecallBot

manage_guild = app_commands.checks.has_permissions(manage_guild=True)


class ChallengeAdmin:
    bot: RecallBot

    daily_challenge = app_commands.Group(name="daily-challenge", description="A quiz round posted every day")

    @property
    def challenge(self) -> ChallengeService:
        return self.bot.services.challenge

    @daily_challenge.command(name="on", description="Post a quiz round in a channel every day at the server's time")
    @app_commands.describe(
        channel="The text channel the round is posted in",
        at="Time of day as HH:MM, in the server's timezone (/recall-admin timezone)",
        deck="The deck its questions come from (none repeats until all were asked)",
        questions=f"How many questions ({MIN_QUESTIONS}–{MAX_QUESTIONS})",
        seconds=f"Seconds to answer each question ({MIN_SECONDS}–{MAX_SECONDS}, default {DEFAULT_SECONDS})",
    )
    @app_commands.rename(at="time")
    @app_commands.autocomplete(deck=deck_autocomplete)
    @manage_guild
    async def challenge_on(
        self, interaction: discord.Interaction, channel: discord.TextChannel, at: str, deck: str,
        questions: app_commands.Range[int, MIN_QUESTIONS, MAX_QUESTIONS],
        seconds: app_commands.Range[int, MIN_SECONDS, MAX_SECONDS] = DEFAULT_SECONDS,
    ) -> None:
        assert interaction.guild is not None  # /recall-admin is guild only
        try:
            local_time = parse_local_time(at)
        except ValueError:
            raise InvalidInput(_(BAD_TIME)) from None
        chosen = require_deck(interaction, deck)
        if not chosen.quiz:
            raise InvalidInput(no_questions_text(chosen))
        target = interaction.guild.get_channel(channel.id)
        if not isinstance(target, discord.TextChannel):
            raise InvalidInput(_(NOT_A_TEXT_CHANNEL))
        if missing := missing_permissions(target.permissions_for(interaction.guild.me)):
            raise NotAllowed(missing_permissions_text(target.id, missing))
        challenge = await self.challenge.turn_on(
            interaction.guild.id, channel_id=target.id, local_time=local_time, deck_id=chosen.id,
            questions=questions, seconds=seconds, now=clock(),
        )
        zone_name = await self.challenge.zone_name(interaction.guild.id)
        await self._reply(interaction, turned_on_text(challenge, zone_name, chosen))

    @daily_challenge.command(name="off", description="Stop posting the daily challenge")
    @manage_guild
    async def challenge_off(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        turned_off = await self.challenge.turn_off(interaction.guild_id)
        await self._reply(interaction, _(TURNED_OFF if turned_off else WAS_OFF))

    @daily_challenge.command(name="status", description="The daily challenge's channel, time and deck")
    @manage_guild
    async def challenge_status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        challenge = await self.challenge.status(interaction.guild_id)
        zone_name = await self.challenge.zone_name(interaction.guild_id)
        deck = self.bot.decks.get(interaction.guild_id, challenge.deck_id) if challenge else None
        await self._reply(interaction, status_text(challenge, zone_name, deck.title if deck else None))

    async def _reply(self, interaction: discord.Interaction, text: str) -> None:
        """A private reply, below the note of a challenge the bot turned off when the admins were not told yet."""
        assert interaction.guild_id is not None
        note = await self.challenge.take_note(interaction.guild_id)
        await replies.send(interaction, f"{off_note_text(note)}\n\n{text}" if note else text, ephemeral=True)

    async def show_challenge_note(self, interaction: discord.Interaction) -> None:
        """Tell an admin, privately and once, why the bot turned the daily challenge off (nothing if it did not)."""
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            return
        note = await self.challenge.take_note(interaction.guild_id)
        if note:
            await replies.send_private(interaction, off_note_text(note))

    @commands.Cog.listener("on_app_command_completion")
    async def challenge_note_after(
        self, interaction: discord.Interaction, command: app_commands.Command | app_commands.ContextMenu
    ) -> None:
        if command.qualified_name.startswith("recall-admin "):
            await self.show_challenge_note(interaction)
