"""Texts and attachments for `/decks export` and the missed-questions export of `/stats`."""
from __future__ import annotations

import io

import discord
from discord import app_commands

from bot.core.decks import Deck
from bot.core.exporting import EXPORT_FORMATS, Exported
from bot.core.translation import N_, _, ngettext, number

EXPORT_FORMAT_CHOICES = [app_commands.Choice(name=f"{key}: {text}"[:100], value=key)
                         for key, text in EXPORT_FORMATS.items()]
# The export formats (bot.core.exporting.EXPORT_FORMATS) as members read them in a reply.
EXPORT_FORMAT_NAMES = {
    "anki": N_("Anki package (.apkg)"),
    "csv": N_("CSV with a header row"),
    "yaml": N_("Recall deck file (.yaml)"),
}
MISSED_FILENAME = "missed-questions.csv"
NOTHING_MISSED = N_("You have not missed any quiz question here yet: there is nothing to export.")

_HOW_TO_OPEN = {
    "anki": N_("Open it in Anki (File → Import); exporting again later updates these notes instead of copying them."),
    "csv": N_("It opens in any spreadsheet; the `kind` column tells cards, quiz questions and explain prompts apart."),
    "yaml": N_("A Recall deck file: `/decks upload` takes it on another server."),
}


def export_file(exported: Exported) -> discord.File:
    return discord.File(io.BytesIO(exported.data), filename=exported.filename)


def exported_text(deck: Deck, exported: Exported) -> str:
    name = EXPORT_FORMAT_NAMES.get(exported.fmt)
    text = _("**{title}** (`{deck_id}`), {items} as {format}.").format(
        title=deck.title, deck_id=deck.id, format=_(name) if name else EXPORT_FORMATS[exported.fmt],
        items=ngettext("{count} item", "{count} items", exported.items).format(count=number(exported.items)))
    return f"{text} {_(_HOW_TO_OPEN[exported.fmt])}"


def missed_file(data: bytes) -> discord.File:
    return discord.File(io.BytesIO(data), filename=MISSED_FILENAME)


def missed_text(count: int) -> str:
    if count == 0:
        return _(NOTHING_MISSED)
    return ngettext(
        "Your {count} missed quiz question, most recent first, with the right answers. The file uploads again as a "
        "deck of cards with `/decks upload`.",
        "Your {count} missed quiz questions, most recent first, with the right answers. The file uploads again as a "
        "deck of cards with `/decks upload`.",
        count,
    ).format(count=number(count))


# Raised by /stats (bot.cogs.progress) as a refusal: translate it with _() there.
MISSED_ONLY_YOURS = N_("Only your own missed questions can be exported: leave out `member`, or pick yourself.")
