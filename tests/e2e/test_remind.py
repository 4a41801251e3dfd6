"""/remind and the reminder DMs end to end: the real bot against the emulator, its clock moved by the test.

The sender's clock (bot.services.reminders.SENDER.clock) is the test's; the loop is off unless a test wants the pass
the bot makes at start-up, and the test runs a pass with `send_due` where a real bot would wait for its next tick.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import pytest

from bot.cogs.remind import Pacer
from bot.core.clock import to_text, utcnow
from bot.core.reminders import time_left_text
from bot.core.shards import Shards
from bot.services.reminders import SENDER
from bot.ui.reminders import DMS_CLOSED_NOTE
from bot.ui.study import TUNING
from tests.e2e.test_study import labels, press, start

DECK_TITLE = "Learning rate schedulers in PyTorch"


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(utcnow())
    monkeypatch.setattr(SENDER, "clock", clock)
    monkeypatch.setattr(SENDER, "run_loop", False)
    monkeypatch.setattr(TUNING, "fuzz", False)
    return clock


def reminder_time(clock: Clock) -> datetime:
    """Two hours from the test's now, on the minute (the members' zone is UTC)."""
    return (clock.now + timedelta(hours=2)).replace(second=0, microsecond=0)


async def study_three_again(world, member) -> None:
    """Three cards rated Again, then made due an hour ago (the bot's /study reads the real clock)."""
    _ix, message = await start(world, member, deck="pytorch-lr-schedulers")
    for _ in range(3):
        await press(world, member, message, "Reveal")
        await press(world, member, message, "Again")
    await world.bot.db.atomic(lambda conn: conn.execute(
        "UPDATE srs_state SET due = ? WHERE user_id = ?", (to_text(utcnow() - timedelta(hours=1)), member.user.id)
    ))


async def remind_on(world, member, at: datetime) -> str:
    ix = await world.emu.slash(member, world.channel, "remind on", time=at.strftime("%H:%M"))
    return (await ix.wait_message()).text()


async def pass_at(world, clock: Clock, at: datetime) -> int:
    clock.now = at
    return await world.bot.get_cog("Remind").send_due()


def dms(world, member) -> list:
    channel = world.emu.dm_channel(member)
    return world.emu.messages(channel) if channel is not None else []


async def reminder_row(world, member):
    return await world.bot.db.fetchone("SELECT * FROM reminders WHERE user_id = ?", (member.user.id,))


async def test_one_reminder_at_the_members_time_and_not_again_that_day(world, clock) -> None:
    studied_on = utcnow().date()
    await study_three_again(world, world.alice)
    at = reminder_time(clock)
    reply = await remind_on(world, world.alice, at)
    assert f"every day at **{at:%H:%M}** (UTC)" in reply and f"<t:{int(at.timestamp())}:R>" in reply

    assert await pass_at(world, clock, at - timedelta(minutes=1)) == 0
    assert await pass_at(world, clock, at + timedelta(seconds=20)) == 1
    [message] = dms(world, world.alice)
    embed = message.embeds[0]
    assert embed["title"] == "Time to study · Study Hall"
    lines = [f"• 3 cards due in {DECK_TITLE}"]
    if at.date() != studied_on:  # past midnight UTC: the streak from studying yesterday is at risk
        day_end = datetime.combine(at.date() + timedelta(days=1), time(0), tzinfo=timezone.utc)
        lines.append(f"• your 1-day streak ends in {time_left_text(day_end - clock.now)}; one review keeps it")
    assert embed["description"] == "\n".join(lines)
    assert labels(message) == ["Study now"]
    assert await pass_at(world, clock, at + timedelta(minutes=40)) == 0
    assert await pass_at(world, clock, at + timedelta(hours=5)) == 0
    assert len(dms(world, world.alice)) == 1
    row = await reminder_row(world, world.alice)
    assert row["next_send_at"] == to_text(at + timedelta(days=1))

    ix = await world.emu.slash(world.alice, world.channel, "remind status")
    status = (await ix.wait_message()).text()
    assert f"<t:{int((at + timedelta(days=1)).timestamp())}:R>" in status and "Study Hall" in status


async def test_the_next_days_reminder_reuses_the_dm_channel_even_after_a_restart(world, clock) -> None:
    await study_three_again(world, world.alice)
    at = reminder_time(clock)
    await remind_on(world, world.alice, at)
    before = len(world.emu.rest_calls)
    assert await pass_at(world, clock, at + timedelta(seconds=20)) == 1
    await world.restart_bot()  # nothing of the first reminder is left in memory: the channel id is in the database
    assert await pass_at(world, clock, at + timedelta(days=1, seconds=20)) == 1
    calls = [(call.method, call.path) for call in world.emu.rest_calls[before:]]
    dm = world.emu.dm_channel(world.alice)
    member = f"/guilds/{world.guild.id}/members/{world.alice.user.id}"
    assert [c for c in calls if c[0] == "POST" or c[1] == member] == [
        ("GET", member), ("POST", "/users/@me/channels"), ("POST", f"/channels/{dm.id}/messages"),
        ("GET", member), ("POST", f"/channels/{dm.id}/messages"),
    ]
    assert len(dms(world, world.alice)) == 2


async def test_no_reminder_when_nothing_is_due_and_no_streak(world, clock) -> None:
    at = reminder_time(clock)
    await remind_on(world, world.bob, at)
    assert await pass_at(world, clock, at + timedelta(seconds=20)) == 0
    assert dms(world, world.bob) == []
    row = await reminder_row(world, world.bob)
    assert row["enabled"] == 1 and row["next_send_at"] == to_text(at + timedelta(days=1))


async def test_closed_dms_switch_reminders_off_with_one_note(world, clock) -> None:
    await study_three_again(world, world.alice)
    at = reminder_time(clock)
    await remind_on(world, world.alice, at)
    world.emu.set_dms_open(world.alice, False)
    assert await pass_at(world, clock, at + timedelta(seconds=20)) == 0
    row = await reminder_row(world, world.alice)
    assert (row["enabled"], row["off_reason"], row["note_pending"]) == (0, "dms_closed", 1)
    assert dms(world, world.alice) == []

    note = asyncio.ensure_future(world.emu.wait_for_message(lambda m: m.text() == DMS_CLOSED_NOTE))
    await asyncio.sleep(0)
    first = await world.emu.slash(world.alice, world.channel, "remind status")
    assert "direct messages are closed" in (await first.wait_message()).text()
    shown = await note
    assert shown.ephemeral and shown.visible_to == world.alice.user.id
    assert (await reminder_row(world, world.alice))["note_pending"] == 0

    second = await world.emu.slash(world.alice, world.channel, "remind status")
    await second.wait_message()
    third = await world.emu.slash(world.alice, world.channel, "remind status")
    await third.wait_message()
    assert [m.text() for m in first.followups] == [DMS_CLOSED_NOTE]
    assert second.followups == [] and third.followups == []
    # Nothing retries: a later pass leaves the member alone.
    world.emu.set_dms_open(world.alice, True)
    assert await pass_at(world, clock, at + timedelta(days=1, seconds=20)) == 0


async def test_a_restart_across_the_reminder_time_sends_exactly_one(world, clock, monkeypatch) -> None:
    await study_three_again(world, world.alice)
    at = reminder_time(clock)
    await remind_on(world, world.alice, at)
    assert await pass_at(world, clock, at - timedelta(seconds=30)) == 0
    await world.stop_bot()
    clock.now = at + timedelta(minutes=10)  # down across the time, back within the hour
    monkeypatch.setattr(SENDER, "run_loop", True)
    monkeypatch.setattr(SENDER, "interval", 3600.0)  # only the start-up pass runs in this test
    sent = asyncio.ensure_future(world.emu.wait_for_message(lambda m: "Time to study" in m.text(), timeout=10))
    await asyncio.sleep(0)
    await world.start_bot()
    assert (await sent).channel_id == world.emu.dm_channel(world.alice).id
    assert await pass_at(world, clock, at + timedelta(minutes=11)) == 0
    await world.restart_bot()
    assert await pass_at(world, clock, at + timedelta(minutes=12)) == 0
    assert len(dms(world, world.alice)) == 1


async def test_after_long_downtime_the_days_reminder_is_skipped(world, clock) -> None:
    await study_three_again(world, world.alice)
    at = reminder_time(clock)
    await remind_on(world, world.alice, at)
    assert await pass_at(world, clock, at + timedelta(hours=3)) == 0
    assert dms(world, world.alice) == []
    assert (await reminder_row(world, world.alice))["next_send_at"] == to_text(at + timedelta(days=1))
    assert await pass_at(world, clock, at + timedelta(days=1, seconds=5)) == 1


async def test_no_reminder_for_a_member_who_left(world, clock) -> None:
    await study_three_again(world, world.carol)
    at = reminder_time(clock)
    await remind_on(world, world.carol, at)
    world.emu.remove_member(world.guild, world.carol)
    assert await pass_at(world, clock, at + timedelta(seconds=20)) == 0
    assert dms(world, world.carol) == []
    row = await reminder_row(world, world.carol)
    assert (row["enabled"], row["off_reason"]) == (0, "left")


async def test_remind_on_refuses_a_malformed_time(world, clock) -> None:
    ix = await world.emu.slash(world.alice, world.channel, "remind on", time="7pm")
    reply = await ix.wait_message()
    assert reply.ephemeral and "HH:MM" in reply.text()
    assert await reminder_row(world, world.alice) is None


async def test_remind_on_in_another_server_moves_it_there(world, clock) -> None:
    at = reminder_time(clock)
    await remind_on(world, world.alice, at)
    club = world.emu.add_guild("Book Club")
    room = world.emu.add_channel(club, "reading")
    there = world.emu.add_member(club, user=world.alice.user)
    ix = await world.emu.slash(there, room, "remind on")
    reply = (await ix.wait_message()).text()
    assert "They were tied to **Study Hall**" in reply and "**19:00**" in reply
    row = await reminder_row(world, world.alice)
    assert row["guild_id"] == club.id


async def test_study_now_in_the_dm_counts_for_the_server(world, clock) -> None:
    world.alice.nick = "Ali"  # the server's name for her; a DM knows only her global name
    await study_three_again(world, world.alice)
    at = reminder_time(clock)
    await remind_on(world, world.alice, at)
    assert await pass_at(world, clock, at + timedelta(seconds=20)) == 1
    [reminder] = dms(world, world.alice)

    ix = await world.emu.click(world.alice.user, reminder, "Study now")
    card = await ix.wait_message()
    assert card.channel_id == reminder.channel_id and not card.ephemeral
    assert card.embeds[0]["title"] == DECK_TITLE and labels(card) == ["Reveal", "Stop"]
    assert all(b["custom_id"].endswith(f":{world.guild.id}") for b in card.buttons())
    reviews_before = await world.bot.db.fetchone("SELECT COUNT(*) AS n FROM reviews")

    await press(world, world.alice.user, card, "Reveal")
    assert [label.split(" · ")[0] for label in labels(card)] == ["Again", "Hard", "Good", "Easy", "Stop"]
    await press(world, world.alice.user, card, "Good")
    rows = await world.bot.db.fetchall(
        "SELECT guild_id, user_id, rating FROM reviews ORDER BY id DESC LIMIT 1")
    assert [(r["guild_id"], r["user_id"], r["rating"]) for r in rows] == [(world.guild.id, world.alice.user.id, 3)]
    assert (await world.bot.db.fetchone("SELECT COUNT(*) AS n FROM reviews"))["n"] == reviews_before["n"] + 1
    # The next card's buttons still name the server, and the member's server name is kept on the boards.
    assert all(b["custom_id"].endswith(f":{world.guild.id}") for b in card.buttons())
    name = await world.bot.db.fetchone("SELECT display_name FROM members WHERE guild_id = ? AND user_id = ?",
                                       (world.guild.id, world.alice.user.id))
    assert name["display_name"] == "Ali"


async def test_only_the_process_running_shard_0_sends(world, clock) -> None:
    await study_three_again(world, world.alice)
    at = reminder_time(clock)
    await remind_on(world, world.alice, at)
    world.bot.shards_run = Shards(2, (1,))
    assert await pass_at(world, clock, at + timedelta(seconds=20)) == 0
    assert (await reminder_row(world, world.alice))["next_send_at"] == to_text(at)  # left for shard 0's process
    world.bot.shards_run = Shards(2, (0,))
    assert await pass_at(world, clock, at + timedelta(seconds=20)) == 1


async def test_the_pacer_spaces_calls_by_the_rate() -> None:
    moments = iter([0.0, 0.0, 0.0, 1.0])
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    pacer = Pacer(40.0, clock=lambda: next(moments), sleep=sleep)
    for _ in range(4):
        await pacer.wait()
    # Calls 2 and 3 wait their turn (25 ms apart); call 4 comes long after and goes at once.
    assert slept == [0.025, 0.05]


async def test_remind_off_stops_the_reminder_and_status_says_why(world, clock) -> None:
    await study_three_again(world, world.alice)
    at = reminder_time(clock)
    await remind_on(world, world.alice, at)
    ix = await world.emu.slash(world.alice, world.channel, "remind off")
    assert (await ix.wait_message()).text() == "Reminders are off. Turn them back on with `/remind on`."
    ix = await world.emu.slash(world.alice, world.channel, "remind status")
    assert (await ix.wait_message()).text() == "Reminders are off (you turned them off). Turn them on with `/remind on`."
    assert await pass_at(world, clock, at + timedelta(seconds=20)) == 0
    assert dms(world, world.alice) == []
