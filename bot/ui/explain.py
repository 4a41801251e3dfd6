"""What /explain shows: the prompt with its Hint and Answer buttons, the answer modal, and the graded result."""
from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord

from bot.core.decks import Deck, ExplainPrompt
from bot.core.explain import MAX_ANSWER_CHARS, ExplainGrade
from bot.core.scheduling import RATING_NAMES
from bot.ui.common import COLOUR, level_badge

if TYPE_CHECKING:
    from bot.cogs.explain import ExplainCog
    from bot.store.explain import SavedAttempt

HINT, ANSWER = "hint", "answer"
ANSWER_INPUT_ID = "answer"
SUBMIT_PREFIX = "explain:submit:"
# Nonces are 8 url-safe characters (bot.store.explain.new_nonce); a little slack keeps old ids parseable.
_NONCE = r"[A-Za-z0-9_-]{1,16}"
_SUBMIT_ID = re.compile(rf"explain:submit:(?P<user_id>[0-9]{{1,20}}):(?P<nonce>{_NONCE})")

GOOD_COLOUR = discord.Colour.green()
PARTIAL_COLOUR = discord.Colour.gold()
LOW_COLOUR = discord.Colour.orange()
FIELD_LIMIT = 1024
PROMPT_QUOTE_LIMIT = 300  # the result repeats the prompt briefly; the whole prompt was just on screen


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def button_id(action: str, user_id: int, nonce: str) -> str:
    return f"explain:{action}:{user_id}:{nonce}"


def submit_id(user_id: int, nonce: str) -> str:
    return f"{SUBMIT_PREFIX}{user_id}:{nonce}"


def parse_submit_id(custom_id: str) -> tuple[int, str] | None:
    match = _SUBMIT_ID.fullmatch(custom_id)
    return (int(match["user_id"]), match["nonce"]) if match else None


class ExplainButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=rf"explain:(?P<action>hint|answer):(?P<user_id>[0-9]{{1,20}}):(?P<nonce>{_NONCE})",
):
    """Hint or Answer on a prompt; owner and nonce in the custom id let it work after a restart."""

    def __init__(self, action: str, user_id: int, nonce: str, *, disabled: bool = False) -> None:
        is_hint = action == HINT
        super().__init__(
            discord.ui.Button(
                label="Hint" if is_hint else "Answer",
                emoji="💡" if is_hint else "✍️",
                style=discord.ButtonStyle.secondary if is_hint else discord.ButtonStyle.primary,
                custom_id=button_id(action, user_id, nonce),
                disabled=disabled,
            )
        )
        self.action = action
        self.user_id = user_id
        self.nonce = nonce

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> "ExplainButton":
        return cls(match["action"], int(match["user_id"]), match["nonce"])

    async def callback(self, interaction: discord.Interaction) -> Any:
        cog: ExplainCog | None = interaction.client.get_cog("Explain")  # type: ignore[attr-defined]
        if cog is None:
            await interaction.response.send_message("Explain prompts are not available right now.", ephemeral=True)
            return
        await cog.button_pressed(interaction, self.action, self.user_id, self.nonce)


def prompt_view(user_id: int, nonce: str, *, has_hint: bool, hint_shown: bool) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if has_hint:
        view.add_item(ExplainButton(HINT, user_id, nonce, disabled=hint_shown))
    view.add_item(ExplainButton(ANSWER, user_id, nonce))
    return view


def prompt_embed(deck: Deck, prompt: ExplainPrompt, *, hint_shown: bool) -> discord.Embed:
    embed = discord.Embed(title="✍️ Explain in your own words", description=prompt.prompt, colour=COLOUR)
    if hint_shown and prompt.hint:
        embed.add_field(name="💡 Hint", value=clip(prompt.hint, FIELD_LIMIT), inline=False)
    embed.set_footer(
        text=f"{clip(deck.title, 200)} · {level_badge(prompt.level)} · graded on {len(prompt.concepts)} key concepts"
    )
    return embed


class AnswerModal(discord.ui.Modal):
    """The answer form. It is never kept in discord.py's modal store: the cog handles every submit by custom id,
    so an answer typed across a restart of the bot is still graded."""

    def __init__(self, user_id: int, nonce: str, prompt: ExplainPrompt) -> None:
        super().__init__(title="Explain in your own words", custom_id=submit_id(user_id, nonce), timeout=None)
        self.add_item(
            discord.ui.Label(
                text="Your explanation",
                description=clip(prompt.prompt, 100),
                component=discord.ui.TextInput(
                    custom_id=ANSWER_INPUT_ID,
                    style=discord.TextStyle.paragraph,
                    placeholder="A few sentences, as you would explain it to a friend.",
                    min_length=1,
                    max_length=MAX_ANSWER_CHARS,
                    required=True,
                ),
            )
        )
        # Stopped before sending, so send_modal does not store it (see the class docstring).
        self.stop()


def submitted_text(data: Any) -> str:
    """The answer field's value from a modal submit payload, whether inputs come in action rows or labels."""
    pending = list((data or {}).get("components", []))
    while pending:
        component = pending.pop(0)
        if component.get("custom_id") == ANSWER_INPUT_ID and "value" in component:
            return str(component["value"] or "")
        pending.extend(component.get("components", []))
        if "component" in component:
            pending.append(component["component"])
    return ""


def result_embed(
    prompt: ExplainPrompt, grade: ExplainGrade, saved: SavedAttempt, text: str
) -> discord.Embed:
    """The graded answer: the score, each concept met or missed, the model answer, the hint and the next review."""
    colour = GOOD_COLOUR if grade.all_hit else PARTIAL_COLOUR if grade.hit * 2 >= grade.total else LOW_COLOUR
    concept_lines = "\n".join(f"{'✓' if hit else '✗'} {name}" for name, hit in zip(grade.names, grade.hits))
    description = f"> {clip(prompt.prompt, PROMPT_QUOTE_LIMIT)}\n\n{concept_lines}\n\n{grade.note}"
    embed = discord.Embed(title=f"You got {grade.hit}/{grade.total} concepts", description=description, colour=colour)
    if text.strip():
        embed.add_field(name="Your answer", value=clip(text.strip(), FIELD_LIMIT), inline=False)
    if prompt.answer:
        embed.add_field(name="Model answer", value=clip(prompt.answer, FIELD_LIMIT), inline=False)
    embed.add_field(name="Hint", value=hint_text(saved.hint_used), inline=False)
    next_time = f"Rated **{RATING_NAMES[saved.rating]}** · back {relative_time(saved.due)}"
    embed.add_field(name="Next time", value=next_time, inline=False)
    if saved.streak_line:
        embed.set_footer(text=saved.streak_line)
    return embed


def hint_text(hint_used: bool) -> str:
    return "💡 Hint used: the rating is capped at Hard." if hint_used else "No hint used."


def relative_time(moment: datetime) -> str:
    return f"<t:{int(moment.timestamp())}:R>"
