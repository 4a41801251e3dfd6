"""The daily challenge: a quiz round an admin schedules in a channel, once a day at the server's local time."""
from __future__ import annotations

from bot.core.library import DeckLibrary
from bot.store.api import Store


class ChallengeService:
    def __init__(self, db: Store, decks: DeckLibrary) -> None:
        self.db = db
        self.decks = decks
