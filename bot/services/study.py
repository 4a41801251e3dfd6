"""/study as a use case (being filled in)."""
from __future__ import annotations

from bot.core.library import DeckLibrary
from bot.store.api import Store


class StudyService:
    def __init__(self, db: Store, decks: DeckLibrary) -> None:
        self.db = db
        self.decks = decks

    def forget(self, guild_id: int | None = None) -> None:
        """Drop what is remembered about open sessions (all, or one server's): settings changed."""
