"""/decks as a use case (being filled in)."""
from __future__ import annotations

from bot.core.library import DeckLibrary
from bot.settings import Settings
from bot.store.api import Store


class DeckService:
    def __init__(self, db: Store, decks: DeckLibrary, settings: Settings) -> None:
        self.db = db
        self.decks = decks
        self.settings = settings
