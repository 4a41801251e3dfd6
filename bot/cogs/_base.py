"""What every Recall cog shares: the bot handle, and restart-proof buttons registered as the cog loads."""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import discord
from discord.ext import commands

if TYPE_CHECKING:
    from bot.app import RecallBot


class RecallCog(commands.Cog):
    # DynamicItem classes whose buttons must keep working after a restart. cog_load runs in setup_hook, before the
    # gateway connects, so a click on an old message never arrives before its handler is registered.
    dynamic_items: ClassVar[tuple[type[discord.ui.DynamicItem], ...]] = ()

    def __init__(self, bot: RecallBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        if self.dynamic_items:
            self.bot.add_dynamic_items(*self.dynamic_items)

    async def cog_unload(self) -> None:
        if self.dynamic_items:
            self.bot.remove_dynamic_items(*self.dynamic_items)
