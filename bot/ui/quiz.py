"""What /quiz shows: the announcement with its Stop button, questions, reveals, the final scoreboard, and the
texts its refusals and the Stop button answer with."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping, Protocol, Sequence

import discord

from bot.core.decks import Deck
from bot.core.quiz import LETTERS, Answer, OpenQuestion, QuestionResult, ScoreLine, letter_emoji
from bot.core.streaks import StreakUpdate
from bot.ui.common import COLOUR, clip, level_badge, relative_time, streak_line, unlinked
from bot.ui.items import RecallItem, fields_of, number

FIELD_LIMIT = 1024
DESCRIPTION_LIMIT = 4096
RIGHT_COLOUR = discord.Colour.green()
END_COLOUR = discord.Colour.gold()
ROUND_ID_MAX = 2**63 - 1  # SQLite's largest row id

# What Stop and /quiz answer privately.
QUIZ_ENDED = "This quiz has already ended."
ALREADY_STOPPING = "This quiz is already stopping: it ends after the current question."
STOPPING = "⏹️ Stopping: the quiz ends after the current question, with its scoreboard."
PICK_A_DECK = "Pick a deck with the `deck` option (start typing to see this server's decks)."


def stop_refused_text(starter_id: int) -> str:
    return f"Only <@{starter_id}>, who started this quiz, or a member with **Manage Messages** can stop it."


def busy_text(ends_at: datetime) -> str:
    return (f"A quiz is already running in this channel; it ends {relative_time(ends_at)}. "
            "Join in by reacting, or start yours in another channel.")


def missing_permissions_text(missing: Sequence[str]) -> str:
    names = ", ".join(f"**{name}**" for name in missing)
    return (f"I can't run a quiz here: I'm missing {names} in this channel. "
            "Ask a moderator to allow it for Recall, or start the quiz in another channel.")


def no_questions_text(deck: Deck) -> str:
    return f"**{deck.title}** has no quiz questions. Try `/study` with it, or pick another deck."


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
                label="Stop", style=discord.ButtonStyle.danger, emoji="⏹️", custom_id=self.custom_id_of(round_id),
                disabled=disabled,
            )
        )
        self.round_id = round_id

    @classmethod
    def parse(cls, item: discord.ui.Button, args: str | None) -> "StopButton":
        [round_id] = fields_of(args, 1)
        return cls(number(round_id, ROUND_ID_MAX))

    async def run(self, interaction: discord.Interaction, actions: QuizActions) -> None:
        await actions.stop_pressed(interaction, self.round_id)


def stop_view(round_id: int, *, disabled: bool = False) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(StopButton(round_id, disabled=disabled))
    return view


def _join_within(lines: Iterable[str], limit: int = FIELD_LIMIT) -> str:
    """Join lines, ending with "… and N more" when they do not all fit in `limit` characters."""
    lines = list(lines)
    reserve = len("\n… and  more") + len(str(len(lines)))
    shown: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        needed = len(line) + (1 if shown else 0)
        is_last = index == len(lines) - 1
        if used + needed + (0 if is_last else reserve) > limit:
            return "\n".join(shown + [f"… and {len(lines) - index} more"])
        shown.append(line)
        used += needed
    return "\n".join(shown)


# --- Announcement --------------------------------------------------------------------------------------------------


def announcement_embed(
    deck: Deck, *, questions: int, seconds: int, starter_id: int, removes_reactions: bool, asked_for: int
) -> discord.Embed:
    letters = " ".join(LETTERS[:4])
    lines = [
        f"<@{starter_id}> started a quiz on **{deck.title}**.",
        f"**{questions}** question{'s' if questions != 1 else ''}, **{seconds} s** each.",
    ]
    if asked_for > questions:
        lines.append(f"(The deck has {questions} quiz questions, so that is all of them.)")
    lines.append("")
    lines.append(f"Answer by reacting with a letter ({letters} …). Your **first** letter counts.")
    if removes_reactions:
        lines.append("Your reaction disappears once it is locked in, so nobody can copy the crowd.")
    lines.append("Faster right answers score more; right answers in a row add a streak bonus.")
    embed = discord.Embed(title="🧠 Quiz time!", description="\n".join(lines), colour=COLOUR)
    embed.set_footer(text=f"Deck: {deck.id} · The starter or a moderator can press Stop.")
    return unlinked(embed)


# --- Questions -----------------------------------------------------------------------------------------------------


def question_embed(question: OpenQuestion, total: int, *, locked: int, closed: bool = False) -> discord.Embed:
    shown = question.question
    choices = "\n".join(f"{letter_emoji(i)} {choice}" for i, choice in enumerate(shown.choices))
    status = f"🔒 {locked} answer{'s' if locked != 1 else ''} locked in"
    when = "Closed." if closed else f"Closes {relative_time(question.closes_at)}"
    description = f"{clip(shown.question, DESCRIPTION_LIMIT - 200)}\n\n{level_badge(shown.level)} · {when} · {status}"
    embed = discord.Embed(title=f"Question {question.index + 1}/{total}", description=description, colour=COLOUR)
    embed.add_field(name="Choices", value=clip(choices, FIELD_LIMIT), inline=False)
    return unlinked(embed)


# --- Reveal --------------------------------------------------------------------------------------------------------


def reveal_embed(
    result: QuestionResult, total: int, streaks: Mapping[int, StreakUpdate] | None = None
) -> discord.Embed:
    """The answer and who got it; `streaks`: what the answers since the last reveal did to members' streaks."""
    shown = result.question
    right_letter = letter_emoji(result.correct_letter)
    lines = [f"**{clip(shown.question, 1000)}**", "", f"✓ Correct: {right_letter} **{shown.answer}**"]
    if shown.explanation:
        lines.append(shown.explanation)
    embed = discord.Embed(
        title=f"Question {result.index + 1}/{total}: the answer", description="\n".join(lines), colour=RIGHT_COLOUR
    )
    counts = " · ".join(f"{letter_emoji(i)} {n}" for i, n in enumerate(result.counts))
    embed.add_field(name="Answers", value=counts, inline=False)
    if result.right:
        embed.add_field(name="✓ Right", value=_join_within(_right_line(a) for a in result.right), inline=False)
    if result.wrong:
        wrong = (f"<@{a.user_id}> chose {letter_emoji(a.letter)}" for a in result.wrong)
        embed.add_field(name="✗ Incorrect", value=_join_within(wrong), inline=False)
    if not result.answers:
        embed.add_field(name="No answers", value="Nobody answered this one.", inline=False)
    grown = [(user_id, line) for user_id, update in (streaks or {}).items() if (line := streak_line(update))]
    if grown:
        embed.add_field(name="Streaks", value=_join_within(f"<@{u}> {line}" for u, line in grown), inline=False)
    return unlinked(embed)


def _right_line(answer: Answer) -> str:
    bonus = f" (incl. +{answer.bonus} streak bonus)" if answer.bonus else ""
    return f"<@{answer.user_id}> **+{answer.points}**{bonus}"


# --- Scoreboard ----------------------------------------------------------------------------------------------------


def ending_text(status: str, *, stopped_by: int | None, asked: int, total: int) -> str | None:
    """The line above the scoreboard saying why the round ended (None when it simply ran its course)."""
    if status == "stopped":
        who = f"<@{stopped_by}>" if stopped_by else "A moderator"
        return f"⏹️ {who} stopped the quiz after question {asked}/{total}."
    if status == "interrupted":
        return (f"⚠️ This quiz was interrupted by a restart of Recall after question {asked}/{total}; "
                "every answer given before it counts.")
    if status == "idle":
        return "💤 Nobody answered three questions in a row, so the quiz ended itself."
    if status == "failed":
        return "⚠️ Something went wrong on Recall's side, so the quiz ended early. Answers given so far count."
    return None


def scoreboard_embed(lines: list[ScoreLine], *, deck_title: str, asked: int, ending: str | None = None) -> discord.Embed:
    if lines:
        board = "\n".join(
            f"{line.medal} <@{line.user_id}>: **{line.points:,}** points · {line.correct}/{asked} correct"
            for line in lines
        )
    else:
        board = "Nobody answered, so there is no scoreboard this time."
    description = board if ending is None else f"{ending}\n\n{board}"
    embed = discord.Embed(title=f"🏁 Quiz over: {clip(deck_title, 200)}", description=description, colour=END_COLOUR)
    embed.set_footer(text="Points count on /leaderboard; missed questions come back in /study.")
    return unlinked(embed)
