"""Fixtures: an emulator with one server, and a tiny discord.py bot (not Recall) connected to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands

from bot.emulator import Emulator, FakeChannel, FakeGuild, FakeMember


class RevealView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Reveal", custom_id="card:reveal", style=discord.ButtonStyle.primary)
    async def reveal(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="Answer: 42", view=None)

    @discord.ui.select(custom_id="card:grade", options=[discord.SelectOption(label=x) for x in ("again", "good")])
    async def grade(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.defer()  # deferred update (6); the edit below is its visible result
        assert interaction.message is not None
        await interaction.message.edit(content=f"graded {select.values[0]}", view=None)


class AnswerModal(discord.ui.Modal, title="Explain it"):
    answer = discord.ui.TextInput(label="Your answer", custom_id="answer", max_length=400)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"you said: {self.answer.value}")


class LabelledModal(discord.ui.Modal, title="Explain it (labels)"):
    answer = discord.ui.Label(text="Your answer", component=discord.ui.TextInput(custom_id="answer2"))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.answer.component, discord.ui.TextInput)
        await interaction.response.send_message(f"label said: {self.answer.component.value}", ephemeral=True)


class TinyBot(commands.Bot):
    """Exercises every Discord feature Recall uses, with the fewest lines."""

    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = intents.guild_messages = intents.guild_reactions = True
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
        self.raw_added: list[discord.RawReactionActionEvent] = []
        self.raw_removed: list[discord.RawReactionActionEvent] = []
        self.errors: list[BaseException] = []
        self.resumed = asyncio.Event()
        self.ready_seen = asyncio.Event()
        self.joined: list[discord.Guild] = []
        self.late_error: asyncio.Future[BaseException] | None = None
        self.seen: asyncio.Queue[discord.Message] = asyncio.Queue()

    async def setup_hook(self) -> None:
        self.add_view(RevealView())
        add_commands(self)
        await self.tree.sync()

    async def on_ready(self) -> None:
        self.ready_seen.set()

    async def on_resumed(self) -> None:
        self.resumed.set()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.joined.append(guild)

    async def on_message(self, message: discord.Message) -> None:
        if message.author != self.user:
            self.seen.put_nowait(message)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.raw_added.append(payload)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        self.raw_removed.append(payload)


def add_commands(bot: TinyBot) -> None:
    tree = bot.tree

    @tree.command(name="card", description="Show a card")
    async def card(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("What is 6 x 7?", view=RevealView())

    @tree.command(name="explain", description="Explain in your own words")
    @app_commands.describe(labelled="use the newer label layout")
    async def explain(interaction: discord.Interaction, labelled: bool = False) -> None:
        await interaction.response.send_modal(LabelledModal() if labelled else AnswerModal())

    @tree.command(name="later", description="Defer then follow up")
    async def later(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("done thinking", ephemeral=True)
        await interaction.followup.send("second follow-up")

    @tree.command(name="quiz", description="Post a question with reaction answers")
    async def quiz(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        assert isinstance(interaction.channel, discord.TextChannel)
        try:
            message = await interaction.channel.send("Q1: pick 🇦 or 🇧")
            for emoji in ("🇦", "🇧"):
                await message.add_reaction(emoji)
        except discord.Forbidden as exc:
            await interaction.followup.send(f"I need Add Reactions here (code {exc.code})")
            return
        await interaction.followup.send(f"posted {message.id}")

    @tree.command(name="study", description="Study a deck")
    async def study(interaction: discord.Interaction, deck: str, count: int = 5, public: bool = False) -> None:
        await interaction.response.send_message(f"deck={deck} count={count} public={public}", ephemeral=not public)

    @study.autocomplete("deck")
    async def deck_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        decks = ["pytorch-lr-schedulers", "python-basics", "spanish-verbs"]
        return [app_commands.Choice(name=d, value=d) for d in decks if current in d]

    decks = app_commands.Group(name="decks", description="Manage decks")

    @decks.command(name="upload", description="Upload a deck file")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        first = data.splitlines()[0]
        await interaction.response.send_message(f"{file.filename}: {len(data)} bytes, first line {first!r}")

    tree.add_command(decks)

    @tree.command(name="reset", description="Admin only")
    @app_commands.default_permissions(manage_guild=True)
    async def reset(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("reset done", ephemeral=True)

    @tree.command(name="silent", description="Never answers")
    async def silent(interaction: discord.Interaction) -> None:
        return None

    @tree.command(name="slow", description="Answers too late")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.4)
        try:
            await interaction.response.send_message("too late")
        except discord.HTTPException as exc:
            if bot.late_error is not None:
                bot.late_error.set_result(exc)

    @tree.command(name="whoami", description="DM the caller")
    async def whoami(interaction: discord.Interaction) -> None:
        await interaction.user.send(f"you are {interaction.user.name}")
        await interaction.response.send_message("sent you a DM", ephemeral=True)


@dataclass
class Server:
    guild: FakeGuild
    channel: FakeChannel
    alice: FakeMember
    bob: FakeMember


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        yield emulator


@pytest.fixture
def server(emu: Emulator) -> Server:
    guild = emu.add_guild("Study Hall")
    channel = emu.add_channel(guild, "general")
    return Server(guild, channel, emu.add_member(guild, "alice"), emu.add_member(guild, "bob", manage_guild=True))


@pytest.fixture
async def bot(emu: Emulator, server: Server, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TinyBot]:
    monkeypatch.setattr(discord.http.Route, "BASE", emu.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(emu.gateway_url))
    client = TinyBot()
    await client.login(emu.token)
    task = asyncio.create_task(client.connect())
    try:
        await asyncio.wait_for(client.wait_until_ready(), 5)
        yield client
    finally:
        await client.close()
        await task
