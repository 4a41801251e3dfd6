"""Embeds and restart-proof buttons for /decks: the paged list, a deck's details, replace confirmation."""
from __future__ import annotations

import unicodedata

from collections import Counter
from pathlib import PurePath
from typing import Protocol

import discord

from bot.core.decks import LEVELS, Deck
from bot.core.importers import FORMATS, ImportResult
from bot.core.importers.common import MAX_SKIP_LINES
from bot.core.library import StoredDeck
from bot.core.paging import clamp_page, page_count
from bot.core.translation import N_, _, ngettext, number
from bot.ui.common import COLOUR, unlinked
from bot.ui.items import RecallItem, fields_of, matching, one_of
from bot.ui.items import number as id_number

PAGE_SIZE = 8
PAGE_MAX = 999999  # the largest page number an id may carry (far more pages than any server has)
MAX_PROBLEMS = 20
TOKEN = r"[0-9a-f]{16}"  # bot.services.decks makes tokens with secrets.token_hex(8)
EXPIRED = N_("This upload is no longer waiting (it is over 15 minutes old, or Recall restarted). Upload the file "
             "again.")
# The upload formats (bot.core.importers.FORMATS) as members read them; the importers' own table stays untranslated
# like their diagnostics.
FORMAT_NAMES = {
    "recall": N_("Recall deck file (YAML)"),
    "red": N_("Red-DiscordBot trivia list"),
    "anki": N_("Anki package, .apkg"),
    "anki-text": N_("Anki notes exported as text"),
    "quizlet": N_("Quizlet export, term tab definition"),
    "csv": N_("CSV, with a header row such as front,back or none"),
}
# Translators: the rows of a deck's table of items by level (a code block: short words align best)
LEVEL_NAMES = {"beginner": N_("beginner"), "intermediate": N_("intermediate"), "advanced": N_("advanced")}


class DeckActions(Protocol):
    """What the /decks buttons need from the decks feature (the Decks cog implements it). Refusals raise
    bot.core.errors."""

    async def show_page(self, interaction: discord.Interaction, page: int) -> None:
        """Edit the list to show `page` (0-based; clamped to the pages there are)."""
        ...

    async def confirm_replace(self, interaction: discord.Interaction, token: str, replace: bool) -> None:
        """The uploader's decision on the upload waiting under `token`."""
        ...


def item_counts(deck: Deck) -> tuple[str, str, str]:
    """A deck's counts of cards, quiz questions and explain prompts, each with its noun."""
    cards, quiz, explain = len(deck.cards), len(deck.quiz), len(deck.explain)
    return (ngettext("{count} card", "{count} cards", cards).format(count=number(cards)),
            ngettext("{count} quiz question", "{count} quiz questions", quiz).format(count=number(quiz)),
            ngettext("{count} explain prompt", "{count} explain prompts", explain).format(count=number(explain)))


def counts_line(deck: Deck) -> str:
    return " · ".join(item_counts(deck))


def items_text(count: int) -> str:
    return ngettext("{count} item", "{count} items", count).format(count=number(count))


def format_name(fmt: str) -> str:
    name = FORMAT_NAMES.get(fmt)
    return _(name) if name else FORMATS.get(fmt, fmt)


# --- /decks list ----------------------------------------------------------------------------------------------------


def list_message(
    decks: list[Deck], own: frozenset[str] | set[str], page: int, server_name: str | None
) -> tuple[discord.Embed, discord.ui.View | None]:
    """The list's page `page` (0-based, moved inside the pages there are) and its paging buttons."""
    page = clamp_page(page, len(decks), PAGE_SIZE)
    return list_embed(decks, own, page, server_name), list_view(page, len(decks))


def list_embed(
    decks: list[Deck], own: frozenset[str] | set[str], page: int, server_name: str | None
) -> discord.Embed:
    """`server_name` None: a server whose name Recall does not know."""
    pages = page_count(len(decks), PAGE_SIZE)
    page = clamp_page(page, len(decks), PAGE_SIZE)
    title = (_("Decks on {server}").format(server=server_name) if server_name is not None
             else _("Decks on this server"))
    embed = discord.Embed(title=title[:256], colour=COLOUR)
    if not decks:
        embed.description = _("No decks yet. Someone with **Manage Server** can add one with `/decks upload`.")
        return embed
    embed.description = ngettext(
        "{count} deck · 🏫 marks this server's own uploads. See one with `/decks info`, study it with `/study`.",
        "{count} decks · 🏫 marks this server's own uploads. See one with `/decks info`, study it with `/study`.",
        len(decks),
    ).format(count=number(len(decks)))
    for deck in decks[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]:
        marker = "🏫 " if deck.id in own else ""
        tags = f"\n{' '.join(f'`{t}`' for t in deck.tags[:6])}" if deck.tags else ""
        embed.add_field(name=f"{marker}{deck.title}"[:256], value=f"`{deck.id}` · {counts_line(deck)}{tags}"[:1024],
                        inline=False)
    embed.set_footer(text=_("Page {page} of {pages}").format(page=number(page + 1), pages=number(pages)))
    return unlinked(embed)


class DeckPageButton(RecallItem[discord.ui.Button], prefix="decks:page", feature="Decks"):
    """Previous/Next on /decks list (`decks:page:<page>:<p|n>`); the target page is in the custom id, so paging
    works after a restart. The list is private to whoever opened it, so the button has no owner."""

    command = "/decks list"

    def __init__(self, page: int, forward: bool, *, disabled: bool = False) -> None:
        # Translators: paging buttons under the list of decks
        label = _("Next") if forward else _("Previous")
        super().__init__(discord.ui.Button(
            label=label, emoji="▶️" if forward else "◀️",
            style=discord.ButtonStyle.secondary, custom_id=self.custom_id_of(page, "n" if forward else "p"),
            disabled=disabled,
        ))
        self.page = page
        self.forward = forward

    @classmethod
    def parse(cls, item: discord.ui.Button, args: str | None) -> "DeckPageButton":
        page, direction = fields_of(args, 2)
        return cls(id_number(page, PAGE_MAX), one_of(direction, ("p", "n")) == "n")

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
    # Translators: column headings of a deck's table of items by level (a code block: short words align best)
    rows = [("", _("cards"), _("quiz"), _("explain"))]
    counts = [Counter(item.level for item in items) for items in (deck.cards, deck.quiz, deck.explain)]
    for level in LEVELS:
        name = LEVEL_NAMES.get(level)
        rows.append((_(name) if name else level, *(number(c[level]) for c in counts)))
    # Translators: the last row of a deck's table of items by level
    rows.append((_("total"), number(len(deck.cards)), number(len(deck.quiz)), number(len(deck.explain))))
    # At least the English widths, wider where a language's words need it, so the columns stay aligned; measured in
    # the columns a code block gives each character (two for Japanese).
    widths = [max(minimum, *(display_width(r[i]) + 1 for r in rows)) for i, minimum in enumerate((13, 6, 6, 8))]
    lines = ("".join(pad(cell, width, left=i == 0) for i, (cell, width) in enumerate(zip(r, widths))) for r in rows)
    return "```\n" + "\n".join(lines) + "\n```"


def display_width(text: str) -> int:
    """How many columns of a monospaced code block `text` takes: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int, *, left: bool) -> str:
    """`text` padded with spaces to `width` columns, aligned left or right."""
    fill = " " * max(0, width - display_width(text))
    return text + fill if left else fill + text


def source_text(deck: Deck, stored: StoredDeck | None) -> str:
    if stored is None:
        return _("Ships with Recall (`{file}`)").format(file=PurePath(deck.source).name)
    when = int(stored.uploaded_at.timestamp())
    return _("Uploaded to this server by <@{user_id}> on <t:{when}:D> from `{file}` ({format})").format(
        user_id=stored.uploaded_by, when=when, file=stored.source_name[:80], format=format_name(stored.source_format))


# Translators: a deck's author, when its file names none
NO_AUTHOR = N_("not given")
# Translators: a deck's tags, when it has none
NO_TAGS = N_("none")


def info_embed(deck: Deck, stored: StoredDeck | None) -> discord.Embed:
    embed = discord.Embed(title=deck.title[:256], description=deck.description[:4096] or None, colour=COLOUR)
    embed.add_field(name=_("Items by level"), value=level_table(deck), inline=False)
    embed.add_field(name=_("Author"), value=(deck.author or _(NO_AUTHOR))[:1024])
    embed.add_field(name=_("Tags"), value=(" ".join(f"`{t}`" for t in deck.tags) or _(NO_TAGS))[:1024])
    embed.add_field(name=_("Where it came from"), value=source_text(deck, stored)[:1024], inline=False)
    embed.set_footer(text=_("Deck id: {deck_id}").format(deck_id=deck.id))
    return unlinked(embed)


# --- /decks upload --------------------------------------------------------------------------------------------------


def problems_text(filename: str, message: str, problems: list[str]) -> str:
    """The first problems of a refused upload, within one message's 2000 characters. The problems themselves are the
    importers' diagnostics, in English like a compiler's; only the words around them are translated."""
    lines = [_("❌ `{file}` was not added: {message}").format(file=filename[:80], message=message)]
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
        lines.append(ngettext("… and {count} more.", "… and {count} more.", hidden).format(count=number(hidden)))
    return "\n".join(lines)


class ReplaceButton(RecallItem[discord.ui.Button], prefix="decks:replace", feature="Decks"):
    """Replace / Keep on an upload whose deck id is taken (`decks:replace:<token>:<yes|no>`). The upload waits in
    memory; after a restart or 15 minutes the button still answers, asking for the file again. Whether this member
    may decide (only the uploader) is the feature's check: the id carries no owner."""

    command = "/decks upload"

    def __init__(self, token: str, replace: bool) -> None:
        super().__init__(discord.ui.Button(
            label=_("Replace it") if replace else _("Keep the current deck"),
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
    if shipped:
        text = _("⚠️ The deck id `{deck_id}` is already used by a deck that ships with Recall **{current}** "
                 "({current_items}).\nReplace it with the uploaded **{new}** ({new_items}) for this server? "
                 "Progress on items whose ids stay the same is kept.")
    else:
        text = _("⚠️ The deck id `{deck_id}` is already used by this server's deck **{current}** "
                 "({current_items}).\nReplace it with the uploaded **{new}** ({new_items}) for this server? "
                 "Progress on items whose ids stay the same is kept.")
    return text.format(deck_id=new.id, current=current.title, current_items=items_text(current.item_count),
                       new=new.title, new_items=items_text(new.item_count))


def import_summary(result: ImportResult, limit: int = MAX_SKIP_LINES) -> str:
    """What an upload became (ImportResult.summary in the member's language); the reasons items were skipped are
    the importers' diagnostics, shown as they are."""
    deck = result.deck
    lines = [ngettext("Imported {count} entry into **{title}** (`{deck_id}`): {counts}.",
                      "Imported {count} entries into **{title}** (`{deck_id}`): {counts}.", result.imported)
             .format(count=number(result.imported), title=deck.title, deck_id=deck.id,
                     counts=", ".join(item_counts(deck)))]
    skipped = len(result.skipped)
    if skipped:
        lines.append(ngettext("Skipped {count}:", "Skipped {count}:", skipped).format(count=number(skipped)))
        lines += [f"- {what}: {why}" for what, why in result.skipped[:limit]]
        if skipped > limit:
            hidden = skipped - limit
            lines.append(ngettext("- … and {count} more", "- … and {count} more", hidden).format(count=number(hidden)))
    return "\n".join(lines)


def added_text(result: ImportResult) -> str:
    text = _("✅ {summary}\nStudy it with `/study deck:{deck_id}`; only this server can see it.").format(
        summary=import_summary(result), deck_id=result.deck.id)
    return text if len(text) <= 2000 else text[:1990] + "…"


def kept_text(deck_id: str) -> str:
    return _("Kept the current `{deck_id}` deck; the uploaded file was discarded.").format(deck_id=deck_id)


def removed_text(removed: Deck, restored: Deck | None) -> str:
    text = _("🗑️ Removed **{title}** (`{deck_id}`) from this server. Members' progress is kept in case it comes "
             "back.").format(title=removed.title, deck_id=removed.id)
    if restored is not None:
        text += "\n" + _("The deck of the same id that ships with Recall, **{title}**, is available again.").format(
            title=restored.title)
    return text


def download_failed_text(filename: str, status: int) -> str:
    return _("❌ Could not download `{file}` ({status}). Try again.").format(file=filename[:80], status=status)
