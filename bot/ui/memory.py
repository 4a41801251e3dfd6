"""Embeds and restart-proof buttons for memory models: /recall-admin memory-model (Fit now, Roll back),
/recall-admin retention's recommendation (Use 0.xx), and the Memory field of /stats.

The buttons only parse their ids (which name the admin who opened the private message: the owner); the Admin cog
(reached through `MemoryActions`) re-checks Manage Server and does the work.
"""
from __future__ import annotations

import asyncio
import logging
import re
from typing import ClassVar, Protocol

import discord

from bot.core.memory import (
    SERVER_SCOPE, FitRow, MemberMemory, ModelSummary, RetentionAdvice, ScopeFit,
)
from bot.core.translation import N_, _, ngettext, percent
from bot.core.translation import number as local_number
from bot.ui import replies
from bot.ui.common import COLOUR
from bot.ui.items import BadId, RecallItem, fields_of, number, snowflake

MEMORY_COMMAND = "/recall-admin memory-model"
RETENTION_COMMAND = "/recall-admin retention"
FIT_BUSY = N_("A fit of this server's memory models is already running. Wait for it to finish, then look again.")
NOTHING_TO_ROLL_BACK = N_("There is nothing to roll back: no fitted set of the server's own is in use.")
ROLLED_BACK = N_(
    "↩️ Rolled back: the server's pooled set is the one before its last fit again (FSRS-6's defaults if there was "
    "none), and its members' cards follow it."
)
# Why a fit kept the set in use, as the fit log stores it (in English, written by bot.core.memory and the store):
# translated where it is shown, so fits logged before a server changed its language read in the reader's too.
FIT_REASONS = (
    N_("better on the latest reviews"),
    N_("too few reviews spaced a day or more apart"),
    N_("the fitted parameters did not predict the latest reviews better"),
    N_("rolled back to the previous set"),
)
_TOO_FEW = re.compile(r"(\d+) reviews; (\d+) needed")
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
        button = discord.ui.Button(label=_(self.label), emoji=self.emoji, style=self.style,
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
    # Translators: button: fit the server's memory models (FSRS parameters) now
    label = N_("Fit now")
    emoji = "🧠"
    style = discord.ButtonStyle.primary

    async def run(self, interaction: discord.Interaction, actions: MemoryActions) -> None:
        await actions.fit_now(interaction)


class RollBackButton(_AdminButton, RecallItem[discord.ui.Button], prefix="memory:back", feature="Admin"):
    # Translators: button: go back to the server's previous memory-model parameters
    label = N_("Roll back")
    emoji = "↩️"

    async def run(self, interaction: discord.Interaction, actions: MemoryActions) -> None:
        await actions.roll_back(interaction)


class UseRetentionButton(RecallItem[discord.ui.Button], prefix="memory:retention", feature="Admin"):
    """`memory:retention:<admin id>:<percent>`: the retention it sets travels in the id (a whole percentage in the
    option's range)."""

    command = RETENTION_COMMAND

    def __init__(self, owner_id: int, percent: int) -> None:
        # Translators: button under the recommended retention: set it (value is a share such as 0.87)
        label = _("Use {value}").format(value=local_number(percent / 100, 2, fixed=True))
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.primary,
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
    if user_id == SERVER_SCOPE:
        return _("the server's pooled set")
    return _("{member}'s own set").format(member=f"<@{user_id}>")


def reason_text(reason: str) -> str:
    """Why a fit decided what it did, in the current language (a reason the code no longer writes stays as stored)."""
    too_few = _TOO_FEW.fullmatch(reason)
    if too_few:
        count, needed = int(too_few.group(1)), int(too_few.group(2))
        return ngettext("{count} review; {needed} needed", "{count} reviews; {needed} needed", count).format(
            count=local_number(count), needed=local_number(needed))
    return _(reason) if reason in FIT_REASONS else reason


def reviews_text(count: int) -> str:
    return ngettext("{count} review", "{count} reviews", count).format(count=local_number(count))


def last_fit_text(fit: FitRow | None) -> str:
    if fit is None:
        return _("No fit yet.")
    if fit.adopted:
        # Translators: a memory-model fit whose new parameters are now in use
        outcome = _("✅ adopted")
    else:
        outcome = _("kept the set in use: {reason}").format(reason=reason_text(fit.reason))
    # Translators: {when} is a Discord timestamp ("2 days ago"), {scope} whose parameters, {reviews} "1,234 reviews"
    return _("{when} · {scope} · {reviews}\n{outcome}").format(
        when=discord.utils.format_dt(fit.fitted_at, "R"), scope=scope_text(fit.user_id),
        reviews=reviews_text(fit.reviews), outcome=outcome)


def measure(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return "—"
    return f"{local_number(before, 3, fixed=True)} → {local_number(after, 3, fixed=True)}"


def adopted_text(fit: FitRow | None) -> str:
    if fit is None:
        return _("None adopted yet.")
    return _(
        "{scope}, {date}, on held-out latest reviews:\n"
        "Log loss {log_loss} · RMSE(bins) {rmse} (lower is better)"
    ).format(scope=scope_text(fit.user_id), date=discord.utils.format_dt(fit.fitted_at, "d"),
             log_loss=measure(fit.log_loss_before, fit.log_loss_after), rmse=measure(fit.rmse_before, fit.rmse_after))


def fits_text(fits: list[ScopeFit]) -> str:
    """What a Fit now did."""
    if not fits:
        return _("Nothing to fit yet: no member or server has enough reviews.")
    adopted = sum(1 for f in fits if f.outcome.adopted)
    moved = sum(f.rescheduled for f in fits)
    # Translators: what Fit now did: "2 scopes fitted · 1 adopted · 60 cards rescheduled"
    return _("{fitted} · {adopted} adopted · {moved}").format(
        fitted=ngettext("{count} scope fitted", "{count} scopes fitted", len(fits)).format(count=len(fits)),
        adopted=adopted,
        moved=ngettext("{count} card rescheduled", "{count} cards rescheduled", moved).format(
            count=local_number(moved)),
    )


def model_title(server_name: str) -> str:
    return _("🧠 Memory model · {server}").format(server=server_name)[:256]


def model_embed(summary: ModelSummary, server_name: str, fits: list[ScopeFit] | None = None,
                note: str | None = None) -> discord.Embed:
    """The server's memory model; with `fits`, what the Fit now just did; `note` (a translated text) for a Roll
    back."""
    embed = discord.Embed(title=model_title(server_name), colour=COLOUR)
    embed.description = _(
        "FSRS parameters fitted to this server's own reviews; a new set is adopted only when it predicts the latest "
        "reviews better than the set in use."
    )
    if note:
        embed.description = f"{note}\n\n{embed.description}"
    embed.add_field(
        # Translators: memory-model field title: which parameters schedule the server's members
        name=_("Members"),
        value=_("Own parameters: {own} · The server's: {server} · FSRS-6 defaults: {default}").format(
            own=local_number(summary.members_own), server=local_number(summary.members_server),
            default=local_number(summary.members_default)),
        inline=False,
    )
    if summary.server_fitted:
        reviews = _("{reviews} · the server's pooled set: fitted")
    else:
        reviews = _("{reviews} · the server's pooled set: not fitted yet")
    needs = _("A member's own set needs {member} reviews; the server's, {server}.").format(
        member=local_number(summary.min_member_reviews), server=local_number(summary.min_server_reviews))
    embed.add_field(name=_("Reviews"), value=reviews.format(reviews=reviews_text(summary.reviews)) + "\n" + needs,
                    inline=False)
    # Translators: memory-model field titles: the latest fit, and the latest whose parameters were adopted
    embed.add_field(name=_("Last fit"), value=last_fit_text(summary.last_fit)[:1024], inline=False)
    embed.add_field(name=_("Last adopted fit"), value=adopted_text(summary.last_adopted)[:1024], inline=False)
    if fits is not None:
        # Translators: memory-model field title: what the Fit now button just did
        embed.add_field(name=_("This fit"), value=fits_text(fits), inline=False)
    embed.set_footer(text=_("Fits also run in the background after 500 new reviews or a week."))
    return embed


def step_text(index: int, total: int) -> str:
    # Translators: progress of Fit now: fitting the parameters of scope {index} of {total} (a member or the server)
    return _("fitting {index}/{total}").format(index=index, total=total)


def fitting_embed(server_name: str, step: str | None = None) -> discord.Embed:
    """The progress note while a Fit now runs."""
    if step:
        text = _("⏳ Fitting this server's memory models from their reviews… ({step})").format(step=step)
    else:
        text = _("⏳ Fitting this server's memory models from their reviews…")
    return discord.Embed(title=model_title(server_name), description=text, colour=COLOUR)


class ProgressNote:
    """Edits a button's message to each progress step, in order, from a synchronous callback (the service's
    `progress`: scope `index` of `total`), so a late step never overwrites the result: `settled` waits for the edits
    started. The edits run in tasks that copy the caller's context, so they speak the interaction's language."""

    def __init__(self, interaction: discord.Interaction, server_name: str) -> None:
        self.interaction = interaction
        self.server_name = server_name
        self._last: asyncio.Task[None] | None = None

    def __call__(self, index: int, total: int) -> None:
        self._last = asyncio.get_running_loop().create_task(self._edit(self._last, step_text(index, total)))

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
    if advice.scope == "server":
        text = _(
            "Desired retention now: **{current}**\n"
            "Recommended: **{recommended}** (simulated with this server's fitted set)\n"
            "The recommended retention is the one that costs the least study time per card remembered, simulated "
            "with this server's memory model. Nothing changes until you choose."
        )
    else:
        text = _(
            "Desired retention now: **{current}**\n"
            "Recommended: **{recommended}** (simulated with FSRS-6's defaults: no fitted set yet)\n"
            "The recommended retention is the one that costs the least study time per card remembered, simulated "
            "with this server's memory model. Nothing changes until you choose."
        )
    return text.format(current=local_number(advice.current, 2, fixed=True),
                       recommended=local_number(advice.recommended, 2, fixed=True))


def retention_view(advice: RetentionAdvice, owner_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(UseRetentionButton(owner_id, round(advice.recommended * 100)))
    return view


# --- /stats -----------------------------------------------------------------------------------------------------------


def memory_field(memory: MemberMemory) -> str:
    """The Memory field of /stats: whose parameters schedule the member, today's due cards, calibration."""
    if memory.scope == "member" and memory.since:
        whose = _("Parameters: your own since {date}").format(date=discord.utils.format_dt(memory.since, "d"))
    elif memory.scope == "member":
        whose = _("Parameters: your own")
    elif memory.scope == "server":
        whose = _("Parameters: the server's")
    else:
        whose = _("Parameters: FSRS-6 defaults")
    lines = [whose]
    if memory.due_today and memory.predicted_today is not None:
        lines.append(_("Due today: {count} · predicted recall now {recall}").format(
            count=local_number(memory.due_today), recall=percent(memory.predicted_today)))
    else:
        lines.append(_("Due today: none"))
    calibration = memory.calibration
    if calibration.reviews and calibration.actual is not None and calibration.predicted is not None:
        lines.append(ngettext(
            "30 days: recalled {actual} · predicted {predicted} ({count} review)",
            "30 days: recalled {actual} · predicted {predicted} ({count} reviews)",
            calibration.reviews,
        ).format(actual=percent(calibration.actual), predicted=percent(calibration.predicted),
                 count=local_number(calibration.reviews)))
    else:
        lines.append(_("30 days: not enough reviews yet"))
    return "\n".join(lines)
