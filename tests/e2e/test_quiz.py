"""/quiz end to end: the real bot against the emulator, with three members reacting.

Grading times come from a pinned clock (PACING.clock) that each test moves before a reaction, so points are exact;
the real waits are shortened through PACING.time_scale (seconds=5 → a short real window).
"""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest

from bot.core.quiz import LETTERS, PACING
from bot.emulator.state import walk_components
from bot.ui.items import MALFORMED
from bot.ui.replies import FAILED
from tests.conftest import fail_once

DECK = "pytorch-lr-schedulers"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


class PinnedClock:
    """The time the bot grades by; it only moves when a test moves it."""

    def __init__(self, start: datetime) -> None:
        self.base = start
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> None:
        """`seconds` after the current question was posted."""
        self.now = self.base + timedelta(seconds=seconds)

    def next_question(self) -> None:
        """Call once the current question's answers are in: the next one will be posted at this new base."""
        self.base += timedelta(minutes=1)
        self.now = self.base


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> PinnedClock:
    pinned = PinnedClock(T0)
    monkeypatch.setattr(PACING, "clock", pinned)
    monkeypatch.setattr(PACING, "edit_interval", 0.05)
    return pinned


def window(monkeypatch: pytest.MonkeyPatch, real_seconds: float) -> None:
    """Make /quiz seconds=5 last `real_seconds` of real time (the points formula then uses T = real_seconds)."""
    monkeypatch.setattr(PACING, "time_scale", real_seconds / 5)
    monkeypatch.setattr(PACING, "reveal_pause", 0.3 * 5 / real_seconds)  # a real pause of 0.3 s


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


def letters(world: Any, msg: Any, shown: list[str] | None = None) -> tuple[str, list[str]]:
    """(the right letter, the wrong letters) of a question message, from the deck's answer (`shown`: its choices,
    when the field is not named "Choices")."""
    deck = world.bot.decks.get(world.guild.id, DECK)
    text = msg.embeds[0]["description"].split("\n\n")[0]
    asked = next(q for q in deck.quiz if q.question == text)
    shown = shown if shown is not None else choices_of(msg)
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


async def test_right_wrong_changed_mind_double_and_late_answers_score_exactly(
    world: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    window(monkeypatch, 3.0)  # T = 3 s
    emu, alice, bob, carol = world.emu, world.alice, world.bob, world.carol
    ix = await start(world, alice, questions=2, seconds=5)
    announcement = await ix.wait_message()
    assert "**2** questions, **5 s** each" in announcement.text()
    assert "disappears once it is locked in" in announcement.text()  # the bot has Manage Messages here

    q1 = await question(world, 1, 2)
    right, wrong = letters(world, q1)
    clock.at(0.75)
    await answer(world, alice, q1, right, 1)  # 1000 × (1 − 0.25/2) = 875
    clock.at(1.5)
    await answer(world, bob, q1, wrong[0], 2)  # wrong: 0
    await emu.react(bob, q1, right)  # changed mind: ignored, and hidden like any letter
    await until(lambda: bob.user.id not in q1.reactions.get(right, []), what="bob's second letter removed")
    clock.at(2.25)
    await emu.react(carol, q1, right)  # double letters: the first counts (1000 × (1 − 0.75/2) = 625)
    await emu.react(carol, q1, wrong[1])
    await until(lambda: locked(q1) == 3, what="3 answers locked in")
    clock.next_question()

    reveal1 = await posted(world, "Question 1/2: the answer")
    await emu.react(bob, q1, right)  # late: after the close, ignored
    text = reveal1.text()
    assert f"✓ Correct: {right}" in text
    assert "reduces" in text or "learning rate" in text  # the explanation
    counts = dict(part.split(" ") for part in reveal1.embeds[0]["fields"][0]["value"].split(" · "))
    assert counts[right] == "2" and counts[wrong[0]] == "1" and counts[wrong[1]] == "0"
    assert f"{mention(alice)} **+875**" in text and f"{mention(carol)} **+625**" in text
    assert f"{mention(bob)} chose {wrong[0]}" in text

    q2 = await question(world, 2, 2)
    right2, _ = letters(world, q2)
    await answer(world, alice, q2, right2, 1)  # 1000 + 100 streak bonus
    clock.at(1.5)
    await answer(world, bob, q2, right2, 2)  # 750, no streak (wrong before)
    reveal2 = await posted(world, "Question 2/2: the answer")
    assert f"{mention(alice)} **+1100** (incl. +100 streak bonus)" in reveal2.text()

    board = await posted(world, "🏁 Quiz over")
    lines = board.embeds[0]["description"].split("\n")
    assert lines == [
        f"🥇 {mention(alice)}: **1,975** points · 2/2 correct",
        f"🥈 {mention(bob)}: **750** points · 1/2 correct",
        f"🥉 {mention(carol)}: **625** points · 1/2 correct",
    ]
    stored = await rows(world, "SELECT question_index, user_id, correct, points, response_ms FROM quiz_answers "
                               "ORDER BY question_index, user_id")
    assert stored == sorted([
        (0, alice.user.id, 1, 875, 750), (0, bob.user.id, 0, 0, 1500), (0, carol.user.id, 1, 625, 2250),
        (1, alice.user.id, 1, 1100, 0), (1, bob.user.id, 1, 750, 1500),
    ])
    assert await rows(world, "SELECT COUNT(*) FROM activity WHERE kind = 'quiz'") == [(5,)]
    names = await rows(world, "SELECT display_name FROM members ORDER BY display_name")
    assert names == [("Alice",), ("Bob",), ("Carol",)]  # their global names, as Discord shows them
    # Members' letters were removed as recorded; the late one stayed.
    assert all(q2.reactions[e] == [emu.bot_user.id] for e in LETTERS[:len(choices_of(q2))])
    assert q1.reactions[right] == [emu.bot_user.id, bob.user.id]
    # The round disables Stop right after posting the board: wait for that edit rather than race it.
    await until(lambda: announcement.buttons()[0]["disabled"], what="Stop disabled on the announcement")
    assert await rows(world, "SELECT status FROM quiz_rounds") == [("finished",)]


async def test_without_manage_messages_reactions_stay_and_grading_is_the_same(
    world: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    window(monkeypatch, 2.0)
    world.emu.set_bot_permissions(world.channel, deny=("manage_messages",))
    other_bot = world.emu.add_member(world.guild, "helperbot", bot=True)
    ix = await start(world, world.alice, questions=1, seconds=5)
    assert "disappears" not in (await ix.wait_message()).text()
    q1 = await question(world, 1, 1)
    right, wrong = letters(world, q1)
    clock.at(0.2)
    assert await world.emu.react(other_bot, q1, right)  # bots never score
    assert await world.emu.react(world.alice, q1, "👍")  # not a choice
    assert await world.emu.react(world.alice, q1, LETTERS[len(choices_of(q1))])  # a letter past the last choice
    clock.at(1)
    await answer(world, world.alice, q1, right, 1)  # 1000 × (1 − 0.5/2) = 750
    await answer(world, world.bob, q1, wrong[0], 2)
    await world.emu.react(world.alice, q1, wrong[0])  # changed mind: ignored
    reveal = await posted(world, "Question 1/1: the answer")
    assert f"{mention(world.alice)} **+750**" in reveal.text()
    assert mention(other_bot) not in reveal.text()
    assert q1.reactions[right] == [world.emu.bot_user.id, other_bot.user.id, world.alice.user.id]
    assert q1.reactions[wrong[0]] == [world.emu.bot_user.id, world.bob.user.id, world.alice.user.id]
    assert await rows(world, "SELECT user_id, correct, points FROM quiz_answers ORDER BY user_id") == sorted(
        [(world.alice.user.id, 1, 750), (world.bob.user.id, 0, 0)]
    )
    assert not any(c.method == "DELETE" and "/reactions/" in c.path for c in world.emu.rest_calls)
    board = await posted(world, "🏁 Quiz over")
    assert mention(other_bot) not in board.text()


async def test_a_reaction_missed_while_the_gateway_was_down_is_graded_at_the_close(
    world: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    window(monkeypatch, 2.0)
    emu = world.emu
    await start(world, world.alice, questions=1, seconds=5)
    q1 = await question(world, 1, 1)
    right, wrong = letters(world, q1)
    clock.at(0.5)
    await answer(world, world.alice, q1, right, 1)  # 1000 × (1 − 0.25/2) = 875
    await emu.drop_gateway(lose_events=True)
    clock.at(0.6)
    assert await emu.react(world.bob, q1, right)  # its event is lost: found on the message at the close
    assert await emu.react(world.carol, q1, wrong[0])
    await emu.wait_until_connected()
    reveal = await posted(world, "Question 1/1: the answer")
    assert f"{mention(world.bob)} **+500**" in reveal.text()  # counted as made at the close: t = T
    assert f"{mention(world.carol)} chose {wrong[0]}" in reveal.text()
    assert await rows(world, "SELECT user_id, correct, points, response_ms FROM quiz_answers ORDER BY user_id") == sorted([
        (world.alice.user.id, 1, 875, 500), (world.bob.user.id, 1, 500, 2000), (world.carol.user.id, 0, 0, 2000),
    ])
    await posted(world, "🏁 Quiz over")


async def test_one_quiz_per_channel(world: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    window(monkeypatch, 1.0)
    await start(world, world.alice, questions=1, seconds=5)
    await question(world, 1, 1)
    second = await world.emu.slash(world.bob, world.channel, "quiz", deck=DECK)
    note = await second.wait_message()
    assert note.ephemeral and "already running in this channel" in note.text() and "<t:" in note.text()
    other = world.emu.add_channel(world.guild, "study-room")
    elsewhere = await world.emu.slash(world.bob, other, "quiz", deck=DECK, questions=1, seconds=5)
    assert not (await elsewhere.wait_message()).ephemeral
    await posted(world, "🏁 Quiz over")
    await until(lambda: any(m.embeds and "Quiz over" in m.embeds[0].get("title", "") for m in world.emu.messages(other)),
                what="the other channel's scoreboard")
    assert await rows(world, "SELECT channel_id, status FROM quiz_rounds ORDER BY id") == [
        (world.channel.id, "finished"), (other.id, "finished"),
    ]


async def test_stop_by_the_starter_after_someone_else_is_refused(
    world: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    window(monkeypatch, 2.0)  # both clicks land while question 1 is open
    ix = await start(world, world.alice, questions=3, seconds=5)
    announcement = await ix.wait_message()
    await question(world, 1, 3)
    refused = await (await world.emu.click(world.carol, announcement, label="Stop")).wait_message()
    assert refused.ephemeral and "Manage Messages" in refused.text() and mention(world.alice) in refused.text()
    accepted = await (await world.emu.click(world.alice, announcement, label="Stop")).wait_message()
    assert accepted.ephemeral and "Stopping" in accepted.text()
    board = await posted(world, "🏁 Quiz over")
    assert f"{mention(world.alice)} stopped the quiz after question 1/3" in board.text()
    assert bot_messages(world, "Question 2/3") == []
    assert await rows(world, "SELECT status FROM quiz_rounds") == [("stopped",)]


async def test_stop_by_a_moderator(world: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    window(monkeypatch, 2.0)
    world.emu.set_channel_permissions(world.channel, world.bob, allow=("manage_messages",))
    ix = await start(world, world.alice, questions=2, seconds=5)
    announcement = await ix.wait_message()
    await question(world, 1, 2)
    accepted = await (await world.emu.click(world.bob, announcement, label="Stop")).wait_message()
    assert "Stopping" in accepted.text()
    board = await posted(world, "🏁 Quiz over")
    assert f"{mention(world.bob)} stopped the quiz after question 1/2" in board.text()


async def test_a_restart_mid_question_grades_it_from_its_reactions_and_closes_the_round(
    world: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    window(monkeypatch, 30.0)  # long: the restart happens well inside the first question
    await start(world, world.alice, questions=2, seconds=5)
    q1 = await question(world, 1, 2)
    right, wrong = letters(world, q1)
    clock.at(3)
    await answer(world, world.alice, q1, right, 1)  # 1000 × (1 − 0.1/2) = 950, stored before the restart
    await until(lambda: world.alice.user.id not in q1.reactions.get(right, []), what="alice's letter removed")
    await world.emu.drop_gateway(lose_events=True)
    assert await world.emu.react(world.bob, q1, right)  # never seen live: graded from the message
    await world.emu.wait_until_connected()
    await world.restart_bot()

    reveal = await posted(world, "Question 1/2: the answer")
    assert f"{mention(world.alice)} **+950**" in reveal.text() and f"{mention(world.bob)} **+500**" in reveal.text()
    board = await posted(world, "🏁 Quiz over")
    assert "interrupted by a restart" in board.text()
    assert f"🥇 {mention(world.alice)}: **950** points" in board.text()
    assert bot_messages(world, "Question 2/2") == []
    assert await rows(world, "SELECT status FROM quiz_rounds") == [("interrupted",)]
    assert await rows(world, "SELECT user_id, points FROM quiz_answers ORDER BY user_id") == sorted(
        [(world.alice.user.id, 950), (world.bob.user.id, 500)]
    )


async def test_missing_add_reactions_is_named_privately(world: Any, clock: PinnedClock) -> None:
    locked_down = world.emu.add_channel(world.guild, "no-reactions", bot_deny=("add_reactions",))
    ix = await world.emu.slash(world.alice, locked_down, "quiz", deck=DECK)
    note = await ix.wait_message()
    assert note.ephemeral and "**Add Reactions**" in note.text()
    assert "Send Messages" not in note.text()
    assert [m for m in world.emu.messages(locked_down) if not m.ephemeral] == []
    assert await rows(world, "SELECT COUNT(*) FROM quiz_rounds") == [(0,)]


async def test_the_quiz_ends_itself_after_three_unanswered_questions(
    world: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    window(monkeypatch, 0.5)
    await start(world, world.alice, questions=4, seconds=5)
    board = await posted(world, "🏁 Quiz over")
    assert "Nobody answered three questions in a row" in board.text()
    assert "Nobody answered, so there is no scoreboard" in board.text()
    assert len(bot_messages(world, "Question 3/4: the answer")) == 1
    assert bot_messages(world, "Question 4/4") == []
    assert await rows(world, "SELECT status FROM quiz_rounds") == [("idle",)]


async def test_without_a_deck_the_member_is_asked_to_pick_one(world: Any, clock: PinnedClock) -> None:
    ix = await world.emu.slash(world.alice, world.channel, "quiz")
    note = await ix.wait_message()
    assert note.ephemeral and "Pick a deck" in note.text()
    unknown = await (await world.emu.slash(world.alice, world.channel, "quiz", deck="no-such-deck")).wait_message()
    assert unknown.ephemeral and "no-such-deck" in unknown.text()
    assert await rows(world, "SELECT COUNT(*) FROM quiz_rounds") == [(0,)]


async def test_a_deck_without_quiz_questions_is_refused_privately(
    world: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    deck = world.bot.decks.get(world.guild.id, DECK)
    world.bot.decks.set_server_deck(world.guild.id, replace(deck, quiz=()))  # this server's copy shadows it
    note = await (await world.emu.slash(world.alice, world.channel, "quiz", deck=DECK)).wait_message()
    assert note.ephemeral and "has no quiz questions" in note.text()
    assert await rows(world, "SELECT COUNT(*) FROM quiz_rounds") == [(0,)]


async def test_a_failure_inside_stop_is_answered_privately_and_the_quiz_keeps_running(
    world: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    window(monkeypatch, 3.0)  # both clicks land while question 1 is open
    ix = await start(world, world.alice, questions=3, seconds=5)
    announcement = await ix.wait_message()
    await question(world, 1, 3)
    cog = world.bot.get_cog("Quiz")
    stop = fail_once(cog.stop_pressed)
    monkeypatch.setattr(cog, "stop_pressed", stop)
    failed = await (await world.emu.click(world.alice, announcement, label="Stop")).wait_message()
    assert failed.ephemeral and failed.text() == FAILED  # never Discord's "This interaction failed"
    accepted = await (await world.emu.click(world.alice, announcement, label="Stop")).wait_message()
    assert accepted.ephemeral and "Stopping" in accepted.text()
    board = await posted(world, "🏁 Quiz over")
    assert f"{mention(world.alice)} stopped the quiz after question 1/3" in board.text()
    assert len(stop.calls) == 2
    assert await rows(world, "SELECT status FROM quiz_rounds") == [("stopped",)]


async def test_a_forged_or_malformed_stop_id_is_refused_privately(
    world: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    window(monkeypatch, 4.0)
    ix = await start(world, world.alice, questions=3, seconds=5)
    announcement = await ix.wait_message()
    await question(world, 1, 3)
    # What a client could send: the button's custom id rewritten in the stored message, then clicked.
    [stop] = [c for c in walk_components(announcement.components) if c.get("type") == 2]
    genuine = stop["custom_id"]
    round_id = int(genuine.rsplit(":", 1)[1])
    for forged in ["quiz:stop:-1", "quiz:stop:abc", "quiz:stop:" + "9" * 30, f"quiz:stop:{2**63}", "quiz:stop",
                   "quiz:stop:", f"quiz:stop:{round_id}:1", "quiz:stop:١٢"]:
        stop["custom_id"] = forged
        note = await (await world.emu.click(world.alice, announcement, custom_id=forged)).wait_message()
        assert note.ephemeral and note.text() == MALFORMED, forged
    stop["custom_id"] = f"quiz:stop:{round_id + 1000}"  # well formed, but no such round is running
    note = await (await world.emu.click(world.alice, announcement, custom_id=stop["custom_id"])).wait_message()
    assert note.ephemeral and "already ended" in note.text()
    stop["custom_id"] = genuine
    accepted = await (await world.emu.click(world.alice, announcement, label="Stop")).wait_message()
    assert "Stopping" in accepted.text()
    board = await posted(world, "🏁 Quiz over")
    assert f"{mention(world.alice)} stopped the quiz" in board.text()
    assert await rows(world, "SELECT status FROM quiz_rounds") == [("stopped",)]


async def test_two_quiz_commands_at_once_start_one_round_and_its_answers_score_in_full(
    world: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    window(monkeypatch, 3.0)  # T = 3 s
    # Both commands reach the bot together: before the fix both passed the busy check while the first round was
    # being stored, the second replaced the first, and the first round's reactions went unheard until its close.
    first, second = await asyncio.gather(
        world.emu.slash(world.alice, world.channel, "quiz", deck=DECK, questions=1, seconds=5),
        world.emu.slash(world.bob, world.channel, "quiz", deck=DECK, questions=1, seconds=5),
    )
    replies = [await first.wait_message(), await second.wait_message()]
    assert sorted(r.ephemeral for r in replies) == [False, True]
    busy = next(r for r in replies if r.ephemeral)
    assert "already running in this channel" in busy.text()
    q1 = await question(world, 1, 1)
    right, _ = letters(world, q1)
    clock.at(0.75)
    await answer(world, world.carol, q1, right, 1)  # heard live: 1000 × (1 − 0.25/2) = 875
    reveal = await posted(world, "Question 1/1: the answer")
    assert f"{mention(world.carol)} **+875**" in reveal.text()
    await posted(world, "🏁 Quiz over")
    assert len(bot_messages(world, "🧠 Quiz time")) == 1 and len(bot_messages(world, "Question 1/1: the answer")) == 1
    assert await rows(world, "SELECT status FROM quiz_rounds") == [("finished",)]
