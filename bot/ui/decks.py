"""Embeds and restart-proof buttons for /decks: the paged list, a deck's details, replace confirmation."""
from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import discord

from bot.core.decks import LEVELS, Deck
from bot.core.importers import FORMATS
from bot.store.server_decks import StoredDeck
from bot.ui.common import COLOUR

if TYPE_CHECKING:
    from bot.cogs.decks import DecksCog

PAGE_SIZE = 8
MAX_PROBLEMS = 20
_TOKEN = r"[0-9a-f]{16}"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def counts_line(deck: Deck) -> str:
    return " · ".join((plural(len(deck.cards), "card"), plural(len(deck.quiz), "quiz question"),
                       plural(len(deck.explain), "explain prompt")))


def page_count(total: int) -> int:
    return max(1, math.ceil(total / PAGE_SIZE))


# --- /decks list ----------------------------------------------------------------------------------------------------


def list_embed(decks: list[Deck], own: set[str], page: int, server_name: str) -> discord.Embed:
    pages = page_count(len(decks))
    page = min(max(page, 0), pages - 1)
    embed = discord.Embed(title=f"Decks on {server_name}"[:256], colour=COLOUR)
    if not decks:
        embed.description = "No decks yet. Someone with **Manage Server** can add one with `/decks upload`."
        return embed
    embed.description = (f"{plural(len(decks), 'deck')} · 🏫 marks this server's own uploads. "
                         "See one with `/decks info`, study it with `/study`.")
    for deck in decks[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]:
        marker = "🏫 " if deck.id in own else ""
        tags = f"\n{' '.join(f'`{t}`' for t in deck.tags[:6])}" if deck.tags else ""
        embed.add_field(name=f"{marker}{deck.title}"[:256], value=f"`{deck.id}` · {counts_line(deck)}{tags}"[:1024],
                        inline=False)
    embed.set_footer(text=f"Page {page + 1} of {pages}")
    return embed


class DeckPageButton(discord.ui.DynamicItem[discord.ui.Button],
                     template=r"decks:page:(?P<page>[0-9]{1,6}):(?P<dir>p|n)"):
    """Previous/Next on /decks list; the target page is in the custom id, so paging works after a restart."""

    def __init__(self, page: int, forward: bool, *, disabled: bool = False) -> None:
        super().__init__(discord.ui.Button(
            label="Next" if forward else "Previous", emoji="▶️" if forward else "◀️",
            style=discord.ButtonStyle.secondary, custom_id=f"decks:page:{page}:{'n' if forward else 'p'}",
            disabled=disabled,
        ))
        self.page = page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> "DeckPageButton":
        return cls(int(match["page"]), match["dir"] == "n")

    async def callback(self, interaction: discord.Interaction) -> Any:
        cog = await _cog(interaction)
        if cog is not None:
            await cog.show_page(interaction, self.page)


def list_view(page: int, total: int) -> discord.ui.View | None:
    pages = page_count(total)
    if pages == 1:
        return None
    view = discord.ui.View(timeout=None)
    # Each button carries the page it leads to; both ids differ even when one is disabled at an end.
    view.add_item(DeckPageButton(max(page - 1, 0), False, disabled=page == 0))
    view.add_item(DeckPageButton(min(page + 1, pages - 1), True, disabled=page >= pages - 1))
    return view


# --- /decks info ----------------------------------------------------------------------------------------------------


def level_table(deck: Deck) -> str:
    rows = [("", "cards", "quiz", "explain")]
    counts = [Counter(item.level for item in items) for items in (deck.cards, deck.quiz, deck.explain)]
    for level in LEVELS:
        rows.append((level, *(str(c[level]) for c in counts)))
    rows.append(("total", str(len(deck.cards)), str(len(deck.quiz)), str(len(deck.explain))))
    return "```\n" + "\n".join(f"{r[0]:<13}{r[1]:>6}{r[2]:>6}{r[3]:>8}" for r in rows) + "\n```"


def source_text(deck: Deck, stored: StoredDeck | None) -> str:
    if stored is None:
        return f"Ships with Recall (`{PurePath(deck.source).name}`)"
    when = int(stored.uploaded_at.timestamp())
    kind = FORMATS.get(stored.source_format, stored.source_format)
    return (f"Uploaded to this server by <@{stored.uploaded_by}> on <t:{when}:D> from "
            f"`{stored.source_name[:80]}` ({kind})")


def info_embed(deck: Deck, stored: StoredDeck | None) -> discord.Embed:
    embed = discord.Embed(title=deck.title[:256], description=deck.description[:4096] or None, colour=COLOUR)
    embed.add_field(name="Items by level", value=level_table(deck), inline=False)
    embed.add_field(name="Author", value=(deck.author or "not given")[:1024])
    embed.add_field(name="Tags", value=(" ".join(f"`{t}`" for t in deck.tags) or "none")[:1024])
    embed.add_field(name="Where it came from", value=source_text(deck, stored)[:1024], inline=False)
    embed.set_footer(text=f"Deck id: {deck.id}")
    return embed


# --- /decks upload --------------------------------------------------------------------------------------------------


def problems_text(filename: str, message: str, problems: list[str]) -> str:
    """The first problems of a refused upload, within one message's 2000 characters."""
    lines = [f"❌ `{filename[:80]}` was not added: {message}"]
    shown = [p for p in problems if p != message][:MAX_PROBLEMS]
    budget = 1900 - len(lines[0])
    for problem in shown:
        line = f"• {problem[:300]}"
        if len(line) + 1 > budget:
            break
        lines.append(line)
        budget -= len(line) + 1
    hidden = len([p for p in problems if p != message]) - (len(lines) - 1)
    if hidden > 0:
        lines.append(f"… and {hidden} more.")
    return "\n".join(lines)


class ReplaceButton(discord.ui.DynamicItem[discord.ui.Button],
                    template=rf"decks:replace:(?P<token>{_TOKEN}):(?P<choice>yes|no)"):
    """Replace / Keep on an upload whose deck id is taken. The upload waits in memory; after a restart or 15 minutes
    the button still answers, asking for the file again."""

    def __init__(self, token: str, replace: bool) -> None:
        super().__init__(discord.ui.Button(
            label="Replace it" if replace else "Keep the current deck",
            style=discord.ButtonStyle.danger if replace else discord.ButtonStyle.secondary,
            custom_id=f"decks:replace:{token}:{'yes' if replace else 'no'}",
        ))
        self.token = token
        self.replace = replace

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> "ReplaceButton":
        return cls(match["token"], match["choice"] == "yes")

    async def callback(self, interaction: discord.Interaction) -> Any:
        cog = await _cog(interaction)
        if cog is not None:
            await cog.confirm_replace(interaction, self.token, self.replace)


def replace_view(token: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ReplaceButton(token, True))
    view.add_item(ReplaceButton(token, False))
    return view


def replace_question(new: Deck, current: Deck, shipped: bool) -> str:
    what = "a deck that ships with Recall" if shipped else "this server's deck"
    return (f"⚠️ The deck id `{new.id}` is already used by {what} **{current.title}** "
            f"({current.item_count} items).\n"
            f"Replace it with the uploaded **{new.title}** ({new.item_count} items) for this server? "
            "Progress on items whose ids stay the same is kept.")


async def _cog(interaction: discord.Interaction) -> DecksCog | None:
    cog = interaction.client.get_cog("Decks")  # type: ignore[attr-defined]
    if cog is None:  # unloaded: still answer, or Discord shows "This interaction failed"
        await interaction.response.send_message("Deck management is not available right now.", ephemeral=True)
    return cog
