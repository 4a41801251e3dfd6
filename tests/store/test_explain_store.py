"""Explain storage: the open prompt per member and the attempts, as rows (the use case is tested in
tests/services/test_explain.py)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bot.core.clock import from_text, to_text
from bot.core.explain import ExplainGrade
from bot.store.db import Database
from bot.store.explain import (
    OpenPrompt,
    explain_due,
    fetch_open,
    get_open_prompt,
    insert_attempt,
    mark_answered,
    mark_hint_used,
    new_nonce,
    open_prompt,
    set_prompt_message,
)
from tests.store.conftest import write

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
GUILD, OTHER_GUILD, CHANNEL, ALICE, BOB = 1, 9, 2, 11, 22
DECK, PROMPT, PROMPT2 = "lr", "why", "how"
NAMES = ("Fast early", "Small later", "Avoid stuck", "Accuracy")


def graded(*hits: bool) -> ExplainGrade:
    return ExplainGrade(tuple(hits), NAMES[: len(hits)], sum(hits), len(hits), "note")


HALF = graded(True, True, False, False)


@dataclass(frozen=True)
class Attempt:
    """An explain_attempts row as the tests read it back."""

    id: int
    deck_id: str
    prompt_id: str
    text: str
    hit: int
    total: int
    concepts: tuple[tuple[str, bool], ...]
    hint_used: bool
    rating: int
    created_at: datetime


async def attempts(db: Database, guild_id: int, user_id: int) -> list[Attempt]:
    """A member's stored attempts, newest first (Recall itself never reads them back; the tests check them)."""
    rows = await db.fetchall(
        "SELECT id, deck_id, prompt_id, text, hit, total, concepts_json, hint_used, rating, created_at "
        "FROM explain_attempts WHERE guild_id = ? AND user_id = ? ORDER BY created_at DESC, id DESC",
        (guild_id, user_id),
    )
    return [
        Attempt(r["id"], r["deck_id"], r["prompt_id"], r["text"], r["hit"], r["total"],
                tuple((c["name"], bool(c["hit"])) for c in json.loads(r["concepts_json"])), bool(r["hint_used"]),
                r["rating"], from_text(r["created_at"]))
        for r in rows
    ]


async def show(db: Database, user: int = ALICE, prompt: str = PROMPT, at: datetime = T0,
               guild: int = GUILD) -> OpenPrompt:
    shown = OpenPrompt(guild, user, DECK, prompt, new_nonce(), False, False, CHANNEL, None, at, None)

    async def body(conn: Any) -> None:
        await open_prompt(conn, shown)

    await db.atomic(body)
    return shown


async def count(db: Database, table: str) -> int:
    row = await db.fetchone(f"SELECT COUNT(*) AS n FROM {table}")
    return row["n"]


async def test_an_open_prompt_is_read_back_as_stored(db: Database) -> None:
    shown = await show(db)
    await db.atomic(lambda conn: set_prompt_message(conn, GUILD, ALICE, shown.nonce, 555))
    back = await get_open_prompt(db, GUILD, ALICE)
    assert back == OpenPrompt(GUILD, ALICE, DECK, PROMPT, shown.nonce, False, False, CHANNEL, 555, T0, None)
    assert not back.answered
    assert await get_open_prompt(db, GUILD, BOB) is None
    assert await get_open_prompt(db, OTHER_GUILD, ALICE) is None


async def test_each_showing_gets_a_fresh_short_nonce() -> None:
    nonces = {new_nonce() for _ in range(20)}
    assert len(nonces) == 20
    assert all(len(n) == 8 and n.replace("-", "").replace("_", "").isalnum() for n in nonces)


async def test_a_new_prompt_replaces_the_open_one(db: Database) -> None:
    first = await show(db)
    second = await show(db, prompt=PROMPT2)
    current = await get_open_prompt(db, GUILD, ALICE)
    assert current is not None and (current.prompt_id, current.nonce) == (PROMPT2, second.nonce)
    assert await db.atomic(lambda conn: fetch_open(conn, GUILD, ALICE, first.nonce)) is None
    assert await db.atomic(lambda conn: mark_hint_used(conn, GUILD, ALICE, first.nonce)) is False


async def test_the_hint_is_marked_only_on_an_unanswered_showing(db: Database) -> None:
    shown = await show(db)
    assert await db.atomic(lambda conn: mark_hint_used(conn, GUILD, ALICE, shown.nonce)) is True
    assert (await get_open_prompt(db, GUILD, ALICE)).hint_used
    await db.atomic(lambda conn: mark_answered(conn, GUILD, ALICE, shown.nonce, T0 + timedelta(minutes=2)))
    back = await db.atomic(lambda conn: fetch_open(conn, GUILD, ALICE, shown.nonce))
    assert back is not None and back.answered_at == T0 + timedelta(minutes=2)
    assert await db.atomic(lambda conn: mark_hint_used(conn, GUILD, ALICE, shown.nonce)) is False


async def test_a_nonce_of_another_member_is_not_theirs(db: Database) -> None:
    alices = await show(db, ALICE)
    await show(db, BOB)
    assert await db.atomic(lambda conn: fetch_open(conn, GUILD, BOB, alices.nonce)) is None
    assert await db.atomic(lambda conn: mark_hint_used(conn, GUILD, BOB, alices.nonce)) is False


async def test_an_attempt_is_stored_with_its_showing_and_concepts(db: Database) -> None:
    shown = await show(db)
    at = T0 + timedelta(minutes=3)
    attempt_id = await db.atomic(
        lambda conn: insert_attempt(conn, shown, "Big steps first, then small ones.", HALF, 2, at)
    )
    (attempt,) = await attempts(db, GUILD, ALICE)
    assert attempt == Attempt(attempt_id, DECK, PROMPT, "Big steps first, then small ones.", 2, 4,
                              tuple(zip(NAMES, (True, True, False, False))), False, 2, at)
    row = await db.fetchone("SELECT concepts_json, nonce FROM explain_attempts")
    assert json.loads(row["concepts_json"])[0] == {"name": "Fast early", "hit": True}  # plain JSON
    assert row["nonce"] == shown.nonce


async def test_the_unique_nonce_guards_attempts_even_without_the_open_row(db: Database) -> None:
    shown = await show(db)
    await db.atomic(lambda conn: insert_attempt(conn, shown, "x", HALF, 2, T0))
    with pytest.raises(Exception, match="(?i)unique"):
        await write(
            db,
            "INSERT INTO explain_attempts (guild_id, user_id, deck_id, prompt_id, text, hit, total, concepts_json, "
            "hint_used, rating, created_at, nonce) VALUES (?, ?, 'lr', 'why', '', 0, 4, '[]', 0, 1, 'x', ?)",
            (GUILD, ALICE, shown.nonce),
        )
    assert await count(db, "explain_attempts") == 1


async def test_explain_due_lists_only_explain_states_of_the_member(db: Database) -> None:
    due = T0 + timedelta(minutes=10)
    sql = ("INSERT INTO srs_state (guild_id, user_id, deck_id, item_id, kind, card_json, due, first_seen) "
           "VALUES (?, ?, ?, ?, ?, '{}', ?, ?)")
    await write(
        db, sql,
        (GUILD, ALICE, DECK, PROMPT, "explain", to_text(due), to_text(T0)),
        (GUILD, ALICE, DECK, "a-card", "card", to_text(due), to_text(T0)),  # a study card is not a prompt
        (OTHER_GUILD, ALICE, DECK, PROMPT2, "explain", to_text(due), to_text(T0)),
    )
    assert await explain_due(db, GUILD, ALICE) == {(DECK, PROMPT): due}
    assert await explain_due(db, GUILD, BOB) == {}
