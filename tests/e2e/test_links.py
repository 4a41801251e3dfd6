"""Masked links end to end: `[free nitro](https://…)` in a deck an admin uploaded or in what a member typed never
shows as a clickable link dressed up as text in what Recall posts (the deck format has no way to allow links).

The neutral form is `[free nitro]\\(https://evil.example)`: Discord shows it as typed, the URL in full.
"""
from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot.core.decks import parse_deck
from bot.core.quiz import PACING
from bot.emulator.state import walk_components
from bot.ui.common import member_text, unmasked
from tests.e2e.test_progress import give_points

LINK = "[free nitro](https://evil.example)"
SHOWN = "[free nitro]\\(https://evil.example)"  # how the link reads once neutralised
DECK_ID = "links"
DECK_YAML = f"""title: "Links {LINK}"
description: "A deck that tries {LINK}"
cards:
  - id: card
    front: "Front **bold** {LINK}"
    back: "Back `code` {LINK}"
quiz:
  - id: question
    question: "Claim it at {LINK}?"
    choices: ["Yes {LINK}", "No", "Maybe"]
    answer: "No"
    explanation: "Never click {LINK}"
explain:
  - id: prompt
    prompt: "Explain why {LINK} is a scam"
    hint: "Think of {LINK}"
    answer: "Model answer: {LINK} steals accounts"
    concepts:
      - name: "steals accounts"
        keywords: [steal, account]
"""


@pytest.fixture
def linked_deck(world: Any) -> None:
    """The server's own deck, as if an admin uploaded it."""
    world.bot.decks.set_server_deck(world.guild.id, parse_deck(DECK_YAML, deck_id=DECK_ID, source="upload"))


def rendered(message: Any) -> str:
    """The parts of a message Discord renders markdown in (footers and author names show text as it is)."""
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [str(embed.get("title", "")), str(embed.get("description", ""))]
        parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


def assert_no_masked_link(message: Any) -> None:
    text = rendered(message)
    assert re.search(r"\]\s*\(", text) is None, text  # no `](`: nothing renders as a masked link
    assert "https://evil.example" in text  # the URL itself stays visible


async def until(condition: Any, timeout: float = 8) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := condition()):
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)
    return value


def bot_posts(world: Any, title_start: str) -> list[Any]:
    return [m for m in world.emu.messages(world.channel) if m.author_id == world.emu.bot_user.id and not m.ephemeral
            and m.embeds and str(m.embeds[0].get("title", "")).startswith(title_start)]


def test_the_rules() -> None:
    assert unmasked(LINK) == SHOWN
    assert unmasked("[a](<https://e.example>) and [b] (https://e.example)") == (
        "[a]\\(<https://e.example>) and [b] \\(https://e.example)")
    assert unmasked("**bold** `code` https://plain.example") == "**bold** `code` https://plain.example"
    assert unmasked(SHOWN) == SHOWN  # applied twice, nothing changes
    assert member_text(f"**hi** {LINK}") == "\\*\\*hi\\*\\* \\[free nitro]\\(https://evil.example)"
    assert member_text("[free\nnitro](https://evil.example)") == "[free\nnitro]\\(https://evil.example)"


async def test_quiz_posts_show_no_masked_link(world: Any, linked_deck: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PACING, "time_scale", 0.5 / 5)  # seconds=5 lasts half a second
    monkeypatch.setattr(PACING, "reveal_pause", 0.1 * 5 / 0.5)
    ix = await world.emu.slash(world.alice, world.channel, "quiz", deck=DECK_ID, questions=1, seconds=5)
    announcement = await ix.wait_message()
    board = (await until(lambda: bot_posts(world, "🏁 Quiz over")))[0]
    [question] = [m for m in bot_posts(world, "Question 1/1") if m.embeds[0]["title"] == "Question 1/1"]
    [reveal] = bot_posts(world, "Question 1/1: the answer")
    for message in (announcement, question, reveal):
        assert_no_masked_link(message)
    assert f"Claim it at {SHOWN}?" in question.text() and f"Yes {SHOWN}" in question.text()
    assert f"Never click {SHOWN}" in reveal.text()
    assert "](" not in rendered(board)


async def test_a_public_study_card_keeps_its_markdown_but_not_the_link(world: Any, linked_deck: None) -> None:
    ix = await world.emu.slash(world.alice, world.channel, "study", deck=DECK_ID, public=True)
    card = await ix.wait_message()
    assert not card.ephemeral
    assert_no_masked_link(card)
    assert f"Front **bold** {SHOWN}" in card.text()
    [reveal] = [c["custom_id"] for c in walk_components(card.components)
                if c.get("type") == 2 and c.get("label") == "Reveal"]
    await (await world.emu.click(world.alice, card, custom_id=reveal)).wait_message()
    assert_no_masked_link(card)
    assert f"Back `code` {SHOWN}" in card.text()


async def test_a_public_explain_answer_shows_as_typed(world: Any, linked_deck: None) -> None:
    prompt = await (await world.emu.slash(world.alice, world.channel, "explain", deck=DECK_ID,
                                          public=True)).wait_message()
    assert not prompt.ephemeral
    assert_no_masked_link(prompt)
    modal = await world.emu.click(world.alice, prompt, label="Answer")
    assert await modal.wait_ack() == 9
    typed = f"It would steal my account. **Claim** {LINK} now"
    result = await (await world.emu.submit_modal(world.alice, modal, {"answer": typed})).wait_message()
    assert not result.ephemeral
    assert_no_masked_link(result)
    [answer] = [f["value"] for f in result.embeds[0]["fields"] if f["name"] == "Your answer"]
    assert answer == "It would steal my account. \\*\\*Claim\\*\\* \\[free nitro]\\(https://evil.example) now"
    assert f"Model answer: {SHOWN} steals accounts" in result.text()


async def test_a_display_name_with_markdown_shows_as_typed_on_the_leaderboard(world: Any) -> None:
    sneaky = world.emu.add_member(world.guild, "sneaky")
    sneaky.user.global_name = f"**{LINK}**"
    await give_points(world, world.guild.id, sneaky.user.id, f"**{LINK}**", 900)
    board = await (await world.emu.slash(sneaky, world.channel, "leaderboard")).wait_message()
    assert not board.ephemeral
    assert_no_masked_link(board)
    escaped = "\\*\\*\\[free nitro]\\(https://evil.example)\\*\\*"
    assert board.embeds[0]["description"] == f"🥇 {escaped} — 900 pts"
    assert f"📍 **{escaped}**" in board.text()
