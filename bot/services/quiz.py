"""/quiz as a use case (being filled in)."""
from __future__ import annotations

from bot.store.api import Store


class QuizService:
    def __init__(self, db: Store) -> None:
        self.db = db
