"""/recall-admin roles: a mixin of the admin cog (bot.cogs.admin.AdminCog), kept in its own module.

`add` asks Discord (not the cache) for the roles and the bot's own member before storing anything, so a permission
or role order changed a moment ago is seen; a refusal says what is wrong and stores nothing. After a change the
milestones cog is told (event `milestones_changed`) and reconciles the server on its next tick.
"""
from __future__ import annotations

import functools
import operator
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.core.errors import InvalidInput
from bot.core.milestones import MilestoneRefused, RoleFacts, Window, check_assignable, milestone_of, top_role
from bot.core.translation import _
from bot.services.milestones import MilestoneService
from bot.ui import replies
from bot.ui.milestones import (
    NO_MILESTONES,
    NOT_A_MILESTONE,
    ROLE_DELETED,
    WINDOW_CHOICES,
    added_text,
    list_embed,
    refusal_text,
    removed_text,
)

if TYPE_CHECKING:
    from bot.app import RecallBot

MAX_STREAK = 3650
MAX_POINTS = 1_000_000_000

manage_guild = app_commands.checks.has_permissions(manage_guild=True)


def _facts(data: dict[str, Any]) -> RoleFacts:
    return RoleFacts(int(data["id"]), int(data["position"]), bool(data.get("managed")))


class RolesAdmin:
    bot: RecallBot
    roles = app_commands.Group(name="roles", description="Roles members earn with a streak or quiz points")

    @property
    def milestones(self) -> MilestoneService:
        return self.bot.services.milestones

    @roles.command(name="add", description="Give a role to members who reach a streak or quiz points")
    @app_commands.describe(
        role="The role to give (it must be below Recall's highest role)",
        streak="Days in a row: the role goes back when the streak breaks",
        points="Quiz points, counted as the leaderboards count them",
        window="Where the points count (default: all time)",
    )
    @app_commands.choices(window=WINDOW_CHOICES)
    @manage_guild
    async def roles_add(
        self, interaction: discord.Interaction, role: discord.Role,
        streak: app_commands.Range[int, 1, MAX_STREAK] | None = None,
        points: app_commands.Range[int, 1, MAX_POINTS] | None = None,
        window: str | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        try:
            milestone = milestone_of(role.id, streak, points, Window(window) if window else None)
        except MilestoneRefused as refused:
            raise InvalidInput(refusal_text(refused.refusal, role.id)) from None
        refusal = await self._assign_refusal(interaction.guild_id, role.id)
        if refusal is not None:
            raise InvalidInput(refusal)
        await self.milestones.add(interaction.guild_id, milestone)
        self.bot.dispatch("milestones_changed", interaction.guild_id)
        await replies.send(interaction, added_text(milestone), ephemeral=True)

    async def _assign_refusal(self, guild_id: int, role_id: int) -> str | None:
        """Why the bot could not give the role, as Discord sees the server now (None: it can)."""
        assert self.bot.user is not None
        roles = {int(data["id"]): data for data in await self.bot.http.get_roles(guild_id)}
        if role_id not in roles:
            return _(ROLE_DELETED)
        me = await self.bot.http.get_member(guild_id, self.bot.user.id)
        mine = [roles[guild_id], *(roles[int(r)] for r in me["roles"] if int(r) in roles)]
        permissions = discord.Permissions(functools.reduce(operator.or_, (int(data["permissions"]) for data in mine)))
        top = top_role(_facts(data) for data in mine)
        try:
            can_manage = permissions.manage_roles or permissions.administrator
            check_assignable(_facts(roles[role_id]), guild_id, can_manage, top)
        except MilestoneRefused as refused:
            return refusal_text(refused.refusal, role_id, top.id)
        return None

    @roles.command(name="remove", description="Stop giving a role (Recall takes back what it gave)")
    @app_commands.describe(role="A milestone role")
    @manage_guild
    async def roles_remove(self, interaction: discord.Interaction, role: discord.Role) -> None:
        assert interaction.guild_id is not None
        removed = await self.milestones.remove(interaction.guild_id, role.id)
        if removed is None:
            raise InvalidInput(_(NOT_A_MILESTONE))
        self.bot.dispatch("milestones_changed", interaction.guild_id)
        await replies.send(interaction, removed_text(removed), ephemeral=True)

    @roles.command(name="list", description="The milestone roles of this server")
    @manage_guild
    async def roles_list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        milestones = await self.milestones.milestones(interaction.guild.id)
        if not milestones:
            await replies.send(interaction, _(NO_MILESTONES), ephemeral=True)
            return
        await replies.send(interaction, embed=list_embed(milestones, interaction.guild.name), ephemeral=True)
