"""What /explain shows: the prompt with its Hint and Answer buttons, the answer modal, and the graded result."""
from __future__ import annotations

from typing import Any, Protocol

import discord

from bot.core.decks import Deck, ExplainPrompt
from bot.core.explain import MAX_ANSWER_CHARS, ExplainGrade, SavedAttempt
from bot.core.translation import N_, _, ngettext
from bot.ui.common import COLOUR, clip, level_badge, member_text, relative_time, streak_line, unlinked
from bot.ui.items import RecallItem, RecallSubmit, fields_of, matching, snowflake

ANSWER_INPUT_ID = "answer"
# Nonces are 8 url-safe characters (bot.store.explain.new_nonce); a little slack keeps old ids parseable.
NONCE = r"[A-Za-z0-9_-]{1,16}"

GOOD_COLOUR = discord.Colour.green()
PARTIAL_COLOUR = discord.Colour.gold()
LOW_COLOUR = discord.Colour.orange()
FIELD_LIMIT = 1024
PROMPT_QUOTE_LIMIT = 300  # the result repeats the prompt briefly; the whole prompt was just on screen
# One whole sentence per rating, so a translation can make the rating's word agree with the rest of it.
RATED = {
    # Translators: an /explain answer's rating, named as /study's rating buttons; {when} is a Discord timestamp
    # the member's client writes in its own language ("in 3 days").
    1: N_("Rated **Again** · back {when}"),
    # Translators: as "Rated **Again** · back {when}".
    2: N_("Rated **Hard** · back {when}"),
    # Translators: as "Rated **Again** · back {when}".
    3: N_("Rated **Good** · back {when}"),
    # Translators: as "Rated **Again** · back {when}".
    4: N_("Rated **Easy** · back {when}"),
}


class ExplainActions(Protocol):
    """What the prompt's buttons and answer form need from the explain feature (the Explain cog implements it).
    Refusals (replaced, answered, deck gone) raise bot.core.errors."""

    async def hint_pressed(self, interaction: discord.Interaction, owner_id: int, nonce: str) -> None: ...

    async def answer_pressed(self, interaction: discord.Interaction, owner_id: int, nonce: str) -> None: ...

    async def answer_submitted(self, interaction: discord.Interaction, owner_id: int, nonce: str, text: str) -> None:
        ...


class _OnPrompt:
    """What Hint, Answer and the answer form share: the fields `<owner id>:<nonce>`, and only the owner may use
    them. The nonce names one showing, so an old message's buttons never act on a newer prompt."""

    command = "/explain"
    user_id: int
    nonce: str

    @property
    def owner(self) -> int | None:
        return self.user_id

    @staticmethod
    def fields(args: str | None) -> tuple[int, str]:
        user_id, nonce = fields_of(args, 2)
        return snowflake(user_id), matching(nonce, NONCE)


class HintButton(_OnPrompt, RecallItem[discord.ui.Button], prefix="explain:hint", feature="Explain"):
    """Hint on a prompt (`explain:hint:<owner id>:<nonce>`): shows the hint, which caps the rating at Hard."""

    def __init__(self, user_id: int, nonce: str, *, disabled: bool = False) -> None:
        super().__init__(discord.ui.Button(
            # Translators: button on an /explain prompt that reveals its hint.
            label=_("Hint"), emoji="💡", style=discord.ButtonStyle.secondary,
            custom_id=self.custom_id_of(user_id, nonce), disabled=disabled,
        ))
        self.user_id = user_id
        self.nonce = nonce

    @classmethod
    def parse(cls, item: discord.ui.Button, args: str | None) -> "HintButton":
        return cls(*cls.fields(args))

    async def run(self, interaction: discord.Interaction, actions: ExplainActions) -> None:
        await actions.hint_pressed(interaction, self.user_id, self.nonce)


class AnswerButton(_OnPrompt, RecallItem[discord.ui.Button], prefix="explain:answer", feature="Explain"):
    """Answer on a prompt (`explain:answer:<owner id>:<nonce>`): opens the answer form."""

    acknowledges_when_slow = False  # its answer is a modal, which cannot follow a deferral

    def __init__(self, user_id: int, nonce: str) -> None:
        super().__init__(discord.ui.Button(
            # Translators: button on an /explain prompt that opens the form to type an explanation.
            label=_("Answer"), emoji="✍️", style=discord.ButtonStyle.primary,
            custom_id=self.custom_id_of(user_id, nonce),
        ))
        self.user_id = user_id
        self.nonce = nonce

    @classmethod
    def parse(cls, item: discord.ui.Button, args: str | None) -> "AnswerButton":
        return cls(*cls.fields(args))

    async def run(self, interaction: discord.Interaction, actions: ExplainActions) -> None:
        await actions.answer_pressed(interaction, self.user_id, self.nonce)


class AnswerSubmit(_OnPrompt, RecallSubmit):
    """The answer form's submit (`explain:submit:<owner id>:<nonce>`), routed by custom id so an answer typed
    across a restart of the bot is still graded."""

    prefix = "explain:submit"
    feature = "Explain"

    def __init__(self, custom_id: str, user_id: int, nonce: str, text: str) -> None:
        super().__init__(custom_id)
        self.user_id = user_id
        self.nonce = nonce
        self.text = text

    @classmethod
    def custom_id_of(cls, user_id: int, nonce: str) -> str:
        return f"{cls.prefix}:{user_id}:{nonce}"

    @classmethod
    def parse(cls, custom_id: str, args: str | None, data: Any) -> "AnswerSubmit":
        return cls(custom_id, *cls.fields(args), submitted_text(data))

    async def run(self, interaction: discord.Interaction, actions: ExplainActions) -> None:
        await actions.answer_submitted(interaction, self.user_id, self.nonce, self.text)


def prompt_view(user_id: int, nonce: str, *, has_hint: bool, hint_shown: bool) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if has_hint:
        view.add_item(HintButton(user_id, nonce, disabled=hint_shown))
    view.add_item(AnswerButton(user_id, nonce))
    return view


def prompt_embed(deck: Deck, prompt: ExplainPrompt, *, hint_shown: bool) -> discord.Embed:
    embed = discord.Embed(title=_("✍️ Explain in your own words"), description=prompt.prompt, colour=COLOUR)
    if hint_shown and prompt.hint:
        embed.add_field(name=_("💡 Hint"), value=clip(prompt.hint, FIELD_LIMIT), inline=False)
    count = len(prompt.concepts)
    footer = ngettext("{deck} · {level} · graded on {count} key concept",
                      "{deck} · {level} · graded on {count} key concepts", count)
    embed.set_footer(text=footer.format(deck=clip(deck.title, 200), level=level_badge(prompt.level), count=count))
    return unlinked(embed)


class AnswerModal(discord.ui.Modal):
    """The answer form. It is never kept in discord.py's modal store: every submit is routed by its custom id
    (AnswerSubmit), so an answer typed across a restart of the bot is still graded."""

    def __init__(self, user_id: int, nonce: str, prompt: ExplainPrompt) -> None:
        super().__init__(
            title=_("Explain in your own words"), custom_id=AnswerSubmit.custom_id_of(user_id, nonce), timeout=None
        )
        self.add_item(
            discord.ui.Label(
                text=_("Your explanation"),
                description=clip(prompt.prompt, 100),
                component=discord.ui.TextInput(
                    custom_id=ANSWER_INPUT_ID,
                    style=discord.TextStyle.paragraph,
                    placeholder=_("A few sentences, as you would explain it to a friend."),
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
    # The note is bot.core's, marked for the catalog there and translated here, in the language of the result.
    description = f"> {clip(prompt.prompt, PROMPT_QUOTE_LIMIT)}\n\n{concept_lines}\n\n{_(grade.note)}"
    title = ngettext("You got {got}/{total} concept", "You got {got}/{total} concepts", grade.total)
    embed = discord.Embed(title=title.format(got=grade.hit, total=grade.total), description=description, colour=colour)
    if text.strip():
        # The member's own words, shown as typed: on a public result others read them too.
        embed.add_field(name=_("Your answer"), value=clip(member_text(text.strip()), FIELD_LIMIT), inline=False)
    if prompt.answer:
        embed.add_field(name=_("Model answer"), value=clip(prompt.answer, FIELD_LIMIT), inline=False)
    # Translators: heading of the result's line saying whether the hint was used.
    embed.add_field(name=_("Hint"), value=hint_text(saved.hint_used), inline=False)
    next_time = _(RATED[saved.rating]).format(when=relative_time(saved.due))
    # Translators: heading of the result's line saying how the answer was rated and when the prompt comes back.
    embed.add_field(name=_("Next time"), value=next_time, inline=False)
    line = streak_line(saved.streak)
    if line:
        embed.set_footer(text=line)
    return unlinked(embed)


def hint_text(hint_used: bool) -> str:
    return _("💡 Hint used: the rating is capped at Hard.") if hint_used else _("No hint used.")
