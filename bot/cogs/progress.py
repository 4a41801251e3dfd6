"""/leaderboard, /stats and /settings: a thin adapter over bot.store.boards, bot.store.streaks and bot.ui.progress."""
from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.cogs._base import RecallCog

from bot.core import heatmap
from bot.core import streaks as rules
from bot.core.clock import utcnow
from bot.core.leaderboard import Board, Period
from bot.store.boards import BoardPage, activity_by_day, load_board, member_names, member_stats
from bot.store.guilds import get_guild_settings
from bot.store.members import get_member, set_member_field
from bot.services.streaks import current as get_streak, recompute as recompute_guild  # interim
from bot.cogs._base import deck_autocomplete, find_deck
from bot.ui.common import days_text, unknown_deck_text
from bot.ui.progress import (
    DYNAMIC_ITEMS,
    HEATMAP_FILENAME,
    SERVER_ZONE,
    BoardRef,
    board_embed,
    board_view,
    member_timezone_autocomplete,
    unknown_zone_text,
    stats_embed,
    viewer_line,
)

if TYPE_CHECKING:
    from bot.app import RecallBot

log = logging.getLogger("recall.progress")

BOARD_CHOICES = [app_commands.Choice(name=b.value, value=b.value) for b in Board]
PERIOD_CHOICES = [app_commands.Choice(name=p.value, value=p.value) for p in Period]


class ProgressCog(RecallCog, name="Progress"):
    settings = app_commands.Group(name="settings", description="Your Recall preferences on this server", guild_only=True)
    dynamic_items = tuple(DYNAMIC_ITEMS)

    # --- /leaderboard ----------------------------------------------------------------------------------------------

    @app_commands.command(name="leaderboard", description="This server's top members: points, streaks, reviews, accuracy")
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
        deck_id = deck.strip() if deck else None
        if deck_id and find_deck(interaction, deck_id) is None:
            await interaction.response.send_message(unknown_deck_text(deck_id), ephemeral=True)
            return
        ref = BoardRef(Board(board), Period(period), deck_id, 0)
        embed, view = await self.render(interaction, ref)
        await interaction.response.send_message(embed=embed, view=view or discord.utils.MISSING)

    async def turn_page(self, interaction: discord.Interaction, ref: BoardRef, step: int) -> None:
        """◀ / ▶ from anyone: show the neighbouring page (re-counted now), with the clicker's own rank."""
        turned = BoardRef(ref.board, ref.period, ref.deck_id, max(ref.page + step, 0))
        embed, view = await self.render(interaction, turned)
        await interaction.response.edit_message(embed=embed, view=view)

    async def render(
        self, interaction: discord.Interaction, ref: BoardRef
    ) -> tuple[discord.Embed, discord.ui.View | None]:
        assert interaction.guild_id is not None
        now = utcnow()
        page = await load_board(
            self.bot.db, interaction.guild_id, ref.board, ref.period, ref.deck_id, now,
            page=ref.page, viewer_id=interaction.user.id,
        )
        names = await member_names(self.bot.db, interaction.guild_id, [r.entry.user_id for r in page.rows])
        line = await self.viewer_line(interaction, page)
        shown = BoardRef(ref.board, ref.period, page.deck_id, page.page)
        return board_embed(page, names, line, now), board_view(shown, page.total)

    async def viewer_line(self, interaction: discord.Interaction, page: BoardPage) -> str:
        assert interaction.guild_id is not None
        hidden = False
        if page.board is Board.STREAK and page.viewer is None:
            prefs = await get_member(self.bot.db, interaction.guild_id, interaction.user.id)
            hidden = bool(prefs and prefs.hide_streak)
        return viewer_line(page, interaction.user.display_name, hidden=hidden)

    # --- /stats ----------------------------------------------------------------------------------------------------

    @app_commands.command(name="stats", description="Streak, reviews, retention, quiz and explain stats, with a heatmap")
    @app_commands.describe(member="Whose stats (default: yours)", public="Post in the channel instead of only for you")
    @app_commands.guild_only()
    async def stats(
        self, interaction: discord.Interaction, member: discord.Member | None = None, public: bool = False
    ) -> None:
        assert interaction.guild_id is not None
        target = member or interaction.user
        if target.bot:
            await interaction.response.send_message("Bots don't study, so they have no stats.", ephemeral=True)
            return
        # Several queries and a picture: acknowledge first.
        await interaction.response.defer(ephemeral=not public, thinking=True)
        now = utcnow()
        stats = await member_stats(self.bot.db, interaction.guild_id, target.id, now)
        today = rules.today_in(rules.zone(stats.zone), now)
        counts = await activity_by_day(
            self.bot.db, interaction.guild_id, target.id, stats.zone, heatmap.first_day(today), now
        )
        png = await asyncio.to_thread(heatmap.render, counts, today)
        await interaction.followup.send(
            embed=stats_embed(target.display_name, stats),
            file=discord.File(io.BytesIO(png), filename=HEATMAP_FILENAME),
            ephemeral=not public,
        )

    # --- /settings -------------------------------------------------------------------------------------------------

    @settings.command(name="timezone", description="The timezone your days (and streak) are counted in")
    @app_commands.describe(zone="An IANA timezone such as Europe/Berlin; or the server's timezone")
    @app_commands.autocomplete(zone=member_timezone_autocomplete)
    async def settings_timezone(self, interaction: discord.Interaction, zone: str) -> None:
        assert interaction.guild_id is not None
        zone = zone.strip()
        use_server = zone.casefold() in (SERVER_ZONE, "default", "none")
        if not use_server and not rules.is_valid_zone(zone):
            await interaction.response.send_message(unknown_zone_text(zone), ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        gid, user = interaction.guild_id, interaction.user
        await set_member_field(self.bot.db, gid, user.id, user.display_name, timezone=None if use_server else zone)
        # Days are counted in the new zone from now on, for the whole history: recount so the streak matches the log.
        await recompute_guild(self.bot.db, gid, user.id)
        now = utcnow()
        streak = await get_streak(self.bot.db, gid, user.id, now)
        effective = rules.effective_zone_name(None if use_server else zone, await self.server_zone(gid))
        local = now.astimezone(rules.zone(effective))
        prefix = "You now use the server's timezone" if use_server else "Your timezone is now"
        await interaction.followup.send(
            f"{prefix} **{effective}** (it is {local:%H:%M} there). "
            f"Current streak: {days_text(streak.current)}.",
            ephemeral=True,
        )

    @settings.command(name="hide-streak", description="Hide your streak from the streak leaderboard (or show it again)")
    @app_commands.describe(hidden="True to hide your streak from the board, False to show it")
    async def settings_hide_streak(self, interaction: discord.Interaction, hidden: bool) -> None:
        assert interaction.guild_id is not None
        user = interaction.user
        await set_member_field(self.bot.db, interaction.guild_id, user.id, user.display_name, hide_streak=int(hidden))
        text = (
            "Your streak is now hidden from `/leaderboard board:streak`. It still counts, and `/stats` still shows it."
            if hidden
            else "Your streak is shown on `/leaderboard board:streak` again."
        )
        await interaction.response.send_message(text, ephemeral=True)

    async def server_zone(self, guild_id: int) -> str | None:
        return (await get_guild_settings(self.bot.db, guild_id)).timezone


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(ProgressCog(bot))

