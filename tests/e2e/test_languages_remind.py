"""/remind and the reminder DM in the member's language: every text through the catalogs (the pseudo-language of
tests/pseudo.py), and the DM in the language the member's client had at /remind on, since a DM answers no
interaction."""
from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.core.reminders import DeckDue, ReminderContent, StreakRisk, reminder_lines
from bot.core.translation import speaking
from bot.ui.reminders import DMS_CLOSED_NOTE, NEVER_ON, OFF, OFF_BECAUSE, WAS_OFF
from tests import pseudo as pseudo_language
from tests.e2e.test_remind import DECK_TITLE, clock, dms, pass_at, reminder_row, reminder_time, study_three_again
from tests.pseudo import leftovers, plain, pseudo as translated

__all__ = ["clock"]  # the fixture, shared with test_remind

ENGLISH_CLIENT = "en-US"


async def reply(world: Any, member: Any, command: str, **options: Any) -> Any:
    ix = await world.emu.slash(member, world.channel, command, **options)
    return await ix.wait_message()


def study_now_id(message: Any) -> str:
    [button] = message.buttons()
    assert button["custom_id"].startswith("remind:study:"), button
    return button["custom_id"]


async def test_remind_and_its_dm_speak_the_members_language(world: Any, clock: Any, pseudo: Any) -> None:
    # Cards to study, made due (the /study flow is not what this test sweeps: its messages are set aside).
    world.alice.user.locale = ENGLISH_CLIENT
    await study_three_again(world, world.alice)
    world.alice.user.locale = pseudo_language.PSEUDO_LOCALE
    pseudo.bodies.clear()

    assert (await reply(world, world.alice, "remind status")).text() == translated(NEVER_ON)
    assert (await reply(world, world.alice, "remind off")).text() == translated(WAS_OFF)
    refusal = await reply(world, world.alice, "remind on", time="7pm")
    assert refusal.ephemeral and leftovers(refusal.text()) == "", refusal.text()
    at = reminder_time(clock)
    turned_on = await reply(world, world.alice, "remind on", time=at.strftime("%H:%M"))
    assert f"**{at:%H:%M}**" in plain(turned_on.text()) and leftovers(turned_on.text(), ["UTC"]) == ""
    status = await reply(world, world.alice, "remind status")
    assert "**Study Hall**" in plain(status.text()) and leftovers(status.text(), ["Study Hall"]) == ""

    # Her client speaks English now: the DMs keep the language she turned them on in.
    world.alice.user.locale = ENGLISH_CLIENT
    assert (await reminder_row(world, world.alice))["language"] == pseudo_language.PSEUDO
    assert await pass_at(world, clock, at + timedelta(seconds=20)) == 1
    assert await pass_at(world, clock, at + timedelta(days=1, seconds=20)) == 1
    sent = dms(world, world.alice)
    assert len(sent) == 2
    for message in sent:
        assert message.embeds[0]["title"] == translated("Time to study · {server}").format(server="Study Hall")
        assert [b["label"] for b in message.buttons()] == [translated("Study now")]
    lines = [line for m in sent for line in m.embeds[0]["description"].split("\n")]
    # Cards due in each; the streak from studying today is at risk in exactly one of the two days' reminders.
    assert len(lines) == 3 and sum(DECK_TITLE in line for line in lines) == 2, lines

    world.alice.user.locale = pseudo_language.PSEUDO_LOCALE
    assert (await reply(world, world.alice, "remind off")).text() == translated(OFF)
    assert (await reply(world, world.alice, "remind status")).text() == translated(OFF_BECAUSE["user"])

    # DMs closed: switched off, and the note at her next command.
    await reply(world, world.alice, "remind on", time=at.strftime("%H:%M"))
    world.emu.set_dms_open(world.alice, False)
    assert await pass_at(world, clock, at + timedelta(days=2, seconds=20)) == 0
    note = asyncio.ensure_future(world.emu.wait_for_message(lambda m: m.text() == translated(DMS_CLOSED_NOTE)))
    await asyncio.sleep(0)
    ix = await world.emu.slash(world.alice, world.channel, "remind status")
    assert (await ix.wait_message()).text() == translated(OFF_BECAUSE["dms_closed"])
    assert (await note).ephemeral
    world.emu.set_dms_open(world.alice, True)

    # Turned on in another server: the reply says where it was tied before.
    club = world.emu.add_guild("Book Club")
    there = world.emu.add_member(club, user=world.alice.user)
    ix = await world.emu.slash(there, world.emu.add_channel(club, "reading"), "remind on")
    moved = (await ix.wait_message()).text()
    assert "**Study Hall**" in plain(moved) and leftovers(moved, ["Study Hall", "UTC"]) == "", moved

    pseudo.check(allowed=[DECK_TITLE, "Study Hall", "UTC"])

    # Study now, clicked in the DM, opens the server's first due card there (the card's texts are /study's).
    ix = await world.emu.click(world.alice.user, sent[0], custom_id=study_now_id(sent[0]))
    card = await ix.wait_message()
    assert card.channel_id == sent[0].channel_id and card.embeds[0]["title"] == DECK_TITLE


async def test_a_reminder_turned_on_in_english_stays_english_on_a_pseudo_server(world: Any, clock: Any,
                                                                               pseudo: Any) -> None:
    world.alice.user.locale = ENGLISH_CLIENT
    await study_three_again(world, world.alice)
    at = reminder_time(clock)
    await reply(world, world.alice, "remind on", time=at.strftime("%H:%M"))
    world.alice.user.locale = pseudo_language.PSEUDO_LOCALE
    assert await pass_at(world, clock, at + timedelta(seconds=20)) == 1
    [message] = dms(world, world.alice)
    assert message.embeds[0]["title"] == "Time to study · Study Hall"
    assert [b["label"] for b in message.buttons()] == ["Study now"]


def test_every_reminder_line_form_is_translated() -> None:
    pseudo_language.register()
    try:
        content = ReminderContent(
            (DeckDue("Deck A", 1234), DeckDue("Deck B", 1)),
            StreakRisk(days=1000, left=timedelta(minutes=90), needed=2),
        )
        one = ReminderContent((), StreakRisk(days=1, left=timedelta(hours=5), needed=1))
        with speaking(pseudo_language.PSEUDO):
            lines = reminder_lines(content) + reminder_lines(one)
        assert all(leftovers(line, ["Deck A", "Deck B"]) == "" for line in lines), lines
        assert "1,234" in lines[0] and "1,000" in lines[2]
    finally:
        pseudo_language.unregister()
