"""What the daily challenge shows: the announcement of each day's round (the round itself is /quiz's), the private
replies of /recall-admin daily-challenge, and the one note the admins get after the bot turned it off."""
from __future__ import annotations

from datetime import time

import discord

from bot.core.challenge import OFF_CHANNEL, OFF_DECK, Challenge, missing_of
from bot.core.decks import Deck
from bot.core.quiz import LETTERS
from bot.core.daily_time import time_text
from bot.core.text import plural
from bot.ui.common import COLOUR, relative_time, unlinked

NOT_SET = ("No daily challenge is set up. Start one with `/recall-admin daily-challenge on` "
           "(channel, time, deck and how many questions).")
TURNED_OFF = "The daily challenge is off. Turn it back on with `/recall-admin daily-challenge on`."
WAS_OFF = "The daily challenge was already off."
NOT_A_TEXT_CHANNEL = "Pick a text channel of this server for the daily challenge."
BAD_TIME = "Give the time of day as HH:MM on a 24-hour clock in the server's timezone, for example `18:00`."


def announcement_embed(
    deck: Deck, *, questions: int, seconds: int, local_time: time, late: bool, removes_reactions: bool
) -> discord.Embed:
    """The first message of a day's challenge; `late`: the bot was down at the time and catches up now."""
    lines = []
    if late:
        lines += [f"⏰ Recall was offline at {time_text(local_time)}, so today's challenge starts a little late.", ""]
    lines += [
        f"Today's challenge is on **{deck.title}**: **{plural(questions, 'question')}**, **{seconds} s** each.",
        "",
        f"Answer by reacting with a letter ({' '.join(LETTERS[:4])} …). Your **first** letter counts.",
    ]
    if removes_reactions:
        lines.append("Your reaction disappears once it is locked in, so nobody can copy the crowd.")
    lines.append("Points count on /leaderboard and answering keeps your streak going.")
    embed = discord.Embed(title="📅 Daily challenge", description="\n".join(lines), colour=COLOUR)
    embed.set_footer(text=f"Deck: {deck.id} · Every day at {time_text(local_time)} · A moderator can press Stop.")
    return unlinked(embed)


def missing_permissions_text(channel_id: int, missing: list[str]) -> str:
    names = ", ".join(f"**{name}**" for name in missing)
    return (f"I can't run the daily challenge in <#{channel_id}>: I'm missing {names} there. "
            "Allow it for Recall, or pick another channel.")


def turned_on_text(challenge: Challenge, zone_name: str, deck: Deck) -> str:
    assert challenge.next_run_at is not None  # a challenge just turned on has its first run
    return (f"📅 Daily challenge on: every day at **{time_text(challenge.local_time)}** ({zone_name}) in "
            f"<#{challenge.channel_id}>, {plural(challenge.questions, 'question')} from **{deck.title}**, "
            f"{challenge.seconds} s each. The first one starts {relative_time(challenge.next_run_at)}.")


def status_text(challenge: Challenge | None, zone_name: str, deck_title: str | None) -> str:
    if challenge is None:
        return NOT_SET
    settings = (f"<#{challenge.channel_id}> at **{time_text(challenge.local_time)}** ({zone_name}), "
                f"{plural(challenge.questions, 'question')} from **{deck_title or challenge.deck_id}**, "
                f"{challenge.seconds} s each")
    if not challenge.enabled or challenge.next_run_at is None:
        why = f" ({off_reason_text(challenge.off_reason)})" if challenge.off_reason else ""
        return f"The daily challenge is **off**{why}. It was: {settings}. {TURNED_OFF}"
    last = f" Last one {relative_time(challenge.last_run_at)}." if challenge.last_run_at else ""
    return f"📅 Daily challenge **on**: {settings}. Next one {relative_time(challenge.next_run_at)}.{last}"


def off_reason_text(reason: str) -> str:
    """Why the bot turned the challenge off, as a clause."""
    if reason == OFF_CHANNEL:
        return "its channel was deleted or I can no longer see it"
    if reason == OFF_DECK:
        return "its deck was removed from this server or has no quiz questions"
    missing = missing_of(reason)
    if missing:
        return f"I was missing {', '.join(f'**{name}**' for name in missing)} in its channel"
    return reason


def off_note_text(reason: str) -> str:
    """The note the admins get once, at their next /recall-admin use, after the bot turned the challenge off."""
    return (f"⚠️ Recall turned the daily challenge off: {off_reason_text(reason)}. "
            "Fix that and run `/recall-admin daily-challenge on` to start it again.")
