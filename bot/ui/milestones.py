"""Texts of /recall-admin roles: milestones described, refusals explained (what is wrong and how to fix it), the
list, and the reason shown in the server's audit log for each role change."""
from __future__ import annotations

import discord
from discord import app_commands

from bot.core.milestones import Kind, Milestone, Refusal, Window
from bot.core.text import clip
from bot.ui.common import COLOUR, days_text
from bot.ui.progress import PERIOD_TITLES

AUDIT_REASON = "Recall milestone role"
# How soon a change of milestones reaches members: the next tick of the cog's reconcile loop.
SOON = "within a minute or two"
WINDOW_CHOICES = [app_commands.Choice(name=PERIOD_TITLES[w.period], value=w.value) for w in Window]
NOT_A_MILESTONE = "That role is not a milestone role here; `/recall-admin roles list` shows those that are."
ROLE_DELETED = "That role no longer exists on this server."
NO_MILESTONES = (
    "No milestone roles are set up. Add one with `/recall-admin roles add role:@… streak:7` (a 7-day streak) or "
    "`points:10000 window:all` (quiz points)."
)


def role_text(role_id: int) -> str:
    return f"<@&{role_id}>"


def milestone_text(milestone: Milestone) -> str:
    """The milestone in words: 'a streak of 7 days', '10,000 quiz points this week'."""
    if milestone.kind is Kind.STREAK:
        return f"a streak of {days_text(milestone.threshold)}"
    assert milestone.window is not None
    return f"{milestone.threshold:,} quiz points {PERIOD_TITLES[milestone.window.period]}"


def refusal_text(refusal: Refusal, role_id: int, bot_top_id: int | None = None) -> str:
    """What is wrong with the admin's request, and what to do; nothing was stored."""
    role = role_text(role_id)
    top = role_text(bot_top_id) if bot_top_id is not None else "Recall's role"
    texts = {
        Refusal.NO_MILESTONE: "Give the milestone: `streak:` (days in a row) or `points:` (quiz points).",
        Refusal.TWO_MILESTONES: "Give one milestone per role: `streak:` or `points:`, not both.",
        Refusal.WINDOW_WITHOUT_POINTS: "`window:` goes with `points:`; a streak role counts the current streak.",
        Refusal.EVERYONE: "@everyone is every member's role already; pick another role.",
        Refusal.MANAGED: f"{role} is managed by an integration (a bot or a subscription), so no one can give it.",
        Refusal.NO_MANAGE_ROLES: (
            f"Recall needs the **Manage Roles** permission to give {role}. Allow it for {top} in Server Settings → "
            "Roles, then add the milestone again."
        ),
        Refusal.NOT_BELOW_BOT: (
            f"{role} is not below Recall's highest role ({top}), and Discord lets a bot give only roles below its "
            f"own. Drag {top} above {role} in Server Settings → Roles, then add the milestone again."
        ),
    }
    return f"{texts[refusal]} Nothing was changed."


def added_text(milestone: Milestone) -> str:
    role = role_text(milestone.role_id)
    lasting = (
        "and takes it back when the streak breaks" if milestone.kind is Kind.STREAK
        else "and takes it back when they fall below it" if milestone.window is not Window.ALL
        else "(and takes it back only if the leaderboards are reset)"
    )
    return (
        f"✅ Recall now gives {role} to members with {milestone_text(milestone)}, {lasting}. Members who qualify "
        f"already get it {SOON}."
    )


def removed_text(milestone: Milestone) -> str:
    role = role_text(milestone.role_id)
    return (
        f"Recall no longer gives {role} (it was for {milestone_text(milestone)}). It takes the role back from the "
        f"members it gave it to {SOON}; members who got it another way keep it."
    )


def list_embed(milestones: list[Milestone], guild_name: str) -> discord.Embed:
    lines = [f"{role_text(m.role_id)} — {milestone_text(m)}" for m in milestones]
    embed = discord.Embed(title=clip(f"🏅 Milestone roles · {guild_name}", 256), description=clip("\n".join(lines), 4096),
                          colour=COLOUR)
    embed.set_footer(text="Checked every 10 minutes and after members' activity; Recall takes back only the roles it "
                          "gave.")
    return embed
