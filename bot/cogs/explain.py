"""/explain: a prompt to explain in your own words, graded by its key concepts and scheduled like a card.

A thin adapter: the use cases are bot.services.explain's, the views bot.ui.explain's. Refusals (a replaced or
answered prompt, a deck gone) are bot.core.errors raised by the service and answered privately by the tree's
on_error or the item base's error boundary.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.cogs._base import RecallCog, deck_autocomplete, require_deck
from bot.core.translation import speaking
from bot.services.explain import ExplainService
from bot.ui import replies
from bot.ui.explain import (
    AnswerButton,
    AnswerModal,
    AnswerSubmit,
    HintButton,
    prompt_embed,
    prompt_view,
    result_embed,
)
from bot.ui.i18n import shown_language
from bot.ui.replies import mark_saved

if TYPE_CHECKING:
    from bot.app import RecallBot


class ExplainCog(RecallCog, name="Explain"):
    """Implements bot.ui.explain.ExplainActions for the prompt's buttons and answer form."""

    dynamic_items = (HintButton, AnswerButton)
    submit_routes = (AnswerSubmit,)

    @property
    def service(self) -> ExplainService:
        return self.bot.services.explain

    @app_commands.command(name="explain", description="Explain an idea in your own words, graded by its key concepts",
                          extras=replies.OPTION_REPLY)
    @app_commands.describe(
        deck="Deck to take the prompt from (default: your most due prompt in any deck)",
        public="Post the prompt in the channel instead of only for you",
    )
    @app_commands.autocomplete(deck=deck_autocomplete)
    @app_commands.guild_only()
    async def explain(self, interaction: discord.Interaction, deck: str | None = None, public: bool = False) -> None:
        assert interaction.guild_id is not None  # guild_only
        chosen = require_deck(interaction, deck) if deck else None
        shown = await self.service.ask(interaction.guild_id, interaction.user.id, chosen, public=public,
                                       channel_id=interaction.channel_id)
        message_id = await replies.send(
            interaction,
            embed=prompt_embed(shown.deck, shown.prompt, hint_shown=False),
            view=prompt_view(interaction.user.id, shown.nonce, has_hint=bool(shown.prompt.hint), hint_shown=False),
            ephemeral=not public,
        )
        if message_id is not None:
            await self.service.remember_message(interaction.guild_id, interaction.user.id, shown.nonce, message_id)

    # --- ExplainActions ------------------------------------------------------------------------------------------

    async def hint_pressed(self, interaction: discord.Interaction, owner_id: int, nonce: str) -> None:
        assert interaction.guild_id is not None  # prompts are only shown in servers
        shown = await self.service.use_hint(interaction.guild_id, owner_id, nonce)
        with speaking(await shown_language(interaction, public=shown.public)):
            embed = prompt_embed(shown.deck, shown.prompt, hint_shown=True)
            view = prompt_view(owner_id, nonce, has_hint=bool(shown.prompt.hint), hint_shown=True)
        await replies.edit(interaction, embed=embed, view=view)

    async def answer_pressed(self, interaction: discord.Interaction, owner_id: int, nonce: str) -> None:
        assert interaction.guild_id is not None
        shown = await self.service.showing(interaction.guild_id, owner_id, nonce)
        await interaction.response.send_modal(AnswerModal(owner_id, nonce, shown.prompt))

    async def answer_submitted(self, interaction: discord.Interaction, owner_id: int, nonce: str, text: str) -> None:
        assert interaction.guild_id is not None
        answered = await self.service.submit(interaction.guild_id, owner_id, nonce, interaction.user.display_name,
                                             text)
        mark_saved(interaction)  # from here on, a failure tells the member their answer was kept
        with speaking(await shown_language(interaction, public=answered.public)):
            embed = result_embed(answered.prompt, answered.grade, answered.saved, text)
        if interaction.message is not None:
            # The result takes the prompt's place, so its buttons go away with it.
            await replies.edit(interaction, embed=embed, view=None)
        else:
            await replies.send(interaction, embed=embed, ephemeral=not answered.public)


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(ExplainCog(bot))
