"""/remind on|off|status and the sender of the daily reminder DMs: interaction in -> bot.services.reminders ->
bot.ui.reminders out.

The sender runs once when the bot is ready and then every SENDER.interval seconds, in the process that runs shard 0
only (direct messages live there). Each pass claims due reminders in batches (the service's claim is what makes a
send at most once) and sends them in due order, paced so members' interactions keep their share of Discord's global
limit: every REST call a reminder costs (the membership check, opening the DM the first time, the message) waits
its turn.
"""
from __future__ import annotations

import asyncio
import logging
from time import monotonic
from datetime import datetime
from typing import TYPE_CHECKING, Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._base import RecallCog
from bot.core.errors import InvalidInput
from bot.core.daily_time import parse_local_time
from bot.core.reminders import DEFAULT_TIME
from bot.core.translation import ENGLISH, _, speaking
from bot.services.reminders import BATCH, SENDER, Claim, ReminderService
from bot.ui import replies
from bot.ui.i18n import member_language
from bot.ui.reminders import (
    BAD_TIME,
    DMS_CLOSED_NOTE,
    DYNAMIC_ITEMS,
    NEVER_ON,
    OFF,
    UNKNOWN_SERVER,
    WAS_OFF,
    reminder_embed,
    reminder_view,
    status_text,
    turned_on_text,
)

if TYPE_CHECKING:
    from bot.app import RecallBot

log = logging.getLogger("recall.reminders")

CANNOT_DM = 50007  # Discord: "Cannot send messages to this user"
# DM channel ids kept by member (a member's DM channel never changes): from the second reminder on, one request
# fewer per reminder. Past this many the memory starts over.
DM_CHANNELS_KEPT = 100_000


class Pacer:
    """Spaces calls at least 1/rate seconds apart (one caller at a time: the sender)."""

    def __init__(self, rate: float, clock: Callable[[], float] = monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.gap = 1.0 / rate
        self.next_at = 0.0
        self.clock = clock
        self.sleep = sleep

    async def wait(self) -> None:
        now = self.clock()
        if self.next_at > now:
            await self.sleep(self.next_at - now)
        self.next_at = max(self.next_at, now) + self.gap


class RemindCog(RecallCog, name="Remind"):
    dynamic_items = tuple(DYNAMIC_ITEMS)

    remind = app_commands.Group(name="remind", description="A daily direct message when you have cards to study",
                                guild_only=True)

    def __init__(self, bot: RecallBot) -> None:
        super().__init__(bot)
        self.pacer = Pacer(SENDER.requests_per_second)
        self.dm_channels: dict[int, int] = {}
        self.sender: asyncio.Task[None] | None = None

    @property
    def service(self) -> ReminderService:
        return self.bot.services.reminders

    async def cog_load(self) -> None:
        await super().cog_load()
        await self.service.load_notes()
        if SENDER.run_loop:
            self.sender = asyncio.create_task(self.run_sender(), name="reminder-sender")

    async def cog_unload(self) -> None:
        if self.sender is not None:
            self.sender.cancel()
            await asyncio.gather(self.sender, return_exceptions=True)
        await super().cog_unload()

    # --- Commands ---------------------------------------------------------------------------------------------------

    @remind.command(name="on", description="Get a direct message once a day when you have cards due")
    @app_commands.describe(time="Your local time as HH:MM (default 19:00; your zone is set with /settings timezone)")
    async def remind_on(self, interaction: discord.Interaction, time: str | None = None) -> None:
        assert interaction.guild_id is not None
        try:
            local_time = parse_local_time(time) if time else DEFAULT_TIME
        except ValueError:
            raise InvalidInput(_(BAD_TIME)) from None
        turned = await self.service.turn_on(interaction.guild_id, interaction.user.id,
                                            interaction.user.display_name, local_time, SENDER.clock(),
                                            language=member_language(interaction))
        reminder = turned.reminder
        moved = self.server_name(turned.moved_from) if turned.moved_from is not None else None
        text = turned_on_text(reminder.local_time, turned.zone_name, reminder.next_send_at, moved)
        await replies.send(interaction, text, ephemeral=True)

    @remind.command(name="off", description="Stop the daily study reminder")
    async def remind_off(self, interaction: discord.Interaction) -> None:
        await replies.send(interaction, _(OFF if await self.service.turn_off(interaction.user.id) else WAS_OFF),
                           ephemeral=True)

    @remind.command(name="status", description="When your next study reminder comes, or why it is off")
    async def remind_status(self, interaction: discord.Interaction) -> None:
        row = await self.service.status(interaction.user.id)
        if row is None:
            text = _(NEVER_ON)
        else:
            text = status_text(row.enabled, row.local_time, row.next_send_at, self.server_name(row.guild_id),
                               row.off_reason)
        await replies.send(interaction, text, ephemeral=True)

    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction: discord.Interaction, command: object) -> None:
        # Any command, once answered: a member whose reminders were switched off gets the note once. A set lookup
        # for everyone else.
        if interaction.user.id in self.service.notes and await self.service.take_note(interaction.user.id):
            # Private, so in the member's language even after a command that answered in the server's.
            with speaking(member_language(interaction)):
                note = _(DMS_CLOSED_NOTE)
            await replies.send_private(interaction, note)

    # --- The sender ---------------------------------------------------------------------------------------------------

    def sends(self) -> bool:
        """Only the process running shard 0 sends (DMs are on shard 0), so sharded processes never all send."""
        shards = self.bot.shards_run
        return shards is None or 0 in shards.ids

    async def run_sender(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            try:
                if self.sends():
                    await self.send_due()
                else:
                    # The notes the sending process set: this process answers its own shards' commands.
                    await self.service.load_notes()
            except Exception:
                log.exception("reminder pass failed")
            await asyncio.sleep(SENDER.interval)

    async def send_due(self, now: datetime | None = None) -> int:
        """One pass: claim the reminders due by `now` batch by batch and send them; the number of DMs sent."""
        if not self.sends():
            return 0
        now = now or SENDER.clock()
        sent = 0
        while True:
            claims = await self.service.claim_due(now)
            for claim in claims:
                if not claim.skipped and await self.deliver(claim):
                    sent += 1
            if len(claims) < BATCH:
                return sent

    async def deliver(self, claim: Claim) -> bool:
        """Send one claimed reminder if the member has something to do and is still in the server; whether sent."""
        now = SENDER.clock()
        content = await self.service.content(claim.guild_id, claim.user_id, now)
        if content is None:
            return False
        try:
            await self.pacer.wait()
            await self.bot.http.get_member(claim.guild_id, claim.user_id)
        except discord.NotFound:  # the member left (or the bot left the server)
            await self.service.member_left(claim.user_id)
            return False
        except discord.HTTPException as exc:
            log.warning("reminder for %s not sent: membership unknown (%s)", claim.user_id, exc)
            return False
        try:
            channel = await self.dm_channel(claim.user_id, claim.dm_channel_id)
            # A DM answers no interaction: it speaks the language the member's client had at their /remind on.
            with speaking(claim.language or ENGLISH):
                embed = reminder_embed(content, self.server_name(claim.guild_id))
                view = reminder_view(claim.user_id, claim.guild_id)
            await self.pacer.wait()
            await channel.send(embed=embed, view=view)
        except discord.HTTPException as exc:
            if exc.code != CANNOT_DM:
                log.warning("reminder for %s not sent: %s", claim.user_id, exc)
                return False
            await self.service.dms_closed(claim.user_id)
            return False
        await self.service.sent(claim.user_id, now, channel.id)
        return True

    async def dm_channel(self, user_id: int, stored: int | None = None) -> discord.abc.Messageable:
        """The member's DM channel: remembered, stored with an earlier reminder, or opened (one request)."""
        known = self.dm_channels.get(user_id) or stored
        if known is not None:
            return self.bot.get_partial_messageable(known, type=discord.ChannelType.private)
        await self.pacer.wait()
        channel = await self.bot.create_dm(discord.Object(user_id))
        if len(self.dm_channels) >= DM_CHANNELS_KEPT:
            self.dm_channels.clear()
        self.dm_channels[user_id] = channel.id
        return channel

    def server_name(self, guild_id: int) -> str:
        guild = self.bot.get_guild(guild_id)
        return guild.name if guild is not None else _(UNKNOWN_SERVER)


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(RemindCog(bot))
