"""The daily challenge and milestone roles in the pseudo-language (tests/pseudo.py): every reply of
/recall-admin daily-challenge and /recall-admin roles, their refusals, the note after the bot turned the challenge
off, the announcement the challenge posts in its channel and the audit-log reason of a role change went through the
catalogs. The round after the announcement is /quiz's (its own sweep)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.core.challenge import OFF_CHANNEL, OFF_DECK, permissions_reason
from bot.core.milestones import Kind, Milestone, Window
from bot.core.translation import speaking
from bot.emulator import driver as emulator_driver
from bot.ui.challenge import announcement_embed, off_note_text, off_reason_text
from bot.ui.milestones import milestone_text
from tests.e2e.test_challenge import SIX_PM, delete_channel, run_pass, turn_on
from tests.e2e.test_milestones import allow_manage_roles, new_role, study_days
from tests.e2e.test_quiz import (  # noqa: F401  clock is a fixture
    DECK,
    PinnedClock,
    bot_messages,
    clock,
    posted,
    until,
    window,
)
from tests.pseudo import PSEUDO, leftovers, message_texts, pseudo as pseudo_text


@pytest.fixture
def world(clock: PinnedClock, world: Any) -> Any:
    """The clock pinned before the bot starts, as in tests/e2e/test_challenge.py."""
    return world


def deck_texts(world: Any) -> list[str]:
    deck = world.bot.decks.get(world.guild.id, DECK)
    return [deck.title, deck.id]


async def admin(world: Any, command: str, member: Any = None, **options: Any) -> Any:
    ix = await world.emu.slash(member or world.admin, world.channel, f"recall-admin {command}", **options)
    return await ix.wait_message()


def untranslated(texts: list[str], allowed: list[str]) -> list[str]:
    return [f"{leftovers(t, allowed)!r} in {t[:120]!r}" for t in texts if leftovers(t, allowed)]


async def test_daily_challenge_commands_refusals_and_notes(world: Any, clock: PinnedClock, pseudo: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    await admin(world, "daily-challenge status")  # not set up
    bad_time = await turn_on(world, time="6pm")
    assert bad_time.ephemeral
    locked = world.emu.add_channel(world.guild, "locked", bot_deny=["send_messages", "add_reactions"])
    await until(lambda: world.bot.get_channel(locked.id) is not None, what="the bot to see the channel")
    await turn_on(world, locked)  # missing permissions, named

    room = world.emu.add_channel(world.guild, "quiz-room")
    await until(lambda: world.bot.get_channel(room.id) is not None, what="the bot to see the channel")
    await turn_on(world, room, questions=3)
    await admin(world, "daily-challenge status")  # on, next run
    await delete_channel(world, room)
    clock.now = SIX_PM + timedelta(seconds=10)
    assert await run_pass(world) == 0
    # Another /recall-admin command brings the note as a follow-up; status then says why it is off.
    ix = await world.emu.slash(world.admin, world.channel, "recall-admin roles list")
    await ix.wait_message()
    note = await until(lambda: ix.followups, what="the note after /recall-admin roles list")
    assert note[0].ephemeral and leftovers(note[0].text()) == "", note[0].text()
    await admin(world, "daily-challenge status")

    await turn_on(world, questions=1)
    world.emu.set_bot_permissions(world.channel, deny=["add_reactions"])
    await until(lambda: not world.bot.get_channel(world.channel.id).permissions_for(
        world.bot.get_guild(world.guild.id).me).add_reactions, what="the bot to see the overwrite")
    clock.now = SIX_PM + timedelta(days=1)
    assert await run_pass(world) == 0
    missing = await admin(world, "daily-challenge status")  # the note (missing Add Reactions) above the status
    assert pseudo_text("Add Reactions") in missing.text(), missing.text()
    await admin(world, "daily-challenge off")  # already off
    world.emu.set_bot_permissions(world.channel)
    await turn_on(world)
    await admin(world, "daily-challenge off")  # turned off
    await admin(world, "daily-challenge status")  # off, no reason

    monkeypatch.setattr(emulator_driver, "check_member_can_use", lambda *args: None)
    refused = await admin(world, "daily-challenge off", member=world.alice)  # no Manage Server
    assert refused.ephemeral
    pseudo.check(allowed=deck_texts(world) + ["UTC", "locked", "quiz-room"])


async def test_the_challenge_posts_its_announcement_in_the_servers_language(
    world: Any, clock: PinnedClock, pseudo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    window(monkeypatch, 0.6)
    await turn_on(world)
    clock.now = SIX_PM + timedelta(seconds=5)
    await run_pass(world)
    title = pseudo_text("📅 Daily challenge")
    announcement = await posted(world, title)
    quiz = world.bot.get_cog("Quiz")
    await until(lambda: not quiz.sessions, timeout=15, what="the round to end")
    texts = list(message_texts({"embeds": announcement.embeds}))
    assert texts and not untranslated(texts, deck_texts(world)), untranslated(texts, deck_texts(world))
    assert len(bot_messages(world, title)) == 1
    # The whole round after it (the quiz's texts) in the server's language too.
    deck = world.bot.decks.get(world.guild.id, DECK)
    questions = [text for q in deck.quiz for text in (q.question, q.explanation, *q.choices)]
    pseudo.check(allowed=deck_texts(world) + questions)

    # The other forms of the announcement and a reason only a removed deck gives.
    with speaking(PSEUDO):
        embeds = [announcement_embed(deck, questions=n, seconds=20, local_time=SIX_PM.time(), late=late,
                                     removes_reactions=removes)
                  for n, late, removes in ((1, True, True), (3, False, False))]
        note = off_note_text(OFF_DECK)
        # Filled into a translated sentence, where the markers around the sentence would hide them.
        reasons = [off_reason_text(r) for r in (OFF_CHANNEL, OFF_DECK, permissions_reason(["Add Reactions"]))]
    texts = [t for embed in embeds for t in message_texts({"embeds": [embed.to_dict()]})] + [note]
    texts += reasons
    assert not untranslated(texts, deck_texts(world)), untranslated(texts, deck_texts(world))


async def test_milestone_roles_commands_refusals_and_audit_reason(
    world: Any, pseudo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cog = world.bot.get_cog("Milestones")
    cog.roles.pause = 0
    role = new_role(world, "Steady")
    await admin(world, "roles list")  # none yet
    await admin(world, "roles add", role=role, streak=7)  # no Manage Roles
    allow_manage_roles(world)
    await admin(world, "roles add", role=role)  # no milestone
    await admin(world, "roles add", role=role, streak=3, points=100)  # two
    await admin(world, "roles add", role=role, streak=3, window="week")  # window without points
    await admin(world, "roles add", role=world.guild.everyone, streak=3)
    await admin(world, "roles add", role=world.emu.world.bot_role(world.guild), streak=3)  # managed
    staff = new_role(world, "Staff", above_bot=True)
    above = await admin(world, "roles add", role=staff, streak=3)  # the role hierarchy
    assert f"<@&{staff.id}>" in above.text()

    await admin(world, "roles add", role=role, streak=1)
    weekly, monthly, ever = new_role(world, "Weekly"), new_role(world, "Monthly"), new_role(world, "Scholar")
    await admin(world, "roles add", role=weekly, points=1, window="week")
    await admin(world, "roles add", role=monthly, points=2500, window="month")
    await admin(world, "roles add", role=ever, points=10000)
    listed = await admin(world, "roles list")
    assert len(listed.embeds[0]["description"].splitlines()) == 4

    reasons: list[str] = []
    real_add_role = cog.roles.http.add_role

    async def add_role(*args: Any, reason: str | None = None, **kwargs: Any) -> Any:
        reasons.append(reason or "")
        return await real_add_role(*args, reason=reason, **kwargs)

    monkeypatch.setattr(cog.roles.http, "add_role", add_role)
    await study_days(world, world.alice, range(1))
    assert (await cog.full_pass()).given == 1
    assert reasons and not untranslated(reasons, []), reasons

    with speaking(PSEUDO):  # filled into translated sentences, where the sentence's markers would hide them
        kinds = [milestone_text(Milestone(1, Kind.STREAK, 7))]
        kinds += [milestone_text(Milestone(1, Kind.POINTS, 1, w)) for w in Window]
    assert not untranslated(kinds, []), kinds

    await admin(world, "roles remove", role=role)
    await admin(world, "roles remove", role=role)  # not a milestone any more
    gone = new_role(world, "Gone")
    del world.guild.roles[gone.id]  # deleted on Discord a moment ago
    await admin(world, "roles add", role=gone, streak=2)
    monkeypatch.setattr(emulator_driver, "check_member_can_use", lambda *args: None)
    refused = await admin(world, "roles add", member=world.alice, role=role, streak=1)  # no Manage Server
    assert refused.ephemeral
    pseudo.check(allowed=["Steady", "Staff", "Weekly", "Monthly", "Scholar", "Gone", world.guild.name])
