"""Texts and attachments for `/decks export` and the missed-questions export of `/stats`."""
from __future__ import annotations

import io

import discord
from discord import app_commands

from bot.core.decks import Deck
from bot.core.exporting import EXPORT_FORMATS, Exported

EXPORT_FORMAT_CHOICES = [app_commands.Choice(name=f"{key}: {text}"[:100], value=key)
                         for key, text in EXPORT_FORMATS.items()]
MISSED_FILENAME = "missed-questions.csv"
NOTHING_MISSED = "You have not missed any quiz question here yet: there is nothing to export."

_HOW_TO_OPEN = {
    "anki": "Open it in Anki (File → Import); exporting again later updates these notes instead of copying them.",
    "csv": "It opens in any spreadsheet; the `kind` column tells cards, quiz questions and explain prompts apart.",
    "yaml": "A Recall deck file: `/decks upload` takes it on another server.",
}


def export_file(exported: Exported) -> discord.File:
    return discord.File(io.BytesIO(exported.data), filename=exported.filename)


def exported_text(deck: Deck, exported: Exported) -> str:
    items = f"{exported.items} {'item' if exported.items == 1 else 'items'}"
    return f"**{deck.title}** (`{deck.id}`), {items} as {EXPORT_FORMATS[exported.fmt]}. {_HOW_TO_OPEN[exported.fmt]}"


def missed_file(data: bytes) -> discord.File:
    return discord.File(io.BytesIO(data), filename=MISSED_FILENAME)


def missed_text(count: int) -> str:
    if count == 0:
        return NOTHING_MISSED
    return (f"Your {count} missed quiz {'question' if count == 1 else 'questions'}, most recent first, with the "
            "right answers. The file uploads again as a deck of cards with `/decks upload`.")


MISSED_ONLY_YOURS = "Only your own missed questions can be exported: leave out `member`, or pick yourself."
