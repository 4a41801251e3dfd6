"""Replies that work whether or not an interaction was acknowledged, the acknowledgement of slow work, and the
texts for unexpected failures.

Discord fails an interaction it has not seen acknowledged within 3 s. Every command, button and modal submit starts
`start_ack_timer` before its work (the command tree and the items' base do it; /study and its buttons keep their own
budget): if the work is still running after ACK_AFTER seconds, the interaction is deferred. Every reply goes through
`send`, `edit` or `send_private`, which first `settle` the timer (cancel it, or wait for a deferral it started), so a
reply never races an acknowledgement and uses the follow-up webhook exactly when one went out.

Below the cogs and the items: both import it, neither imports the other for it.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord

from bot.core.translation import N_, _

log = logging.getLogger("recall.replies")

# The one private reply for an unexpected error, whichever command or button it came from.
FAILED = N_("Something went wrong on Recall's side; the error is logged. Please try again.")
# The same, when the member's answer had already been stored before the failure.
FAILED_SAVED = N_("Something went wrong on Recall's side after your answer was saved (the error is logged). "
                  "Run the command again to continue.")
_SAVED = "recall_saved"

# Work still running this many seconds after it started is acknowledged first (Discord allows 3 s in all).
ACK_AFTER = 2.0
_TIMER = "recall_ack_timer"  # interaction.extras: the TimerHandle, until it fires or is settled
_DEFERRAL = "recall_ack_deferral"  # interaction.extras: the deferral task, once the timer fired


def mark_saved(interaction: discord.Interaction) -> None:
    """Note that this interaction's answer is stored: a later failure then tells the member it was not lost."""
    interaction.extras[_SAVED] = True


def failure_text(interaction: discord.Interaction) -> str:
    return _(FAILED_SAVED if interaction.extras.get(_SAVED) else FAILED)


# --- Acknowledging slow work ------------------------------------------------------------------------------------------


def start_ack_timer(interaction: discord.Interaction, *, thinking: bool, ephemeral: bool) -> None:
    """Defer `interaction` if it is not answered within ACK_AFTER seconds.

    A command defers with thinking=True ("Recall is thinking…", private when `ephemeral`: the reply that follows
    replaces it and keeps that visibility). A button or select defers with thinking=False: a deferred update of its
    message, after which `edit` changes that message and `send` posts a new one.
    """
    if interaction.response.is_done() or _TIMER in interaction.extras or _DEFERRAL in interaction.extras:
        return
    loop = asyncio.get_running_loop()

    def fire() -> None:
        interaction.extras.pop(_TIMER, None)
        if not interaction.response.is_done():
            interaction.extras[_DEFERRAL] = loop.create_task(_defer(interaction, thinking, ephemeral))

    interaction.extras[_TIMER] = loop.call_later(ACK_AFTER, fire)


async def _defer(interaction: discord.Interaction, thinking: bool, ephemeral: bool) -> None:
    try:
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=thinking, ephemeral=ephemeral)
    except discord.HTTPException as exc:
        log.warning("could not acknowledge interaction %s: %s", interaction.id, exc)
    except Exception:
        log.exception("acknowledging interaction %s failed", interaction.id)


async def settle(interaction: discord.Interaction) -> None:
    """Before replying: stop the timer if it has not fired, or wait until the deferral it started is done."""
    timer: asyncio.TimerHandle | None = interaction.extras.pop(_TIMER, None)
    if timer is not None:
        timer.cancel()
    deferral: asyncio.Task[None] | None = interaction.extras.pop(_DEFERRAL, None)
    if deferral is not None:
        await asyncio.shield(deferral)  # never cancel a callback half-sent: Discord may have taken it


# --- How a slash command's first reply is seen ------------------------------------------------------------------------
# From the command's `extras` (`app_commands.command(..., extras=PUBLIC_REPLY)`): what "thinking…" looks like when
# the command is slow and RecallTree acknowledges it before its answer.
PRIVATE = "private"  # the default: only the member sees the answer
PUBLIC = "public"  # the channel sees it (/leaderboard, /quiz)
OPTION = "option"  # private unless the command's `public` option is True (/explain)
OWN = "own"  # the command acknowledges itself (/study's budget, commands that defer before their work)
PUBLIC_REPLY = {"reply": PUBLIC}
OPTION_REPLY = {"reply": OPTION}
OWN_ACK = {"reply": OWN}


def reply_kind(command: object) -> str:
    extras = getattr(command, "extras", None) or {}
    return str(extras.get("reply", PRIVATE))


# --- Replies ----------------------------------------------------------------------------------------------------------


async def send(
    interaction: discord.Interaction, content: str | None = None, *, ephemeral: bool = False, **kwargs: Any
) -> int | None:
    """A new message answering `interaction` (its first reply, or a follow-up); returns the message's id.

    After a command's deferral the follow-up replaces "thinking…", whose visibility was fixed when it was deferred.
    """
    await settle(interaction)
    if content is not None:
        kwargs["content"] = content
    if interaction.response.is_done():
        message = await interaction.followup.send(ephemeral=ephemeral, wait=True, **kwargs)
        return message.id
    response = await interaction.response.send_message(ephemeral=ephemeral, **kwargs)
    return response.message_id


async def edit(interaction: discord.Interaction, **kwargs: Any) -> None:
    """Change the message a button or select is on, whether or not the interaction was deferred."""
    await settle(interaction)
    if interaction.response.is_done():
        await interaction.edit_original_response(**kwargs)
    else:
        await interaction.response.edit_message(**kwargs)


async def send_private(interaction: discord.Interaction, text: str) -> None:
    """Reply privately whether or not the interaction was already acknowledged."""
    try:
        await send(interaction, text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not send a private reply to interaction %s", interaction.id)
