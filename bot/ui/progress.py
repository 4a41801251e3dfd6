"""Embeds and buttons for /leaderboard, /stats, /settings and /recall-admin.

The ◀ ▶ buttons are DynamicItems: the custom id carries board, period, page and deck, so paging works for anyone
and after a restart. They only parse the id; the Progress cog renders the page.
"""
from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable, Protocol

import discord
from discord import app_commands

from bot.core import leaderboard as lb
from bot.core.leaderboard import Board, Period
from bot.core.streaks import MAX_FREEZES
from bot.ui.common import days_text
from bot.store.boards import BoardPage, MemberStats
from bot.ui.common import COLOUR

HEATMAP_FILENAME = "activity.png"
EMPTY_COLOUR = discord.Colour.light_grey()


@dataclass(frozen=True, slots=True)
class BoardRef:
    """What a leaderboard message shows; encoded in its buttons' custom ids (≤ 100 chars: deck ids are slugs)."""

    board: Board
    period: Period
    deck_id: str | None
    page: int

    def custom_id(self, direction: str) -> str:
        return f"lb:{self.board.value}:{self.period.value}:{self.page}:{direction}:{self.deck_id or ''}"[:100]


class PageActions(Protocol):
    async def turn_page(self, interaction: discord.Interaction, ref: BoardRef, step: int) -> None: ...


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"lb:(?P<board>[a-z]+):(?P<period>[a-z]+):(?P<page>\d{1,6}):(?P<dir>prev|next):(?P<deck>[A-Za-z0-9_-]*)",
):
    def __init__(self, ref: BoardRef, direction: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="◀" if direction == "prev" else "▶",
                style=discord.ButtonStyle.secondary,
                custom_id=ref.custom_id(direction),
                disabled=disabled,
            )
        )
        self.ref = ref
        self.direction = direction

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> "PageButton":
        ref = BoardRef(Board(match["board"]), Period(match["period"]), match["deck"] or None, int(match["page"]))
        return cls(ref, match["dir"])

    async def callback(self, interaction: discord.Interaction) -> Any:
        cog: PageActions | None = interaction.client.get_cog("Progress")  # type: ignore[attr-defined]
        if cog is None:
            await interaction.response.send_message("Leaderboards are not available right now.", ephemeral=True)
            return
        await cog.turn_page(interaction, self.ref, -1 if self.direction == "prev" else 1)


DYNAMIC_ITEMS = (PageButton,)


def board_view(ref: BoardRef, total: int) -> discord.ui.View | None:
    pages = lb.page_count(total)
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(ref, "prev", disabled=ref.page <= 0))
    view.add_item(PageButton(ref, "next", disabled=ref.page >= pages - 1))
    return view


def board_title(page: BoardPage) -> str:
    title = f"🏆 {lb.BOARD_TITLES[page.board]}"
    if page.board is not Board.STREAK:
        title += f" · {lb.PERIOD_TITLES[page.period]}"
    if page.deck_id:
        title += f" · {page.deck_id}"
    return title[:256]


def display(names: dict[int, str], user_id: int) -> str:
    # A mention renders as the member's name and never pings (the bot sends with no allowed mentions).
    name = names.get(user_id)
    return discord.utils.escape_markdown(name)[:80] if name else f"<@{user_id}>"


def viewer_line(page: BoardPage, viewer_name: str, *, hidden: bool = False) -> str:
    """The caller's own rank and value, shown even when they are on another page."""
    who = f"**{discord.utils.escape_markdown(viewer_name)[:80]}**"
    if page.viewer is not None:
        return f"📍 {who}: #{page.viewer.rank} · {lb.format_value(page.board, page.viewer.entry)}"
    if page.board is Board.STREAK and hidden:
        return f"📍 {who}: your streak is hidden (`/settings hide-streak`)"
    if page.board is Board.ACCURACY:
        return f"📍 {who}: not ranked yet (needs {lb.ACCURACY_MIN_ANSWERS} quiz answers in this period)"
    return f"📍 {who}: not on this board yet"


def board_embed(page: BoardPage, names: dict[int, str], viewer_line_text: str, now: datetime) -> discord.Embed:
    embed = discord.Embed(title=board_title(page), colour=COLOUR if page.total else EMPTY_COLOUR)
    if not page.rows:
        embed.description = lb.empty_text(page.board, page.deck_id)
    else:
        embed.description = "\n".join(
            f"{lb.rank_label(r.rank)} {display(names, r.entry.user_id)} — {lb.format_value(page.board, r.entry)}"
            for r in page.rows
        )
    embed.add_field(name="You", value=viewer_line_text[:1024], inline=False)
    footer = f"Page {page.page + 1}/{lb.page_count(page.total)}"
    if page.board is Board.ACCURACY:
        footer += f" · at least {lb.ACCURACY_MIN_ANSWERS} answers to rank"
    if page.since is not None and page.period is Period.ALL:
        footer += " · since the last reset"
    embed.set_footer(text=footer + " · ties go to who got there first")
    embed.timestamp = now
    return embed


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def stats_embed(name: str, stats: MemberStats) -> discord.Embed:
    embed = discord.Embed(title=f"📊 {name}"[:256], colour=COLOUR)
    streak = stats.streak
    embed.add_field(
        name="Streak",
        value=(
            f"Current streak: {days_text(streak.current)}\n"
            f"Best streak: {days_text(streak.best)}\n"
            f"Freezes: {'🧊' * streak.freezes or '—'} ({streak.freezes}/{MAX_FREEZES} held)"
        ),
        inline=False,
    )
    embed.add_field(
        name="Reviews",
        value=(
            f"Today: {stats.reviews_today} · 7 days: {stats.reviews_week} · All time: {stats.reviews_all}\n"
            f"Retention (30 days): {percent(stats.retention)} of {stats.retention_reviews} not rated Again"
        ),
        inline=False,
    )
    embed.add_field(name="Due", value=f"Now: {stats.due_now} · Today: {stats.due_today}", inline=False)
    embed.add_field(
        name="Quiz",
        value=(
            f"Answers: {stats.quiz_answers} · Accuracy: {percent(stats.accuracy)} · "
            f"Points: {stats.quiz_points:,}"
        ),
        inline=False,
    )
    explain = (
        f"Attempts: {stats.explain_attempts} · Average concepts: {stats.explain_hit:.1f} / {stats.explain_total:.1f}"
        if stats.explain_attempts
        else "No attempts yet (`/explain`)"
    )
    embed.add_field(name="Explain", value=explain, inline=False)
    embed.set_image(url=f"attachment://{HEATMAP_FILENAME}")
    embed.set_footer(text=f"Days in {stats.zone} · activity of the last 26 weeks")
    return embed


class ConfirmResetView(discord.ui.View):
    """Confirm / Cancel for /recall-admin reset-leaderboard; only the admin who asked can press them."""

    def __init__(
        self, admin_id: int, on_confirm: Callable[[discord.Interaction], Awaitable[None]], timeout: float = 120
    ) -> None:
        super().__init__(timeout=timeout)
        self.admin_id = admin_id
        self.on_confirm = on_confirm

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.admin_id:
            await interaction.response.send_message("Only the admin who asked can confirm this.", ephemeral=True)
            return False
        return True

    @discord.ui.button(label="Reset the leaderboard", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await self.on_confirm(interaction)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(content="Nothing was reset.", view=None)


SERVER_ZONE = "server"  # /settings timezone value that goes back to the server's zone


@functools.cache
def _zone_names() -> tuple[str, ...]:
    # Only real IANA region names (no "posixrules", "Factory" or legacy "US/…" aliases first).
    names = sorted(zoneinfo.available_timezones())
    return tuple(n for n in names if "/" in n and not n.startswith(("posix", "right/", "Etc/"))) + ("UTC",)


def search_zones(text: str, limit: int = 25) -> list[str]:
    """IANA zone names containing `text` (spaces as underscores), prefix and city-prefix matches first."""
    needle = text.strip().casefold().replace(" ", "_")
    names = _zone_names()
    if not needle:
        return ["UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo"][:limit]
    hits = [n for n in names if needle in n.casefold()]
    hits.sort(key=lambda n: (not n.casefold().startswith(needle), not n.casefold().rsplit("/", 1)[-1].startswith(needle), n))
    return hits[:limit]


def unknown_zone_text(zone: str) -> str:
    return f"`{zone[:60]}` is not a timezone I know. Start typing a city (e.g. `Berlin`) and pick one of the suggestions."


async def timezone_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=name, value=name) for name in search_zones(current)]


async def member_timezone_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    choices = [app_commands.Choice(name="Use the server's timezone", value=SERVER_ZONE)]
    return (choices + await timezone_autocomplete(interaction, current))[:25]
