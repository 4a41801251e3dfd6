"""A tiny cog added to the playground's bot in tests, so the page and its API are tested whatever cogs exist.

`/demo text: count: loud:` answers with an embed, buttons (edit in place, private reply, form) and two reactions.
"""
from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

FRUITS = ("apple", "apricot", "banana", "cherry")


class DemoForm(discord.ui.Modal, title="Say something"):
    said = discord.ui.TextInput(label="Your words", custom_id="said", style=discord.TextStyle.paragraph, max_length=200)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"{interaction.user.name} said: {self.said.value}")


class DemoView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Again", style=discord.ButtonStyle.primary, custom_id="demo:again")
    async def again(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        embed = interaction.message.embeds[0]
        embed.description = f"pressed by {interaction.user.name}"
        await interaction.response.edit_message(embed=embed)

    @discord.ui.button(label="Private", style=discord.ButtonStyle.secondary, custom_id="demo:private")
    async def private(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_message(f"a secret for {interaction.user.name}", ephemeral=True)

    @discord.ui.button(label="Form", style=discord.ButtonStyle.success, custom_id="demo:form")
    async def form(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_modal(DemoForm())

    @discord.ui.select(
        custom_id="demo:pick", placeholder="Pick a fruit", row=1,
        options=[discord.SelectOption(label=f.capitalize(), value=f) for f in FRUITS],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        embed = interaction.message.embeds[0]
        embed.description = f"{interaction.user.name} picked {select.values[0]}"
        await interaction.response.edit_message(embed=embed)

    @discord.ui.button(label="Gone", style=discord.ButtonStyle.danger, custom_id="demo:gone", disabled=True)
    async def gone(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        raise AssertionError("a disabled button cannot be clicked")


class Demo(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.reactions: list[tuple[int, str]] = []

    @app_commands.command(name="demo", description="A demo reply with buttons")
    @app_commands.describe(text="what to echo", count="how many times", loud="shout it")
    @app_commands.guild_only()
    async def demo(
        self,
        interaction: discord.Interaction,
        text: str,
        count: app_commands.Range[int, 1, 3] = 1,
        loud: bool = False,
    ) -> None:
        words = " ".join([text.upper() if loud else text] * count)
        embed = discord.Embed(title="Demo", description=words, colour=discord.Colour.green())
        embed.add_field(name="count", value=str(count)).set_footer(text=f"type {type(count).__name__}, loud {loud}")
        await interaction.response.send_message(embed=embed, view=DemoView())
        message = await interaction.original_response()
        for emoji in ("🇦", "🇧"):
            await message.add_reaction(emoji)

    @demo.autocomplete("text")
    async def demo_text(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f"{f} ({interaction.user.name})", value=f) for f in FRUITS if f.startswith(current)]

    @app_commands.command(name="demo-file", description="Reads an uploaded file and answers with a picture")
    async def demo_file(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        # One picture shown inside the embed (attachment://), one as a plain attachment below it.
        chart = discord.File(io.BytesIO(png_bytes()), filename="chart.png")
        loose = discord.File(io.BytesIO(png_bytes()), filename="loose.png")
        embed = discord.Embed(title="Chart").set_image(url="attachment://chart.png")
        await interaction.response.send_message(f"got {file.filename}: {data.decode()}", embed=embed, files=[chart, loose])

    @app_commands.command(name="silent", description="Never answers")
    async def silent(self, interaction: discord.Interaction) -> None:
        return None

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if payload.user_id != self.bot.user.id:
            self.reactions.append((payload.user_id, str(payload.emoji)))


def png_bytes() -> bytes:
    """A 6×4 picture, as /stats would attach a chart."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (6, 4), (88, 101, 242)).save(buffer, format="PNG")
    return buffer.getvalue()


async def add_demo(bot: commands.Bot) -> Demo:
    """Add the cog to a running bot and register its commands (the playground syncs to its server)."""
    cog = Demo(bot)
    await bot.add_cog(cog)
    bot.add_view(DemoView())
    await bot.sync_commands()
    return cog
