"""/recall-admin: server timezone, daily minimum, desired retention (with the recommended one), new-card limit,
leaderboard reset, the server's memory model (Fit now, Roll back), and the language of what everyone sees.

Manage Server only: hidden from other members by default permissions, and checked again here (a server can grant
the command to others in its integration settings, and default permissions are only a default).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._admin_challenge import ChallengeAdmin
from bot.cogs._admin_roles import RolesAdmin
from bot.cogs._base import RecallCog
from bot.core.errors import InvalidInput, NotAllowed
from bot.core.streaks import is_valid_zone
from bot.core.memory import ScopeFit
from bot.core.translation import ENGLISH, LANGUAGE_NAMES, N_, _, language_of
from bot.services.memory import FitBusy, MemoryService
from bot.services.progress import ProgressService
from bot.ui import replies
from bot.ui.memory import (
    DYNAMIC_ITEMS,
    FIT_BUSY,
    NOTHING_TO_ROLL_BACK,
    ROLLED_BACK,
    ProgressNote,
    fitting_embed,
    model_embed,
    model_view,
    retention_advice_text,
    retention_view,
)
from bot.ui.progress import (
    ConfirmResetView,
    daily_minimum_text,
    new_cards_text,
    reset_done_text,
    reset_prompt_text,
    retention_text,
    server_zone_text,
    timezone_autocomplete,
    unknown_zone_text,
)

if TYPE_CHECKING:
    from bot.app import RecallBot

log = logging.getLogger("recall.admin")

MIN_RETENTION, MAX_RETENTION = 0.70, 0.99
MAX_DAILY_MINIMUM = 100
MAX_NEW_CARDS = 1000
NEEDS_MANAGE_SERVER = N_("You need the **Manage Server** permission to reset the leaderboard.")
NEEDS_MANAGE_SERVER_HERE = N_("You need the **Manage Server** permission for this.")
# /recall-admin language's choice that stores no language: follow Discord's server language (guild_locale).
FOLLOW_DISCORD = "discord"
LANGUAGE_CHOICES = [
    app_commands.Choice(name="Discord's server language", value=FOLLOW_DISCORD),
    # Each language named in itself, so an admin finds theirs whatever language their client shows.
    *(app_commands.Choice(name=name, value=code) for code, name in LANGUAGE_NAMES.items()),
]

manage_guild = app_commands.checks.has_permissions(manage_guild=True)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AdminCog(
    ChallengeAdmin, RolesAdmin, RecallCog, commands.GroupCog, name="Admin", group_name="recall-admin",
    group_description="Recall settings for this server",
):
    # The daily challenge and milestone roles are mixins (their own modules): subcommand groups of /recall-admin.
    # RecallCog registers the memory-model and retention buttons (bot.ui.memory.MemoryActions is implemented here).
    dynamic_items = DYNAMIC_ITEMS

    @property
    def progress(self) -> ProgressService:
        return self.bot.services.progress

    @property
    def memory(self) -> MemoryService:
        return self.bot.services.memory

    @app_commands.command(name="timezone", description="The server's timezone: days, streaks and boards follow it",
                          extras=replies.OWN_ACK)
    @app_commands.describe(zone="An IANA timezone such as Europe/Berlin (members can pick their own in /settings)")
    @app_commands.autocomplete(zone=timezone_autocomplete)
    @manage_guild
    async def timezone(self, interaction: discord.Interaction, zone: str) -> None:
        assert interaction.guild_id is not None
        zone = zone.strip()
        if not is_valid_zone(zone):
            raise InvalidInput(unknown_zone_text(zone))
        # Refiling the month totals and recounting streaks can take a while: acknowledge first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.progress.set_server_timezone(interaction.guild_id, zone)
        await replies.send(interaction, server_zone_text(result), ephemeral=True)

    @app_commands.command(name="daily-minimum", description="Activities a member needs in a day for it to count",
                          extras=replies.OWN_ACK)
    @app_commands.describe(count="Study ratings, quiz answers or explain attempts per day (1 = any activity)")
    @manage_guild
    async def daily_minimum(
        self, interaction: discord.Interaction, count: app_commands.Range[int, 1, MAX_DAILY_MINIMUM]
    ) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        recounted = await self.progress.set_daily_minimum(interaction.guild_id, count)
        await replies.send(interaction, daily_minimum_text(count, recounted), ephemeral=True)

    @app_commands.command(name="retention", description="Desired retention for spaced repetition (0.70–0.99)",
                          extras=replies.OWN_ACK)
    @app_commands.describe(value="Share of cards to remember when due; higher means more reviews (leave out for the "
                                 "recommended one)")
    @manage_guild
    async def retention(
        self, interaction: discord.Interaction,
        value: app_commands.Range[float, MIN_RETENTION, MAX_RETENTION] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        # The recommendation is a simulation of about a second: acknowledge first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        if value is not None:
            await self.progress.set_retention(interaction.guild_id, round(value, 3))
            await replies.send(interaction, retention_text(value), ephemeral=True)
            return
        advice = await self.memory.retention_advice(interaction.guild_id)
        view = retention_view(advice, interaction.user.id)
        await replies.send(interaction, retention_advice_text(advice), view=view, ephemeral=True)

    async def use_retention(self, interaction: discord.Interaction, value: float) -> None:
        """Use 0.xx under the recommendation: the admin's choice, so Manage Server is checked again."""
        guild_id = self.managed_guild(interaction)
        await self.progress.set_retention(guild_id, value)
        await replies.edit(interaction, content=retention_text(value), view=None)

    # --- memory model ----------------------------------------------------------------------------------------------

    @app_commands.command(name="memory-model", description="This server's memory model: who it schedules, its fits")
    @manage_guild
    async def memory_model(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        summary = await self.memory.summary(interaction.guild.id)
        await replies.send(interaction, embed=model_embed(summary, interaction.guild.name),
                           view=model_view(interaction.user.id), ephemeral=True)

    async def fit_now(self, interaction: discord.Interaction) -> None:
        """Fit every scope of the server with enough reviews now, one fit per server at a time."""
        guild_id = self.managed_guild(interaction)
        name = interaction.guild.name if interaction.guild else ""
        if self.memory.fitting(guild_id):
            raise NotAllowed(_(FIT_BUSY))
        await replies.edit(interaction, embed=fitting_embed(name), view=None)
        note = ProgressNote(interaction, name)
        fits: list[ScopeFit] | None = None
        try:
            fits = await self.memory.fit_server(guild_id, progress=note)
        except FitBusy:  # another click started one while the note was being shown
            pass
        finally:  # a failed fit too leaves the summary and its buttons, not a progress note that never ends
            await note.settled()
            summary = await self.memory.summary(guild_id)
            await replies.edit(interaction, embed=model_embed(summary, name, fits),
                               view=model_view(interaction.user.id))
        if fits is None:
            raise NotAllowed(_(FIT_BUSY))
        log.info("memory models of server %s fitted on request of %s", guild_id, interaction.user.id)

    async def roll_back(self, interaction: discord.Interaction) -> None:
        """The server's pooled set back to the one it replaced."""
        guild_id = self.managed_guild(interaction)
        if not await self.memory.roll_back(guild_id):
            raise InvalidInput(_(NOTHING_TO_ROLL_BACK))
        log.info("memory model of server %s rolled back by %s", guild_id, interaction.user.id)
        summary = await self.memory.summary(guild_id)
        name = interaction.guild.name if interaction.guild else ""
        await replies.edit(interaction, embed=model_embed(summary, name, note=_(ROLLED_BACK)),
                           view=model_view(interaction.user.id))

    @staticmethod
    def managed_guild(interaction: discord.Interaction) -> int:
        """The server of a button press by someone who still has Manage Server (it may have been taken away since
        the message was sent)."""
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            raise NotAllowed(_(NEEDS_MANAGE_SERVER_HERE))
        return interaction.guild_id

    @app_commands.command(name="new-cards", description="How many new cards a member sees per day")
    @app_commands.describe(count="New cards per member per day (0 = only reviews)")
    @manage_guild
    async def new_cards(
        self, interaction: discord.Interaction, count: app_commands.Range[int, 0, MAX_NEW_CARDS]
    ) -> None:
        assert interaction.guild_id is not None
        await self.progress.set_new_card_limit(interaction.guild_id, count)
        await replies.send(interaction, new_cards_text(count), ephemeral=True)

    @app_commands.command(name="reset-leaderboard", description="Start the leaderboards from zero (history is kept)")
    @manage_guild
    async def reset_leaderboard(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        settings = await self.progress.server_settings(interaction.guild_id)
        await replies.send(
            interaction,
            reset_prompt_text(settings.board_reset_at),
            view=ConfirmResetView(interaction.user.id, self.confirm_reset),
            ephemeral=True,
        )

    async def confirm_reset(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        if not interaction.permissions.manage_guild:  # the permission may have been taken away since the prompt
            raise NotAllowed(_(NEEDS_MANAGE_SERVER))
        at = await self.progress.reset_boards(interaction.guild_id)
        log.info("leaderboard of server %s reset by %s", interaction.guild_id, interaction.user.id)
        await replies.edit(interaction, content=reset_done_text(at), view=None)


    # --- language --------------------------------------------------------------------------------------------------

    @app_commands.command(name="language", description="The language of what everyone here sees: quiz rounds, "
                                                         "public cards, posted boards")
    @app_commands.describe(language="The language to use (leave out to see the current one)")
    @app_commands.choices(language=LANGUAGE_CHOICES)
    @manage_guild
    async def language(self, interaction: discord.Interaction, language: str | None = None) -> None:
        # Private, in the admin's own language: the new setting shows in the next public message.
        assert interaction.guild_id is not None
        languages = self.bot.services.languages
        if language is not None:
            await languages.choose(interaction.guild_id, None if language == FOLLOW_DISCORD else language)
            log.info("language of server %s set to %s by %s", interaction.guild_id, language, interaction.user.id)
        chosen = await languages.chosen(interaction.guild_id)
        text = language_text(chosen, interaction.guild_locale, changed=language is not None)
        await replies.send(interaction, text, ephemeral=True)


def language_name(language: str) -> str:
    return LANGUAGE_NAMES.get(language, language)


def language_text(chosen: str | None, guild_locale: object, *, changed: bool) -> str:
    """Which language everyone in the server sees, and where it comes from."""
    if chosen is not None:
        if changed:
            text = _("Done: what everyone in this server sees is now in **{language}**.")
        else:
            text = _("What everyone in this server sees is in **{language}**, chosen by an admin.")
        return text.format(language=language_name(chosen)) + "\n" + _(
            "Choose **Discord's server language** in `/recall-admin language` to follow the server's settings again.")
    following = language_of(guild_locale)
    discord_locale = str(getattr(guild_locale, "value", guild_locale or ""))
    if following != ENGLISH or not discord_locale or discord_locale.startswith("en"):
        if changed:
            text = _("Done: what everyone in this server sees follows Discord's server language again, "
                     "**{language}**.")
        else:
            text = _("What everyone in this server sees is in **{language}**: Discord's server language.")
    elif changed:
        text = _("Done: what everyone in this server sees follows Discord's server language again. Recall has no "
                 "translation for it ({locale}), so it is in **{language}**.")
    else:
        text = _("What everyone in this server sees is in **{language}**: Recall has no translation for Discord's "
                 "server language ({locale}).")
    return text.format(language=language_name(following), locale=discord_locale) + "\n" + _(
        "An admin can choose another one with `/recall-admin language`.")


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(AdminCog(bot))
