"""Milestone roles end to end: /recall-admin roles against the emulator's role hierarchy, and reconcile passes of
the real bot giving and taking roles on the emulated Discord (both backends)."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.core.clock import to_text, utcnow
from bot.emulator import CommandNotAvailable
from bot.emulator import driver as emulator_driver
from bot.emulator import permissions as perms
from bot.services.streaks import record_activity
from bot.store import milestones as store
from bot.store.open import open_database

_round = iter(range(1, 10**6))


@pytest.fixture
def cog(world):
    milestones = world.bot.get_cog("Milestones")
    milestones.roles.pause = 0  # no pacing between role changes in tests
    return milestones


def allow_manage_roles(world) -> None:
    world.emu.world.bot_role(world.guild).permissions |= perms.flag("manage_roles")


def new_role(world, name: str, *, above_bot: bool = False):
    bot_role = world.emu.world.bot_role(world.guild)
    return world.emu.world.add_role(world.guild, name, position=bot_role.position + 1 if above_bot else 1)


async def admin(world, subcommand: str, **options):
    ix = await world.emu.slash(world.admin, world.channel, f"recall-admin roles {subcommand}", **options)
    return await ix.wait_message()


async def study_days(world, member, days_ago: range, db=None) -> None:
    """One activity on each of these past days (0 = today), stored as a study rating stores it (in the bot's
    database, or `db`)."""
    for back in sorted(days_ago, reverse=True):
        at = utcnow() - timedelta(days=back)
        await (db or world.bot.db).atomic(
            lambda conn, at=at: record_activity(conn, world.guild.id, member.user.id, "study", at)
        )


async def give_points(world, member, points: int) -> None:
    at = utcnow() - timedelta(minutes=5)

    async def body(conn) -> None:
        await conn.execute(
            "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, question_id, "
            "letter, choice, correct, response_ms, points, answered_at) VALUES (?, 0, ?, 1, ?, 'd', 'q', 'A', 'x', 1, "
            "900, ?, ?)", (next(_round), world.guild.id, member.user.id, points, to_text(at)),
        )
        await record_activity(conn, world.guild.id, member.user.id, "quiz", at)

    await world.bot.db.atomic(body)


async def test_streak_role_given_at_seven_days_and_taken_back_when_the_streak_breaks(world, cog):
    allow_manage_roles(world)
    role = new_role(world, "Week Warrior")
    reply = await admin(world, "add", role=role, streak=7)
    assert reply.ephemeral and f"<@&{role.id}>" in reply.text() and "a streak of 7 days" in reply.text()
    await study_days(world, world.alice, range(7))
    await study_days(world, world.bob, range(6))
    applied = await cog.full_pass()
    assert applied.given == 1
    assert role.id in world.alice.role_ids and role.id not in world.bob.role_ids
    # Three days without activity: the freeze earned on day 7 covers one, so the streak broke.
    applied = await cog.full_pass(utcnow() + timedelta(days=3))
    assert applied.taken == 1 and role.id not in world.alice.role_ids
    assert await store.load_grants(world.bot.db, world.guild.id) == set()


async def test_quick_pass_gives_the_role_to_members_just_active(world, cog):
    allow_manage_roles(world)
    role = new_role(world, "Quizzer")
    await admin(world, "add", role=role, points=1000, window="week")
    await give_points(world, world.carol, 1200)
    await give_points(world, world.bob, 400)
    applied = await cog.quick_pass(utcnow() - timedelta(minutes=10))
    assert applied.given == 1 and role.id in world.carol.role_ids and role.id not in world.bob.role_ids


async def test_without_manage_roles_the_command_says_so_and_nothing_changes(world, cog):
    role = new_role(world, "Week Warrior")
    await study_days(world, world.alice, range(7))
    reply = await admin(world, "add", role=role, streak=7)
    assert reply.ephemeral and "**Manage Roles**" in reply.text() and "Nothing was changed." in reply.text()
    assert await store.load_milestones(world.bot.db, world.guild.id) == []
    assert (await cog.full_pass()).given == 0
    assert role.id not in world.alice.role_ids


async def test_a_role_above_the_bots_is_refused_with_how_to_fix_it(world, cog):
    allow_manage_roles(world)
    role = new_role(world, "Staff", above_bot=True)
    reply = await admin(world, "add", role=role, streak=3)
    bot_role = world.emu.world.bot_role(world.guild)
    assert f"<@&{role.id}> is not below Recall's highest role (<@&{bot_role.id}>)" in reply.text()
    assert "Nothing was changed." in reply.text()
    assert await store.load_milestones(world.bot.db, world.guild.id) == []


async def test_everyone_a_managed_role_and_a_missing_milestone_are_refused(world):
    allow_manage_roles(world)
    reply = await admin(world, "add", role=world.guild.everyone, streak=3)
    assert "@everyone is every member's role already" in reply.text()
    bot_role = world.emu.world.bot_role(world.guild)
    reply = await admin(world, "add", role=bot_role, streak=3)
    assert f"<@&{bot_role.id}> is managed by an integration" in reply.text()
    role = new_role(world, "Regular")
    reply = await admin(world, "add", role=role)
    assert "Give the milestone" in reply.text()
    reply = await admin(world, "add", role=role, streak=3, points=100)
    assert "not both" in reply.text()
    assert await store.load_milestones(world.bot.db, world.guild.id) == []


async def test_list_shows_the_milestones_and_remove_takes_back_only_what_recall_gave(world, cog):
    allow_manage_roles(world)
    streak_role, points_role = new_role(world, "Steady"), new_role(world, "Scholar")
    empty = await admin(world, "list")
    assert "No milestone roles are set up" in empty.text()
    await admin(world, "add", role=streak_role, streak=2)
    await admin(world, "add", role=points_role, points=10000)
    listed = await admin(world, "list")
    assert listed.ephemeral
    assert listed.embeds[0]["description"].splitlines() == [
        f"<@&{points_role.id}> — 10,000 quiz points all time",
        f"<@&{streak_role.id}> — a streak of 2 days",
    ]
    await study_days(world, world.alice, range(2))
    world.bob.role_ids.append(streak_role.id)  # given by hand, not by Recall
    await cog.full_pass()
    assert streak_role.id in world.alice.role_ids
    reply = await admin(world, "remove", role=streak_role)
    assert "no longer gives" in reply.text() and "members who got it another way keep it" in reply.text()
    assert cog.changed == {world.guild.id}
    await cog.quick_pass(utcnow())
    assert streak_role.id not in world.alice.role_ids and streak_role.id in world.bob.role_ids
    again = await admin(world, "remove", role=streak_role)
    assert "is not a milestone role" in again.text()
    listed = await admin(world, "list")
    assert listed.embeds[0]["description"] == f"<@&{points_role.id}> — 10,000 quiz points all time"


async def test_a_member_who_left_loses_the_grant_and_a_deleted_role_is_forgotten(world, cog):
    allow_manage_roles(world)
    role = new_role(world, "Steady")
    await admin(world, "add", role=role, streak=1)
    await study_days(world, world.alice, range(1))
    await study_days(world, world.bob, range(1))
    del world.guild.members[world.bob.user.id]  # bob left the server
    applied = await cog.full_pass()
    assert applied.given == 1 and role.id in world.alice.role_ids
    assert await store.load_grants(world.bot.db, world.guild.id) == {(world.alice.user.id, role.id)}
    del world.guild.roles[role.id]  # an admin deleted the role
    await study_days(world, world.carol, range(1))
    await cog.full_pass()
    assert await store.load_milestones(world.bot.db, world.guild.id) == []
    assert await store.load_grants(world.bot.db, world.guild.id) == set()


async def test_members_without_manage_server_cannot_add_roles(world, monkeypatch):
    allow_manage_roles(world)
    role = new_role(world, "Regular")
    with pytest.raises(CommandNotAvailable):  # hidden by the command's default permissions
        await world.emu.slash(world.alice, world.channel, "recall-admin roles add", role=role, streak=1)
    # A server may grant the command to everyone in its integration settings: the bot checks again.
    monkeypatch.setattr(emulator_driver, "check_member_can_use", lambda *args: None)
    ix = await world.emu.slash(world.alice, world.channel, "recall-admin roles add", role=role, streak=1)
    reply = await ix.wait_message()
    assert "You need the **Manage Server** permission" in reply.text()
    assert await store.load_milestones(world.bot.db, world.guild.id) == []


async def test_discord_refusing_a_change_leaves_the_grant_as_the_role_really_is(world, cog):
    allow_manage_roles(world)
    role = new_role(world, "Steady")
    await admin(world, "add", role=role, streak=1)
    await study_days(world, world.alice, range(1))
    await cog.full_pass()
    assert role.id in world.alice.role_ids
    world.emu.world.bot_role(world.guild).permissions &= ~perms.flag("manage_roles")  # an admin took it away
    applied = await cog.full_pass(utcnow() + timedelta(days=3))
    assert applied.refused == 1 and role.id in world.alice.role_ids
    assert await store.load_grants(world.bot.db, world.guild.id) == {(world.alice.user.id, role.id)}
    allow_manage_roles(world)  # given back: the next pass takes the role back
    assert (await cog.full_pass(utcnow() + timedelta(days=3))).taken == 1
    assert role.id not in world.alice.role_ids


async def test_a_restart_reconciles_at_start_up(world):
    allow_manage_roles(world)
    role = new_role(world, "Steady")
    await admin(world, "add", role=role, streak=2)
    await world.stop_bot()
    # Activity the stopped bot never saw (another process stored it): the start-up pass gives the role.
    db = await open_database(world.settings)
    try:
        await study_days(world, world.alice, range(2), db)
    finally:
        await db.close()
    await world.start_bot()
    given = {(world.alice.user.id, role.id)}
    for _ in range(200):  # the pass runs in the bot's own task: wait for its last step, the grant
        if await store.load_grants(world.bot.db, world.guild.id) == given:
            break
        await asyncio.sleep(0.05)
    assert await store.load_grants(world.bot.db, world.guild.id) == given
    assert role.id in world.alice.role_ids
