"""/leaderboard, /stats and /settings: interaction in -> bot.services.progress -> bot.ui.progress out."""
from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.cogs._base import RecallCog, deck_autocomplete, require_deck
from bot.core.clock import utcnow
from bot.core.errors import InvalidInput
from bot.core.leaderboard import Board, Period
from bot.core.stats import StatsBounds
from bot.core.streaks import is_valid_zone
from bot.core.streaks import zone as zone_info
from bot.core.translation import _, speaking
from bot.services.progress import ProgressService
from bot.ui import replies
from bot.ui.export import MISSED_ONLY_YOURS, missed_file, missed_text
from bot.ui.i18n import member_language, server_language
from bot.ui.progress import (
    BOTS_HAVE_NO_STATS,
    DYNAMIC_ITEMS,
    HEATMAP_FILENAME,
    SERVER_ZONE_WORDS,
    BoardRef,
    board_embed,
    board_view,
    hide_streak_text,
    member_timezone_autocomplete,
    member_zone_text,
    stats_embed,
    unknown_zone_text,
)

if TYPE_CHECKING:
    from bot.app import RecallBot

BOARD_CHOICES = [app_commands.Choice(name=b.value, value=b.value) for b in Board]
PERIOD_CHOICES = [app_commands.Choice(name=p.value, value=p.value) for p in Period]


class ProgressCog(RecallCog, name="Progress"):
    """Implements bot.ui.progress.PageActions for the page buttons."""

    settings = app_commands.Group(name="settings", description="Your Recall preferences on this server", guild_only=True)
    dynamic_items = DYNAMIC_ITEMS

    @property
    def progress(self) -> ProgressService:
        return self.bot.services.progress

    # --- /leaderboard ----------------------------------------------------------------------------------------------

    @app_commands.command(name="leaderboard", description="This server's top members: points, streaks, reviews, accuracy",
                          extras=replies.PUBLIC_REPLY)
    @app_commands.describe(
        board="What to rank by (default: quiz points)",
        period="Which time window (default: this week; in the server's timezone)",
        deck="Only count one deck (points, reviews, accuracy)",
    )
    @app_commands.choices(board=BOARD_CHOICES, period=PERIOD_CHOICES)
    @app_commands.autocomplete(deck=deck_autocomplete)
    @app_commands.guild_only()
    async def leaderboard(
        self,
        interaction: discord.Interaction,
        board: str = Board.POINTS.value,
        period: str = Period.WEEK.value,
        deck: str | None = None,
    ) -> None:
        with speaking(member_language(interaction)):  # a refused deck is told privately: in the member's language
            deck_id = require_deck(interaction, deck).id if deck and deck.strip() else None
        embed, view = await self.render(interaction, BoardRef(Board(board), Period(period), deck_id, 0))
        await replies.send(interaction, embed=embed, view=view or discord.utils.MISSING)

    async def turn_page(self, interaction: discord.Interaction, ref: BoardRef, step: int) -> None:
        """◀ / ▶ from anyone: show the neighbouring page (re-counted now), with the clicker's own rank."""
        turned = BoardRef(ref.board, ref.period, ref.deck_id, max(ref.page + step, 0))
        # The board is the channel's: it keeps the server's language whoever turns the page.
        with speaking(await server_language(interaction)):
            embed, view = await self.render(interaction, turned)
        await replies.edit(interaction, embed=embed, view=view)

    async def render(
        self, interaction: discord.Interaction, ref: BoardRef
    ) -> tuple[discord.Embed, discord.ui.View | None]:
        assert interaction.guild_id is not None
        screen = await self.progress.board(
            interaction.guild_id, ref.board, ref.period, ref.deck_id, page=ref.page, viewer_id=interaction.user.id
        )
        return board_embed(screen, interaction.user.display_name), board_view(screen)

    # --- /stats ----------------------------------------------------------------------------------------------------

    @app_commands.command(name="stats", description="Streak, reviews, retention, quiz and explain stats, with a heatmap",
                          extras=replies.OWN_ACK)
    @app_commands.describe(member="Whose stats (default: yours)", public="Post in the channel instead of only for you",
                           export_missed="Also send the quiz questions you missed, as a CSV file")
    @app_commands.guild_only()
    async def stats(
        self, interaction: discord.Interaction, member: discord.Member | None = None, public: bool = False,
        export_missed: bool = False,
    ) -> None:
        assert interaction.guild_id is not None
        target = member or interaction.user
        with speaking(member_language(interaction)):  # refusals are private, even when the stats would be public
            if target.bot:
                raise InvalidInput(_(BOTS_HAVE_NO_STATS))
            if export_missed and target.id != interaction.user.id:  # a member's mistakes are theirs to share
                raise InvalidInput(_(MISSED_ONLY_YOURS))
        # Several queries and a picture: acknowledge first.
        await interaction.response.defer(ephemeral=not public, thinking=True)
        now = utcnow()
        stats = await self.progress.stats(interaction.guild_id, target.id, now)
        day_end = StatsBounds.of(now, zone_info(stats.zone)).tomorrow  # "due today" as the Due field counts it
        memory = await self.bot.services.memory.member_memory(
            interaction.guild_id, target.id, now=now, day_end=day_end
        )
        files = [discord.File(io.BytesIO(stats.heatmap_png), filename=HEATMAP_FILENAME)]
        content = None
        if export_missed:
            data, count = await self.bot.services.export.missed_file(interaction.guild_id, target.id)
            content = missed_text(count)
            if count:
                files.append(missed_file(data))
        await replies.send(interaction, content, embed=stats_embed(target.display_name, stats, memory), files=files,
                           ephemeral=not public)

    # --- /settings -------------------------------------------------------------------------------------------------

    @settings.command(name="timezone", description="The timezone your days (and streak) are counted in",
                      extras=replies.OWN_ACK)
    @app_commands.describe(zone="An IANA timezone such as Europe/Berlin; or the server's timezone")
    @app_commands.autocomplete(zone=member_timezone_autocomplete)
    async def settings_timezone(self, interaction: discord.Interaction, zone: str) -> None:
        assert interaction.guild_id is not None
        zone = zone.strip()
        use_server = zone.casefold() in SERVER_ZONE_WORDS
        if not use_server and not is_valid_zone(zone):
            raise InvalidInput(unknown_zone_text(zone))
        await interaction.response.defer(ephemeral=True, thinking=True)
        user = interaction.user
        result = await self.progress.set_member_timezone(
            interaction.guild_id, user.id, user.display_name, None if use_server else zone
        )
        await replies.send(interaction, member_zone_text(result), ephemeral=True)

    @settings.command(name="hide-streak", description="Hide your streak from the streak leaderboard (or show it again)")
    @app_commands.describe(hidden="True to hide your streak from the board, False to show it")
    async def settings_hide_streak(self, interaction: discord.Interaction, hidden: bool) -> None:
        assert interaction.guild_id is not None
        user = interaction.user
        await self.progress.set_hide_streak(interaction.guild_id, user.id, user.display_name, hidden)
        await replies.send(interaction, hide_streak_text(hidden), ephemeral=True)


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(ProgressCog(bot))
