"""Embeds and restart-proof buttons for memory models: /recall-admin memory-model (Fit now, Roll back),
/recall-admin retention's recommendation (Use 0.xx), and the Memory field of /stats.

The buttons only parse their ids (which name the admin who opened the private message: the owner); the Admin cog
(reached through `MemoryActions`) re-checks Manage Server and does the work.
"""
from __future__ import annotations

import asyncio
import logging
from typing import ClassVar, Protocol

import discord

from bot.core.memory import (
    SERVER_SCOPE, FitRow, MemberMemory, ModelSummary, RetentionAdvice, ScopeFit,
)
from bot.ui import replies
from bot.ui.common import COLOUR
from bot.ui.items import BadId, RecallItem, fields_of, number, snowflake

MEMORY_COMMAND = "/recall-admin memory-model"
RETENTION_COMMAND = "/recall-admin retention"
FIT_BUSY = "A fit of this server's memory models is already running. Wait for it to finish, then look again."
NOTHING_TO_ROLL_BACK = "There is nothing to roll back: no fitted set of the server's own is in use."
ROLLED_BACK = (
    "↩️ Rolled back: the server's pooled set is the one before its last fit again (FSRS-6's defaults if there was "
    "none), and its members' cards follow it."
)
RETENTION_WHY = (
    "The recommended retention is the one that costs the least study time per card remembered, simulated with this "
    "server's memory model."
)
# The percentages a Use button may carry: the /recall-admin retention option's range.
RETENTION_PERCENT = (70, 99)

log = logging.getLogger("recall.ui")


class MemoryActions(Protocol):
    """What the memory buttons need from the Admin cog. Refusals raise bot.core.errors."""

    async def fit_now(self, interaction: discord.Interaction) -> None: ...

    async def roll_back(self, interaction: discord.Interaction) -> None: ...

    async def use_retention(self, interaction: discord.Interaction, value: float) -> None: ...


class _AdminButton:
    """What Fit now and Roll back share (a mixin before RecallItem): the id is `<prefix>:<admin id>`, and only that
    admin may press the button (the Admin cog checks Manage Server again)."""

    command = MEMORY_COMMAND
    label: ClassVar[str]
    emoji: ClassVar[str]
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary

    def __init__(self, owner_id: int) -> None:
        button = discord.ui.Button(label=self.label, emoji=self.emoji, style=self.style,
                                   custom_id=self.custom_id_of(owner_id))
        super().__init__(button)
        self.owner_id = owner_id

    @property
    def owner(self) -> int:
        return self.owner_id

    @classmethod
    def parse(cls, item: discord.ui.Button, args: str | None) -> "_AdminButton":
        (owner,) = fields_of(args, 1)
        return cls(snowflake(owner))


class FitNowButton(_AdminButton, RecallItem[discord.ui.Button], prefix="memory:fit", feature="Admin"):
    label = "Fit now"
    emoji = "🧠"
    style = discord.ButtonStyle.primary

    async def run(self, interaction: discord.Interaction, actions: MemoryActions) -> None:
        await actions.fit_now(interaction)


class RollBackButton(_AdminButton, RecallItem[discord.ui.Button], prefix="memory:back", feature="Admin"):
    label = "Roll back"
    emoji = "↩️"

    async def run(self, interaction: discord.Interaction, actions: MemoryActions) -> None:
        await actions.roll_back(interaction)


class UseRetentionButton(RecallItem[discord.ui.Button], prefix="memory:retention", feature="Admin"):
    """`memory:retention:<admin id>:<percent>`: the retention it sets travels in the id (a whole percentage in the
    option's range)."""

    command = RETENTION_COMMAND

    def __init__(self, owner_id: int, percent: int) -> None:
        super().__init__(discord.ui.Button(label=f"Use {percent / 100:.2f}", style=discord.ButtonStyle.primary,
                                           custom_id=self.custom_id_of(owner_id, percent)))
        self.owner_id = owner_id
        self.percent = percent

    @property
    def owner(self) -> int:
        return self.owner_id

    @classmethod
    def parse(cls, item: discord.ui.Button, args: str | None) -> "UseRetentionButton":
        owner, field = fields_of(args, 2)
        percent = number(field, RETENTION_PERCENT[1])
        if percent < RETENTION_PERCENT[0]:
            raise BadId(f"retention out of range: {percent}")
        return cls(snowflake(owner), percent)

    async def run(self, interaction: discord.Interaction, actions: MemoryActions) -> None:
        await actions.use_retention(interaction, self.percent / 100)


DYNAMIC_ITEMS = (FitNowButton, RollBackButton, UseRetentionButton)


# --- /recall-admin memory-model ---------------------------------------------------------------------------------------


def model_view(owner_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(FitNowButton(owner_id))
    view.add_item(RollBackButton(owner_id))
    return view


def scope_text(user_id: int) -> str:
    # A mention shows the member's name and never pings (the bot sends with no allowed mentions).
    return "the server's pooled set" if user_id == SERVER_SCOPE else f"<@{user_id}>'s own set"


def last_fit_text(fit: FitRow | None) -> str:
    if fit is None:
        return "No fit yet."
    outcome = "✅ adopted" if fit.adopted else f"kept the set in use: {fit.reason}"
    when = discord.utils.format_dt(fit.fitted_at, "R")
    return f"{when} · {scope_text(fit.user_id)} · {fit.reviews:,} reviews\n{outcome}"


def measure(before: float | None, after: float | None) -> str:
    return "—" if before is None or after is None else f"{before:.3f} → {after:.3f}"


def adopted_text(fit: FitRow | None) -> str:
    if fit is None:
        return "None adopted yet."
    return (
        f"{scope_text(fit.user_id)}, {discord.utils.format_dt(fit.fitted_at, 'd')}, on held-out latest reviews:\n"
        f"Log loss {measure(fit.log_loss_before, fit.log_loss_after)} · "
        f"RMSE(bins) {measure(fit.rmse_before, fit.rmse_after)} (lower is better)"
    )


def fits_text(fits: list[ScopeFit]) -> str:
    """What a Fit now did."""
    if not fits:
        return "Nothing to fit yet: no member or server has enough reviews."
    adopted = sum(1 for f in fits if f.outcome.adopted)
    moved = sum(f.rescheduled for f in fits)
    scopes = "scope" if len(fits) == 1 else "scopes"
    return f"{len(fits)} {scopes} fitted · {adopted} adopted · {moved:,} cards rescheduled"


def model_embed(summary: ModelSummary, server_name: str, fits: list[ScopeFit] | None = None,
                note: str | None = None) -> discord.Embed:
    """The server's memory model; with `fits`, what the Fit now just did; `note` for a Roll back."""
    embed = discord.Embed(title=f"🧠 Memory model · {server_name}"[:256], colour=COLOUR)
    embed.description = (
        "FSRS parameters fitted to this server's own reviews; a new set is adopted only when it predicts the latest "
        "reviews better than the set in use."
    )
    if note:
        embed.description = f"{note}\n\n{embed.description}"
    embed.add_field(
        name="Members",
        value=(f"Own parameters: {summary.members_own} · The server's: {summary.members_server} · "
               f"FSRS-6 defaults: {summary.members_default}"),
        inline=False,
    )
    server_set = "fitted" if summary.server_fitted else "not fitted yet"
    embed.add_field(
        name="Reviews",
        value=(f"{summary.reviews:,} reviews · the server's pooled set: {server_set}\n"
               f"A member's own set needs {summary.min_member_reviews:,} reviews; the server's, "
               f"{summary.min_server_reviews:,}."),
        inline=False,
    )
    embed.add_field(name="Last fit", value=last_fit_text(summary.last_fit)[:1024], inline=False)
    embed.add_field(name="Last adopted fit", value=adopted_text(summary.last_adopted)[:1024], inline=False)
    if fits is not None:
        embed.add_field(name="This fit", value=fits_text(fits), inline=False)
    embed.set_footer(text="Fits also run in the background after 500 new reviews or a week.")
    return embed


def fitting_embed(server_name: str, step: str | None = None) -> discord.Embed:
    """The progress note while a Fit now runs."""
    text = "⏳ Fitting this server's memory models from their reviews…"
    if step:
        text += f" ({step})"
    return discord.Embed(title=f"🧠 Memory model · {server_name}"[:256], description=text, colour=COLOUR)


class ProgressNote:
    """Edits a button's message to each progress step, in order, from a synchronous callback (the service's
    `progress`), so a late step never overwrites the result: `settled` waits for the edits started."""

    def __init__(self, interaction: discord.Interaction, server_name: str) -> None:
        self.interaction = interaction
        self.server_name = server_name
        self._last: asyncio.Task[None] | None = None

    def __call__(self, step: str) -> None:
        self._last = asyncio.get_running_loop().create_task(self._edit(self._last, step))

    async def _edit(self, before: asyncio.Task[None] | None, step: str) -> None:
        if before is not None:
            await before
        try:
            await replies.edit(self.interaction, embed=fitting_embed(self.server_name, step), view=None)
        except discord.HTTPException as exc:  # a missed progress step is cosmetic; the result still replaces it
            log.warning("progress note of interaction %s not shown: %s", self.interaction.id, exc)

    async def settled(self) -> None:
        if self._last is not None:
            await self._last


# --- /recall-admin retention ------------------------------------------------------------------------------------------


def retention_advice_text(advice: RetentionAdvice) -> str:
    model = "this server's fitted set" if advice.scope == "server" else "FSRS-6's defaults (no fitted set yet)"
    return (
        f"Desired retention now: **{advice.current:.2f}**\n"
        f"Recommended: **{advice.recommended:.2f}** (simulated with {model})\n"
        f"{RETENTION_WHY} Nothing changes until you choose."
    )


def retention_view(advice: RetentionAdvice, owner_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(UseRetentionButton(owner_id, round(advice.recommended * 100)))
    return view


# --- /stats -----------------------------------------------------------------------------------------------------------


def memory_field(memory: MemberMemory) -> str:
    """The Memory field of /stats: whose parameters schedule the member, today's due cards, calibration."""
    if memory.scope == "member":
        since = f" since {discord.utils.format_dt(memory.since, 'd')}" if memory.since else ""
        whose = f"your own{since}"
    else:
        whose = "the server's" if memory.scope == "server" else "FSRS-6 defaults"
    lines = [f"Parameters: {whose}"]
    if memory.due_today and memory.predicted_today is not None:
        lines.append(f"Due today: {memory.due_today} · predicted recall now {memory.predicted_today:.0%}")
    else:
        lines.append("Due today: none")
    calibration = memory.calibration
    if calibration.reviews and calibration.actual is not None and calibration.predicted is not None:
        lines.append(f"30 days: recalled {calibration.actual:.0%} · predicted {calibration.predicted:.0%} "
                     f"({calibration.reviews} reviews)")
    else:
        lines.append("30 days: not enough reviews yet")
    return "\n".join(lines)
