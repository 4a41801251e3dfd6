"""Milestone roles: the roles an admin ties to a streak or points, and which members should have them.

A reconcile compares who qualifies now (bot.core.milestones, over the stored streaks and the points boards) with
the roles Recall gave (the grants), and applies the difference through a `RoleChanger` (the Discord side, given by
the cog). A grant is recorded only once Discord accepted the role and dropped only once Discord took it back (or
the member or role is gone), so the grants always say what Recall really gave, and the next pass retries the rest.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Iterable, Protocol

from bot.core import leaderboard as lb
from bot.core import streaks as streak_rules
from bot.core.clock import utcnow
from bot.core.library import DeckLibrary
from bot.core.milestones import Kind, Milestone, Plan, Standing, Window, reconcile, streak_today
from bot.services.progress import server_zone_name
from bot.store import guilds
from bot.store import milestones as store
from bot.store.api import Store

log = logging.getLogger("recall.milestones")


class Outcome(Enum):
    """What Discord answered to one role change."""

    DONE = "done"
    MEMBER_GONE = "member gone"  # 404 Unknown Member: they left the server
    ROLE_GONE = "role gone"  # 404 Unknown Role: the role was deleted
    FORBIDDEN = "forbidden"  # 403: no Manage Roles, or the role is no longer below the bot's


class RoleChanger(Protocol):
    """Gives and takes one member's role on Discord (the cog's side)."""

    async def give(self, guild_id: int, user_id: int, role_id: int) -> Outcome: ...

    async def take(self, guild_id: int, user_id: int, role_id: int) -> Outcome: ...


@dataclass(frozen=True, slots=True)
class Applied:
    """What one reconcile changed on Discord, and how many changes Discord refused (403)."""

    given: int = 0
    taken: int = 0
    refused: int = 0


class MilestoneService:
    def __init__(self, db: Store, decks: DeckLibrary) -> None:
        self.db = db
        self.decks = decks
        # Members Discord said left their server (404 Unknown Member): not given roles again until they are seen
        # active there, so a departed member who still qualifies costs no request on every pass.
        self.gone: set[tuple[int, int]] = set()

    # --- the admin's milestones -----------------------------------------------------------------------------------

    async def add(self, guild_id: int, milestone: Milestone) -> None:
        await store.save_milestone(self.db, guild_id, milestone)

    async def remove(self, guild_id: int, role_id: int) -> Milestone | None:
        """Stop managing the role (its milestone, None if it had none); the roles Recall gave are taken back by the
        next reconcile of the server."""
        return await store.delete_milestone(self.db, guild_id, role_id)

    async def milestones(self, guild_id: int) -> list[Milestone]:
        return await store.load_milestones(self.db, guild_id)

    async def servers(self) -> list[int]:
        """Servers a reconcile pass visits: those with milestones or grants still to be taken back."""
        return await store.milestone_servers(self.db)

    async def recently_active(self, since: datetime) -> dict[int, set[int]]:
        """Members (by server) whose streak was stored since `since`: those who may have reached a milestone."""
        active: dict[int, set[int]] = defaultdict(set)
        for guild_id, user_id in await store.recently_active(self.db, since):
            active[guild_id].add(user_id)
            self.gone.discard((guild_id, user_id))
        return dict(active)

    # --- reconciling ----------------------------------------------------------------------------------------------

    async def plan(self, guild_id: int, now: datetime | None = None, users: Iterable[int] | None = None) -> Plan:
        """The roles to give and take back in the server (only `users`' when given) for the grants to match who
        qualifies at `now`."""
        now = now or utcnow()
        chosen = None if users is None else set(users)
        milestones = await store.load_milestones(self.db, guild_id)
        standing = await self._standing(guild_id, milestones, now, chosen)
        granted = await store.load_grants(self.db, guild_id, chosen)
        plan = reconcile(milestones, standing, granted, chosen)
        return Plan(tuple(g for g in plan.add if (guild_id, g[0]) not in self.gone), plan.remove)

    async def _standing(
        self, guild_id: int, milestones: list[Milestone], now: datetime, users: set[int] | None
    ) -> Standing:
        """Current streaks and points per window, read only as far as some milestone needs them."""
        streak_min = min((m.threshold for m in milestones if m.kind is Kind.STREAK), default=None)
        streaks: dict[int, int] = {}
        if streak_min is not None:
            for row in await store.streak_rows(self.db, guild_id, streak_min, users):
                streaks[row.user_id] = streak_today(row, streak_rules.today_in(streak_rules.zone(row.zone_name), now))
        points_min: dict[Window, int] = {}
        for m in milestones:
            if m.kind is Kind.POINTS and m.window is not None:
                points_min[m.window] = min(points_min.get(m.window, m.threshold), m.threshold)
        points: dict[Window, dict[int, int]] = {}
        if points_min:
            settings = await guilds.get_guild_settings(self.db, guild_id)
            tz = streak_rules.zone(server_zone_name(settings))
            for window, least in points_min.items():
                board_window = lb.counted_window(window.period, now, tz, settings.board_reset_at)
                points[window] = await store.points_in(self.db, guild_id, board_window, least, users)
        return Standing(streaks, points)

    async def apply(self, guild_id: int, plan: Plan, changer: RoleChanger, now: datetime | None = None) -> Applied:
        """Make the plan's changes on Discord one at a time, recording each as Discord answers it. A role Discord
        refuses (403) is left alone for the rest of this reconcile; a deleted role is forgotten."""
        now = now or utcnow()
        given = taken = refused = 0
        skipped: set[int] = set()
        for adding, changes in ((True, plan.add), (False, plan.remove)):
            for user_id, role_id in changes:
                if role_id in skipped:
                    continue
                change = changer.give if adding else changer.take
                outcome = await change(guild_id, user_id, role_id)
                if outcome is Outcome.DONE and adding:
                    await store.add_grant(self.db, guild_id, user_id, role_id, now)
                    given += 1
                elif outcome is Outcome.DONE or outcome is Outcome.MEMBER_GONE:
                    await store.drop_grant(self.db, guild_id, user_id, role_id)
                    taken += outcome is Outcome.DONE
                    if outcome is Outcome.MEMBER_GONE:
                        self.gone.add((guild_id, user_id))
                elif outcome is Outcome.ROLE_GONE:
                    await store.forget_role(self.db, guild_id, role_id)
                    skipped.add(role_id)
                    log.info("milestone role %s of server %s was deleted: forgotten", role_id, guild_id)
                else:
                    refused += 1
                    skipped.add(role_id)
                    log.warning("server %s refused Recall changing role %s (403): left as it is", guild_id, role_id)
        return Applied(given, taken, refused)

    async def reconcile(
        self, guild_id: int, changer: RoleChanger, now: datetime | None = None, users: Iterable[int] | None = None
    ) -> Applied:
        """Plan and apply in one call (the server's members, or only `users`)."""
        now = now or utcnow()
        return await self.apply(guild_id, await self.plan(guild_id, now, users), changer, now)
