"""Private replies that work whether or not an interaction was acknowledged, and the texts for unexpected failures.

Below the cogs and the items: both import it, neither imports the other for it.
"""
from __future__ import annotations

import logging

import discord

log = logging.getLogger("recall.replies")

# The one private reply for an unexpected error, whichever command or button it came from.
FAILED = "Something went wrong on Recall's side; the error is logged. Please try again."
# The same, when the member's answer had already been stored before the failure.
FAILED_SAVED = "Something went wrong on Recall's side after your answer was saved (the error is logged). " \
    "Run the command again to continue."
_SAVED = "recall_saved"


def mark_saved(interaction: discord.Interaction) -> None:
    """Note that this interaction's answer is stored: a later failure then tells the member it was not lost."""
    interaction.extras[_SAVED] = True


def failure_text(interaction: discord.Interaction) -> str:
    return FAILED_SAVED if interaction.extras.get(_SAVED) else FAILED


async def send_private(interaction: discord.Interaction, text: str) -> None:
    """Reply privately whether or not the interaction was already acknowledged."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not send a private reply to interaction %s", interaction.id)
