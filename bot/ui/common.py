"""Pieces every cog uses: deck autocomplete, deck lookup with a clear message, level badges."""
from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.core.decks import Deck

if TYPE_CHECKING:
    from bot.app import RecallBot

LEVEL_BADGES = {"beginner": "🟢 beginner", "intermediate": "🟡 intermediate", "advanced": "🔴 advanced"}
COLOUR = discord.Colour.from_rgb(88, 101, 242)


def level_badge(level: str) -> str:
    return LEVEL_BADGES.get(level, level)


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


def unknown_deck_text(deck_id: str) -> str:
    return f"There is no deck `{deck_id[:80]}` on this server. Start typing in the `deck` option to pick one, or see `/decks list`."
