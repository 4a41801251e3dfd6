"""What the daily challenge shows: the announcement of each day's round (the round itself is /quiz's), the private
replies of /recall-admin daily-challenge, and the one note the admins get after the bot turned it off."""
from __future__ import annotations

from datetime import time

import discord

from bot.core.challenge import OFF_CHANNEL, OFF_DECK, Challenge, missing_of
from bot.core.decks import Deck
from bot.core.quiz import LETTERS
from bot.core.daily_time import time_text
from bot.core.translation import N_, _, ngettext
from bot.ui.common import COLOUR, relative_time, unlinked

NOT_SET = N_("No daily challenge is set up. Start one with `/recall-admin daily-challenge on` "
             "(channel, time, deck and how many questions).")
TURNED_OFF = N_("The daily challenge is off. Turn it back on with `/recall-admin daily-challenge on`.")
WAS_OFF = N_("The daily challenge was already off.")
NOT_A_TEXT_CHANNEL = N_("Pick a text channel of this server for the daily challenge.")
BAD_TIME = N_("Give the time of day as HH:MM on a 24-hour clock in the server's timezone, for example `18:00`.")


def announcement_embed(
    deck: Deck, *, questions: int, seconds: int, local_time: time, late: bool, removes_reactions: bool
) -> discord.Embed:
    """The first message of a day's challenge; `late`: the bot was down at the time and catches up now."""
    lines = []
    if late:
        lines += [_("⏰ Recall was offline at {time}, so today's challenge starts a little late.")
                  .format(time=time_text(local_time)), ""]
    lines += [
        ngettext("Today's challenge is on **{deck}**: **{count} question**, **{seconds} s** each.",
                 "Today's challenge is on **{deck}**: **{count} questions**, **{seconds} s** each.", questions)
        .format(deck=deck.title, count=questions, seconds=seconds),
        "",
        _("Answer by reacting with a letter ({letters} …). Your **first** letter counts.")
        .format(letters=" ".join(LETTERS[:4])),
    ]
    if removes_reactions:
        lines.append(_("Your reaction disappears once it is locked in, so nobody can copy the crowd."))
    lines.append(_("Points count on /leaderboard and answering keeps your streak going."))
    embed = discord.Embed(title=_("📅 Daily challenge"), description="\n".join(lines), colour=COLOUR)
    embed.set_footer(text=_("Deck: {deck} · Every day at {time} · A moderator can press Stop.")
                     .format(deck=deck.id, time=time_text(local_time)))
    return unlinked(embed)


def permission_names(missing: list[str]) -> str:
    """Permission names (bot.cogs.quiz.REQUIRED_PERMISSIONS, in English as stored in an off_reason), bold, in the
    current language."""
    return ", ".join("**{name}**".format(name=_(name)) for name in missing)


def missing_permissions_text(channel_id: int, missing: list[str]) -> str:
    return _("I can't run the daily challenge in {channel}: I'm missing {permissions} there. "
             "Allow it for Recall, or pick another channel.").format(
        channel=f"<#{channel_id}>", permissions=permission_names(missing))


def turned_on_text(challenge: Challenge, zone_name: str, deck: Deck) -> str:
    assert challenge.next_run_at is not None  # a challenge just turned on has its first run
    return ngettext(
        "📅 Daily challenge on: every day at **{time}** ({zone}) in {channel}, {count} question from **{deck}**, "
        "{seconds} s each. The first one starts {first}.",
        "📅 Daily challenge on: every day at **{time}** ({zone}) in {channel}, {count} questions from **{deck}**, "
        "{seconds} s each. The first one starts {first}.",
        challenge.questions,
    ).format(time=time_text(challenge.local_time), zone=zone_name, channel=f"<#{challenge.channel_id}>",
             count=challenge.questions, deck=deck.title, seconds=challenge.seconds,
             first=relative_time(challenge.next_run_at))


def status_text(challenge: Challenge | None, zone_name: str, deck_title: str | None) -> str:
    if challenge is None:
        return _(NOT_SET)
    settings = dict(channel=f"<#{challenge.channel_id}>", time=time_text(challenge.local_time), zone=zone_name,
                    count=challenge.questions, deck=deck_title or challenge.deck_id, seconds=challenge.seconds)
    if not challenge.enabled or challenge.next_run_at is None:
        if challenge.off_reason:
            off = ngettext(
                "The daily challenge is **off** ({reason}). It was: {channel} at **{time}** ({zone}), "
                "{count} question from **{deck}**, {seconds} s each.",
                "The daily challenge is **off** ({reason}). It was: {channel} at **{time}** ({zone}), "
                "{count} questions from **{deck}**, {seconds} s each.",
                challenge.questions,
            ).format(reason=off_reason_text(challenge.off_reason), **settings)
        else:
            off = ngettext(
                "The daily challenge is **off**. It was: {channel} at **{time}** ({zone}), "
                "{count} question from **{deck}**, {seconds} s each.",
                "The daily challenge is **off**. It was: {channel} at **{time}** ({zone}), "
                "{count} questions from **{deck}**, {seconds} s each.",
                challenge.questions,
            ).format(**settings)
        return f"{off} {_(TURNED_OFF)}"
    on = ngettext(
        "📅 Daily challenge **on**: {channel} at **{time}** ({zone}), {count} question from **{deck}**, "
        "{seconds} s each. Next one {next}.",
        "📅 Daily challenge **on**: {channel} at **{time}** ({zone}), {count} questions from **{deck}**, "
        "{seconds} s each. Next one {next}.",
        challenge.questions,
    ).format(next=relative_time(challenge.next_run_at), **settings)
    if challenge.last_run_at:
        on += " " + _("Last one {last}.").format(last=relative_time(challenge.last_run_at))
    return on


def off_reason_text(reason: str) -> str:
    """Why the bot turned the challenge off, as a clause."""
    if reason == OFF_CHANNEL:
        # Translators: a clause: "The daily challenge is off (…)" and "Recall turned the daily challenge off: …."
        return _("its channel was deleted or I can no longer see it")
    if reason == OFF_DECK:
        # Translators: a clause: "The daily challenge is off (…)" and "Recall turned the daily challenge off: …."
        return _("its deck was removed from this server or has no quiz questions")
    missing = missing_of(reason)
    if missing:
        # Translators: a clause: "The daily challenge is off (…)" and "Recall turned the daily challenge off: …."
        return _("I was missing {permissions} in its channel").format(permissions=permission_names(missing))
    return reason


def off_note_text(reason: str) -> str:
    """The note the admins get once, at their next /recall-admin use, after the bot turned the challenge off."""
    return _("⚠️ Recall turned the daily challenge off: {reason}. "
             "Fix that and run `/recall-admin daily-challenge on` to start it again.").format(
        reason=off_reason_text(reason))
