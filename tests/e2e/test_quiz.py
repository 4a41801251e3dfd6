"""/quiz end to end: the real bot against the emulator, with three members reacting.

Grading times come from a pinned clock (bot.cogs.quiz.clock) that each test moves before a reaction, so points are
exact; the real waits are shortened through TIME_SCALE (seconds=5 → a short real window).
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest

import bot.cogs.quiz as quiz_cog
from bot.core.quiz import LETTERS

DECK = "pytorch-lr-schedulers"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


class PinnedClock:
    """The time the bot grades by; it only moves when a test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> None:
        self.now = T0 + timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> PinnedClock:
    pinned = PinnedClock(T0)
    monkeypatch.setattr(quiz_cog, "clock", pinned)
    monkeypatch.setattr(quiz_cog, "EDIT_INTERVAL", 0.05)
    monkeypatch.setattr(quiz_cog, "REVEAL_PAUSE", 0.5)
    return pinned


def window(monkeypatch: pytest.MonkeyPatch, real_seconds: float) -> None:
    """Make /quiz seconds=5 last `real_seconds` of real time (the points formula then uses T = real_seconds)."""
    monkeypatch.setattr(quiz_cog, "TIME_SCALE", real_seconds / 5)
    monkeypatch.setattr(quiz_cog, "REVEAL_PAUSE", 0.5 * 5 / real_seconds)  # keep the real pause at 0.5 s


# --- Helpers -------------------------------------------------------------------------------------------------------


async def until(condition: Callable[[], Any], timeout: float = 5, what: str = "condition") -> Any:
    """Poll until condition() is truthy; return its value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if loop.time() > deadline:
            raise asyncio.TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def bot_messages(world: Any, title_start: str) -> list[Any]:
    return [
        m for m in world.emu.messages(world.channel)
        if m.author_id == world.emu.bot_user.id and not m.ephemeral and m.embeds
        and str(m.embeds[0].get("title", "")).startswith(title_start)
    ]


async def posted(world: Any, title_start: str, count: int = 1, timeout: float = 8) -> Any:
    """The `count`-th bot message whose first embed title starts with `title_start`."""
    found = await until(lambda: len(bot_messages(world, title_start)) >= count and bot_messages(world, title_start),
                        timeout, f"message {count} titled {title_start!r}")
    return found[count - 1]


async def question(world: Any, n: int, total: int) -> Any:
    """Question n's message, once the bot has added all its letters."""
    msg = await posted(world, f"Question {n}/{total}", count=1)
    letters = len(choices_of(msg))
    await until(lambda: all(world.emu.bot_user.id in msg.reactions.get(e, []) for e in LETTERS[:letters]),
                what="the bot's letter reactions")
    return msg


def choices_of(msg: Any) -> list[str]:
    field = next(f for f in msg.embeds[0]["fields"] if f["name"] == "Choices")
    return [line.split(" ", 1)[1] for line in field["value"].split("\n")]


def letters(world: Any, msg: Any) -> tuple[str, list[str]]:
    """(the right letter, the wrong letters) of a question message, from the deck's answer."""
    deck = world.bot.decks.get(world.guild.id, DECK)
    text = msg.embeds[0]["description"].split("\n\n")[0]
    asked = next(q for q in deck.quiz if q.question == text)
    shown = choices_of(msg)
    right = shown.index(asked.answer)
    return LETTERS[right], [LETTERS[i] for i in range(len(shown)) if i != right]


def locked(msg: Any) -> int:
    description = msg.embeds[0]["description"]
    return int(description.rsplit("🔒 ", 1)[1].split(" ", 1)[0])


async def answer(world: Any, member: Any, msg: Any, emoji: str, expect_locked: int) -> None:
    assert await world.emu.react(member, msg, emoji)
    await until(lambda: locked(msg) >= expect_locked, what=f"{expect_locked} answers locked in")


async def start(world: Any, member: Any, **options: Any) -> Any:
    ix = await world.emu.slash(member, world.channel, "quiz", deck=DECK, **options)
    await ix.wait_ack()
    return ix


async def rows(world: Any, sql: str, params: tuple = ()) -> list[tuple]:
    return [tuple(r) for r in await world.bot.db.fetchall(sql, params)]


def mention(member: Any) -> str:
    return f"<@{member.user.id}>"


# --- Tests ---------------------------------------------------------------------------------------------------------


async def test_a_one_question_quiz_grades_reactions_and_shows_the_scoreboard(world: Any, clock: PinnedClock,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    window(monkeypatch, 1.5)
    ix = await start(world, world.alice, questions=1, seconds=5)
    announcement = await ix.wait_message()
    assert "started a quiz" in announcement.text() and not announcement.ephemeral
    msg = await question(world, 1, 1)
    right, wrong = letters(world, msg)
    clock.at(0.3)
    await answer(world, world.alice, msg, right, 1)
    clock.at(0.6)
    await answer(world, world.bob, msg, wrong[0], 2)
    reveal = await posted(world, "Question 1/1: the answer")
    assert "✓ Correct" in reveal.text()
    board = await posted(world, "🏁 Quiz over")
    assert "🥇" in board.text()
