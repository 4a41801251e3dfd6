"""Texts of /recall-admin roles: milestones described, refusals explained (what is wrong and how to fix it), the
list, and the reason shown in the server's audit log for each role change."""
from __future__ import annotations

import discord
from discord import app_commands

from bot.core.milestones import Kind, Milestone, Refusal, Window
from bot.core.text import clip
from bot.core.translation import N_, _, ngettext, number
from bot.ui.common import COLOUR
from bot.ui.progress import PERIOD_TITLES

AUDIT_REASON = N_("Recall milestone role")
WINDOW_CHOICES = [app_commands.Choice(name=PERIOD_TITLES[w.period], value=w.value) for w in Window]
NOT_A_MILESTONE = N_("That role is not a milestone role here; `/recall-admin roles list` shows those that are.")
ROLE_DELETED = N_("That role no longer exists on this server.")
NO_MILESTONES = N_(
    "No milestone roles are set up. Add one with `/recall-admin roles add role:@… streak:7` (a 7-day streak) or "
    "`points:10000 window:all` (quiz points)."
)


def role_text(role_id: int) -> str:
    return f"<@&{role_id}>"


def milestone_text(milestone: Milestone) -> str:
    """The milestone in words: 'a streak of 7 days', '10,000 quiz points this week'."""
    n = milestone.threshold
    if milestone.kind is Kind.STREAK:
        # Translators: a milestone, inside sentences such as "Recall no longer gives @role (it was for …)".
        text = ngettext("a streak of {count} day", "a streak of {count} days", n)
    elif milestone.window is Window.WEEK:
        # Translators: a milestone, inside sentences such as "Recall no longer gives @role (it was for …)".
        text = ngettext("{count} quiz point this week", "{count} quiz points this week", n)
    elif milestone.window is Window.MONTH:
        # Translators: a milestone, inside sentences such as "Recall no longer gives @role (it was for …)".
        text = ngettext("{count} quiz point this month", "{count} quiz points this month", n)
    else:
        assert milestone.window is Window.ALL
        # Translators: a milestone, inside sentences such as "Recall no longer gives @role (it was for …)".
        text = ngettext("{count} quiz point all time", "{count} quiz points all time", n)
    return text.format(count=number(n))


def refusal_text(refusal: Refusal, role_id: int, bot_top_id: int | None = None) -> str:
    """What is wrong with the admin's request, and what to do; nothing was stored."""
    role = role_text(role_id)
    top = role_text(bot_top_id) if bot_top_id is not None else _("Recall's role")
    texts = {
        Refusal.NO_MILESTONE: N_("Give the milestone: `streak:` (days in a row) or `points:` (quiz points)."),
        Refusal.TWO_MILESTONES: N_("Give one milestone per role: `streak:` or `points:`, not both."),
        Refusal.WINDOW_WITHOUT_POINTS: N_("`window:` goes with `points:`; a streak role counts the current streak."),
        Refusal.EVERYONE: N_("@everyone is every member's role already; pick another role."),
        Refusal.MANAGED: N_("{role} is managed by an integration (a bot or a subscription), so no one can give it."),
        Refusal.NO_MANAGE_ROLES: N_(
            "Recall needs the **Manage Roles** permission to give {role}. Allow it for {top} in Server Settings → "
            "Roles, then add the milestone again."
        ),
        Refusal.NOT_BELOW_BOT: N_(
            "{role} is not below Recall's highest role ({top}), and Discord lets a bot give only roles below its "
            "own. Drag {top} above {role} in Server Settings → Roles, then add the milestone again."
        ),
    }
    return "{refusal} {unchanged}".format(refusal=_(texts[refusal]).format(role=role, top=top),
                                          unchanged=_("Nothing was changed."))


def added_text(milestone: Milestone) -> str:
    if milestone.kind is Kind.STREAK:
        text = _("✅ Recall now gives {role} to members with {milestone}, and takes it back when the streak breaks. "
                 "Members who qualify already get it within a minute or two.")
    elif milestone.window is not Window.ALL:
        text = _("✅ Recall now gives {role} to members with {milestone}, and takes it back when they fall below "
                 "it. Members who qualify already get it within a minute or two.")
    else:
        text = _("✅ Recall now gives {role} to members with {milestone} (and takes it back only if the "
                 "leaderboards are reset). Members who qualify already get it within a minute or two.")
    return text.format(role=role_text(milestone.role_id), milestone=milestone_text(milestone))


def removed_text(milestone: Milestone) -> str:
    return _(
        "Recall no longer gives {role} (it was for {milestone}). It takes the role back from the members it gave it "
        "to within a minute or two; members who got it another way keep it."
    ).format(role=role_text(milestone.role_id), milestone=milestone_text(milestone))


def list_embed(milestones: list[Milestone], guild_name: str) -> discord.Embed:
    lines = ["{role} — {milestone}".format(role=role_text(m.role_id), milestone=milestone_text(m))
             for m in milestones]
    embed = discord.Embed(title=clip(_("🏅 Milestone roles · {server}").format(server=guild_name), 256),
                          description=clip("\n".join(lines), 4096), colour=COLOUR)
    embed.set_footer(text=_("Checked every 10 minutes and after members' activity; Recall takes back only the roles "
                            "it gave."))
    return embed
