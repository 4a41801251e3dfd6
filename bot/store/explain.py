"""What SQL /explain runs: the prompt each member has open, and every graded attempt.

Row mapping only: grading, the rating and the review are bot.services.explain's, inside its transactions.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.clock import from_text, to_text
from bot.core.explain import ExplainGrade
from bot.store.api import Connection, Store
from bot.store.sql import upsert


@dataclass(frozen=True, slots=True)
class OpenPrompt:
    """The prompt a member was last shown; `nonce` ties its buttons and modal to this showing."""

    guild_id: int
    user_id: int
    deck_id: str
    prompt_id: str
    nonce: str
    hint_used: bool
    public: bool
    channel_id: int | None
    message_id: int | None
    opened_at: datetime
    answered_at: datetime | None

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


_OPEN_COLUMNS = (
    "guild_id, user_id, deck_id, prompt_id, nonce, hint_used, public, channel_id, message_id, opened_at, answered_at"
)
_SAVE_OPEN = upsert("explain_open", _OPEN_COLUMNS.split(", "), ("guild_id", "user_id"))


def new_nonce() -> str:
    # 8 url-safe characters: short enough for custom ids, unguessable enough that an old message never matches.
    return secrets.token_urlsafe(6)


def _open(row: Any) -> OpenPrompt:
    return OpenPrompt(
        row["guild_id"], row["user_id"], row["deck_id"], row["prompt_id"], row["nonce"], bool(row["hint_used"]),
        bool(row["public"]), row["channel_id"], row["message_id"], from_text(row["opened_at"]),
        from_text(row["answered_at"]) if row["answered_at"] else None,
    )


async def open_prompt(conn: Connection, prompt: OpenPrompt) -> None:
    """Store the member's new showing; it replaces the one they had open, whose buttons stop working."""
    await conn.execute(
        _SAVE_OPEN,
        (
            prompt.guild_id, prompt.user_id, prompt.deck_id, prompt.prompt_id, prompt.nonce, int(prompt.hint_used),
            int(prompt.public), prompt.channel_id, prompt.message_id, to_text(prompt.opened_at),
            to_text(prompt.answered_at) if prompt.answered_at else None,
        ),
    )


async def get_open_prompt(db: Store, guild_id: int, user_id: int) -> OpenPrompt | None:
    row = await db.fetchone(
        f"SELECT {_OPEN_COLUMNS} FROM explain_open WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    )
    return _open(row) if row else None


async def fetch_open(conn: Connection, guild_id: int, user_id: int, nonce: str) -> OpenPrompt | None:
    """The member's open prompt if it is still this showing (`nonce`), inside a transaction."""
    async with conn.execute(
        f"SELECT {_OPEN_COLUMNS} FROM explain_open WHERE guild_id = ? AND user_id = ? AND nonce = ?",
        (guild_id, user_id, nonce),
    ) as cur:
        row = await cur.fetchone()
    return _open(row) if row else None


async def set_prompt_message(conn: Connection, guild_id: int, user_id: int, nonce: str, message_id: int) -> None:
    await conn.execute(
        "UPDATE explain_open SET message_id = ? WHERE guild_id = ? AND user_id = ? AND nonce = ?",
        (message_id, guild_id, user_id, nonce),
    )


async def mark_hint_used(conn: Connection, guild_id: int, user_id: int, nonce: str) -> bool:
    """Mark the hint of this showing as used; False when it was answered or replaced meanwhile."""
    cur = await conn.execute(
        "UPDATE explain_open SET hint_used = 1 "
        "WHERE guild_id = ? AND user_id = ? AND nonce = ? AND answered_at IS NULL RETURNING 1",
        (guild_id, user_id, nonce),
    )
    return await cur.fetchone() is not None


async def mark_answered(conn: Connection, guild_id: int, user_id: int, nonce: str, at: datetime) -> None:
    await conn.execute(
        "UPDATE explain_open SET answered_at = ? WHERE guild_id = ? AND user_id = ? AND nonce = ?",
        (to_text(at), guild_id, user_id, nonce),
    )


async def insert_attempt(
    conn: Connection, prompt: OpenPrompt, text: str, grade: ExplainGrade, rating: int, at: datetime
) -> int:
    """Store one graded answer of the showing `prompt`; returns its id. The table's unique nonce keeps it to one."""
    cursor = await conn.execute(
        "INSERT INTO explain_attempts (guild_id, user_id, deck_id, prompt_id, text, hit, total, concepts_json, "
        "hint_used, rating, created_at, nonce) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            prompt.guild_id, prompt.user_id, prompt.deck_id, prompt.prompt_id, text, grade.hit, grade.total,
            json.dumps([{"name": n, "hit": h} for n, h in zip(grade.names, grade.hits)]),
            int(prompt.hint_used), rating, to_text(at), prompt.nonce,
        ),
    )
    (attempt_id,) = await cursor.fetchone()
    return int(attempt_id)


async def explain_due(db: Store, guild_id: int, user_id: int) -> dict[tuple[str, str], datetime]:
    """When each prompt the member has answered comes back, keyed by (deck id, prompt id)."""
    rows = await db.fetchall(
        "SELECT deck_id, item_id, due FROM srs_state WHERE guild_id = ? AND user_id = ? AND kind = 'explain'",
        (guild_id, user_id),
    )
    return {(r["deck_id"], r["item_id"]): from_text(r["due"]) for r in rows}
