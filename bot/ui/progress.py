"""Embeds, texts and buttons for /leaderboard, /stats, /settings and /recall-admin.

The ◀ ▶ buttons are `RecallItem`s: the custom id carries board, period, page and deck, so paging works for anyone
and after a restart. They only parse the id; the Progress cog (reached through `PageActions`) renders the page.
"""
from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable, Protocol

import discord
from discord import app_commands

from bot.core.decks import MAX_ID_LENGTH
from bot.core.leaderboard import ACCURACY_MIN_ANSWERS, PAGE_SIZE, Board, BoardPage, BoardScreen, Entry, Period
from bot.core.paging import page_count
from bot.core.stats import MemberStats, MemberZone, ServerZone
from bot.core.streaks import MAX_FREEZES, zone
from bot.ui import replies
from bot.ui.common import COLOUR, clip, days_text, member_text
from bot.ui.items import RecallItem, fields_of, guard, matching, not_yours_text, number, one_of
from bot.core.memory import MemberMemory
from bot.ui.memory import memory_field

HEATMAP_FILENAME = "activity.png"
EMPTY_COLOUR = discord.Colour.light_grey()
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
BOARD_TITLES = {
    Board.POINTS: "Quiz points",
    Board.STREAK: "Current streaks",
    Board.REVIEWS: "Reviews",
    Board.ACCURACY: "Quiz accuracy",
}
PERIOD_TITLES = {Period.TODAY: "today", Period.WEEK: "this week", Period.MONTH: "this month", Period.ALL: "all time"}
BOTS_HAVE_NO_STATS = "Bots don't study, so they have no stats."

# --- /leaderboard ---------------------------------------------------------------------------------------------------

MAX_PAGE = 999_999  # far more pages than any server has members; a larger number in an id is forged
DIRECTIONS = ("prev", "next")
DECK_FIELD = rf"[a-z0-9_-]{{0,{MAX_ID_LENGTH}}}"  # a deck id (a slug), or empty for every deck


@dataclass(frozen=True, slots=True)
class BoardRef:
    """What a leaderboard message shows; encoded in its buttons' custom ids (≤ 100 chars: deck ids are slugs)."""

    board: Board
    period: Period
    deck_id: str | None
    page: int

    @classmethod
    def of(cls, page: BoardPage) -> "BoardRef":
        return cls(page.board, page.period, page.deck_id, page.page)


class PageActions(Protocol):
    """What the page buttons need from the Progress cog."""

    async def turn_page(self, interaction: discord.Interaction, ref: BoardRef, step: int) -> None: ...


class PageButton(RecallItem[discord.ui.Button], prefix="lb", feature="Progress"):
    """◀ / ▶ on a leaderboard: anyone may turn the page (each sees their own line)."""

    command = "/leaderboard"

    def __init__(self, ref: BoardRef, direction: str, *, disabled: bool = False) -> None:
        custom_id = self.custom_id_of(ref.board.value, ref.period.value, ref.page, direction, ref.deck_id or "")
        super().__init__(
            discord.ui.Button(
                emoji="◀" if direction == "prev" else "▶",
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id,
                disabled=disabled,
            )
        )
        self.ref = ref
        self.direction = direction

    @classmethod
    def parse(cls, item: discord.ui.Button, args: str | None) -> "PageButton":
        board, period, page, direction, deck = fields_of(args, 5)
        ref = BoardRef(
            Board(one_of(board, [b.value for b in Board])),
            Period(one_of(period, [p.value for p in Period])),
            matching(deck, DECK_FIELD) or None,
            number(page, MAX_PAGE),
        )
        return cls(ref, one_of(direction, DIRECTIONS))

    async def run(self, interaction: discord.Interaction, actions: PageActions) -> None:
        await actions.turn_page(interaction, self.ref, -1 if self.direction == "prev" else 1)


DYNAMIC_ITEMS = (PageButton,)


def board_view(screen: BoardScreen) -> discord.ui.View | None:
    """The ◀ ▶ buttons of a board with more than one page; None for one page."""
    page = screen.page
    pages = page_count(page.total, PAGE_SIZE)
    if pages <= 1:
        return None
    ref = BoardRef.of(page)
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(ref, "prev", disabled=page.page <= 0))
    view.add_item(PageButton(ref, "next", disabled=page.page >= pages - 1))
    return view


def rank_label(rank: int) -> str:
    return MEDALS.get(rank, f"**{rank}.**")


def format_value(board: Board, entry: Entry) -> str:
    if board is Board.POINTS:
        return f"{int(entry.value):,} pts"
    if board is Board.STREAK:
        return days_text(int(entry.value))
    if board is Board.REVIEWS:
        count = int(entry.value)
        return f"{count:,} review" if count == 1 else f"{count:,} reviews"
    return f"{entry.value * 100:.0f}% ({entry.correct}/{entry.answers})"


def empty_text(board: Board, deck_id: str | None = None) -> str:
    """What an empty board says: how to get on it."""
    deck = f" `{deck_id}`" if deck_id else ""
    if board is Board.POINTS:
        return f"No quiz points yet. Play a round with `/quiz{' deck:' + deck_id if deck_id else ''}` to get on this board."
    if board is Board.STREAK:
        return "No streaks yet. Study with `/study`, play `/quiz` or answer `/explain` today to start one."
    if board is Board.REVIEWS:
        return f"No reviews yet. Rate some cards with `/study`{deck} to get on this board."
    return (
        f"Nobody has answered {ACCURACY_MIN_ANSWERS} quiz questions{deck} in this period yet. "
        "Play `/quiz` to get on this board."
    )


def board_title(page: BoardPage) -> str:
    title = f"🏆 {BOARD_TITLES[page.board]}"
    if page.board is not Board.STREAK:
        title += f" · {PERIOD_TITLES[page.period]}"
    if page.deck_id:
        title += f" · {page.deck_id}"
    return title[:256]


def display(names: dict[int, str], user_id: int) -> str:
    # A mention renders as the member's name and never pings (the bot sends with no allowed mentions).
    name = names.get(user_id)
    return member_text(clip(name, 80)) if name else f"<@{user_id}>"


def viewer_line(screen: BoardScreen, viewer_name: str) -> str:
    """The caller's own rank and value, shown even when they are on another page."""
    page = screen.page
    who = f"**{member_text(clip(viewer_name, 80))}**"
    if page.viewer is not None:
        return f"📍 {who}: #{page.viewer.rank} · {format_value(page.board, page.viewer.entry)}"
    if page.board is Board.STREAK and screen.viewer_hidden:
        return f"📍 {who}: your streak is hidden (`/settings hide-streak`)"
    if page.board is Board.ACCURACY:
        return f"📍 {who}: not ranked yet (needs {ACCURACY_MIN_ANSWERS} quiz answers in this period)"
    return f"📍 {who}: not on this board yet"


def board_embed(screen: BoardScreen, viewer_name: str) -> discord.Embed:
    page = screen.page
    embed = discord.Embed(title=board_title(page), colour=COLOUR if page.total else EMPTY_COLOUR)
    if not page.rows:
        embed.description = empty_text(page.board, page.deck_id)
    else:
        embed.description = "\n".join(
            f"{rank_label(r.rank)} {display(screen.names, r.entry.user_id)} — {format_value(page.board, r.entry)}"
            for r in page.rows
        )
    embed.add_field(name="You", value=viewer_line(screen, viewer_name)[:1024], inline=False)
    footer = f"Page {page.page + 1}/{page_count(page.total, PAGE_SIZE)}"
    if page.board is Board.ACCURACY:
        footer += f" · at least {ACCURACY_MIN_ANSWERS} answers to rank"
    if page.since is not None and page.period is Period.ALL:
        footer += " · since the last reset"
    embed.set_footer(text=footer + " · ties go to who got there first")
    embed.timestamp = screen.now
    return embed


# --- /stats ---------------------------------------------------------------------------------------------------------


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def stats_embed(name: str, stats: MemberStats, memory: MemberMemory | None = None) -> discord.Embed:
    embed = discord.Embed(title=f"📊 {name}"[:256], colour=COLOUR)
    streak, counts = stats.streak, stats.counts
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
            f"Today: {counts.reviews_today} · 7 days: {counts.reviews_week} · All time: {counts.reviews_all}\n"
            f"Retention (30 days): {percent(counts.retention)} of {counts.retention_reviews} not rated Again"
        ),
        inline=False,
    )
    embed.add_field(name="Due", value=f"Now: {counts.due_now} · Today: {counts.due_today}", inline=False)
    if memory is not None:
        embed.add_field(name="Memory", value=memory_field(memory), inline=False)
    embed.add_field(
        name="Quiz",
        value=(
            f"Answers: {counts.quiz_answers} · Accuracy: {percent(counts.accuracy)} · "
            f"Points: {counts.quiz_points:,}"
        ),
        inline=False,
    )
    explain = (
        f"Attempts: {counts.explain_attempts} · Average concepts: {counts.explain_hit:.1f} / {counts.explain_total:.1f}"
        if counts.explain_attempts
        else "No attempts yet (`/explain`)"
    )
    embed.add_field(name="Explain", value=explain, inline=False)
    embed.set_image(url=f"attachment://{HEATMAP_FILENAME}")
    embed.set_footer(text=f"Days in {stats.zone} · activity of the last 26 weeks")
    return embed


# --- /settings and /recall-admin ------------------------------------------------------------------------------------


def zone_clock(zone_name: str, now: datetime) -> str:
    """A zone and the time it is there now: "**Europe/Berlin** (it is 14:05 there)"."""
    return f"**{zone_name}** (it is {now.astimezone(zone(zone_name)):%H:%M} there)"


def member_zone_text(result: MemberZone) -> str:
    prefix = "You now use the server's timezone" if result.server_default else "Your timezone is now"
    return f"{prefix} {zone_clock(result.zone, result.now)}. Current streak: {days_text(result.streak.current)}."


def hide_streak_text(hidden: bool) -> str:
    if hidden:
        return (
            "Your streak is now hidden from `/leaderboard board:streak`. It still counts, and `/stats` still shows it."
        )
    return "Your streak is shown on `/leaderboard board:streak` again."


def server_zone_text(result: ServerZone) -> str:
    return (
        f"The server's timezone is now {zone_clock(result.zone, result.now)}. Days, streaks and the "
        f"today/week/month boards follow it; {result.recounted} members' streaks were recounted."
    )


def daily_minimum_text(count: int, recounted: int) -> str:
    unit = "activity" if count == 1 else "activities"
    return f"A day now counts for a streak after **{count} {unit}**; {recounted} members' streaks were recounted."


def retention_text(value: float) -> str:
    return f"Desired retention is now **{value:.0%}**: it applies to the next review of each card."


def new_cards_text(count: int) -> str:
    return f"New cards per day are now **{count}**."


def reset_prompt_text(reset_at: datetime | None) -> str:
    since = f" (they count from {discord.utils.format_dt(reset_at)} now)" if reset_at else ""
    return (
        f"Reset the points, reviews and accuracy boards of this server{since}? Every answer and review is kept "
        "(streaks and `/stats` do not change); the boards just count from now on."
    )


def reset_done_text(at: datetime) -> str:
    return f"✅ The leaderboards were reset: they count from {discord.utils.format_dt(at)}."


RESET_CANCELLED = "Nothing was reset."
RESET_COMMAND = "/recall-admin reset-leaderboard"


class ConfirmResetView(discord.ui.View):
    """Confirm / Cancel for /recall-admin reset-leaderboard; only the admin who asked can press them.

    A plain timed view, not restart-proof on purpose: a reset confirmed long after it was asked for (or after a
    restart) would surprise; the admin runs the command again instead.
    """

    def __init__(
        self, admin_id: int, on_confirm: Callable[[discord.Interaction], Awaitable[None]], timeout: float = 120
    ) -> None:
        super().__init__(timeout=timeout)
        self.admin_id = admin_id
        self.on_confirm = on_confirm

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.admin_id:
            await guard(
                interaction,
                replies.send(interaction, not_yours_text(self.admin_id, RESET_COMMAND), ephemeral=True),
                "ConfirmResetView check",
            )
            return False
        return True

    @discord.ui.button(label="Reset the leaderboard", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        replies.start_ack_timer(interaction, thinking=False, ephemeral=True)  # the reset is a write: may wait
        await guard(interaction, self.on_confirm(interaction), "ConfirmResetView confirm")

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await guard(
            interaction, replies.edit(interaction, content=RESET_CANCELLED, view=None), "ConfirmResetView cancel"
        )


# --- timezones ------------------------------------------------------------------------------------------------------

SERVER_ZONE = "server"  # /settings timezone value that goes back to the server's zone
SERVER_ZONE_WORDS = (SERVER_ZONE, "default", "none")


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


def unknown_zone_text(zone_name: str) -> str:
    return f"`{zone_name[:60]}` is not a timezone I know. Start typing a city (e.g. `Berlin`) and pick one of the suggestions."


async def timezone_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=name, value=name) for name in search_zones(current)]


async def member_timezone_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    choices = [app_commands.Choice(name="Use the server's timezone", value=SERVER_ZONE)]
    return (choices + await timezone_autocomplete(interaction, current))[:25]
