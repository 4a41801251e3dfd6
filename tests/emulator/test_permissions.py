"""Discord's permission algorithm as the emulator computes it (pure, no network)."""

from __future__ import annotations

from bot.emulator import permissions as perms
from bot.emulator.state import Overwrite, World


def make_world() -> tuple[World, object]:
    world = World()
    guild = world.add_guild("Hall")
    return world, guild


def test_everyone_defaults_apply_to_a_plain_member() -> None:
    world, guild = make_world()
    channel = world.add_channel(guild, "general")
    alice = world.add_member(guild, "alice")
    allowed = world.permissions_in(channel, alice.id)
    assert perms.has(allowed, "send_messages") and perms.has(allowed, "add_reactions")
    assert not perms.has(allowed, "manage_messages") and not perms.has(allowed, "manage_guild")


def test_member_overwrite_beats_role_overwrite_beats_everyone() -> None:
    world, guild = make_world()
    channel = world.add_channel(guild, "general")
    role = world.role_with(guild, "Helpers", 0)
    alice = world.add_member(guild, "alice", role_ids=[role.id])
    channel.overwrites[guild.id] = Overwrite(guild.id, 0, deny=perms.flag("send_messages"))
    assert not perms.has(world.permissions_in(channel, alice.id), "send_messages")
    channel.overwrites[role.id] = Overwrite(role.id, 0, allow=perms.flag("send_messages"))
    assert perms.has(world.permissions_in(channel, alice.id), "send_messages")
    channel.overwrites[alice.id] = Overwrite(alice.id, 1, deny=perms.flag("send_messages"))
    assert not perms.has(world.permissions_in(channel, alice.id), "send_messages")


def test_implicit_denials_without_view_or_send() -> None:
    world, guild = make_world()
    channel = world.add_channel(guild, "general")
    bot_id = world.bot_user.id
    channel.overwrites[bot_id] = Overwrite(bot_id, 1, deny=perms.flag("send_messages"))
    allowed = world.permissions_in(channel, bot_id)
    assert perms.has(allowed, "view_channel") and not perms.has(allowed, "embed_links")
    channel.overwrites[bot_id] = Overwrite(bot_id, 1, deny=perms.flag("view_channel"))
    assert world.permissions_in(channel, bot_id) == 0


def test_administrator_and_owner_bypass_overwrites() -> None:
    world, guild = make_world()
    channel = world.add_channel(guild, "general")
    admin = world.add_member(guild, "root", role_ids=[world.role_with(guild, "Admin", perms.flag("administrator")).id])
    channel.overwrites[admin.id] = Overwrite(admin.id, 1, deny=perms.flag("view_channel"))
    assert world.permissions_in(channel, admin.id) == perms.ALL
    assert world.permissions_in(channel, guild.owner_id) == perms.ALL


def test_non_member_has_no_permissions() -> None:
    world, guild = make_world()
    channel = world.add_channel(guild, "general")
    stranger = world.add_member(world.add_guild("Elsewhere"), "stranger")
    assert world.permissions_in(channel, stranger.id) == 0


def test_snowflakes_increase_and_look_real() -> None:
    world = World()
    ids = [world.ids.next() for _ in range(1000)]
    assert ids == sorted(set(ids)) and ids[0] > 2**40


def test_bit_table_matches_discord_py_names() -> None:
    import discord

    for name, bit in perms.PERMISSION_BITS.items():
        assert getattr(discord.Permissions, name).flag == 1 << bit, name
