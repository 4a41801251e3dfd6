"""/recall-admin: server timezone, daily minimum, desired retention, new-card limit, leaderboard reset.

Manage Server only: hidden from other members by default permissions, and checked again here (a server can grant
the command to others in its integration settings, and default permissions are only a default).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import streaks as rules
from bot.core.clock import utcnow
from bot.store.boards import reset_boards
from bot.store.guilds import get_guild_settings, update_guild_settings
from bot.services.streaks import recompute as recompute_guild  # interim
from bot.ui.progress import ConfirmResetView, timezone_autocomplete, unknown_zone_text

if TYPE_CHECKING:
    from bot.app import RecallBot

log = logging.getLogger("recall.admin")

MIN_RETENTION, MAX_RETENTION = 0.70, 0.99
MAX_DAILY_MINIMUM = 100
MAX_NEW_CARDS = 1000

manage_guild = app_commands.checks.has_permissions(manage_guild=True)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AdminCog(commands.GroupCog, name="Admin", group_name="recall-admin", group_description="Recall settings for this server"):
    def __init__(self, bot: RecallBot) -> None:
        self.bot = bot

    @app_commands.command(name="timezone", description="The server's timezone: days, streaks and boards follow it")
    @app_commands.describe(zone="An IANA timezone such as Europe/Berlin (members can pick their own in /settings)")
    @app_commands.autocomplete(zone=timezone_autocomplete)
    @manage_guild
    async def timezone(self, interaction: discord.Interaction, zone: str) -> None:
        assert interaction.guild_id is not None
        zone = zone.strip()
        if not rules.is_valid_zone(zone):
            await interaction.response.send_message(unknown_zone_text(zone), ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        await update_guild_settings(self.bot.db, interaction.guild_id, timezone=zone)
        # Members without their own zone now count days in this one: recount their streaks from the log.
        members = await recompute_guild(self.bot.db, interaction.guild_id)
        local = utcnow().astimezone(rules.zone(zone))
        await interaction.followup.send(
            f"The server's timezone is now **{zone}** (it is {local:%H:%M} there). Days, streaks and the "
            f"today/week/month boards follow it; {members} members' streaks were recounted.",
            ephemeral=True,
        )

    @app_commands.command(name="daily-minimum", description="Activities a member needs in a day for it to count")
    @app_commands.describe(count="Study ratings, quiz answers or explain attempts per day (1 = any activity)")
    @manage_guild
    async def daily_minimum(
        self, interaction: discord.Interaction, count: app_commands.Range[int, 1, MAX_DAILY_MINIMUM]
    ) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        await update_guild_settings(self.bot.db, interaction.guild_id, daily_minimum=count)
        members = await recompute_guild(self.bot.db, interaction.guild_id)
        unit = "activity" if count == 1 else "activities"
        await interaction.followup.send(
            f"A day now counts for a streak after **{count} {unit}**; {members} members' streaks were recounted.",
            ephemeral=True,
        )

    @app_commands.command(name="retention", description="Desired retention for spaced repetition (0.70–0.99)")
    @app_commands.describe(value="Share of cards you want to remember when due: higher means more reviews")
    @manage_guild
    async def retention(
        self, interaction: discord.Interaction, value: app_commands.Range[float, MIN_RETENTION, MAX_RETENTION]
    ) -> None:
        assert interaction.guild_id is not None
        await update_guild_settings(self.bot.db, interaction.guild_id, desired_retention=round(value, 3))
        await interaction.response.send_message(
            f"Desired retention is now **{value:.0%}**: it applies to the next review of each card.", ephemeral=True
        )

    @app_commands.command(name="new-cards", description="How many new cards a member sees per day")
    @app_commands.describe(count="New cards per member per day (0 = only reviews)")
    @manage_guild
    async def new_cards(
        self, interaction: discord.Interaction, count: app_commands.Range[int, 0, MAX_NEW_CARDS]
    ) -> None:
        assert interaction.guild_id is not None
        await update_guild_settings(self.bot.db, interaction.guild_id, new_card_limit=count)
        await interaction.response.send_message(f"New cards per day are now **{count}**.", ephemeral=True)

    @app_commands.command(name="reset-leaderboard", description="Start the leaderboards from zero (history is kept)")
    @manage_guild
    async def reset_leaderboard(self, interaction: discord.Interaction) -> None:
        settings = await get_guild_settings(self.bot.db, interaction.guild_id or 0)
        since = (
            f" (they count from {discord.utils.format_dt(settings.board_reset_at)} now)"
            if settings.board_reset_at
            else ""
        )
        await interaction.response.send_message(
            f"Reset the points, reviews and accuracy boards of this server{since}? Every answer and review is kept "
            "(streaks and `/stats` do not change); the boards just count from now on.",
            view=ConfirmResetView(interaction.user.id, self.confirm_reset),
            ephemeral=True,
        )

    async def confirm_reset(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        perms = interaction.permissions
        if not perms.manage_guild:
            await interaction.response.edit_message(
                content="You need the **Manage Server** permission to reset the leaderboard.", view=None
            )
            return
        now = utcnow()
        await reset_boards(self.bot.db, interaction.guild_id, now)
        log.info("leaderboard of server %s reset by %s", interaction.guild_id, interaction.user.id)
        await interaction.response.edit_message(
            content=f"✅ The leaderboards were reset: they count from {discord.utils.format_dt(now)}.", view=None
        )


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(AdminCog(bot))
