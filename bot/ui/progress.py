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
from bot.core.translation import N_, _, ngettext, number, percent
from bot.ui import replies
from bot.ui.common import COLOUR, clip, days_text, member_text
from bot.ui.i18n import answer_in
from bot.ui.items import RecallItem, fields_of, guard, matching, not_yours_text, one_of
from bot.ui.items import number as page_number
from bot.core.memory import MemberMemory
from bot.ui.memory import memory_field

HEATMAP_FILENAME = "activity.png"
EMPTY_COLOUR = discord.Colour.light_grey()
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
BOARD_TITLES = {
    Board.POINTS: N_("Quiz points"),
    Board.STREAK: N_("Current streaks"),
    Board.REVIEWS: N_("Reviews"),
    Board.ACCURACY: N_("Quiz accuracy"),
}
# Translators: a leaderboard's time window, shown after the board's name ("Quiz points · this week")
PERIOD_TITLES = {
    Period.TODAY: N_("today"), Period.WEEK: N_("this week"), Period.MONTH: N_("this month"), Period.ALL: N_("all time"),
}
BOTS_HAVE_NO_STATS = N_("Bots don't study, so they have no stats.")

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
            page_number(page, MAX_PAGE),
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
        points = int(entry.value)
        # Translators: quiz points on a leaderboard line, abbreviated ("1,250 pts")
        return ngettext("{count} pts", "{count} pts", points).format(count=number(points))
    if board is Board.STREAK:
        return days_text(int(entry.value))
    if board is Board.REVIEWS:
        count = int(entry.value)
        return ngettext("{count} review", "{count} reviews", count).format(count=number(count))
    # Translators: quiz accuracy on a leaderboard line: "75% (9/12)", right answers of all answers
    return _("{accuracy} ({correct}/{answers})").format(
        accuracy=percent(entry.value), correct=number(entry.correct), answers=number(entry.answers)
    )


def empty_text(board: Board, deck_id: str | None = None) -> str:
    """What an empty board says: how to get on it."""
    if board is Board.POINTS:
        if deck_id:
            return _("No quiz points yet. Play a round with `/quiz deck:{deck}` to get on this board.").format(
                deck=deck_id
            )
        return _("No quiz points yet. Play a round with `/quiz` to get on this board.")
    if board is Board.STREAK:
        return _("No streaks yet. Study with `/study`, play `/quiz` or answer `/explain` today to start one.")
    if board is Board.REVIEWS:
        if deck_id:
            return _("No reviews of `{deck}` yet. Rate some of its cards with `/study` to get on this board.").format(
                deck=deck_id
            )
        return _("No reviews yet. Rate some cards with `/study` to get on this board.")
    count = ACCURACY_MIN_ANSWERS
    if deck_id:
        return ngettext(
            "Nobody has answered at least {count} quiz question from `{deck}` in this period yet. "
            "Play `/quiz` to get on this board.",
            "Nobody has answered at least {count} quiz questions from `{deck}` in this period yet. "
            "Play `/quiz` to get on this board.",
            count,
        ).format(count=number(count), deck=deck_id)
    return ngettext(
        "Nobody has answered at least {count} quiz question in this period yet. Play `/quiz` to get on this board.",
        "Nobody has answered at least {count} quiz questions in this period yet. Play `/quiz` to get on this board.",
        count,
    ).format(count=number(count))


def board_title(page: BoardPage) -> str:
    # A heading of labels, not a sentence: the board, its window and its deck, separated by dots.
    parts = [_(BOARD_TITLES[page.board])]
    if page.board is not Board.STREAK:
        parts.append(_(PERIOD_TITLES[page.period]))
    if page.deck_id:
        parts.append(page.deck_id)
    return ("🏆 " + " · ".join(parts))[:256]


def display(names: dict[int, str], user_id: int) -> str:
    # A mention renders as the member's name and never pings (the bot sends with no allowed mentions).
    name = names.get(user_id)
    return member_text(clip(name, 80)) if name else f"<@{user_id}>"


def viewer_line(screen: BoardScreen, viewer_name: str) -> str:
    """The caller's own rank and value, shown even when they are on another page."""
    page = screen.page
    who = f"**{member_text(clip(viewer_name, 80))}**"
    if page.viewer is not None:
        # Translators: the reader's own place on a leaderboard: name, rank and value ("**Ann**: #3 · 500 pts")
        return _("📍 {who}: #{rank} · {value}").format(
            who=who, rank=number(page.viewer.rank), value=format_value(page.board, page.viewer.entry)
        )
    if page.board is Board.STREAK and screen.viewer_hidden:
        return _("📍 {who}: your streak is hidden (`/settings hide-streak`)").format(who=who)
    if page.board is Board.ACCURACY:
        return ngettext(
            "📍 {who}: not ranked yet (needs {count} quiz answer in this period)",
            "📍 {who}: not ranked yet (needs {count} quiz answers in this period)",
            ACCURACY_MIN_ANSWERS,
        ).format(who=who, count=number(ACCURACY_MIN_ANSWERS))
    return _("📍 {who}: not on this board yet").format(who=who)


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
    # Translators: the field with the reader's own place on a leaderboard
    embed.add_field(name=_("You"), value=viewer_line(screen, viewer_name)[:1024], inline=False)
    # Separate notes, each a whole phrase, joined by dots.
    notes = [_("Page {page}/{pages}").format(page=number(page.page + 1),
                                             pages=number(page_count(page.total, PAGE_SIZE)))]
    if page.board is Board.ACCURACY:
        notes.append(ngettext("at least {count} answer to rank", "at least {count} answers to rank",
                              ACCURACY_MIN_ANSWERS).format(count=number(ACCURACY_MIN_ANSWERS)))
    if page.since is not None and page.period is Period.ALL:
        notes.append(_("since the last reset"))
    notes.append(_("ties go to who got there first"))
    embed.set_footer(text=" · ".join(notes))
    embed.timestamp = screen.now
    return embed


# --- /stats ---------------------------------------------------------------------------------------------------------


def share_text(share: float | None) -> str:
    """A share as a percentage in the current language; a dash when there is nothing to count it of."""
    return "—" if share is None else percent(share)


def average_text(value: float) -> str:
    # Always one decimal ("2.0 / 4.0"), in the language's own way of writing it.
    return number(value, 1, fixed=True)


def stats_embed(name: str, stats: MemberStats, memory: MemberMemory | None = None) -> discord.Embed:
    embed = discord.Embed(title=f"📊 {name}"[:256], colour=COLOUR)
    streak, counts = stats.streak, stats.counts
    embed.add_field(
        # Translators: /stats field title
        name=_("Streak"),
        value=_("Current streak: {current}\nBest streak: {best}\nFreezes: {icons} ({held}/{most} held)").format(
            current=days_text(streak.current), best=days_text(streak.best), icons="🧊" * streak.freezes or "—",
            held=number(streak.freezes), most=number(MAX_FREEZES),
        ),
        inline=False,
    )
    reviews = _("Today: {today} · 7 days: {week} · All time: {all}").format(
        today=number(counts.reviews_today), week=number(counts.reviews_week), all=number(counts.reviews_all)
    )
    retention = ngettext(
        "Retention (30 days): {share} of {count} not rated Again",
        "Retention (30 days): {share} of {count} not rated Again",
        counts.retention_reviews,
    ).format(share=share_text(counts.retention), count=number(counts.retention_reviews))
    # Translators: /stats field title
    embed.add_field(name=_("Reviews"), value=f"{reviews}\n{retention}", inline=False)
    embed.add_field(
        # Translators: /stats field title: cards due for review
        name=_("Due"),
        # Translators: cards due for review now, and by the end of today
        value=_("Now: {now} · Today: {today}").format(now=number(counts.due_now), today=number(counts.due_today)),
        inline=False,
    )
    if memory is not None:
        # Translators: /stats field title: how well Recall's memory model fits the member
        embed.add_field(name=_("Memory"), value=memory_field(memory), inline=False)
    embed.add_field(
        # Translators: /stats field title
        name=_("Quiz"),
        value=_("Answers: {answers} · Accuracy: {accuracy} · Points: {points}").format(
            answers=number(counts.quiz_answers), accuracy=share_text(counts.accuracy),
            points=number(counts.quiz_points),
        ),
        inline=False,
    )
    explain = (
        _("Attempts: {attempts} · Average concepts: {found} / {asked}").format(
            attempts=number(counts.explain_attempts), found=average_text(counts.explain_hit),
            asked=average_text(counts.explain_total),
        )
        if counts.explain_attempts
        else _("No attempts yet (`/explain`)")
    )
    # Translators: /stats field title: the /explain command's results
    embed.add_field(name=_("Explain"), value=explain, inline=False)
    embed.set_image(url=f"attachment://{HEATMAP_FILENAME}")
    embed.set_footer(text=_("Days in {zone} · activity of the last 26 weeks").format(zone=stats.zone))
    return embed


# --- /settings and /recall-admin ------------------------------------------------------------------------------------


def zone_clock(zone_name: str, now: datetime) -> str:
    """A zone and the time it is there now: "**Europe/Berlin** (it is 14:05 there)"."""
    # Translators: a timezone and its local time now ("**Europe/Berlin** (it is 14:05 there)")
    return _("**{zone}** (it is {time} there)").format(zone=zone_name, time=f"{now.astimezone(zone(zone_name)):%H:%M}")


def member_zone_text(result: MemberZone) -> str:
    if result.server_default:
        text = _("You now use the server's timezone {zone}. Current streak: {streak}.")
    else:
        text = _("Your timezone is now {zone}. Current streak: {streak}.")
    return text.format(zone=zone_clock(result.zone, result.now), streak=days_text(result.streak.current))


def hide_streak_text(hidden: bool) -> str:
    if hidden:
        return _(
            "Your streak is now hidden from `/leaderboard board:streak`. It still counts, and `/stats` still shows it."
        )
    return _("Your streak is shown on `/leaderboard board:streak` again.")


def recounted_text(count: int) -> str:
    return ngettext("{count} member's streak was recounted", "{count} members' streaks were recounted",
                    count).format(count=number(count))


def server_zone_text(result: ServerZone) -> str:
    return _(
        "The server's timezone is now {zone}. Days, streaks and the today/week/month boards follow it; {recounted}."
    ).format(zone=zone_clock(result.zone, result.now), recounted=recounted_text(result.recounted))


def daily_minimum_text(count: int, recounted: int) -> str:
    return ngettext(
        "A day now counts for a streak after **{count} activity**; {recounted}.",
        "A day now counts for a streak after **{count} activities**; {recounted}.",
        count,
    ).format(count=number(count), recounted=recounted_text(recounted))


def retention_text(value: float) -> str:
    return _("Desired retention is now **{retention}**: it applies to the next review of each card.").format(
        retention=percent(value)
    )


def new_cards_text(count: int) -> str:
    return _("New cards per day are now **{count}**.").format(count=number(count))


def reset_prompt_text(reset_at: datetime | None) -> str:
    if reset_at:
        return _(
            "Reset the points, reviews and accuracy boards of this server (they count from {since} now)? Every "
            "answer and review is kept (streaks and `/stats` do not change); the boards just count from now on."
        ).format(since=discord.utils.format_dt(reset_at))
    return _(
        "Reset the points, reviews and accuracy boards of this server? Every answer and review is kept "
        "(streaks and `/stats` do not change); the boards just count from now on."
    )


def reset_done_text(at: datetime) -> str:
    return _("✅ The leaderboards were reset: they count from {at}.").format(at=discord.utils.format_dt(at))


RESET_CANCELLED = N_("Nothing was reset.")
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
        # The decorators' labels are read at import; the buttons speak the language of the prompt they are on.
        self.confirm.label = _("Reset the leaderboard")
        # Translators: button that leaves the leaderboards as they are
        self.cancel.label = _("Cancel")

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # A plain view: nothing before this chose the language its private answers speak.
        await answer_in(interaction, public=False)
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
            interaction, replies.edit(interaction, content=_(RESET_CANCELLED), view=None), "ConfirmResetView cancel"
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
    return _(
        "`{zone}` is not a timezone I know. Start typing a city (e.g. `Berlin`) and pick one of the suggestions."
    ).format(zone=zone_name[:60])


async def timezone_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=name, value=name) for name in search_zones(current)]


async def member_timezone_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    choices = [app_commands.Choice(name=_("Use the server's timezone"), value=SERVER_ZONE)]
    return (choices + await timezone_autocomplete(interaction, current))[:25]
