"""Streak reminders by direct message (/remind): who is due a reminder, what it says, and recording that it was sent."""
from __future__ import annotations

from bot.core.library import DeckLibrary
from bot.store.api import Store


class ReminderService:
    def __init__(self, db: Store, decks: DeckLibrary) -> None:
        self.db = db
        self.decks = decks
