"""Direct messages to members who closed them, and members leaving a server, as Discord answers them."""

from __future__ import annotations

import discord
import pytest

from bot.emulator import Emulator

from .conftest import Server, TinyBot


async def test_a_user_who_closed_dms_gets_403_50007_and_nothing_is_stored(
    emu: Emulator, server: Server, bot: TinyBot
) -> None:
    channel = await bot.create_dm(discord.Object(server.alice.id))  # opening the channel still works, as on Discord
    emu.set_dms_open(server.alice, False)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("your reminder")
    assert (refused.value.status, refused.value.code) == (403, 50007)
    assert emu.messages(emu.dm_channel(server.alice)) == []

    emu.set_dms_open(server.alice, True)
    await channel.send("your reminder")
    assert [m.content for m in emu.messages(emu.dm_channel(server.alice))] == ["your reminder"]


async def test_a_member_who_left_is_unknown_to_get_member(emu: Emulator, server: Server, bot: TinyBot) -> None:
    assert int((await bot.http.get_member(server.guild.id, server.alice.id))["user"]["id"]) == server.alice.id
    emu.remove_member(server.guild, server.alice)
    with pytest.raises(discord.NotFound) as unknown:
        await bot.http.get_member(server.guild.id, server.alice.id)
    assert unknown.value.code == 10007
    assert server.alice.id not in server.guild.members
    with pytest.raises(ValueError, match="not a member"):
        emu.remove_member(server.guild, server.alice)
