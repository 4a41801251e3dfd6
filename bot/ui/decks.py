"""Embeds and restart-proof buttons for /decks: the paged list, a deck's details, replace confirmation."""
from __future__ import annotations

from collections import Counter
from pathlib import PurePath
from typing import Protocol

import discord

from bot.core.text import plural
from bot.core.decks import LEVELS, Deck
from bot.core.importers import FORMATS, ImportResult
from bot.core.library import StoredDeck
from bot.core.paging import clamp_page, page_count
from bot.ui.common import COLOUR, unlinked
from bot.ui.items import RecallItem, fields_of, matching, number, one_of

PAGE_SIZE = 8
PAGE_MAX = 999999  # the largest page number an id may carry (far more pages than any server has)
MAX_PROBLEMS = 20
TOKEN = r"[0-9a-f]{16}"  # bot.services.decks makes tokens with secrets.token_hex(8)
EXPIRED = "This upload is no longer waiting (it is over 15 minutes old, or Recall restarted). Upload the file again."


class DeckActions(Protocol):
    """What the /decks buttons need from the decks feature (the Decks cog implements it). Refusals raise
    bot.core.errors."""

    async def show_page(self, interaction: discord.Interaction, page: int) -> None:
        """Edit the list to show `page` (0-based; clamped to the pages there are)."""
        ...

    async def confirm_replace(self, interaction: discord.Interaction, token: str, replace: bool) -> None:
        """The uploader's decision on the upload waiting under `token`."""
        ...


def counts_line(deck: Deck) -> str:
    return " · ".join((plural(len(deck.cards), "card"), plural(len(deck.quiz), "quiz question"),
                       plural(len(deck.explain), "explain prompt")))


# --- /decks list ----------------------------------------------------------------------------------------------------


def list_message(
    decks: list[Deck], own: frozenset[str] | set[str], page: int, server_name: str
) -> tuple[discord.Embed, discord.ui.View | None]:
    """The list's page `page` (0-based, moved inside the pages there are) and its paging buttons."""
    page = clamp_page(page, len(decks), PAGE_SIZE)
    return list_embed(decks, own, page, server_name), list_view(page, len(decks))


def list_embed(decks: list[Deck], own: frozenset[str] | set[str], page: int, server_name: str) -> discord.Embed:
    pages = page_count(len(decks), PAGE_SIZE)
    page = clamp_page(page, len(decks), PAGE_SIZE)
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
    return unlinked(embed)


class DeckPageButton(RecallItem[discord.ui.Button], prefix="decks:page", feature="Decks"):
    """Previous/Next on /decks list (`decks:page:<page>:<p|n>`); the target page is in the custom id, so paging
    works after a restart. The list is private to whoever opened it, so the button has no owner."""

    command = "/decks list"

    def __init__(self, page: int, forward: bool, *, disabled: bool = False) -> None:
        super().__init__(discord.ui.Button(
            label="Next" if forward else "Previous", emoji="▶️" if forward else "◀️",
            style=discord.ButtonStyle.secondary, custom_id=self.custom_id_of(page, "n" if forward else "p"),
            disabled=disabled,
        ))
        self.page = page
        self.forward = forward

    @classmethod
    def parse(cls, item: discord.ui.Button, args: str | None) -> "DeckPageButton":
        page, direction = fields_of(args, 2)
        return cls(number(page, PAGE_MAX), one_of(direction, ("p", "n")) == "n")

    async def run(self, interaction: discord.Interaction, actions: DeckActions) -> None:
        await actions.show_page(interaction, self.page)


def list_view(page: int, total: int) -> discord.ui.View | None:
    pages = page_count(total, PAGE_SIZE)
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
    return unlinked(embed)


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


class ReplaceButton(RecallItem[discord.ui.Button], prefix="decks:replace", feature="Decks"):
    """Replace / Keep on an upload whose deck id is taken (`decks:replace:<token>:<yes|no>`). The upload waits in
    memory; after a restart or 15 minutes the button still answers, asking for the file again. Whether this member
    may decide (only the uploader) is the feature's check: the id carries no owner."""

    command = "/decks upload"

    def __init__(self, token: str, replace: bool) -> None:
        super().__init__(discord.ui.Button(
            label="Replace it" if replace else "Keep the current deck",
            style=discord.ButtonStyle.danger if replace else discord.ButtonStyle.secondary,
            custom_id=self.custom_id_of(token, "yes" if replace else "no"),
        ))
        self.token = token
        self.replace = replace

    @classmethod
    def parse(cls, item: discord.ui.Button, args: str | None) -> "ReplaceButton":
        token, choice = fields_of(args, 2)
        return cls(matching(token, TOKEN), one_of(choice, ("yes", "no")) == "yes")

    async def run(self, interaction: discord.Interaction, actions: DeckActions) -> None:
        await actions.confirm_replace(interaction, self.token, self.replace)


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



def added_text(result: ImportResult) -> str:
    deck = result.deck
    text = f"✅ {result.summary()}\nStudy it with `/study deck:{deck.id}`; only this server can see it."
    return text if len(text) <= 2000 else text[:1990] + "…"


def kept_text(deck_id: str) -> str:
    return f"Kept the current `{deck_id}` deck; the uploaded file was discarded."


def removed_text(removed: Deck, restored: Deck | None) -> str:
    text = (f"🗑️ Removed **{removed.title}** (`{removed.id}`) from this server. "
            "Members' progress is kept in case it comes back.")
    if restored is not None:
        text += f"\nThe deck of the same id that ships with Recall, **{restored.title}**, is available again."
    return text


def download_failed_text(filename: str, status: int) -> str:
    return f"❌ Could not download `{filename[:80]}` ({status}). Try again."
