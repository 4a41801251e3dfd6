"""The daily challenge end to end: /recall-admin daily-challenge against the emulator, with the bot's clock pinned
(PACING.clock, as /quiz's tests do) and moved; each test calls one scheduler pass itself (the Challenge cog's
run_due) or lets the pass at start-up run after a restart."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bot.emulator import CommandNotAvailable
from bot.emulator import driver as emulator_driver
from bot.emulator import payloads
from bot.emulator.gateway import INTENT_GUILDS
from tests.e2e.test_quiz import (  # noqa: F401  clock is a fixture
    DECK,
    PinnedClock,
    answer,
    bot_messages,
    clock,
    letters,
    posted,
    rows,
    until,
    window,
)

ANNOUNCED = "📅 Daily challenge"
SIX_PM = datetime(2025, 3, 1, 18, 0, tzinfo=timezone.utc)  # the pinned clock starts at noon that day
DAY = timedelta(days=1)


async def admin(world: Any, command: str, member: Any = None, **options: Any) -> Any:
    ix = await world.emu.slash(member or world.admin, world.channel, f"recall-admin {command}", **options)
    return await ix.wait_message()


async def turn_on(world: Any, channel: Any = None, **options: Any) -> Any:
    settings = {"channel": channel or world.channel, "time": "18:00", "deck": DECK, "questions": 1, "seconds": 5}
    return await admin(world, "daily-challenge on", **(settings | options))


async def run_pass(world: Any) -> int:
    return await world.bot.get_cog("Challenge").run_due()


async def challenge_row(world: Any) -> tuple:
    (row,) = await rows(world, "SELECT enabled, next_run_at, last_run_at, off_reason FROM daily_challenges")
    return row


async def ended(world: Any, count: int) -> None:
    """Until the `count`-th round's scoreboard is posted (no round left running into a restart or the next day)."""
    await posted(world, "🏁 Quiz over", count=count)


@pytest.fixture
def world(clock: PinnedClock, world: Any) -> Any:
    """The usual world, its clock pinned before the bot starts: the scheduler's pass at start-up reads it too (on the
    real clock, a challenge set up while that pass runs would look days late)."""
    return world


@pytest.fixture
def short_rounds(monkeypatch: pytest.MonkeyPatch) -> None:
    window(monkeypatch, 0.6)


async def test_posted_once_a_day_as_a_quiz_round_whose_points_count(
    world: Any, clock: PinnedClock, short_rounds: None
) -> None:
    reply = await turn_on(world)
    assert reply.ephemeral
    assert "every day at **18:00** (UTC)" in reply.text() and f"<#{world.channel.id}>" in reply.text()
    assert await run_pass(world) == 0  # noon: not yet

    clock.now = SIX_PM + timedelta(seconds=5)
    await run_pass(world)  # (the loop's own pass may run alongside: whichever claims the run starts it)
    first = await posted(world, ANNOUNCED)
    assert "Today's challenge is on **" in first.text() and "offline" not in first.text()
    q1 = await posted(world, "Question 1/1")
    right, _ = letters(world, q1)
    await answer(world, world.alice, q1, right, 1)
    await ended(world, 1)

    clock.now = SIX_PM + timedelta(hours=3)
    assert await run_pass(world) == 0  # the same day again: nothing
    assert len(bot_messages(world, ANNOUNCED)) == 1
    assert await challenge_row(world) == (1, "2025-03-02T18:00:00.000000+00:00",
                                          "2025-03-01T18:00:05.000000+00:00", None)
    # An ordinary quiz round: its points on the boards, the answer counted for the streak.
    (points,) = await rows(world, "SELECT points FROM board_totals WHERE user_id = ?", (world.alice.user.id,))
    assert points[0] > 0
    assert await rows(world, "SELECT current FROM streaks WHERE user_id = ?", (world.alice.user.id,)) == [(1,)]

    clock.now = SIX_PM + DAY + timedelta(seconds=3)
    await run_pass(world)
    await posted(world, ANNOUNCED, count=2)
    q2 = await posted(world, "Question 1/1", count=2)
    await ended(world, 2)
    assert q2.embeds[0]["description"].split("\n\n")[0] != q1.embeds[0]["description"].split("\n\n")[0]
    asked = await rows(world, "SELECT COUNT(*) FROM challenge_questions")
    assert asked == [(2,)]


async def test_after_long_downtime_the_day_is_skipped_after_short_downtime_it_is_caught_up(
    world: Any, clock: PinnedClock, short_rounds: None, caplog: pytest.LogCaptureFixture
) -> None:
    await turn_on(world)
    await world.stop_bot()
    clock.now = SIX_PM + timedelta(hours=1, minutes=30)
    with caplog.at_level(logging.INFO, logger="recall.challenge"):
        await world.start_bot()  # its start-up pass finds the run an hour and a half late
        await until(lambda: any("skipped" in r.getMessage() for r in caplog.records), what="the skip's log line")
    assert await run_pass(world) == 0
    assert bot_messages(world, ANNOUNCED) == []
    assert (await challenge_row(world))[1:3] == ("2025-03-02T18:00:00.000000+00:00", None)

    await world.stop_bot()
    clock.now = SIX_PM + DAY + timedelta(minutes=40)
    await world.start_bot()  # 40 minutes late: the start-up pass posts it, with a note
    late = await posted(world, ANNOUNCED)
    assert "Recall was offline at 18:00, so today's challenge starts a little late." in late.text()
    await ended(world, 1)
    assert await run_pass(world) == 0
    assert len(bot_messages(world, ANNOUNCED)) == 1


async def delete_channel(world: Any, channel: Any) -> None:
    """Delete a channel in the emulator, as Discord does: gone from the server, and CHANNEL_DELETE sent."""
    world.guild.channels.remove(channel)
    del world.emu.world.channels[channel.id]
    world.emu.gateway.dispatch("CHANNEL_DELETE", payloads.channel_payload(channel), INTENT_GUILDS,
                               guild_id=world.guild.id)
    await until(lambda: world.bot.get_channel(channel.id) is None, what="the bot to forget the channel")


async def test_a_deleted_channel_turns_it_off_and_the_admin_is_told_once(world: Any, clock: PinnedClock) -> None:
    room = world.emu.add_channel(world.guild, "quiz-room")
    await until(lambda: world.bot.get_channel(room.id) is not None, what="the bot to see the channel")
    await turn_on(world, room)
    await delete_channel(world, room)
    clock.now = SIX_PM + timedelta(seconds=10)
    assert await run_pass(world) == 0
    assert await challenge_row(world) == (0, None, None, "channel_missing")

    # The admin's next /recall-admin command, whichever it is, brings the note along, once.
    ix = await world.emu.slash(world.admin, world.channel, "recall-admin new-cards", count=5)
    await ix.wait_message()
    note = await until(lambda: ix.followups, what="the note after /recall-admin new-cards")
    assert len(note) == 1 and note[0].ephemeral
    assert "Recall turned the daily challenge off: its channel was deleted" in note[0].text()
    status = await admin(world, "daily-challenge status")
    assert "turned the daily challenge off" not in status.text()
    assert "The daily challenge is **off** (its channel was deleted or I can no longer see it)" in status.text()


async def test_permissions_lost_at_run_time_turn_it_off_and_status_says_which_once(
    world: Any, clock: PinnedClock
) -> None:
    await turn_on(world)
    world.emu.set_bot_permissions(world.channel, deny=["add_reactions"])
    await until(lambda: not world.bot.get_channel(world.channel.id).permissions_for(
        world.bot.get_guild(world.guild.id).me).add_reactions, what="the bot to see the overwrite")
    clock.now = SIX_PM
    assert await run_pass(world) == 0
    assert bot_messages(world, ANNOUNCED) == []
    first = await admin(world, "daily-challenge status")
    assert first.text().startswith("⚠️ Recall turned the daily challenge off: I was missing **Add Reactions**")
    second = await admin(world, "daily-challenge status")
    assert not second.text().startswith("⚠️") and "**off**" in second.text()


async def test_on_refuses_a_channel_where_the_quiz_lacks_permissions(world: Any, clock: PinnedClock) -> None:
    locked = world.emu.add_channel(world.guild, "locked", bot_deny=["send_messages", "add_reactions"])
    await until(lambda: world.bot.get_channel(locked.id) is not None, what="the bot to see the channel")
    reply = await turn_on(world, locked)
    assert reply.ephemeral
    # Without Send Messages, Discord takes Embed Links away too.
    assert "I'm missing **Send Messages**, **Embed Links**, **Add Reactions** there" in reply.text()
    assert await rows(world, "SELECT * FROM daily_challenges") == []
    bad = await turn_on(world, time="6pm")
    assert "HH:MM" in bad.text()


async def test_status_shows_the_settings_in_the_servers_zone_and_off_turns_it_off(
    world: Any, clock: PinnedClock
) -> None:
    assert "No daily challenge is set up" in (await admin(world, "daily-challenge status")).text()
    await admin(world, "timezone", zone="Europe/Berlin")
    await turn_on(world, time="19:30", questions=3, seconds=30)
    status = await admin(world, "daily-challenge status")
    next_run = int(datetime(2025, 3, 1, 18, 30, tzinfo=timezone.utc).timestamp())  # 19:30 CET
    assert status.text() == (
        f"📅 Daily challenge **on**: <#{world.channel.id}> at **19:30** (Europe/Berlin), 3 questions from "
        f"**Learning rate schedulers in PyTorch**, 30 s each. Next one <t:{next_run}:R>."
    )
    assert "off" in (await admin(world, "daily-challenge off")).text()
    assert "already off" in (await admin(world, "daily-challenge off")).text()
    assert "**off**" in (await admin(world, "daily-challenge status")).text()


@pytest.mark.parametrize("command", ["daily-challenge on", "daily-challenge off", "daily-challenge status"])
async def test_members_without_manage_server_are_refused(
    world: Any, clock: PinnedClock, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    options: dict[str, Any] = {}
    if command.endswith(" on"):
        options = {"channel": world.channel, "time": "18:00", "deck": DECK, "questions": 1}
    with pytest.raises(CommandNotAvailable):  # Discord hides /recall-admin from them
        await world.emu.slash(world.alice, world.channel, f"recall-admin {command}", **options)
    # A server may grant the command to everyone: the bot still checks.
    monkeypatch.setattr(emulator_driver, "check_member_can_use", lambda *args: None)
    reply = await admin(world, command, member=world.alice, **options)
    assert reply.ephemeral and "You need the **Manage Server** permission" in reply.text()
    assert await rows(world, "SELECT * FROM daily_challenges") == []
