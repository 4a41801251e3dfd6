"""One shape for every restart-proof button, select and modal: parse the custom id once, check who may use it,
reach the feature through the bot, and answer every failure privately.

A `RecallItem` (a discord.py `DynamicItem`) or `RecallSubmit` (a modal submit, routed by custom id) declares
- `prefix`: the start of its custom ids (`study:rev`); its fields follow, joined by ':'.
- `feature`: the name of the cog that does the work; the item finds it with `bot.get_cog`, typed by a small
  Protocol in the item's module, so no ui module imports a cog.
- `parse(fields)`: builds the item from the id's fields with the parsers below; anything malformed or forged
  (garbage, a huge or negative number, a missing field) is refused with a private note, never a traceback.
- `owner`: whose item it is (None: anyone may use it); anyone else gets "start your own with `/command`".
- `run(interaction, actions)`: the work. It runs inside `guard`: a `RecallError` becomes its private reply, any
  other failure is logged with its traceback and the member is told privately (and whether their answer was saved).
  Work still running after `replies.ACK_AFTER` seconds is acknowledged first (a deferred update of the item's
  message), so `run` answers with `replies.edit` / `replies.send`, never with `interaction.response` directly.
  An item whose answer must be the first response (a modal), or that acknowledges itself, sets
  `acknowledges_when_slow = False`.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Awaitable, ClassVar, Generic, Iterable, Sequence, TypeVar

import discord

from bot.core.errors import RecallError
from bot.core.translation import N_, _
from bot.ui.i18n import answer_in, command_path
from bot.ui.replies import failure_text, send_private, start_ack_timer

log = logging.getLogger("recall.ui")

ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])
SNOWFLAKE_MAX = 2**64 - 1
CUSTOM_ID_LIMIT = 100

MALFORMED = N_("This button doesn't belong to a message Recall can use any more. Run the command again.")


class BadId(ValueError):
    """A custom id field that is malformed or out of range."""


# --- Field parsers: each returns the value or raises BadId ------------------------------------------------------------


def snowflake(text: str) -> int:
    """A Discord id: 1–20 digits, positive, below 2**64."""
    if not (1 <= len(text) <= 20 and text.isascii() and text.isdigit()):
        raise BadId(f"not an id: {text[:30]!r}")
    value = int(text)
    if not 0 < value <= SNOWFLAKE_MAX:
        raise BadId(f"id out of range: {text[:30]!r}")
    return value


def number(text: str, maximum: int) -> int:
    """A whole number from 0 to `maximum` (digits only: no sign, no spaces)."""
    if not (1 <= len(text) <= len(str(maximum)) and text.isascii() and text.isdigit()):
        raise BadId(f"not a number: {text[:30]!r}")
    value = int(text)
    if value > maximum:
        raise BadId(f"number out of range: {value}")
    return value


def one_of(text: str, choices: Iterable[str]) -> str:
    if text not in set(choices):
        raise BadId(f"unexpected value: {text[:30]!r}")
    return text


def matching(text: str, pattern: str | re.Pattern[str]) -> str:
    if not re.fullmatch(pattern, text):
        raise BadId(f"malformed field: {text[:30]!r}")
    return text


def fields_of(args: str | None, count: int) -> list[str]:
    """The id's fields after the prefix; exactly `count` of them."""
    fields = args.split(":") if args else []
    if len(fields) != count:
        raise BadId(f"expected {count} fields, got {len(fields)}")
    return fields


def not_yours_text(owner_id: int, command: str) -> str:
    """The private note for someone using another member's item (also for plain timed views)."""
    return _("This belongs to <@{owner_id}>. Start your own with `{command}`.").format(
        owner_id=owner_id, command=command_path(command))


# --- The error boundary -----------------------------------------------------------------------------------------------


async def guard(interaction: discord.Interaction, work: Awaitable[Any], what: str) -> None:
    """Run `work`; a RecallError becomes its private reply, anything else is logged and answered privately."""
    try:
        await work
    except RecallError as exc:
        await send_private(interaction, str(exc))
    except Exception:
        log.exception("%s failed (interaction %s)", what, interaction.id)
        await send_private(interaction, failure_text(interaction))


class _Checked:
    """What buttons and modal submits share: the feature lookup, the ownership check, the refusal of bad ids."""

    prefix: ClassVar[str]
    feature: ClassVar[str]
    command: ClassVar[str]  # the command that starts one of your own (for the "not yours" note of owned items)
    unavailable: ClassVar[str] = N_("This is not available right now (Recall is restarting a part); try again soon.")
    # Defer when `run` is slow (see bot.ui.replies); False for items that answer with a modal or acknowledge
    # themselves (the study buttons have their own budget).
    acknowledges_when_slow: ClassVar[bool] = True
    refused: bool = False

    @property
    def owner(self) -> int | None:
        """The member this item belongs to; None when anyone may use it."""
        return None

    def not_yours(self, owner_id: int) -> str:
        return not_yours_text(owner_id, self.command)

    def actions(self, interaction: discord.Interaction) -> Any:
        return interaction.client.get_cog(self.feature)  # type: ignore[attr-defined]

    async def check(self, interaction: discord.Interaction) -> bool:
        """May this interaction run? Refusals are answered here, privately."""
        try:
            # Answers are private unless the item's `run` posts for everyone (it then speaks the server's language).
            await answer_in(interaction, public=False)
            if self.refused:
                await send_private(interaction, _(MALFORMED))
                return False
            owner = self.owner
            if owner is not None and interaction.user.id != owner:
                await send_private(interaction, self.not_yours(owner))
                return False
            if self.actions(interaction) is None:
                await send_private(interaction, _(self.unavailable))
                return False
            return True
        except Exception:
            log.exception("checking %s failed", type(self).__name__)
            await send_private(interaction, failure_text(interaction))
            return False

    async def run(self, interaction: discord.Interaction, actions: Any) -> None:
        raise NotImplementedError

    async def handle(self, interaction: discord.Interaction) -> None:
        if self.acknowledges_when_slow:
            # A modal submitted from a command has no message to update: it defers as a private "thinking…".
            without_message = interaction.message is None
            start_ack_timer(interaction, thinking=without_message, ephemeral=True)
        await guard(interaction, self.run(interaction, self.actions(interaction)), type(self).__name__)


class RecallItem(_Checked, discord.ui.DynamicItem[ItemT], Generic[ItemT], template=r"(?!)"):
    """The base of every restart-proof button and select (see the module docstring)."""

    def __init_subclass__(cls, *, prefix: str, feature: str, **kwargs: Any) -> None:
        # The template takes every id with the prefix, so a malformed one still reaches parse() and is refused
        # privately; a template that did not match would leave Discord showing "This interaction failed".
        super().__init_subclass__(template=rf"{re.escape(prefix)}(?::(?P<args>.*))?", **kwargs)
        cls.prefix = prefix
        cls.feature = feature

    @classmethod
    def custom_id_of(cls, *fields: object) -> str:
        custom_id = ":".join([cls.prefix, *(str(f) for f in fields)])
        if len(custom_id) > CUSTOM_ID_LIMIT:
            raise ValueError(f"custom id longer than {CUSTOM_ID_LIMIT} characters: {custom_id!r}")
        return custom_id

    @classmethod
    def parse(cls, item: ItemT, args: str | None) -> "RecallItem[ItemT]":
        """The item a custom id describes (`args`: everything after the prefix and ':'); raise BadId if malformed."""
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ItemT, match: re.Match[str], /
    ) -> "RecallItem[ItemT]":
        try:
            return cls.parse(item, match["args"])
        except (ValueError, KeyError, IndexError, OverflowError) as exc:
            log.info("refused custom id %r from %s: %s", item.custom_id[:100], interaction.user.id, exc)  # type: ignore[attr-defined]
            refusal = cls.__new__(cls)
            discord.ui.DynamicItem.__init__(refusal, item)
            refusal.refused = True
            return refusal

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return await self.check(interaction)

    async def callback(self, interaction: discord.Interaction) -> Any:
        await self.handle(interaction)


class RecallSubmit(_Checked):
    """A modal submit routed by its custom id, so an answer typed across a restart is still handled.

    Subclasses set `prefix` and `feature` as class attributes and implement `parse` and `run`; the bot routes
    every modal submit whose id starts with a registered prefix here (see `route_submit`).
    """

    def __init__(self, custom_id: str) -> None:
        self.custom_id = custom_id

    @classmethod
    def parse(cls, custom_id: str, args: str | None, data: Any) -> "RecallSubmit":
        raise NotImplementedError

    @classmethod
    def of(cls, custom_id: str, data: Any) -> "RecallSubmit":
        args = custom_id[len(cls.prefix) + 1:] if custom_id.startswith(cls.prefix + ":") else None
        try:
            return cls.parse(custom_id, args, data)
        except (ValueError, KeyError, IndexError, OverflowError) as exc:
            log.info("refused modal id %r: %s", custom_id[:100], exc)
            refusal = cls.__new__(cls)
            RecallSubmit.__init__(refusal, custom_id)
            refusal.refused = True
            return refusal


async def route_submit(interaction: discord.Interaction, routes: Sequence[type[RecallSubmit]]) -> bool:
    """Handle a modal submit with the route its custom id names; False when none does."""
    custom_id = str((interaction.data or {}).get("custom_id", ""))
    for route in routes:
        if custom_id == route.prefix or custom_id.startswith(route.prefix + ":"):
            submit = route.of(custom_id, interaction.data)
            if await submit.check(interaction):
                await submit.handle(interaction)
            return True
    return False
