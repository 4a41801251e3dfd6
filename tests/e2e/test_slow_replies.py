"""Slow work is acknowledged in time, and its answer still arrives where and as it would have.

Discord fails an interaction it has not seen acknowledged within 3 s. Every command, button and modal submit is
deferred when its work runs longer than `replies.ACK_AFTER` (here shortened to 0.05 s, and the work slowed to
0.3 s): the member sees "thinking…" (a command: ack type 5, private unless the reply is public) or nothing (a
button or modal on a message: ack type 6), then the same answer as without the wait. Quick work is answered in
one response (ack type 4, or 7 for an edit), never deferred.
"""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.core.quiz import PACING
from bot.ui import replies
from tests.e2e.test_explain import FULL_WHY, open_modal, stored_prompt
from tests.e2e.test_progress import give_points, ranking_lines, seed_many
from tests.e2e.test_quiz import PinnedClock, T0, question, rows, window

DECK = "pytorch-lr-schedulers"
SLOW = 0.3
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7


@pytest.fixture
def quick_ack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replies, "ACK_AFTER", 0.05)


def slow_down(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[float]:
    """Make `owner.name` wait SLOW seconds before doing its real work; the list counts its calls."""
    real = getattr(owner, name)
    calls: list[float] = []

    async def slow(*args: Any, **kwargs: Any) -> Any:
        calls.append(asyncio.get_running_loop().time())
        await asyncio.sleep(SLOW)
        return await real(*args, **kwargs)

    monkeypatch.setattr(owner, name, slow)
    return calls


async def test_a_slow_public_command_thinks_in_public_then_answers_there(
    world: Any, quick_ack: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    await give_points(world, world.guild.id, world.bob.user.id, "bob", 900)
    calls = slow_down(monkeypatch, world.bot.services.progress, "board")
    ix = await world.emu.slash(world.alice, world.channel, "leaderboard")
    assert await ix.wait_ack() == DEFERRED_CHANNEL_MESSAGE
    board = await ix.wait_message()
    assert calls and not board.ephemeral and ranking_lines(board) == ["🥇 bob — 900 pts"]
    assert board.id == ix.original.id  # the "thinking…" message became the board
    assert world.emu.failed_interactions == []


@pytest.mark.parametrize(
    ("who", "command", "options", "service", "method", "text"),
    [
        ("admin", "recall-admin retention", {"value": 0.85}, "progress", "set_retention", "85%"),
        ("bob", "settings hide-streak", {"hidden": True}, "progress", "set_hide_streak", "hidden"),
    ],
)
async def test_a_slow_private_command_thinks_privately_then_answers_privately(
    world: Any, quick_ack: None, monkeypatch: pytest.MonkeyPatch,
    who: str, command: str, options: dict, service: str, method: str, text: str,
) -> None:
    member = getattr(world, who)
    slow_down(monkeypatch, getattr(world.bot.services, service), method)
    ix = await world.emu.slash(member, world.channel, command, **options)
    assert await ix.wait_ack() == DEFERRED_CHANNEL_MESSAGE
    reply = await ix.wait_message()
    assert reply.ephemeral and reply.visible_to == member.user.id and text in reply.text()
    assert world.emu.failed_interactions == []


async def test_a_slow_explain_with_public_true_posts_the_prompt_publicly_and_remembers_it(
    world: Any, quick_ack: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_down(monkeypatch, world.bot.services.explain, "ask")
    ix = await world.emu.slash(world.alice, world.channel, "explain", deck=DECK, public=True)
    assert await ix.wait_ack() == DEFERRED_CHANNEL_MESSAGE
    prompt = await ix.wait_message()
    assert not prompt.ephemeral and [b["label"] for b in prompt.buttons()] == ["Hint", "Answer"]
    assert (await stored_prompt(world)).message_id == prompt.id  # the buttons' message, for later edits

    # The prompt's buttons work on the message the follow-up filled in; a slow graded answer replaces the prompt.
    slow_down(monkeypatch, world.bot.services.explain, "submit")
    modal_ix = await open_modal(world, world.alice, prompt)  # a modal is the first response: never deferred
    submit = await world.emu.submit_modal(world.alice, modal_ix, {"answer": FULL_WHY})
    assert await submit.wait_ack() == DEFERRED_UPDATE
    result = await submit.wait_message()
    assert result.id == prompt.id and not result.ephemeral and result.buttons() == []
    assert "You got 4/4 concepts" in result.text()
    assert world.emu.failed_interactions == []


async def test_a_slow_explain_without_public_stays_private(
    world: Any, quick_ack: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_down(monkeypatch, world.bot.services.explain, "ask")
    ix = await world.emu.slash(world.alice, world.channel, "explain", deck=DECK)
    assert await ix.wait_ack() == DEFERRED_CHANNEL_MESSAGE
    prompt = await ix.wait_message()
    assert prompt.ephemeral and prompt.visible_to == world.alice.user.id
    assert (await stored_prompt(world)).message_id == prompt.id
    assert world.emu.failed_interactions == []


async def test_a_slow_page_button_defers_then_edits_its_message(
    world: Any, quick_ack: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_many(world)
    first = await (await world.emu.slash(world.alice, world.channel, "leaderboard")).wait_message()
    slow_down(monkeypatch, world.bot.services.progress, "board")
    ix = await world.emu.click(world.bob, first, custom_id=first.buttons()[1]["custom_id"])
    assert await ix.wait_ack() == DEFERRED_UPDATE
    edited = await ix.wait_message()
    assert edited.id == first.id and not edited.ephemeral
    assert ranking_lines(edited)[0] == "**11.** member11 — 1,300 pts"
    assert "Page 2/3" in edited.embeds[0]["footer"]["text"]
    assert world.emu.failed_interactions == []


async def test_a_slow_quiz_start_and_stop_are_acknowledged_and_answered(
    world: Any, quick_ack: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PACING, "clock", PinnedClock(T0))
    monkeypatch.setattr(PACING, "edit_interval", 0.05)
    window(monkeypatch, 3.0)
    slow_down(monkeypatch, world.bot.services.quiz, "create_round")
    ix = await world.emu.slash(world.alice, world.channel, "quiz", deck=DECK, questions=2, seconds=5)
    assert await ix.wait_ack() == DEFERRED_CHANNEL_MESSAGE
    announcement = await ix.wait_message()
    assert not announcement.ephemeral and [b["label"] for b in announcement.buttons()] == ["Stop"]
    for _ in range(100):  # the bot notes the announcement once Discord answered
        if await rows(world, "SELECT announcement_message_id FROM quiz_rounds") == [(announcement.id,)]:
            break
        await asyncio.sleep(0.01)
    assert await rows(world, "SELECT announcement_message_id FROM quiz_rounds") == [(announcement.id,)]

    await question(world, 1, 2)
    slow_down(monkeypatch, world.bot.get_cog("Quiz"), "stop_pressed")
    stop = await world.emu.click(world.alice, announcement, label="Stop")
    assert await stop.wait_ack() == DEFERRED_UPDATE
    note = await stop.wait_message()
    assert note.ephemeral and note.visible_to == world.alice.user.id and "Stopping" in note.text()
    for _ in range(500):
        if await rows(world, "SELECT status FROM quiz_rounds") == [("stopped",)]:
            break
        await asyncio.sleep(0.01)
    assert await rows(world, "SELECT status FROM quiz_rounds") == [("stopped",)]
    assert world.emu.failed_interactions == []


async def test_a_refusal_after_a_slow_start_is_still_answered(
    world: Any, quick_ack: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the deferral reaches the member through the follow-up (private, as the command was)."""
    real = world.bot.services.progress.set_hide_streak

    async def slow_then_fail(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(SLOW)
        raise RuntimeError("a forced failure for the test")

    monkeypatch.setattr(world.bot.services.progress, "set_hide_streak", slow_then_fail)
    ix = await world.emu.slash(world.bob, world.channel, "settings hide-streak", hidden=True)
    assert await ix.wait_ack() == DEFERRED_CHANNEL_MESSAGE
    reply = await ix.wait_message()
    assert reply.ephemeral and reply.text() == replies.FAILED
    monkeypatch.setattr(world.bot.services.progress, "set_hide_streak", real)
    assert world.emu.failed_interactions == []


async def test_quick_answers_are_not_deferred(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The default ACK_AFTER (2 s) is far longer than any of these takes here.
    await seed_many(world)
    ix = await world.emu.slash(world.alice, world.channel, "leaderboard")
    assert await ix.wait_ack() == CHANNEL_MESSAGE
    board = await ix.wait_message()
    assert not board.ephemeral
    page = await world.emu.click(world.bob, board, custom_id=board.buttons()[1]["custom_id"])
    assert await page.wait_ack() == UPDATE_MESSAGE
    ix = await world.emu.slash(world.bob, world.channel, "settings hide-streak", hidden=True)
    assert await ix.wait_ack() == CHANNEL_MESSAGE and (await ix.wait_message()).ephemeral
    ix = await world.emu.slash(world.alice, world.channel, "explain", deck=DECK, public=True)
    assert await ix.wait_ack() == CHANNEL_MESSAGE
    prompt = await ix.wait_message()
    assert not prompt.ephemeral and (await stored_prompt(world)).message_id == prompt.id
    submit = await world.emu.submit_modal(world.alice, await open_modal(world, world.alice, prompt),
                                          {"answer": FULL_WHY})
    assert await submit.wait_ack() == UPDATE_MESSAGE
    assert world.emu.failed_interactions == []


async def test_a_slow_leaderboard_reset_confirmation_defers_then_edits_the_prompt(
    world: Any, quick_ack: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompt = await (await world.emu.slash(world.admin, world.channel, "recall-admin reset-leaderboard")).wait_message()
    slow_down(monkeypatch, world.bot.services.progress, "reset_boards")
    ix = await world.emu.click(world.admin, prompt, label="Reset the leaderboard")
    assert await ix.wait_ack() == DEFERRED_UPDATE
    done = await ix.wait_message()
    assert done.id == prompt.id and done.ephemeral and "were reset" in done.text() and done.buttons() == []
    assert world.emu.failed_interactions == []
