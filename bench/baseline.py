"""The baseline bot: plain discord.py, no database, answering the /study flow with fixed cards and buttons.

It is what discord.py itself can do on this machine: the same slash command, the same restart-proof buttons
(DynamicItems with the same custom id shapes), the same embeds with a Reveal → Again/Hard/Good/Easy → next card
flow and a summary after as many ratings as a Recall session of the benchmark deck has. Everything a tutor adds
(spaced repetition, the store, streaks, decks) is left out, so Recall / baseline is the cost of being Recall.

Run as `python -m bench.baseline` with the same environment as `python -m bot`
(DISCORD_TOKEN, DISCORD_API_BASE, DISCORD_GATEWAY_URL); BENCH_SESSION_RATINGS sets the session length.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import signal
import sys
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

log = logging.getLogger("baseline")

READY_LINE = "Baseline ready"
COLOUR = discord.Colour.from_rgb(88, 101, 242)
FIXED_INTERVALS = {1: "1m", 2: "6m", 3: "10m", 4: "2d"}
RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
RATING_STYLES = {
    1: discord.ButtonStyle.danger,
    2: discord.ButtonStyle.secondary,
    3: discord.ButtonStyle.success,
    4: discord.ButtonStyle.primary,
}
_REF = r"(?P<user>[0-9]+):(?P<deck>[^:]+):(?P<item>[^:]+):(?P<token>[0-9a-f]+)"


class Sessions:
    """Ratings per member in memory: the only state the baseline keeps."""

    def __init__(self, length: int) -> None:
        self.length = length
        self.rated: dict[int, int] = {}
        self._tokens = itertools.count(1)

    def start(self, user_id: int) -> int:
        self.rated[user_id] = 0
        return 0

    def rate(self, user_id: int) -> int:
        self.rated[user_id] = self.rated.get(user_id, 0) + 1
        return self.rated[user_id]

    def token(self) -> str:
        return format(next(self._tokens) & 0xFFFFFF, "06x")


SESSIONS = Sessions(int(os.environ.get("BENCH_SESSION_RATINGS", "40")))


def custom_id(action: str, user_id: int, deck: str, item: str, token: str, rating: int | None = None) -> str:
    base = f"study:{action}:{user_id}:{deck}:{item}:{token}"
    return base if rating is None else f"{base}:{rating}"


def card_embed(deck: str, done: int, *, revealed: bool) -> discord.Embed:
    card = done // 2 + 1
    text = f"Fixed question number {card} of the baseline deck?"
    if revealed:
        text += "\n\n**Answer**\nThe fixed answer, as long as a typical card's back is in the benchmark deck."
    embed = discord.Embed(title=f"Baseline deck {deck}", description=text, colour=COLOUR)
    embed.set_footer(text=f"🟢 beginner · card {done + 1} of {SESSIONS.length} due today")
    return embed


def summary_embed(deck: str) -> discord.Embed:
    lines = [f"Reviews this session: **{SESSIONS.length}**", f"Again-rate: **0%** (0 of {SESSIONS.length})"]
    return discord.Embed(title=f"All caught up · {deck}", description="\n".join(lines), colour=discord.Colour.green())


def front_view(user_id: int, deck: str, item: str) -> discord.ui.View:
    token = SESSIONS.token()
    view = discord.ui.View(timeout=None)
    view.add_item(RevealButton(user_id, deck, item, token))
    view.add_item(StopButton(user_id, deck, item, token))
    return view


def back_view(user_id: int, deck: str, item: str, token: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for rating in RATING_NAMES:
        view.add_item(RateButton(user_id, deck, item, token, rating))
    view.add_item(StopButton(user_id, deck, item, token))
    return view


class RevealButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"study:rev:{_REF}"):
    def __init__(self, user_id: int, deck: str, item: str, token: str) -> None:
        super().__init__(
            discord.ui.Button(label="Reveal", style=discord.ButtonStyle.primary,
                              custom_id=custom_id("rev", user_id, deck, item, token))
        )
        self.ref = (user_id, deck, item, token)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> "RevealButton":
        return cls(int(match["user"]), match["deck"], match["item"], match["token"])

    async def callback(self, interaction: discord.Interaction) -> Any:
        user_id, deck, _item, _token = self.ref
        done = SESSIONS.rated.get(user_id, 0)
        await interaction.response.edit_message(embed=card_embed(deck, done, revealed=True), view=back_view(*self.ref))


class RateButton(
    discord.ui.DynamicItem[discord.ui.Button], template=rf"study:rate:{_REF}:(?P<rating>[1-4])"
):
    def __init__(self, user_id: int, deck: str, item: str, token: str, rating: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"{RATING_NAMES[rating]} · {FIXED_INTERVALS[rating]}", style=RATING_STYLES[rating],
                custom_id=custom_id("rate", user_id, deck, item, token, rating),
            )
        )
        self.ref = (user_id, deck, item, token)
        self.rating = rating

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> "RateButton":
        return cls(int(match["user"]), match["deck"], match["item"], match["token"], int(match["rating"]))

    async def callback(self, interaction: discord.Interaction) -> Any:
        user_id, deck, _item, _token = self.ref
        done = SESSIONS.rate(user_id)
        if done >= SESSIONS.length:
            await interaction.response.edit_message(embed=summary_embed(deck), view=None)
            return
        item = f"card-{done // 2 + 1}"
        await interaction.response.edit_message(
            embed=card_embed(deck, done, revealed=False), view=front_view(user_id, deck, item)
        )


class StopButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"study:stop:{_REF}"):
    def __init__(self, user_id: int, deck: str, item: str, token: str) -> None:
        super().__init__(
            discord.ui.Button(label="Stop", style=discord.ButtonStyle.secondary,
                              custom_id=custom_id("stop", user_id, deck, item, token))
        )
        self.deck_id = deck

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> "StopButton":
        return cls(int(match["user"]), match["deck"], match["item"], match["token"])

    async def callback(self, interaction: discord.Interaction) -> Any:
        await interaction.response.edit_message(embed=summary_embed(self.deck_id), view=None)


class BaselineBot(commands.Bot):
    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_reactions = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            max_messages=1000,
            chunk_guilds_at_startup=False,
        )

    async def setup_hook(self) -> None:
        self.add_dynamic_items(RevealButton, RateButton, StopButton)
        self.tree.add_command(study)
        await self.tree.sync()

    async def on_ready(self) -> None:
        log.info("%s as %s: %d servers", READY_LINE, self.user, len(self.guilds))


@app_commands.command(name="study", description="Study fixed flashcards (baseline)")
@app_commands.describe(deck="Deck to study", public="Post the session in the channel")
@app_commands.guild_only()
async def study(interaction: discord.Interaction, deck: str | None = None, public: bool = False) -> None:
    deck = deck or "baseline"
    SESSIONS.start(interaction.user.id)
    await interaction.response.send_message(
        embed=card_embed(deck, 0, revealed=False), view=front_view(interaction.user.id, deck, "card-1"),
        ephemeral=not public,
    )


def point_at_endpoints() -> None:
    if base := os.environ.get("DISCORD_API_BASE"):
        discord.http.Route.BASE = base.rstrip("/")
    if gateway := os.environ.get("DISCORD_GATEWAY_URL"):
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway.rstrip("/"))


async def run() -> None:
    point_at_endpoints()
    bot = BaselineBot()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with bot:
        runner = asyncio.create_task(bot.start(os.environ["DISCORD_TOKEN"]))
        waiter = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            runner.result()
        runner.cancel()
        waiter.cancel()
        await asyncio.gather(runner, waiter, return_exceptions=True)


def main() -> int:
    # The same log set-up as `python -m bot` at INFO, so both bots pay for the same logging.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    logging.getLogger().handlers[:] = [handler]
    logging.getLogger().setLevel(logging.INFO)
    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
