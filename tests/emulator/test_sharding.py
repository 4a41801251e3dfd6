"""Sharding in the emulator: IDENTIFY with a shard, events routed to the owning shard's connection, /gateway/bot.

First on the wire (aiohttp websockets standing in for a bot's shards), then with discord.py's AutoShardedBot: one
bot running both shards, two bots splitting them, and SHARD_COUNT=auto asking /gateway/bot.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from discord.ext import commands

from bot.emulator import Emulator, FakeChannel, FakeGuild, FakeMember
from bot.emulator.gateway import INTENT_DM_MESSAGES, INTENT_GUILD_MESSAGES, INTENT_GUILD_REACTIONS, INTENT_GUILDS

INTENTS = INTENT_GUILDS | INTENT_GUILD_MESSAGES | INTENT_GUILD_REACTIONS | INTENT_DM_MESSAGES


class Hall:
    """A server on a chosen shard of two, with a channel and a member."""

    def __init__(self, emu: Emulator, name: str, shard_id: int) -> None:
        self.guild: FakeGuild = emu.add_guild(name, shard=(shard_id, 2))
        self.channel: FakeChannel = emu.add_channel(self.guild, "general")
        self.member: FakeMember = emu.add_member(self.guild, f"{name.lower()}-member")
        self.shard_id = shard_id


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        yield emulator


@pytest.fixture
def halls(emu: Emulator) -> list[Hall]:
    """Four servers, two on each of two shards, made in an interleaved order."""
    return [Hall(emu, name, shard) for name, shard in (("A0", 0), ("B1", 1), ("C0", 0), ("D1", 1))]


async def identify(http: aiohttp.ClientSession, emu: Emulator, shard: Any = None) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(emu.gateway_url)
    assert (await ws.receive_json(timeout=5))["op"] == 10
    data: dict[str, Any] = {"token": emu.token, "intents": INTENTS, "properties": {}}
    if shard is not None:
        data["shard"] = shard
    await ws.send_json({"op": 2, "d": data})
    return ws


async def next_event(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    return await ws.receive_json(timeout=5)


# --- On the wire ----------------------------------------------------------------------------------------------------


def test_guild_ids_spread_over_shards_and_land_on_a_chosen_one(emu: Emulator) -> None:
    made = [emu.add_guild(f"server {n}") for n in range(6)]
    for count in (2, 3):
        assert {emu.shard_of(g, count) for g in made} == set(range(count))  # made in a burst, yet spread
    chosen = [emu.add_guild(f"on {s} of 3", shard=(s, 3)) for s in (2, 2, 0, 1)]
    assert [emu.shard_of(g, 3) for g in chosen] == [2, 2, 0, 1]
    assert all((g.id >> 22) % 3 == emu.shard_of(g, 3) for g in chosen)  # Discord's formula, spelled out
    ids = [g.id for g in made + chosen]
    assert ids == sorted(set(ids))
    assert emu.add_channel(chosen[-1], "later").id > ids[-1]  # other ids stay monotonic after a chosen one
    with pytest.raises(ValueError, match="shard 2 does not exist with 2 shards"):
        emu.add_guild("nowhere", shard=(2, 2))


async def test_each_shard_gets_ready_guild_creates_and_events_of_its_own_guilds_only(
    emu: Emulator, halls: list[Hall]
) -> None:
    a0, b1, c0, d1 = halls
    async with aiohttp.ClientSession() as http:
        shard0 = await identify(http, emu, [0, 2])
        shard1 = await identify(http, emu, [1, 2])
        for ws, own in ((shard0, (a0, c0)), (shard1, (b1, d1))):
            ready = await next_event(ws)
            assert ready["t"] == "READY" and ready["d"]["shard"] == [own[0].shard_id, 2]
            assert [g["id"] for g in ready["d"]["guilds"]] == [str(h.guild.id) for h in own]
            creates = [await next_event(ws) for _ in own]
            assert [(e["t"], e["d"]["id"]) for e in creates] == [("GUILD_CREATE", str(h.guild.id)) for h in own]

        # Shard 1's guilds are busy; shard 0 hears nothing of it: its next event is the one of its own guild.
        posted = await emu.send_message(b1.member, b1.channel, "in B1")
        await emu.react(b1.member, posted, "🇦")
        await emu.send_message(d1.member, d1.channel, "in D1")
        await emu.send_message(a0.member, a0.channel, "in A0")
        first = await next_event(shard0)
        assert (first["t"], first["d"]["guild_id"]) == ("MESSAGE_CREATE", str(a0.guild.id))
        got = [await next_event(shard1) for _ in range(3)]
        assert [(e["t"], e["d"]["guild_id"]) for e in got] == [
            ("MESSAGE_CREATE", str(b1.guild.id)), ("MESSAGE_REACTION_ADD", str(b1.guild.id)),
            ("MESSAGE_CREATE", str(d1.guild.id)),
        ]

        # A direct message is no guild's: it goes to shard 0 only.
        dm = emu.world.dm_channel(b1.member.user)
        emu._create_message(dm, b1.member.user, {"content": "hello bot"}, [])
        emu._create_message(d1.channel, emu.bot_user, {"content": "marker"}, [])
        assert (await next_event(shard0))["d"]["content"] == "hello bot"
        after = await next_event(shard1)
        assert after["d"]["content"] == "marker"  # not the DM

        # What the emulator counted per shard says the same.
        assert emu.guilds_sent_to(0) == {a0.guild.id, c0.guild.id}
        assert emu.guilds_sent_to(1) == {b1.guild.id, d1.guild.id}
        assert emu.sent_to_shard(0)[("MESSAGE_CREATE", None)] == 1 and ("MESSAGE_CREATE", None) not in emu.sent_to_shard(1)
        assert emu.sent_to_shard(1)[("MESSAGE_CREATE", b1.guild.id)] == 1
        await shard0.close()
        await shard1.close()


async def test_an_unsharded_session_still_gets_everything(emu: Emulator, halls: list[Hall]) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await identify(http, emu)
        ready = await next_event(ws)
        assert "shard" not in ready["d"] and len(ready["d"]["guilds"]) == 4
        assert [(await next_event(ws))["t"] for _ in halls] == ["GUILD_CREATE"] * 4
        for hall in halls:
            await emu.send_message(hall.member, hall.channel, "hi")
        assert [(await next_event(ws))["d"]["guild_id"] for _ in halls] == [str(h.guild.id) for h in halls]
        assert emu.guilds_sent_to(None) == {h.guild.id for h in halls}
        await ws.close()


@pytest.mark.parametrize("shard", [[2, 2], [-1, 2], [0, 0], [0], [0, 1, 2], "0,2", [True, 2], [0, "2"], None])
async def test_an_invalid_shard_is_closed_with_4010(emu: Emulator, shard: Any) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(emu.gateway_url)
        await ws.receive_json(timeout=5)
        await ws.send_json({"op": 2, "d": {"token": emu.token, "intents": 1, "properties": {}, "shard": shard}})
        closed = await ws.receive(timeout=5)
        if shard is None:  # a JSON null is no shard at all: an unsharded session
            assert closed.json()["t"] == "READY"
        else:
            assert (closed.type, ws.close_code, closed.extra) == (aiohttp.WSMsgType.CLOSE, 4010, "Invalid shard.")
        await ws.close()


async def test_a_configured_count_is_required_and_must_match(emu: Emulator) -> None:
    emu.shard_count = 2
    async with aiohttp.ClientSession() as http:
        for shard, code in ((None, 4011), ([0, 3], 4010), ([1, 1], 4010)):
            ws = await identify(http, emu, shard)
            assert (await ws.receive(timeout=5)).type is aiohttp.WSMsgType.CLOSE and ws.close_code == code
        ws = await identify(http, emu, [1, 2])
        assert (await next_event(ws))["t"] == "READY"
        await ws.close()
    emu.shard_count = 1  # one shard: a bot may identify without a shard, or with [0, 1]
    async with aiohttp.ClientSession() as http:
        for shard in (None, [0, 1]):
            ws = await identify(http, emu, shard)
            assert (await next_event(ws))["t"] == "READY"
            await ws.close()
    with pytest.raises(ValueError):
        emu.shard_count = 0


async def test_gateway_bot_recommends_the_configured_count(emu: Emulator) -> None:
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession(base_url=emu.base_url, headers=headers) as http:
        async with http.get("/api/v10/gateway/bot") as resp:
            body = await resp.json()
        assert body["shards"] == 1 and body["url"] == emu.gateway_url
        assert body["session_start_limit"]["max_concurrency"] == 1
        emu.shard_count = 3
        async with http.get("/api/v10/gateway/bot") as resp:
            assert (await resp.json())["shards"] == 3


async def test_a_shard_that_starts_over_leaves_another_shards_session_to_resume(
    emu: Emulator, halls: list[Hall]
) -> None:
    a0, b1 = halls[0], halls[1]
    async with aiohttp.ClientSession() as http:
        shard0 = await identify(http, emu, [0, 2])
        ready0 = await next_event(shard0)
        seq = ready0["s"] + 2  # READY and the two GUILD_CREATEs
        [await next_event(shard0) for _ in range(2)]
        await emu.drop_gateway(shard_id=0)
        await shard0.receive(timeout=5)
        await emu.send_message(a0.member, a0.channel, "while shard 0 was down")
        emu.gateway.open_gate()
        # Shard 1's process (re)starts with a fresh IDENTIFY: shard 0's session must survive it.
        shard1 = await identify(http, emu, [1, 2])
        assert (await next_event(shard1))["t"] == "READY"
        resumed = await http.ws_connect(emu.gateway_url)
        await resumed.receive_json(timeout=5)
        await resumed.send_json({"op": 6, "d": {"token": emu.token, "session_id": ready0["d"]["session_id"],
                                                "seq": seq}})
        replayed = await next_event(resumed)
        assert (replayed["t"], replayed["d"]["channel_id"]) == ("MESSAGE_CREATE", str(a0.channel.id))
        assert (await next_event(resumed))["t"] == "RESUMED"
        assert b1.guild.id not in emu.guilds_sent_to(0)
        for ws in (resumed, shard1):
            await ws.close()


# --- With discord.py's AutoShardedBot -------------------------------------------------------------------------------


class ShardedTiny(commands.AutoShardedBot):
    """The fewest lines that show what a sharded discord.py bot receives: /where answers with its shard."""

    def __init__(self, label: str, **shards: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = intents.guild_reactions = True
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05, **shards)
        self.label = label
        self.shards_ready: list[int] = []
        self.reactions: list[int | None] = []

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        pass  # the emulator has no IDENTIFY rate limit: no 5 s between shards

    async def setup_hook(self) -> None:
        @self.tree.command(name="where", description="Which shard answers")
        async def where(interaction: discord.Interaction) -> None:
            assert interaction.guild is not None
            await interaction.response.send_message(f"{self.label}: shard {interaction.guild.shard_id}")

        await self.tree.sync()

    async def on_shard_ready(self, shard_id: int) -> None:
        self.shards_ready.append(shard_id)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.reactions.append(payload.guild_id)


@pytest.fixture
def endpoints(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", emu.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(emu.gateway_url))


class Running:
    def __init__(self) -> None:
        self.bots: list[tuple[ShardedTiny, asyncio.Task[None]]] = []

    async def start(self, emu: Emulator, bot: ShardedTiny) -> ShardedTiny:
        await bot.login(emu.token)
        task = asyncio.create_task(bot.connect())
        self.bots.append((bot, task))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()
        assert ready in done, f"{bot.label} did not become ready"
        return bot

    async def stop(self) -> None:
        for bot, task in self.bots:
            await bot.close()
            await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def running(endpoints: None) -> AsyncIterator[Running]:
    bots = Running()
    try:
        yield bots
    finally:
        await bots.stop()


async def where(emu: Emulator, hall: Hall) -> str:
    ix = await emu.slash(hall.member, hall.channel, "where")
    return (await ix.wait_message()).content


async def test_one_bot_runs_both_shards(emu: Emulator, halls: list[Hall], running: Running) -> None:
    emu.shard_count = 2
    bot = await running.start(emu, ShardedTiny("both", shard_count=2))
    assert sorted(bot.shards) == [0, 1] and sorted(bot.shards_ready) == [0, 1]
    assert {g.id: g.shard_id for g in bot.guilds} == {h.guild.id: h.shard_id for h in halls}
    assert [await where(emu, h) for h in halls] == [f"both: shard {h.shard_id}" for h in halls]


async def test_two_bots_split_the_shards_and_hear_only_their_guilds(
    emu: Emulator, halls: list[Hall], running: Running
) -> None:
    emu.shard_count = 2
    first = await running.start(emu, ShardedTiny("first", shard_count=2, shard_ids=[0]))
    second = await running.start(emu, ShardedTiny("second", shard_count=2, shard_ids=[1]))
    assert {g.id for g in first.guilds} == {h.guild.id for h in halls if h.shard_id == 0}
    assert {g.id for g in second.guilds} == {h.guild.id for h in halls if h.shard_id == 1}
    # Each server's interaction reaches the bot of its shard, and only that one.
    assert [await where(emu, h) for h in halls] == ["first: shard 0", "second: shard 1"] * 2
    for hall in halls:
        message = emu._create_message(hall.channel, emu.bot_user, {"content": "react here"}, [])
        await emu.react(hall.member, message, "👍")
    while len(first.reactions) + len(second.reactions) < 4:  # the reactions' order, not a timeout, ends this
        await asyncio.sleep(0.01)
    assert first.reactions == [halls[0].guild.id, halls[2].guild.id]
    assert second.reactions == [halls[1].guild.id, halls[3].guild.id]
    for shard_id in (0, 1):
        own = {h.guild.id for h in halls if h.shard_id == shard_id}
        assert emu.guilds_sent_to(shard_id) == own


async def test_auto_asks_gateway_bot_for_the_count(emu: Emulator, halls: list[Hall], running: Running) -> None:
    emu.shard_count = 2
    bot = await running.start(emu, ShardedTiny("auto"))  # no shard_count: discord.py asks GET /gateway/bot
    assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
    assert any(c.path == "/gateway/bot" for c in emu.rest_calls)
    assert await where(emu, halls[3]) == "auto: shard 1"


async def test_a_shard_dropped_alone_resumes_and_gets_what_it_missed(
    emu: Emulator, halls: list[Hall], running: Running
) -> None:
    bot = await running.start(emu, ShardedTiny("both", shard_count=2))
    resumed = asyncio.Event()

    async def on_shard_resumed(shard_id: int) -> None:
        if shard_id == 1:
            resumed.set()

    bot.add_listener(on_shard_resumed)
    connections = emu.connections
    await emu.drop_gateway(shard_id=1)
    message = emu._create_message(halls[1].channel, emu.bot_user, {"content": "react while down"}, [])
    await emu.react(halls[1].member, message, "👍")
    await emu.wait_until_connected(shard_id=1)
    await asyncio.wait_for(resumed.wait(), 5)
    assert emu.connections == connections + 1  # shard 1 resumed; shard 0 never left
    while not bot.reactions:
        await asyncio.sleep(0.01)
    assert bot.reactions == [halls[1].guild.id]
