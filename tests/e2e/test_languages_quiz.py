"""/quiz in the pseudo-language (tests/pseudo.py), end to end: the announcement, questions, reveals, scoreboards,
Stop and its refusals, and a second /quiz while one runs, all went through the catalogs. The round speaks the
server's language also when no interaction started it (the daily challenge) and when a restart closes it."""
from __future__ import annotations

import random
from typing import Any

import discord
import pytest

from bot.core.quiz import LETTERS, pick_questions
from bot.emulator.state import walk_components
from tests.e2e.test_quiz import (  # noqa: F401  clock is a fixture
    DECK,
    PinnedClock,
    letters,
    bot_messages,
    clock,
    mention,
    posted,
    rows,
    until,
    window,
)
from tests.pseudo import CLOSE, FILL_OPEN, plain
from tests.pseudo import pseudo as pseudo_text

CHOICES = pseudo_text("Choices")


def title(text: str, **values: Any) -> str:
    """The start of a pseudo-language title with its placeholders filled."""
    return pseudo_text(text).format(**values).rstrip(CLOSE)


def question_title(n: int, total: int) -> str:
    return title("Question {number}/{total}", number=n, total=total)


def reveal_title(n: int, total: int) -> str:
    return title("Question {number}/{total}: the answer", number=n, total=total)


BOARD = pseudo_text("🏁 Quiz over: {deck}").split(FILL_OPEN)[0]


def deck_texts(world: Any) -> list[str]:
    """What a quiz shows of the deck as written (deck content is never translated)."""
    deck = world.bot.decks.get(world.guild.id, DECK)
    texts = [deck.title, deck.id]
    for item in deck.quiz:
        texts += [item.question, item.answer, *item.choices, item.explanation or ""]
    return texts


def locked(msg: Any) -> int:
    description = plain(msg.embeds[0]["description"])
    return int(description.rsplit("🔒 ", 1)[1].split(" ", 1)[0])


def choices_of(msg: Any) -> list[str]:
    field = next(f for f in msg.embeds[0]["fields"] if f["name"] == CHOICES)
    return [line.split(" ", 1)[1] for line in field["value"].split("\n")]


async def question(world: Any, n: int, total: int) -> Any:
    """Question n's message, once the bot has added all its letters."""
    msg = await posted(world, question_title(n, total))
    count = len(choices_of(msg))
    await until(lambda: all(world.emu.bot_user.id in msg.reactions.get(e, []) for e in LETTERS[:count]),
                what="the bot's letter reactions")
    return msg


def stop_id(announcement: Any) -> str:
    return next(b["custom_id"] for b in announcement.buttons() if b["custom_id"].startswith("quiz:stop:"))


async def test_a_full_round_with_a_right_and_a_wrong_answer(
    world: Any, pseudo: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    window(monkeypatch, 2.0)
    ix = await world.emu.slash(world.alice, world.channel, "quiz", deck=DECK, questions=2, seconds=5)
    announcement = await ix.wait_message()
    assert not announcement.ephemeral
    q1 = await question(world, 1, 2)
    right, wrong = letters(world, q1, choices_of(q1))
    clock.at(0.5)
    assert await world.emu.react(world.alice, q1, right)
    await until(lambda: locked(q1) >= 1, what="alice's answer locked in")
    assert await world.emu.react(world.bob, q1, wrong[0])
    await until(lambda: locked(q1) >= 2, what="bob's answer locked in")
    clock.next_question()
    reveal = await posted(world, reveal_title(1, 2))
    assert mention(world.alice) in reveal.text() and mention(world.bob) in reveal.text()
    q2 = await question(world, 2, 2)
    right2, _wrong2 = letters(world, q2, choices_of(q2))
    assert await world.emu.react(world.alice, q2, right2)  # a streak bonus this time
    await until(lambda: locked(q2) >= 1, what="alice's second answer locked in")
    await posted(world, reveal_title(2, 2))
    board = await posted(world, BOARD)
    assert mention(world.alice) in board.text()
    await until(lambda: announcement.buttons()[0]["disabled"], what="Stop disabled on the announcement")
    pseudo.check(allowed=deck_texts(world))


async def test_stop_refused_then_by_a_moderator_and_a_second_quiz_while_one_runs(
    world: Any, pseudo: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    window(monkeypatch, 3.0)  # every click lands while question 1 is open
    world.emu.set_channel_permissions(world.channel, world.bob, allow=("manage_messages",))
    ix = await world.emu.slash(world.alice, world.channel, "quiz", deck=DECK, questions=3, seconds=5)
    announcement = await ix.wait_message()
    await question(world, 1, 3)
    busy = await (await world.emu.slash(world.carol, world.channel, "quiz", deck=DECK)).wait_message()
    assert busy.ephemeral
    # A Stop of a round that is no longer running (its id rewritten in the stored message, then clicked).
    [stop] = [c for c in walk_components(announcement.components) if c.get("type") == 2]
    genuine = stop["custom_id"]
    stop["custom_id"] = f"quiz:stop:{int(genuine.rsplit(':', 1)[1]) + 1000}"
    ended = await (await world.emu.click(world.alice, announcement, custom_id=stop["custom_id"])).wait_message()
    assert ended.ephemeral
    stop["custom_id"] = genuine
    refused = await (await world.emu.click(world.carol, announcement, custom_id=stop_id(announcement))).wait_message()
    assert refused.ephemeral and mention(world.alice) in refused.text()
    accepted = await (await world.emu.click(world.bob, announcement, custom_id=stop_id(announcement))).wait_message()
    assert accepted.ephemeral
    again = await (await world.emu.click(world.alice, announcement, custom_id=stop_id(announcement))).wait_message()
    assert again.ephemeral and again.text() != accepted.text()  # already stopping
    board = await posted(world, BOARD)
    assert mention(world.bob) in board.text()
    assert bot_messages(world, question_title(2, 3)) == []
    await until(lambda: announcement.buttons()[0]["disabled"], what="Stop disabled on the announcement")
    assert await rows(world, "SELECT status FROM quiz_rounds") == [("stopped",)]
    pseudo.check(allowed=deck_texts(world))


async def test_refusals_before_a_round_starts_are_in_the_members_language(
    world: Any, pseudo: Any, clock: PinnedClock
) -> None:
    world.guild.locale = "en-US"  # /quiz runs in the server's language; its private refusals are the member's
    no_deck = await (await world.emu.slash(world.alice, world.channel, "quiz")).wait_message()
    assert no_deck.ephemeral
    unknown = await (await world.emu.slash(world.alice, world.channel, "quiz", deck="no-such-deck")).wait_message()
    assert unknown.ephemeral and "no-such-deck" in unknown.text()
    locked_down = world.emu.add_channel(world.guild, "no-reactions", bot_deny=("add_reactions", "embed_links"))
    missing = await (await world.emu.slash(world.alice, locked_down, "quiz", deck=DECK)).wait_message()
    assert missing.ephemeral and missing.text().count("**") == 4  # two permissions named
    assert await rows(world, "SELECT COUNT(*) FROM quiz_rounds") == [(0,)]
    pseudo.check(allowed=deck_texts(world))


async def test_a_round_nobody_asked_for_speaks_the_servers_language(
    world: Any, pseudo: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    window(monkeypatch, 0.5)
    # Started from this test's task, where no interaction set a language (as the daily challenge's scheduler).
    cog = world.bot.get_cog("Quiz")
    deck = world.bot.decks.get(world.guild.id, DECK)
    channel = world.bot.get_channel(world.channel.id)
    picked = pick_questions(deck.quiz, 1, random.Random(1))
    await cog.start_unprompted(channel, deck, picked, seconds=5,
                               announcement=lambda removes: discord.Embed(title=deck.title))
    board = await posted(world, BOARD)
    assert pseudo_text("Nobody answered, so there is no scoreboard this time.") in board.text()
    pseudo.check(allowed=deck_texts(world))


async def test_a_round_a_restart_cut_off_is_closed_in_the_servers_language(
    world: Any, pseudo: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    window(monkeypatch, 30.0)  # long: the restart happens well inside the first question
    await world.emu.slash(world.alice, world.channel, "quiz", deck=DECK, questions=2, seconds=5)
    q1 = await question(world, 1, 2)
    right, _wrong = letters(world, q1, choices_of(q1))
    clock.at(3)
    assert await world.emu.react(world.alice, q1, right)
    await until(lambda: locked(q1) >= 1, what="alice's answer locked in")
    await world.restart_bot()
    await posted(world, reveal_title(1, 2))
    board = await posted(world, BOARD)
    assert mention(world.alice) in board.text()
    assert await rows(world, "SELECT status FROM quiz_rounds") == [("interrupted",)]
    pseudo.check(allowed=deck_texts(world))
