"""What SQL /explain runs: the prompt each member has open, and every graded attempt with its review."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.core.clock import from_text, to_text
from bot.core.explain import ExplainGrade
from bot.core.scheduling import DEFAULT_RETENTION, new_card, rating_for_share, review
from bot.services.streaks import record_activity as _record  # interim
from bot.ui.common import streak_line as _line  # interim
from bot.store.db import Connection, Database
from bot.store.members import remember_member
from bot.store.srs import get_state, save_review


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


@dataclass(frozen=True, slots=True)
class SavedAttempt:
    """What storing an attempt decided: the rating given, when the prompt comes back, the streak line if any."""

    attempt_id: int
    rating: int
    hint_used: bool
    due: datetime
    streak_line: str | None


@dataclass(frozen=True, slots=True)
class Attempt:
    id: int
    guild_id: int
    user_id: int
    deck_id: str
    prompt_id: str
    text: str
    hit: int
    total: int
    concepts: tuple[tuple[str, bool], ...]
    hint_used: bool
    rating: int
    created_at: datetime


_OPEN_COLUMNS = (
    "guild_id, user_id, deck_id, prompt_id, nonce, hint_used, public, channel_id, message_id, opened_at, answered_at"
)
_ATTEMPT_COLUMNS = (
    "id, guild_id, user_id, deck_id, prompt_id, text, hit, total, concepts_json, hint_used, rating, created_at"
)


def new_nonce() -> str:
    # 8 url-safe characters: short enough for custom ids, unguessable enough that an old message never matches.
    return secrets.token_urlsafe(6)


def _open(row: aiosqlite.Row) -> OpenPrompt:
    return OpenPrompt(
        row["guild_id"], row["user_id"], row["deck_id"], row["prompt_id"], row["nonce"], bool(row["hint_used"]),
        bool(row["public"]), row["channel_id"], row["message_id"], from_text(row["opened_at"]),
        from_text(row["answered_at"]) if row["answered_at"] else None,
    )


def _attempt(row: aiosqlite.Row) -> Attempt:
    concepts = tuple((c["name"], bool(c["hit"])) for c in json.loads(row["concepts_json"]))
    return Attempt(
        row["id"], row["guild_id"], row["user_id"], row["deck_id"], row["prompt_id"], row["text"], row["hit"],
        row["total"], concepts, bool(row["hint_used"]), row["rating"], from_text(row["created_at"]),
    )


async def open_prompt(
    db: Database,
    *,
    guild_id: int,
    user_id: int,
    deck_id: str,
    prompt_id: str,
    public: bool,
    channel_id: int | None,
    at: datetime,
) -> OpenPrompt:
    """Show a member a new prompt; it replaces the one they had open, whose buttons stop working."""
    prompt = OpenPrompt(guild_id, user_id, deck_id, prompt_id, new_nonce(), False, public, channel_id, None, at, None)
    async def body(conn: Connection) -> None:
        await conn.execute(
            f"INSERT OR REPLACE INTO explain_open ({_OPEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, 0, ?, ?, NULL, ?, NULL)",
            (guild_id, user_id, deck_id, prompt_id, prompt.nonce, int(public), channel_id, to_text(at)),
        )

    await db.atomic(body)
    return prompt


async def get_open_prompt(db: Database, guild_id: int, user_id: int) -> OpenPrompt | None:
    row = await db.fetchone(
        f"SELECT {_OPEN_COLUMNS} FROM explain_open WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    )
    return _open(row) if row else None


async def set_prompt_message(db: Database, guild_id: int, user_id: int, nonce: str, message_id: int) -> None:
    async def body(conn: Connection) -> None:
        await conn.execute(
            "UPDATE explain_open SET message_id = ? WHERE guild_id = ? AND user_id = ? AND nonce = ?",
            (message_id, guild_id, user_id, nonce),
        )

    await db.atomic(body)


async def use_hint(db: Database, guild_id: int, user_id: int, nonce: str) -> OpenPrompt | None:
    """Mark the hint of this showing as used; None when it was answered or replaced meanwhile."""
    async def body(conn: Connection) -> OpenPrompt | None:
        await conn.execute(
            "UPDATE explain_open SET hint_used = 1 "
            "WHERE guild_id = ? AND user_id = ? AND nonce = ? AND answered_at IS NULL",
            (guild_id, user_id, nonce),
        )
        return await _fetch_open(conn, guild_id, user_id, nonce)

    row = await db.atomic(body)
    return row if row is not None and not row.answered else None


async def _fetch_open(conn: aiosqlite.Connection, guild_id: int, user_id: int, nonce: str) -> OpenPrompt | None:
    async with conn.execute(
        f"SELECT {_OPEN_COLUMNS} FROM explain_open WHERE guild_id = ? AND user_id = ? AND nonce = ?",
        (guild_id, user_id, nonce),
    ) as cur:
        row = await cur.fetchone()
    return _open(row) if row else None


async def save_attempt(
    db: Database,
    *,
    guild_id: int,
    user_id: int,
    nonce: str,
    display_name: str,
    text: str,
    grade: ExplainGrade,
    at: datetime,
    desired_retention: float = DEFAULT_RETENTION,
    fuzz: bool = True,
) -> SavedAttempt | None:
    """Store a graded answer, its review and the day's activity in one transaction.

    Returns None when this showing was already answered or replaced: a double submit stores one attempt.
    The hint flag is read here, inside the transaction, so the rating always matches what the member saw.
    """
    async def body(conn: Connection) -> SavedAttempt | None:
        prompt = await _fetch_open(conn, guild_id, user_id, nonce)
        if prompt is None or prompt.answered:
            return None
        rating = rating_for_share(grade.hit, grade.total, hint_used=prompt.hint_used)
        cursor = await conn.execute(
            "INSERT INTO explain_attempts (guild_id, user_id, deck_id, prompt_id, text, hit, total, concepts_json, "
            "hint_used, rating, created_at, nonce) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id, user_id, prompt.deck_id, prompt.prompt_id, text, grade.hit, grade.total,
                json.dumps([{"name": n, "hit": h} for n, h in zip(grade.names, grade.hits)]),
                int(prompt.hint_used), rating, to_text(at), nonce,
            ),
        )
        await conn.execute(
            "UPDATE explain_open SET answered_at = ? WHERE guild_id = ? AND user_id = ? AND nonce = ?",
            (to_text(at), guild_id, user_id, nonce),
        )
        state = await get_state(conn, guild_id, user_id, prompt.deck_id, prompt.prompt_id)
        card, _ = review(state.card if state else new_card(at), rating, at,
                         desired_retention=desired_retention, fuzz=fuzz)
        await save_review(conn, guild_id=guild_id, user_id=user_id, deck_id=prompt.deck_id,
                          item_id=prompt.prompt_id, kind="explain", card=card, rating=rating, at=at)
        streak_line = _line(await _record(conn, guild_id, user_id, "explain", at))
        await remember_member(conn, guild_id, user_id, display_name)
        return SavedAttempt(int(cursor.lastrowid), rating, prompt.hint_used, card.due, streak_line)

    return await db.atomic(body)


async def get_attempts(db: Database, guild_id: int, user_id: int, limit: int = 50) -> list[Attempt]:
    """A member's attempts, newest first."""
    rows = await db.fetchall(
        f"SELECT {_ATTEMPT_COLUMNS} FROM explain_attempts WHERE guild_id = ? AND user_id = ? "
        "ORDER BY created_at DESC, id DESC LIMIT ?",
        (guild_id, user_id, limit),
    )
    return [_attempt(r) for r in rows]


async def explain_due(db: Database, guild_id: int, user_id: int) -> dict[tuple[str, str], datetime]:
    """When each prompt the member has answered comes back, keyed by (deck id, prompt id)."""
    rows = await db.fetchall(
        "SELECT deck_id, item_id, due FROM srs_state WHERE guild_id = ? AND user_id = ? AND kind = 'explain'",
        (guild_id, user_id),
    )
    return {(r["deck_id"], r["item_id"]): from_text(r["due"]) for r in rows}
