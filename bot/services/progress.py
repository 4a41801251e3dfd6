"""Leaderboards, /stats, /settings and the server settings of /recall-admin as use cases.

The time rules run here: a board's window in the server's timezone (bot.core.leaderboard), each zone's local today
for the streak board, a member's local days for /stats (bot.core.stats, bot.core.streaks), a server's month starts
when its timezone changes. bot.store gets what they decided as parameters and runs the SQL.
"""
from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime
from typing import Callable

from babel.dates import get_day_names, get_month_names

from bot.core import heatmap
from bot.core import leaderboard as lb
from bot.core import streaks as rules
from bot.core.clock import utcnow
from bot.core.leaderboard import Board, BoardPage, BoardScreen, Period
from bot.core.paging import clamp_page
from bot.core.stats import MemberStats, MemberZone, ServerZone, StatsBounds, day_start
from bot.core.translation import babel_locale
from bot.services import streaks
from bot.store import boards, guilds, members
from bot.store.api import Connection, Store
from bot.store.guilds import GuildSettings


def heatmap_labels() -> heatmap.Labels:
    """The heatmap's weekday and month names in the current language (Babel's abbreviations)."""
    locale = babel_locale()
    days = get_day_names("abbreviated", locale=locale)
    months = get_month_names("abbreviated", context="stand-alone", locale=locale)
    return heatmap.Labels(tuple(days[d] for d in range(7)), tuple(months[m] for m in range(1, 13)))


def server_zone_name(settings: GuildSettings) -> str:
    """The zone a server's boards and days follow: its own, else UTC."""
    return rules.effective_zone_name(None, settings.timezone)


async def _refile(conn: Connection, guild_id: int, zone_setting: str | None) -> None:
    """Start the server's months at local midnight of the 1st in its zone and refile its logs under them."""
    starts = lb.month_starts(rules.zone(rules.effective_zone_name(None, zone_setting)))
    await boards.rebuild_board_months(conn, guild_id, starts)


async def refile_upgraded_servers(db: Store, owns: Callable[[int], bool] = lambda guild_id: True) -> list[int]:
    """Refile the months of servers whose timezone was set before migration 0008 (their rows sit in UTC months, so
    their month boards read the logs until then); the servers done. Meant for start-up; later runs find none.
    `owns`: the servers this process may refile (a sharded process: those of its shards)."""
    servers = [(g, zone) for g, zone in await boards.unfiled_servers(db) if owns(g)]
    for guild_id, zone_setting in servers:
        # One server per transaction: writers wait for one refile at most.
        await db.atomic(lambda conn, g=guild_id, z=zone_setting: _refile(conn, g, z), offload=True)
    return [guild_id for guild_id, _ in servers]


class ProgressService:
    def __init__(self, db: Store, *, on_settings_change: Callable[[int], None]) -> None:
        self.db = db
        # Told (with the server's id) after a server setting or a member's timezone changed, so whatever was
        # remembered with the old settings (the study service's sessions) is forgotten.
        self.on_settings_change = on_settings_change

    # --- leaderboards ---------------------------------------------------------------------------------------------

    async def board_page(
        self, guild_id: int, board: Board, period: Period, deck_id: str | None, now: datetime | None = None,
        *, page: int = 0, viewer_id: int | None = None,
    ) -> BoardPage:
        """One page of the server's board (windows in the server's zone, counted from the last reset), moved to the
        last page when the board shrank below the one asked for."""
        now = now or utcnow()
        if board is Board.STREAK:
            window = lb.streak_window(await boards.streak_zones(self.db, guild_id), now)
        else:
            settings = await guilds.get_guild_settings(self.db, guild_id)
            window = lb.counted_window(period, now, rules.zone(server_zone_name(settings)), settings.board_reset_at)
        shown = await boards.load_board(
            self.db, guild_id, board, period, deck_id, window, page=page, viewer_id=viewer_id
        )
        last = clamp_page(shown.page, shown.total, lb.PAGE_SIZE)
        if not shown.rows and shown.page != last:  # past the end: the board shrank since this page was shown
            shown = await boards.load_board(
                self.db, guild_id, board, period, deck_id, window, page=last, viewer_id=viewer_id
            )
        return shown

    async def board(
        self, guild_id: int, board: Board, period: Period, deck_id: str | None, *, page: int = 0,
        viewer_id: int | None = None, now: datetime | None = None,
    ) -> BoardScreen:
        """A leaderboard message's content: the page, the names on it, and whether the viewer hid their streak."""
        now = now or utcnow()
        shown = await self.board_page(guild_id, board, period, deck_id, now, page=page, viewer_id=viewer_id)
        names = await members.member_names(self.db, guild_id, [r.entry.user_id for r in shown.rows])
        hidden = False
        if shown.board is Board.STREAK and shown.viewer is None and viewer_id is not None:
            prefs = await members.get_member(self.db, guild_id, viewer_id)
            hidden = bool(prefs and prefs.hide_streak)
        return BoardScreen(shown, names, hidden, now)

    async def reset_boards(self, guild_id: int, at: datetime | None = None) -> datetime:
        """Make the server's boards count from `at` (now): a snapshot of the totals is taken, history is kept."""
        at = at or utcnow()

        async def body(conn: Connection) -> None:
            await boards.take_baselines(conn, guild_id, at)
            await guilds.change_guild_settings(conn, guild_id, board_reset_at=at)

        await self.db.atomic(body, offload=True)
        self.on_settings_change(guild_id)
        return at

    # --- /stats ---------------------------------------------------------------------------------------------------

    async def member_zone(self, guild_id: int, user_id: int) -> str:
        """The zone a member's days are shown in: theirs, else the server's, else UTC."""
        prefs = await members.get_member(self.db, guild_id, user_id)
        settings = await guilds.get_guild_settings(self.db, guild_id)
        return rules.effective_zone_name(prefs.timezone if prefs else None, settings.timezone)

    async def activity_by_day(
        self, guild_id: int, user_id: int, zone_name: str, since: date, now: datetime
    ) -> dict[date, int]:
        """Activities per local day from `since` (a local day in `zone_name`) up to now, for the heatmap."""
        tz = rules.zone(zone_name)
        times = await boards.activity_between(self.db, guild_id, user_id, day_start(since, tz), now)
        return dict(Counter(rules.local_day(at, tz) for at in times))

    async def stats(self, guild_id: int, user_id: int, now: datetime | None = None) -> MemberStats:
        """A member's streak, counts and activity heatmap, in their zone."""
        now = now or utcnow()
        zone_name = await self.member_zone(guild_id, user_id)
        tz = rules.zone(zone_name)
        counts = await boards.study_counts(self.db, guild_id, user_id, StatsBounds.of(now, tz))
        streak = await streaks.current(self.db, guild_id, user_id, now)
        today = rules.today_in(tz, now)
        by_day = await self.activity_by_day(guild_id, user_id, zone_name, heatmap.first_day(today), now)
        labels = heatmap_labels()  # in the language /stats answers in, read here: the thread is only for drawing
        png = await asyncio.to_thread(heatmap.render, by_day, today, labels)  # ~10 ms of drawing: off the event loop
        return MemberStats(zone_name, streak, counts, png)

    # --- /settings ------------------------------------------------------------------------------------------------

    async def set_member_timezone(
        self, guild_id: int, user_id: int, display_name: str, zone_name: str | None, now: datetime | None = None
    ) -> MemberZone:
        """Count the member's days in `zone_name` (None: the server's) from now on, for their whole history: the
        streak is recounted from the log in the same transaction, so it always matches the zone stored."""
        if zone_name is not None and not rules.is_valid_zone(zone_name):
            raise ValueError(f"not a timezone: {zone_name!r}")  # the cog refuses unknown zones before this

        async def body(conn: Connection) -> None:
            await members.change_member(conn, guild_id, user_id, display_name, timezone=zone_name)
            await streaks.recompute_member(conn, guild_id, user_id)

        await self.db.atomic(body, offload=True)
        self.on_settings_change(guild_id)
        now = now or utcnow()
        streak = await streaks.current(self.db, guild_id, user_id, now)
        effective = await self.member_zone(guild_id, user_id)
        return MemberZone(effective, zone_name is None, streak, now)

    async def set_hide_streak(self, guild_id: int, user_id: int, display_name: str, hidden: bool) -> None:
        """Leave the member's streak off the streak board (it still counts and /stats still shows it), or not."""
        await members.set_member_field(self.db, guild_id, user_id, display_name, hide_streak=int(hidden))

    # --- /recall-admin --------------------------------------------------------------------------------------------

    async def server_settings(self, guild_id: int) -> GuildSettings:
        return await guilds.get_guild_settings(self.db, guild_id)

    async def set_server_timezone(self, guild_id: int, zone_name: str, now: datetime | None = None) -> ServerZone:
        """The server's days, streaks and today/week/month boards follow `zone_name` from now on.

        Setting it (even to the same zone: that also repairs months counted before it was known) refiles the
        server's month totals under its local months in the same transaction; then every member's streak is
        recounted (members with their own zone come out the same).
        """
        if not rules.is_valid_zone(zone_name):
            raise ValueError(f"not a timezone: {zone_name!r}")  # the cog refuses unknown zones before this

        async def body(conn: Connection) -> None:
            await guilds.change_guild_settings(conn, guild_id, timezone=zone_name)
            await _refile(conn, guild_id, zone_name)

        await self.db.atomic(body, offload=True)
        self.on_settings_change(guild_id)
        recounted = await streaks.recompute(self.db, guild_id)
        return ServerZone(zone_name, recounted, now or utcnow())

    async def set_daily_minimum(self, guild_id: int, count: int) -> int:
        """Activities a day needs to count; every member's streak is recounted. Returns how many were."""
        await guilds.update_guild_settings(self.db, guild_id, daily_minimum=count)
        self.on_settings_change(guild_id)
        return await streaks.recompute(self.db, guild_id)

    async def set_retention(self, guild_id: int, retention: float) -> None:
        """Desired retention for the next review of each card."""
        await guilds.update_guild_settings(self.db, guild_id, desired_retention=retention)
        self.on_settings_change(guild_id)

    async def set_new_card_limit(self, guild_id: int, count: int) -> None:
        """New cards a member sees per day."""
        await guilds.update_guild_settings(self.db, guild_id, new_card_limit=count)
        self.on_settings_change(guild_id)
