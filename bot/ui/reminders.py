"""What /remind shows: its private replies, the reminder DM with its Study now button, and the one note a member
gets after their reminders were switched off because their DMs are closed.

Custom id: remind:study:<user>:<guild>   Study now (opens the server's first due card in the DM)
"""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

import discord

from bot.core.reminders import ReminderContent, reminder_lines
from bot.core.translation import N_, _
from bot.ui.common import COLOUR, clip, relative_time, unlinked
from bot.ui.items import RecallItem, fields_of, snowflake

DESCRIPTION_LIMIT = 4096

BAD_TIME = N_("Give the time as HH:MM on a 24-hour clock, for example `19:00` or `7:30`.")
OFF = N_("Reminders are off. Turn them back on with `/remind on`.")
WAS_OFF = N_("Your reminders were already off.")
NEVER_ON = N_("You have no reminder. Turn one on with `/remind on [time]` (default 19:00, your time).")
DMS_CLOSED_NOTE = N_(
    "Recall switched your study reminders off: your direct messages are closed to it, so they could not be "
    "delivered. To get them again, allow direct messages from this server's members (Privacy Settings) and run "
    "`/remind on`."
)

# /remind status of a reminder that is off, by the reason it was switched off.
OFF_BECAUSE = {
    "user": N_("Reminders are off (you turned them off). Turn them on with `/remind on`."),
    "dms_closed": N_("Reminders are off (your direct messages are closed to Recall). Turn them on with `/remind on`."),
    "left": N_("Reminders are off (you left the server they were tied to). Turn them on with `/remind on`."),
}
# Translators: the name of a server Recall no longer sees, in "Time to study · {server}" and /remind replies.
UNKNOWN_SERVER = N_("your server")


def turned_on_text(local_time: str, zone_name: str, next_at: datetime, moved_from: str | None) -> str:
    text = _("Reminders on: every day at **{time}** ({zone}), only when you have something to do. "
             "Next one {when}.").format(time=local_time, zone=zone_name, when=relative_time(next_at))
    if moved_from:
        text += " " + _("They were tied to **{server}** and now follow this server's cards and streak.").format(
            server=moved_from)
    return text


def status_text(enabled: bool, local_time: str, next_at: datetime, server: str, off_reason: str | None) -> str:
    if not enabled:
        return _(OFF_BECAUSE.get(off_reason or "user", OFF_BECAUSE["user"]))
    return _("Reminders on at **{time}** for **{server}**'s cards and streak. "
             "Next one {when} (sent only when you have something to do).").format(
        time=local_time, server=server, when=relative_time(next_at))


def reminder_embed(content: ReminderContent, server: str) -> discord.Embed:
    """The reminder DM: one line per deck with cards due, then the streak line."""
    lines = [f"• {line}" for line in reminder_lines(content)]
    embed = discord.Embed(title=clip(_("Time to study · {server}").format(server=server), 256),
                          description=clip("\n".join(lines), DESCRIPTION_LIMIT), colour=COLOUR)
    embed.set_footer(text=_("Turn these off with /remind off in the server."))
    return unlinked(embed)


# --- Study now ----------------------------------------------------------------------------------------------------------


class StudyNowActions(Protocol):
    """What Study now asks of the Study cog."""

    async def study_now(self, interaction: discord.Interaction, guild_id: int) -> None: ...


class StudyNowButton(RecallItem[discord.ui.Button], prefix="remind:study", feature="Study"):
    """Opens the first due card of the reminder's server in the DM; its ratings count for that server."""

    command = "/remind on"
    acknowledges_when_slow = False  # the Study cog answers within its own budget

    def __init__(self, user_id: int, guild_id: int) -> None:
        # Translators: button of the reminder DM: opens the first due card right there.
        super().__init__(discord.ui.Button(label=_("Study now"), style=discord.ButtonStyle.success,
                                           custom_id=self.custom_id_of(user_id, guild_id)))
        self.user_id = user_id
        self.guild_id = guild_id

    @classmethod
    def parse(cls, item: discord.ui.Button, args: str | None) -> "StudyNowButton":
        user, guild = fields_of(args, 2)
        return cls(snowflake(user), snowflake(guild))

    @property
    def owner(self) -> int:
        return self.user_id

    async def run(self, interaction: discord.Interaction, actions: StudyNowActions) -> None:
        await actions.study_now(interaction, self.guild_id)


def reminder_view(user_id: int, guild_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(StudyNowButton(user_id, guild_id))
    return view


DYNAMIC_ITEMS = (StudyNowButton,)
