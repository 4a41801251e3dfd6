"""Decks and a member's missed quiz questions as files to download: `/decks export` and the export on `/stats`.

Building a file is CPU work (an Anki package is a zipped SQLite database), so it runs in a thread: the event loop
keeps answering other members meanwhile. Which decks a member may export is the library's rule (DeckLibrary.get,
which the cog's require_deck applies): the shipped decks and their own server's decks, nothing else.
"""
from __future__ import annotations

import asyncio
from datetime import datetime

from bot.core.decks import Deck
from bot.core.errors import InvalidInput
from bot.core.exporting import EXPORT_FORMATS, Exported, Missed, export_deck, missed_questions_csv
from bot.core.library import DeckLibrary
from bot.core.translation import _
from bot.store import study as store
from bot.store.api import Connection, Store



class ExportService:
    def __init__(self, db: Store, decks: DeckLibrary) -> None:
        self.db = db
        self.decks = decks

    async def deck_file(self, deck: Deck, fmt: str) -> Exported:
        """`deck` (found with the library's rule, e.g. require_deck) exported as `fmt`, built in a thread."""
        if fmt not in EXPORT_FORMATS:
            raise InvalidInput(_("Unknown format `{format}`; choose one of {formats}.").format(
                format=fmt[:20], formats=", ".join(EXPORT_FORMATS)))
        return await asyncio.to_thread(export_deck, deck, fmt)

    async def missed(self, guild_id: int, user_id: int) -> list[Missed]:
        """The quiz questions the member answered wrong, over every deck this server can use (a question that is
        no longer in its deck is left out: there is nothing to show for it)."""
        decks = self.decks.for_guild(guild_id)

        async def body(conn: Connection) -> list[Missed]:
            found: list[Missed] = []
            for deck in decks:
                misses = await store.read_misses(conn, guild_id, user_id, deck.id)
                found += _known(deck, misses)
            return found

        return await self.db.atomic(body)

    async def missed_file(self, guild_id: int, user_id: int) -> tuple[bytes, int]:
        """The member's missed questions as CSV bytes, and how many there are (0: nothing to send)."""
        missed = await self.missed(guild_id, user_id)
        return missed_questions_csv(missed).encode("utf-8"), len(missed)


def _known(deck: Deck, misses: dict[str, datetime]) -> list[Missed]:
    return [Missed(deck, question, at) for question_id, at in misses.items()
            if (question := deck.question(question_id)) is not None]
