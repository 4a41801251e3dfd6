"""What every Recall cog shares: the bot handle, restart-proof items registered as the cog loads, deck lookup."""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.decks import Deck
from bot.core.errors import InvalidInput
from bot.ui.common import unknown_deck_text
from bot.ui.items import RecallSubmit

if TYPE_CHECKING:
    from bot.app import RecallBot


class RecallCog(commands.Cog):
    # DynamicItem classes whose buttons must keep working after a restart, and the modal submits routed by custom
    # id. cog_load runs in setup_hook, before the gateway connects, so a click on an old message never arrives
    # before its handler is registered.
    dynamic_items: ClassVar[tuple[type[discord.ui.DynamicItem], ...]] = ()
    submit_routes: ClassVar[tuple[type[RecallSubmit], ...]] = ()

    def __init__(self, bot: RecallBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        if self.dynamic_items:
            self.bot.add_dynamic_items(*self.dynamic_items)
        self.bot.submit_routes.extend(self.submit_routes)

    async def cog_unload(self) -> None:
        if self.dynamic_items:
            self.bot.remove_dynamic_items(*self.dynamic_items)
        for route in self.submit_routes:
            self.bot.submit_routes.remove(route)


async def deck_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Offer the decks this server can use, by id or title; Discord shows at most 25."""
    bot: RecallBot = interaction.client  # type: ignore[assignment]
    return [
        app_commands.Choice(name=f"{deck.title} ({deck.id})"[:100], value=deck.id)
        for deck in bot.decks.search(interaction.guild_id, current)
    ]


def find_deck(interaction: discord.Interaction, deck_id: str) -> Deck | None:
    bot: RecallBot = interaction.client  # type: ignore[assignment]
    return bot.decks.get(interaction.guild_id, deck_id.strip())


def require_deck(interaction: discord.Interaction, deck_id: str) -> Deck:
    """The deck this server knows by `deck_id`; refuses (InvalidInput, answered by the tree) when there is none."""
    deck = find_deck(interaction, deck_id)
    if deck is None:
        raise InvalidInput(unknown_deck_text(deck_id))
    return deck
