"""Giving and taking roles through the emulator: Discord's hierarchy rule, its errors, the member as it then reads."""

from __future__ import annotations

import discord
import pytest

from bot.emulator import Emulator
from bot.emulator import permissions as perms
from bot.emulator.state import World

from .conftest import Server, TinyBot


def give_bot_manage_roles(world: World, server: Server) -> None:
    world.bot_role(server.guild).permissions |= perms.flag("manage_roles")


async def member_roles(bot: TinyBot, server: Server) -> list[int]:
    data = await bot.http.get_member(server.guild.id, server.alice.id)
    return [int(r) for r in data["roles"]]


def test_new_roles_start_at_the_bottom_and_push_others_up() -> None:
    world = World()
    guild = world.add_guild("Hall")
    bot_role = world.bot_role(guild)
    low = world.add_role(guild, "Regular")
    assert (low.position, bot_role.position) == (1, 2)
    high = world.add_role(guild, "Staff", position=bot_role.position + 1)
    assert high.position == 3 and bot_role.position == 2


def test_hierarchy_rule_position_then_age() -> None:
    world = World()
    guild = world.add_guild("Hall")
    bot_id = world.bot_user.id
    low = world.add_role(guild, "Regular")
    assert not perms.can_assign(guild, bot_id, low)  # below, but no Manage Roles yet
    world.bot_role(guild).permissions |= perms.flag("manage_roles")
    assert perms.can_assign(guild, bot_id, low)
    assert not perms.can_assign(guild, bot_id, world.bot_role(guild))  # its own top role is not below itself
    assert not perms.can_assign(guild, bot_id, guild.everyone)
    same = world.add_role(guild, "Twin", position=world.bot_role(guild).position)
    same.position = world.bot_role(guild).position  # two roles at one position: the older one (lower id) is higher
    assert not perms.can_assign(guild, bot_id, world.bot_role(guild)) and perms.can_assign(guild, bot_id, same)
    assert perms.can_assign(guild, guild.owner_id, world.bot_role(guild))


async def test_add_and_remove_a_role_below_the_bot(emu: Emulator, server: Server, bot: TinyBot) -> None:
    give_bot_manage_roles(emu.world, server)
    role = emu.world.add_role(server.guild, "Regular")
    await bot.http.add_role(server.guild.id, server.alice.id, role.id, reason="milestone")
    assert role.id in server.alice.role_ids and role.id in await member_roles(bot, server)
    await bot.http.add_role(server.guild.id, server.alice.id, role.id)  # again: no error, still once
    assert server.alice.role_ids.count(role.id) == 1
    await bot.http.remove_role(server.guild.id, server.alice.id, role.id)
    assert role.id not in server.alice.role_ids and role.id not in await member_roles(bot, server)


async def test_without_manage_roles_is_forbidden(emu: Emulator, server: Server, bot: TinyBot) -> None:
    role = emu.world.add_role(server.guild, "Regular")
    with pytest.raises(discord.Forbidden) as caught:
        await bot.http.add_role(server.guild.id, server.alice.id, role.id)
    assert caught.value.code == 50013
    assert role.id not in server.alice.role_ids


async def test_a_role_above_the_bot_is_forbidden(emu: Emulator, server: Server, bot: TinyBot) -> None:
    give_bot_manage_roles(emu.world, server)
    role = emu.world.add_role(server.guild, "Staff", position=emu.world.bot_role(server.guild).position + 1)
    server.alice.role_ids.append(role.id)
    for change in (bot.http.add_role, bot.http.remove_role):
        with pytest.raises(discord.Forbidden) as caught:
            await change(server.guild.id, server.alice.id, role.id)
        assert caught.value.code == 50013
    assert role.id in server.alice.role_ids


async def test_unknown_member_and_unknown_role(emu: Emulator, server: Server, bot: TinyBot) -> None:
    give_bot_manage_roles(emu.world, server)
    role = emu.world.add_role(server.guild, "Regular")
    with pytest.raises(discord.NotFound) as caught:
        await bot.http.add_role(server.guild.id, 12345, role.id)
    assert caught.value.code == 10007
    with pytest.raises(discord.NotFound) as caught:
        await bot.http.remove_role(server.guild.id, server.alice.id, 12345)
    assert caught.value.code == 10011
