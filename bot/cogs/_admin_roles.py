"""/recall-admin roles: a mixin of the admin cog (bot.cogs.admin.AdminCog), kept in its own module."""
from __future__ import annotations

import discord
from discord import app_commands

from bot.ui import replies


class RolesAdmin:
    roles = app_commands.Group(name="roles", description="Roles members earn with a streak or points")

    @roles.command(name="list", description="The milestone roles of this server")
    async def roles_list(self, interaction: discord.Interaction) -> None:
        await replies.send(interaction, "No milestone roles are set up.", ephemeral=True)
