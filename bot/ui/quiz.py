"""What /quiz shows: the announcement with its Stop button, questions, reveals and the final scoreboard."""
from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import discord

from bot.core.decks import Deck
from bot.core.quiz import LETTERS, OpenQuestion, QuestionResult, ScoreLine, letter_emoji
from bot.ui.common import COLOUR, level_badge

if TYPE_CHECKING:
    from bot.cogs.quiz import QuizCog

FIELD_LIMIT = 1024
DESCRIPTION_LIMIT = 4096
RIGHT_COLOUR = discord.Colour.green()
END_COLOUR = discord.Colour.gold()


class StopButton(discord.ui.DynamicItem[discord.ui.Button], template=r"quiz:stop:(?P<round_id>[0-9]+)"):
    """Stop on a round's announcement; the round id in the custom id lets it work after a restart."""

    def __init__(self, round_id: int, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="Stop", style=discord.ButtonStyle.danger, emoji="⏹️", custom_id=f"quiz:stop:{round_id}",
                disabled=disabled,
            )
        )
        self.round_id = round_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> "StopButton":
        return cls(int(match["round_id"]))

    async def callback(self, interaction: discord.Interaction) -> Any:
        cog: QuizCog | None = interaction.client.get_cog("Quiz")  # type: ignore[attr-defined]
        if cog is None:
            await interaction.response.send_message("Quizzes are not available right now.", ephemeral=True)
            return
        await cog.stop_pressed(interaction, self.round_id)


def stop_view(round_id: int, *, disabled: bool = False) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(StopButton(round_id, disabled=disabled))
    return view


def relative_time(moment: datetime) -> str:
    return f"<t:{int(moment.timestamp())}:R>"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    return embed


# --- Questions -----------------------------------------------------------------------------------------------------


def question_embed(question: OpenQuestion, total: int, *, locked: int, closed: bool = False) -> discord.Embed:
    shown = question.question
    choices = "\n".join(f"{letter_emoji(i)} {choice}" for i, choice in enumerate(shown.choices))
    status = f"🔒 {locked} answer{'s' if locked != 1 else ''} locked in"
    when = "Closed." if closed else f"Closes {relative_time(question.closes_at)}"
    description = f"{_clip(shown.question, DESCRIPTION_LIMIT - 200)}\n\n{level_badge(shown.level)} · {when} · {status}"
    embed = discord.Embed(title=f"Question {question.index + 1}/{total}", description=description, colour=COLOUR)
    embed.add_field(name="Choices", value=_clip(choices, FIELD_LIMIT), inline=False)
    return embed


# --- Reveal --------------------------------------------------------------------------------------------------------


def reveal_embed(result: QuestionResult, total: int, notes: Mapping[int, str] | None = None) -> discord.Embed:
    shown = result.question
    right_letter = letter_emoji(result.correct_letter)
    lines = [f"**{_clip(shown.question, 1000)}**", "", f"✓ Correct: {right_letter} **{shown.answer}**"]
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
    if notes:
        embed.add_field(name="Streaks", value=_join_within(f"<@{u}> {note}" for u, note in notes.items()), inline=False)
    return embed


def _right_line(answer: Any) -> str:
    bonus = f" (incl. +{answer.bonus} streak bonus)" if answer.bonus else ""
    return f"<@{answer.user_id}> **+{answer.points}**{bonus}"


# --- Scoreboard ----------------------------------------------------------------------------------------------------


def scoreboard_embed(lines: list[ScoreLine], *, deck_title: str, asked: int, ending: str | None = None) -> discord.Embed:
    if lines:
        board = "\n".join(
            f"{line.medal} <@{line.user_id}>: **{line.points:,}** points · {line.correct}/{asked} correct"
            for line in lines
        )
    else:
        board = "Nobody answered, so there is no scoreboard this time."
    description = board if ending is None else f"{ending}\n\n{board}"
    embed = discord.Embed(title=f"🏁 Quiz over: {_clip(deck_title, 200)}", description=description, colour=END_COLOUR)
    embed.set_footer(text="Points count on /leaderboard; missed questions come back in /study.")
    return embed
