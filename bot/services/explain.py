"""/explain as a use case (being filled in)."""
from __future__ import annotations

from bot.core.library import DeckLibrary
from bot.store.api import Store


class ExplainService:
    def __init__(self, db: Store, decks: DeckLibrary) -> None:
        self.db = db
        self.decks = decks
