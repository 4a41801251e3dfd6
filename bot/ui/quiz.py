"""What /quiz shows: the announcement with its Stop button, questions, reveals, the final scoreboard, and the
texts its refusals and the Stop button answer with."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping, Protocol, Sequence

import discord

from bot.core.decks import Deck
from bot.core.quiz import LETTERS, Answer, OpenQuestion, QuestionResult, ScoreLine, letter_emoji
from bot.core.streaks import StreakUpdate
from bot.core.translation import N_, _, ngettext, number
from bot.ui.common import COLOUR, clip, level_badge, relative_time, streak_line, unlinked
from bot.ui.items import RecallItem, fields_of
from bot.ui.items import number as id_number

FIELD_LIMIT = 1024
DESCRIPTION_LIMIT = 4096
RIGHT_COLOUR = discord.Colour.green()
END_COLOUR = discord.Colour.gold()
ROUND_ID_MAX = 2**63 - 1  # SQLite's largest row id

# What Stop and /quiz answer privately.
QUIZ_ENDED = N_("This quiz has already ended.")
ALREADY_STOPPING = N_("This quiz is already stopping: it ends after the current question.")
STOPPING = N_("⏹️ Stopping: the quiz ends after the current question, with its scoreboard.")
PICK_A_DECK = N_("Pick a deck with the `deck` option (start typing to see this server's decks).")


def stop_refused_text(starter_id: int) -> str:
    return _("Only {starter}, who started this quiz, or a member with **Manage Messages** can stop it.").format(
        starter=f"<@{starter_id}>")


def busy_text(ends_at: datetime) -> str:
    return _("A quiz is already running in this channel; it ends {when}. Join in by reacting, or start yours in "
             "another channel.").format(when=relative_time(ends_at))


def missing_permissions_text(missing: Sequence[str]) -> str:
    """`missing`: Discord's English names of the permissions (bot.cogs.quiz.REQUIRED_PERMISSIONS), shown translated."""
    names = ", ".join(f"**{_(name)}**" for name in missing)
    return _("I can't run a quiz here: I'm missing {permissions} in this channel. Ask a moderator to allow it for "
             "Recall, or start the quiz in another channel.").format(permissions=names)


def no_questions_text(deck: Deck) -> str:
    return _("**{deck}** has no quiz questions. Try `/study` with it, or pick another deck.").format(deck=deck.title)


class QuizActions(Protocol):
    """What the Stop button needs from the quiz feature (the Quiz cog implements it)."""

    async def stop_pressed(self, interaction: discord.Interaction, round_id: int) -> None:
        """Stop the round after its open question, if this member may; refusals raise bot.core.errors."""
        ...


class StopButton(RecallItem[discord.ui.Button], prefix="quiz:stop", feature="Quiz"):
    """Stop on a round's announcement; the round id in the custom id lets it work after a restart.

    Anyone may press it (no owner): whether this member may stop this round is the cog's decision.
    """

    command = "/quiz"

    def __init__(self, round_id: int, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                # Translators: the button on a quiz's announcement that ends the round early.
                label=_("Stop"), style=discord.ButtonStyle.danger, emoji="⏹️", custom_id=self.custom_id_of(round_id),
                disabled=disabled,
            )
        )
        self.round_id = round_id

    @classmethod
    def parse(cls, item: discord.ui.Button, args: str | None) -> "StopButton":
        [round_id] = fields_of(args, 1)
        return cls(id_number(round_id, ROUND_ID_MAX))

    async def run(self, interaction: discord.Interaction, actions: QuizActions) -> None:
        await actions.stop_pressed(interaction, self.round_id)


def stop_view(round_id: int, *, disabled: bool = False) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(StopButton(round_id, disabled=disabled))
    return view


def _join_within(lines: Iterable[str], limit: int = FIELD_LIMIT) -> str:
    """Join lines, ending with "… and N more" when they do not all fit in `limit` characters."""
    lines = list(lines)
    reserve = 1 + len(_more_text(len(lines)))
    shown: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        needed = len(line) + (1 if shown else 0)
        is_last = index == len(lines) - 1
        if used + needed + (0 if is_last else reserve) > limit:
            return "\n".join(shown + [_more_text(len(lines) - index)])
        shown.append(line)
        used += needed
    return "\n".join(shown)


def _more_text(count: int) -> str:
    # Translators: the last line of a list cut short (members who answered a quiz question).
    return ngettext("… and {count} more", "… and {count} more", count).format(count=number(count))


# --- Announcement --------------------------------------------------------------------------------------------------


def announcement_embed(
    deck: Deck, *, questions: int, seconds: int, starter_id: int, removes_reactions: bool, asked_for: int
) -> discord.Embed:
    letters = " ".join(LETTERS[:4])
    lines = [
        _("{starter} started a quiz on **{deck}**.").format(starter=f"<@{starter_id}>", deck=deck.title),
        ngettext("**{count}** question, **{seconds} s** each.", "**{count}** questions, **{seconds} s** each.",
                 questions).format(count=questions, seconds=seconds),
    ]
    if asked_for > questions:
        lines.append(ngettext("(The deck has {count} quiz question, so that is all of them.)",
                              "(The deck has {count} quiz questions, so that is all of them.)",
                              questions).format(count=questions))
    lines.append("")
    lines.append(_("Answer by reacting with a letter ({letters} …). Your **first** letter counts.")
                 .format(letters=letters))
    if removes_reactions:
        lines.append(_("Your reaction disappears once it is locked in, so nobody can copy the crowd."))
    lines.append(_("Faster right answers score more; right answers in a row add a streak bonus."))
    embed = discord.Embed(title=_("🧠 Quiz time!"), description="\n".join(lines), colour=COLOUR)
    embed.set_footer(text=_("Deck: {deck_id} · The starter or a moderator can press Stop.").format(deck_id=deck.id))
    return unlinked(embed)


# --- Questions -----------------------------------------------------------------------------------------------------


def question_embed(question: OpenQuestion, total: int, *, locked: int, closed: bool = False) -> discord.Embed:
    shown = question.question
    choices = "\n".join(f"{letter_emoji(i)} {choice}" for i, choice in enumerate(shown.choices))
    status = ngettext("🔒 {count} answer locked in", "🔒 {count} answers locked in", locked).format(count=locked)
    if closed:
        # Translators: a quiz question that no longer takes answers.
        when = _("Closed.")
    else:
        # Translators: {when} is a time Discord shows relative to the reader ("in 20 seconds"), in their language.
        when = _("Closes {when}").format(when=relative_time(question.closes_at))
    description = f"{clip(shown.question, DESCRIPTION_LIMIT - 200)}\n\n{level_badge(shown.level)} · {when} · {status}"
    title = _("Question {number}/{total}").format(number=question.index + 1, total=total)
    embed = discord.Embed(title=title, description=description, colour=COLOUR)
    embed.add_field(name=_("Choices"), value=clip(choices, FIELD_LIMIT), inline=False)
    return unlinked(embed)


# --- Reveal --------------------------------------------------------------------------------------------------------


def reveal_embed(
    result: QuestionResult, total: int, streaks: Mapping[int, StreakUpdate] | None = None
) -> discord.Embed:
    """The answer and who got it; `streaks`: what the answers since the last reveal did to members' streaks."""
    shown = result.question
    right_letter = letter_emoji(result.correct_letter)
    correct = _("✓ Correct: {letter} **{answer}**").format(letter=right_letter, answer=shown.answer)
    lines = [f"**{clip(shown.question, 1000)}**", "", correct]
    if shown.explanation:
        lines.append(shown.explanation)
    title = _("Question {number}/{total}: the answer").format(number=result.index + 1, total=total)
    embed = discord.Embed(title=title, description="\n".join(lines), colour=RIGHT_COLOUR)
    counts = " · ".join(f"{letter_emoji(i)} {number(n)}" for i, n in enumerate(result.counts))
    # Translators: heading of how many members reacted with each letter.
    embed.add_field(name=_("Answers"), value=counts, inline=False)
    if result.right:
        # Translators: heading of the members who answered a quiz question correctly.
        embed.add_field(name=_("✓ Right"), value=_join_within(_right_line(a) for a in result.right), inline=False)
    if result.wrong:
        wrong = (_("{member} chose {letter}").format(member=f"<@{a.user_id}>", letter=letter_emoji(a.letter))
                 for a in result.wrong)
        embed.add_field(name=_("✗ Incorrect"), value=_join_within(wrong), inline=False)
    if not result.answers:
        embed.add_field(name=_("No answers"), value=_("Nobody answered this one."), inline=False)
    grown = [(user_id, line) for user_id, update in (streaks or {}).items() if (line := streak_line(update))]
    if grown:
        embed.add_field(name=_("Streaks"), value=_join_within(f"<@{u}> {line}" for u, line in grown), inline=False)
    return unlinked(embed)


def _right_line(answer: Answer) -> str:
    # A question's points (500–1500) are written without grouping, as a score and not an amount.
    member = f"<@{answer.user_id}>"
    if answer.bonus:
        return _("{member} **+{points}** (incl. +{bonus} streak bonus)").format(
            member=member, points=answer.points, bonus=answer.bonus)
    return f"{member} **+{answer.points}**"


# --- Scoreboard ----------------------------------------------------------------------------------------------------


def ending_text(status: str, *, stopped_by: int | None, asked: int, total: int) -> str | None:
    """The line above the scoreboard saying why the round ended (None when it simply ran its course)."""
    if status == "stopped":
        if stopped_by:
            return _("⏹️ {member} stopped the quiz after question {asked}/{total}.").format(
                member=f"<@{stopped_by}>", asked=asked, total=total)
        return _("⏹️ A moderator stopped the quiz after question {asked}/{total}.").format(asked=asked, total=total)
    if status == "interrupted":
        return _("⚠️ This quiz was interrupted by a restart of Recall after question {asked}/{total}; every answer "
                 "given before it counts.").format(asked=asked, total=total)
    if status == "idle":
        return _("💤 Nobody answered three questions in a row, so the quiz ended itself.")
    if status == "failed":
        return _("⚠️ Something went wrong on Recall's side, so the quiz ended early. Answers given so far count.")
    return None


def scoreboard_embed(lines: list[ScoreLine], *, deck_title: str, asked: int, ending: str | None = None) -> discord.Embed:
    if lines:
        board = "\n".join(
            ngettext("{medal} {member}: **{points}** point · {correct}/{asked} correct",
                     "{medal} {member}: **{points}** points · {correct}/{asked} correct", line.points)
            .format(medal=line.medal, member=f"<@{line.user_id}>", points=number(line.points), correct=line.correct,
                    asked=asked)
            for line in lines
        )
    else:
        board = _("Nobody answered, so there is no scoreboard this time.")
    description = board if ending is None else f"{ending}\n\n{board}"
    title = _("🏁 Quiz over: {deck}").format(deck=clip(deck_title, 200))
    embed = discord.Embed(title=title, description=description, colour=END_COLOUR)
    embed.set_footer(text=_("Points count on /leaderboard; missed questions come back in /study."))
    return unlinked(embed)
