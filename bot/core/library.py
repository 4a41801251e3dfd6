"""Which decks a server can use: the shipped ones plus its own uploads, which take precedence on an id clash."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.decks import Deck


@dataclass(frozen=True, slots=True)
class StoredDeck:
    """A server's own uploaded deck as stored: its YAML and where it came from (shown by /decks info)."""

    guild_id: int
    deck_id: str
    title: str
    yaml_text: str
    source_format: str  # "recall", "red", "anki", … (bot.core.importers.FORMATS)
    source_name: str  # the uploaded file's name
    item_count: int
    uploaded_by: int
    uploaded_at: datetime


class DeckLibrary:
    def __init__(self, shipped: dict[str, Deck] | None = None) -> None:
        self._shipped: dict[str, Deck] = dict(shipped or {})
        self._servers: dict[int, dict[str, Deck]] = {}

    @property
    def shipped(self) -> dict[str, Deck]:
        return self._shipped

    def replace_shipped(self, decks: dict[str, Deck]) -> None:
        self._shipped = dict(decks)

    def set_server_deck(self, guild_id: int, deck: Deck) -> None:
        self._servers.setdefault(guild_id, {})[deck.id] = deck

    def remove_server_deck(self, guild_id: int, deck_id: str) -> bool:
        return self._servers.get(guild_id, {}).pop(deck_id, None) is not None

    def server_decks(self, guild_id: int) -> dict[str, Deck]:
        return self._servers.get(guild_id, {})

    def get(self, guild_id: int | None, deck_id: str) -> Deck | None:
        if guild_id is not None:
            own = self._servers.get(guild_id, {}).get(deck_id)
            if own is not None:
                return own
        return self._shipped.get(deck_id)

    def for_guild(self, guild_id: int | None) -> list[Deck]:
        merged = dict(self._shipped)
        if guild_id is not None:
            merged.update(self._servers.get(guild_id, {}))
        return sorted(merged.values(), key=lambda d: (d.title.casefold(), d.id))

    def search(self, guild_id: int | None, text: str, limit: int = 25) -> list[Deck]:
        """Decks whose id or title contains `text` (case-insensitive), best (prefix) matches first."""
        needle = text.strip().casefold()
        decks = self.for_guild(guild_id)
        if not needle:
            return decks[:limit]
        hits = [d for d in decks if needle in d.id.casefold() or needle in d.title.casefold()]
        hits.sort(key=lambda d: not (d.id.casefold().startswith(needle) or d.title.casefold().startswith(needle)))
        return hits[:limit]

    @property
    def item_count(self) -> int:
        return sum(d.item_count for d in self._shipped.values())
