"""/recall-admin daily-challenge: a mixin of the admin cog (bot.cogs.admin.AdminCog), kept in its own module."""
from __future__ import annotations

import discord
from discord import app_commands

from bot.ui import replies


class ChallengeAdmin:
    daily_challenge = app_commands.Group(name="daily-challenge", description="A quiz round posted every day")

    @daily_challenge.command(name="status", description="The daily challenge's channel, time and deck")
    async def challenge_status(self, interaction: discord.Interaction) -> None:
        await replies.send(interaction, "No daily challenge is set up.", ephemeral=True)
