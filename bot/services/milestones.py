"""Milestone roles: the roles an admin ties to a streak or points, and which members should have them."""
from __future__ import annotations

from bot.core.library import DeckLibrary
from bot.store.api import Store


class MilestoneService:
    def __init__(self, db: Store, decks: DeckLibrary) -> None:
        self.db = db
        self.decks = decks
