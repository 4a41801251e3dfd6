"""Milestone roles on Discord: the reconcile loop and the Discord side of each role change.

One task ticks every TICK: at start-up and every FULL_PASS it reconciles every server this process owns (members with
stats or grants); on the other ticks only the members whose streak was stored since the last look (every study
rating, quiz answer and explain attempt stores it, so a finished quiz round is seen on the next tick without
touching the quiz's or the study's path), and fully the servers whose milestones an admin changed. Role changes go
through discord.py's HTTP client (no member cache is needed: the bot has no members intent), paced by ROLE_PAUSE.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Awaitable, Callable

import discord
from discord.ext import commands

from bot.core.clock import utcnow
from bot.core.translation import _, speaking
from bot.services.milestones import Applied, MilestoneService, Outcome
from bot.ui.milestones import AUDIT_REASON

if TYPE_CHECKING:
    from bot.app import RecallBot

log = logging.getLogger("recall.milestones")

TICK = 60.0  # seconds between looks
FULL_PASS = timedelta(minutes=10)
# A streak stored just before the last look may carry an earlier time (a quiz answer is stored when its question
# closes): look back this far before the last look.
LOOK_BACK = timedelta(minutes=2)
# Seconds between two role changes: a large pass stays far below Discord's 50 requests/s (shared with replies).
ROLE_PAUSE = 0.1
UNKNOWN_ROLE = 10011

Change = Callable[..., Awaitable[None]]


class DiscordRoles:
    """bot.services.milestones.RoleChanger over discord.py's HTTP client."""

    def __init__(self, http: discord.http.HTTPClient, pause: float) -> None:
        self.http = http
        self.pause = pause

    async def give(self, guild_id: int, user_id: int, role_id: int) -> Outcome:
        return await self._change(self.http.add_role, guild_id, user_id, role_id)

    async def take(self, guild_id: int, user_id: int, role_id: int) -> Outcome:
        return await self._change(self.http.remove_role, guild_id, user_id, role_id)

    async def _change(self, change: Change, guild_id: int, user_id: int, role_id: int) -> Outcome:
        try:
            await change(guild_id, user_id, role_id, reason=_(AUDIT_REASON))
        except discord.NotFound as exc:
            return Outcome.ROLE_GONE if exc.code == UNKNOWN_ROLE else Outcome.MEMBER_GONE
        except discord.Forbidden:
            return Outcome.FORBIDDEN
        finally:
            await asyncio.sleep(self.pause)
        return Outcome.DONE


class MilestonesCog(commands.Cog, name="Milestones"):
    def __init__(self, bot: RecallBot) -> None:
        self.bot = bot
        self.roles = DiscordRoles(bot.http, ROLE_PAUSE)
        self.changed: set[int] = set()  # servers whose milestones changed since the last tick
        # One reconcile at a time, so a pass and a tick never give the same role twice or race on a grant.
        self.lock = asyncio.Lock()
        self.task: asyncio.Task | None = None

    @property
    def service(self) -> MilestoneService:
        return self.bot.services.milestones

    async def cog_load(self) -> None:
        self.task = asyncio.create_task(self.run(), name="milestone-roles")

    async def cog_unload(self) -> None:
        if self.task is not None:
            self.task.cancel()

    @commands.Cog.listener()
    async def on_milestones_changed(self, guild_id: int) -> None:
        self.changed.add(guild_id)

    async def run(self) -> None:
        await self.bot.wait_until_ready()
        last_full = last_look = None
        while True:
            now = utcnow()
            try:
                if last_full is None or now - last_full >= FULL_PASS:
                    await self.full_pass(now)
                    last_full = now
                else:
                    assert last_look is not None
                    await self.quick_pass(last_look - LOOK_BACK, now)
                last_look = now
            except Exception:
                log.exception("milestone roles: reconcile pass failed")
            await asyncio.sleep(TICK)

    async def full_pass(self, now: datetime | None = None) -> Applied:
        """Reconcile every member with stats or grants in every server this process owns."""
        self.changed.clear()
        servers = [g for g in await self.service.servers() if self.bot.owns_guild(g)]
        return await self._reconcile_each({g: None for g in servers}, now)

    async def quick_pass(self, since: datetime, now: datetime | None = None) -> Applied:
        """Reconcile the members active since `since`, and every member of servers whose milestones changed."""
        scopes: dict[int, set[int] | None] = dict(await self.service.recently_active(since))
        changed, self.changed = self.changed, set()
        scopes.update({g: None for g in changed})
        return await self._reconcile_each({g: users for g, users in scopes.items() if self.bot.owns_guild(g)}, now)

    async def _reconcile_each(self, scopes: dict[int, set[int] | None], now: datetime | None) -> Applied:
        given = taken = refused = 0
        for guild_id, users in sorted(scopes.items()):
            guild = self.bot.get_guild(guild_id)
            locale = guild.preferred_locale if guild is not None else None
            try:
                # The reason in the server's audit log is read by its admins: in the server's language.
                language = await self.bot.services.languages.of_server(guild_id, locale)
                async with self.lock:
                    with speaking(language):
                        applied = await self.service.reconcile(guild_id, self.roles, now, users)
            except discord.HTTPException:
                log.exception("milestone roles of server %s: Discord failed; the next pass retries", guild_id)
                continue
            given, taken, refused = given + applied.given, taken + applied.taken, refused + applied.refused
            await asyncio.sleep(0)  # other work runs between servers
        if given or taken or refused:
            log.info("milestone roles: %d given, %d taken back, %d refused", given, taken, refused)
        return Applied(given, taken, refused)


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(MilestonesCog(bot))
