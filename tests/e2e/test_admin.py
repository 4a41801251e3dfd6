"""/recall-admin end to end: Manage Server only (hidden by Discord and checked by the bot), settings, board reset."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import to_text, utcnow
from bot.emulator import CommandNotAvailable
from bot.emulator import driver as emulator_driver
from bot.services.streaks import record_activity
from bot.store.guilds import get_guild_settings
from bot.store.members import remember_member
from bot.ui.replies import FAILED

SUBCOMMANDS = {
    "recall-admin timezone": {"zone": "Europe/Berlin"},
    "recall-admin daily-minimum": {"count": 3},
    "recall-admin retention": {"value": 0.85},
    "recall-admin new-cards": {"count": 5},
    "recall-admin reset-leaderboard": {},
    "recall-admin memory-model": {},
    "recall-admin language": {"language": "de"},
    "recall-admin daily-challenge off": {},
    "recall-admin daily-challenge status": {},
    "recall-admin roles list": {},
}
# Subcommands whose required options name things this module's world does not set up (a channel, a deck, a role):
# their refusal comes from the same check as the ones above, before any option is read.
NEEDS_SETUP = {"recall-admin daily-challenge on", "recall-admin roles add", "recall-admin roles remove"}


def test_every_admin_subcommand_is_checked(world):
    group = world.bot.tree.get_command("recall-admin")
    names = {command.qualified_name for command in group.walk_commands() if not hasattr(command, "walk_commands")}
    assert names == set(SUBCOMMANDS) | NEEDS_SETUP


async def run(world, member, command: str, **options):
    ix = await world.emu.slash(member, world.channel, command, **options)
    return await ix.wait_message()


async def settings(world):
    return await get_guild_settings(world.bot.db, world.guild.id)


@pytest.mark.parametrize("command", SUBCOMMANDS)
async def test_discord_hides_admin_commands_from_members_without_manage_server(world, command):
    with pytest.raises(CommandNotAvailable):
        await world.emu.slash(world.alice, world.channel, command, **SUBCOMMANDS[command])


@pytest.mark.parametrize("command", SUBCOMMANDS)
async def test_the_bot_refuses_them_too_when_a_server_grants_the_command(world, command, monkeypatch):
    # A server can allow the command for everyone in its integration settings; the bot still checks.
    monkeypatch.setattr(emulator_driver, "check_member_can_use", lambda *args: None)
    before = await settings(world)
    reply = await run(world, world.alice, command, **SUBCOMMANDS[command])
    assert reply.ephemeral
    assert "You need the **Manage Server** permission" in reply.text()
    assert await settings(world) == before


async def test_admin_sets_the_server_timezone_and_streaks_are_recounted(world):
    # 23:30 UTC yesterday and 00:30 UTC today: two UTC days, one day in New York.
    now = utcnow()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)

    async def body(conn) -> None:
        await remember_member(conn, world.guild.id, world.bob.user.id, "bob")
        await record_activity(conn, world.guild.id, world.bob.user.id, "study", midnight - timedelta(minutes=30))
        await record_activity(conn, world.guild.id, world.bob.user.id, "study", midnight + timedelta(minutes=30))

    await world.bot.db.atomic(body)
    row = await world.bot.db.fetchone("SELECT current, timezone FROM streaks WHERE user_id = ?", (world.bob.user.id,))
    assert (row["current"], row["timezone"]) == (2, "UTC")

    choices = await world.emu.autocomplete(world.admin, world.channel, "recall-admin timezone", "zone", "new_y")
    assert choices[0]["value"] == "America/New_York"
    reply = await run(world, world.admin, "recall-admin timezone", zone="America/New_York")
    assert reply.ephemeral and "**America/New_York**" in reply.text()
    assert (await settings(world)).timezone == "America/New_York"
    row = await world.bot.db.fetchone("SELECT current, timezone FROM streaks WHERE user_id = ?", (world.bob.user.id,))
    assert (row["current"], row["timezone"]) == (1, "America/New_York")

    bad = await run(world, world.admin, "recall-admin timezone", zone="Atlantis/Capital")
    assert "not a timezone I know" in bad.text()
    assert (await settings(world)).timezone == "America/New_York"


async def test_daily_minimum_retention_and_new_cards(world):
    reply = await run(world, world.admin, "recall-admin daily-minimum", count=3)
    assert "**3 activities**" in reply.text()
    reply = await run(world, world.admin, "recall-admin retention", value=0.85)
    assert "**85%**" in reply.text()
    reply = await run(world, world.admin, "recall-admin new-cards", count=7)
    assert "**7**" in reply.text()
    stored = await settings(world)
    assert (stored.daily_minimum, stored.desired_retention, stored.new_card_limit) == (3, 0.85, 7)
    with pytest.raises(CommandNotAvailable):  # Discord enforces the option's range
        await world.emu.slash(world.admin, world.channel, "recall-admin retention", value=0.5)


async def add_points(world, user_id: int, name: str, points: int) -> None:
    async def body(conn) -> None:
        await conn.execute(
            "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, question_id, "
            "letter, choice, correct, response_ms, points, answered_at) "
            "VALUES (?, 0, ?, 1, ?, 'd', 'q', 'A', 'x', 1, 900, ?, ?)",
            (user_id + points, world.guild.id, user_id, points, to_text(utcnow() - timedelta(seconds=5))),
        )
        await remember_member(conn, world.guild.id, user_id, name)

    await world.bot.db.atomic(body)


async def board_lines(world, member, **options) -> list[str]:
    message = await run(world, member, "leaderboard", **options)
    return message.embeds[0]["description"].splitlines()


async def test_reset_leaderboard_needs_a_confirm_and_keeps_history(world):
    await add_points(world, world.bob.user.id, "bob", 800)
    assert await board_lines(world, world.bob, period="all") == ["🥇 bob — 800 pts"]

    prompt = await run(world, world.admin, "recall-admin reset-leaderboard")
    assert prompt.ephemeral and "is kept" in prompt.text()
    ix = await world.emu.click(world.admin, prompt, label="Cancel")
    await ix.wait_message()
    assert "Nothing was reset" in prompt.text()
    assert (await settings(world)).board_reset_at is None

    prompt = await run(world, world.admin, "recall-admin reset-leaderboard")
    ix = await world.emu.click(world.admin, prompt, label="Reset the leaderboard")
    await ix.wait_message()
    assert "were reset" in prompt.text() and prompt.buttons() == []
    assert (await settings(world)).board_reset_at is not None

    for period in ("week", "all"):
        assert "No quiz points yet" in (await run(world, world.bob, "leaderboard", period=period)).text()
    kept = await world.bot.db.fetchone("SELECT COUNT(*) AS n FROM quiz_answers WHERE guild_id = ?", (world.guild.id,))
    assert kept["n"] == 1
    await add_points(world, world.carol.user.id, "carol", 300)
    await world.restart_bot()  # the reset is stored, not remembered
    assert await board_lines(world, world.carol, period="all") == ["🥇 carol — 300 pts"]


async def test_a_failing_reset_is_answered_privately_and_changes_nothing(world, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(world.bot.services.progress, "reset_boards", broken)
    prompt = await run(world, world.admin, "recall-admin reset-leaderboard")
    ix = await world.emu.click(world.admin, prompt, label="Reset the leaderboard")
    reply = await ix.wait_message()
    assert reply.ephemeral and reply.visible_to == world.admin.user.id and reply.text() == FAILED
    assert (await settings(world)).board_reset_at is None
    assert not world.emu.failed_interactions


async def test_a_reset_confirmed_after_losing_manage_server_is_refused_privately(world):
    prompt = await run(world, world.admin, "recall-admin reset-leaderboard")
    world.emu.set_channel_permissions(world.channel, world.admin, deny=["manage_guild"])
    ix = await world.emu.click(world.admin, prompt, label="Reset the leaderboard")
    reply = await ix.wait_message()
    assert reply.ephemeral and "You need the **Manage Server** permission" in reply.text()
    assert (await settings(world)).board_reset_at is None


async def test_retention_and_new_cards_tell_the_study_service_to_forget(world, monkeypatch):
    told = []
    monkeypatch.setattr(world.bot.services.progress, "on_settings_change", told.append)
    await run(world, world.admin, "recall-admin retention", value=0.8)
    await run(world, world.admin, "recall-admin new-cards", count=3)
    await run(world, world.admin, "recall-admin timezone", zone="Asia/Tokyo")
    assert told == [world.guild.id] * 3
