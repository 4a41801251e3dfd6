"""Spaced-repetition state per member and item, and the log of reviews. Shared by /study and /explain."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fsrs import Card

from bot.core.clock import from_text, to_text
from bot.store.api import Connection


@dataclass(frozen=True, slots=True)
class SrsState:
    guild_id: int
    user_id: int
    deck_id: str
    item_id: str
    kind: str
    card: Card
    due: datetime
    reps: int
    lapses: int
    last_review: datetime | None


_COLUMNS = "guild_id, user_id, deck_id, item_id, kind, card_json, due, reps, lapses, last_review"


def _state(row: Any) -> SrsState:
    return SrsState(
        row["guild_id"], row["user_id"], row["deck_id"], row["item_id"], row["kind"],
        Card.from_json(row["card_json"]), from_text(row["due"]), row["reps"], row["lapses"],
        from_text(row["last_review"]) if row["last_review"] else None,
    )


async def get_state(conn: Connection, guild_id: int, user_id: int, deck_id: str, item_id: str) -> SrsState | None:
    """One member's stored state of one item; `conn` is a transaction's connection."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM srs_state WHERE guild_id = ? AND user_id = ? AND deck_id = ? AND item_id = ?",
        (guild_id, user_id, deck_id, item_id),
    ) as cur:
        row = await cur.fetchone()
    return _state(row) if row else None


async def save_review(
    conn: Connection,
    *,
    guild_id: int,
    user_id: int,
    deck_id: str,
    item_id: str,
    kind: str,
    card: Card,
    rating: int,
    at: datetime,
    predicted_recall: float | None = None,
) -> None:
    """Store the new state and log the review (with the recall the model predicted for it, when it was a day or more
    after the last); call inside a transaction (with record_activity)."""
    due, at_text = to_text(card.due), to_text(at)
    await conn.execute(
        "INSERT INTO srs_state (guild_id, user_id, deck_id, item_id, kind, card_json, state, due, reps, lapses, "
        "first_seen, last_review) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) "
        "ON CONFLICT (guild_id, user_id, deck_id, item_id) DO UPDATE SET card_json = excluded.card_json, "
        "state = excluded.state, due = excluded.due, reps = srs_state.reps + 1, "
        "lapses = srs_state.lapses + excluded.lapses, "
        "last_review = excluded.last_review",
        (
            guild_id, user_id, deck_id, item_id, kind, card.to_json(), int(card.state), due, int(rating == 1),
            at_text, at_text,
        ),
    )
    await conn.execute(
        "INSERT INTO reviews (guild_id, user_id, deck_id, item_id, kind, rating, reviewed_at, due_after, "
        "predicted_recall) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (guild_id, user_id, deck_id, item_id, kind, rating, at_text, due, predicted_recall),
    )
