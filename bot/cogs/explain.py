"""/explain: a prompt to explain in your own words, graded by its key concepts and scheduled like a card."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._base import RecallCog

from bot.ui.replies import FAILED, send_private
from bot.core.clock import utcnow
from bot.core.decks import Deck, ExplainPrompt
from bot.core.explain import grade, most_due
from bot.store.explain import (
    OpenPrompt,
    explain_due,
    get_open_prompt,
    open_prompt,
    save_attempt,
    set_prompt_message,
    use_hint,
)
from bot.store.guilds import get_guild_settings
from bot.cogs._base import deck_autocomplete, find_deck
from bot.ui.common import unknown_deck_text
from bot.ui.explain import (
    HINT,
    AnswerModal,
    ExplainButton,
    parse_submit_id,
    prompt_embed,
    prompt_view,
    result_embed,
    submitted_text,
)

if TYPE_CHECKING:
    from bot.app import RecallBot

log = logging.getLogger("recall.explain")

STALE = "This prompt was replaced by a newer one. Run `/explain` for another."
ANSWERED = "You already answered this prompt; your answer is recorded. Run `/explain` for another."
NO_PROMPTS = "No deck on this server has explain prompts yet. An admin can add a deck with an `explain:` section."


def not_yours(owner_id: int) -> str:
    return f"This prompt is <@{owner_id}>'s. Start your own with `/explain`."


class ExplainCog(RecallCog, name="Explain"):
    dynamic_items = (ExplainButton,)

    # --- /explain --------------------------------------------------------------------------------------------------

    @app_commands.command(name="explain", description="Explain an idea in your own words, graded by its key concepts")
    @app_commands.describe(
        deck="Deck to take the prompt from (default: your most due prompt in any deck)",
        public="Post the prompt in the channel instead of only for you",
    )
    @app_commands.autocomplete(deck=deck_autocomplete)
    @app_commands.guild_only()
    async def explain(self, interaction: discord.Interaction, deck: str | None = None, public: bool = False) -> None:
        assert interaction.guild_id is not None  # guild_only
        candidates = self.candidates(interaction, deck)
        if isinstance(candidates, str):
            await send_private(interaction, candidates)
            return
        chosen = await self.most_due_prompt(interaction.guild_id, interaction.user.id, candidates)
        shown = await open_prompt(
            self.bot.db, guild_id=interaction.guild_id, user_id=interaction.user.id, deck_id=chosen[0].id,
            prompt_id=chosen[1].id, public=public, channel_id=interaction.channel_id, at=utcnow(),
        )
        response = await interaction.response.send_message(
            embed=prompt_embed(chosen[0], chosen[1], hint_shown=False),
            view=prompt_view(interaction.user.id, shown.nonce, has_hint=bool(chosen[1].hint), hint_shown=False),
            ephemeral=not public,
        )
        if response.message_id is not None:
            await set_prompt_message(self.bot.db, interaction.guild_id, interaction.user.id, shown.nonce,
                                     response.message_id)

    def candidates(
        self, interaction: discord.Interaction, deck_id: str | None
    ) -> list[tuple[Deck, ExplainPrompt]] | str:
        """Every prompt the member may get, or the reason there is none."""
        if deck_id:
            deck = find_deck(interaction, deck_id)
            if deck is None:
                return unknown_deck_text(deck_id)
            if not deck.explain:
                return (f"**{deck.title}** has no explain prompts. Pick another deck, or leave `deck` empty "
                        "for your most due prompt from any deck.")
            decks = [deck]
        else:
            decks = self.bot.decks.for_guild(interaction.guild_id)
        found = [(d, p) for d in decks for p in d.explain]
        return found or NO_PROMPTS

    async def most_due_prompt(
        self, guild_id: int, user_id: int, candidates: list[tuple[Deck, ExplainPrompt]]
    ) -> tuple[Deck, ExplainPrompt]:
        by_key = {(d.id, p.id): (d, p) for d, p in candidates}
        due = await explain_due(self.bot.db, guild_id, user_id)
        key = most_due(list(by_key), due, utcnow())
        assert key is not None  # candidates is never empty here
        return by_key[key]

    # --- Hint and Answer -------------------------------------------------------------------------------------------

    async def button_pressed(self, interaction: discord.Interaction, action: str, owner_id: int, nonce: str) -> None:
        try:
            await self._button(interaction, action, owner_id, nonce)
        except Exception:
            log.exception("explain button %s failed", action)
            await send_private(interaction, FAILED)

    async def _button(self, interaction: discord.Interaction, action: str, owner_id: int, nonce: str) -> None:
        found = await self.open_for(interaction, owner_id, nonce)
        if found is None:
            return
        shown, deck, prompt = found
        if action == HINT:
            if await use_hint(self.bot.db, shown.guild_id, owner_id, nonce) is None:
                await send_private(interaction, ANSWERED)  # answered in another window meanwhile
                return
            await interaction.response.edit_message(
                embed=prompt_embed(deck, prompt, hint_shown=True),
                view=prompt_view(owner_id, nonce, has_hint=bool(prompt.hint), hint_shown=True),
            )
        else:
            await interaction.response.send_modal(AnswerModal(owner_id, nonce, prompt))

    async def open_for(
        self, interaction: discord.Interaction, owner_id: int, nonce: str, *, answered_text: str = ANSWERED
    ) -> tuple[OpenPrompt, Deck, ExplainPrompt] | None:
        """The open prompt this click or submit belongs to; tells the member privately why not when it doesn't."""
        if interaction.user.id != owner_id:
            await send_private(interaction, not_yours(owner_id))
            return None
        if interaction.guild_id is None:
            return None
        shown = await get_open_prompt(self.bot.db, interaction.guild_id, owner_id)
        if shown is None or shown.nonce != nonce:
            await send_private(interaction, STALE)
            return None
        if shown.answered:
            await send_private(interaction, answered_text)
            return None
        deck = self.bot.decks.get(interaction.guild_id, shown.deck_id)
        prompt = deck.prompt(shown.prompt_id) if deck else None
        if deck is None or prompt is None:
            await send_private(interaction, f"The prompt's deck `{shown.deck_id}` changed and no longer has it. "
                                            "Run `/explain` for another.")
            return None
        return shown, deck, prompt

    # --- Submitting an answer --------------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Modal submits arrive here rather than through a stored Modal, so they survive a restart.
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        parsed = parse_submit_id(str((interaction.data or {}).get("custom_id", "")))
        if parsed is None:
            return
        try:
            await self.submitted(interaction, *parsed, submitted_text(interaction.data))
        except Exception:
            log.exception("explain submit failed")
            await send_private(interaction, FAILED)

    async def submitted(self, interaction: discord.Interaction, owner_id: int, nonce: str, text: str) -> None:
        found = await self.open_for(interaction, owner_id, nonce, answered_text="Your answer was already recorded.")
        if found is None:
            return
        shown, deck, prompt = found
        result = grade(text, prompt.concepts)
        settings = await get_guild_settings(self.bot.db, shown.guild_id)
        saved = await save_attempt(
            self.bot.db, guild_id=shown.guild_id, user_id=owner_id, nonce=nonce,
            display_name=interaction.user.display_name, text=text, grade=result, at=utcnow(),
            desired_retention=settings.desired_retention,
        )
        if saved is None:  # a second submit that raced the first past the check above
            await send_private(interaction, "Your answer was already recorded.")
            return
        embed = result_embed(prompt, result, saved, text)
        if interaction.message is not None:
            # The result takes the prompt's place, so its buttons go away with it.
            await interaction.response.edit_message(embed=embed, view=None)
        else:
            await interaction.response.send_message(embed=embed, ephemeral=not shown.public)


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(ExplainCog(bot))
