"""Leaderboards, stats, streaks and settings as use cases (being filled in)."""
from __future__ import annotations

from typing import Callable

from bot.store.api import Store


class ProgressService:
    def __init__(self, db: Store, *, on_settings_change: Callable[[int], None]) -> None:
        self.db = db
        self.on_settings_change = on_settings_change
