"""Explain storage: the open prompt per member, attempts stored once with review, activity and member name."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import AsyncIterator

import pytest

from bot.core.explain import ExplainGrade
from bot.store.db import Database
from bot.store.explain import (
    explain_due,
    get_attempts,
    get_open_prompt,
    open_prompt,
    save_attempt,
    set_prompt_message,
    use_hint,
)
from bot.store.members import get_member

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
GUILD, OTHER_GUILD, CHANNEL, ALICE, BOB = 1, 9, 2, 11, 22
DECK, PROMPT, PROMPT2 = "lr", "why", "how"
NAMES = ("Fast early", "Small later", "Avoid stuck", "Accuracy")


def graded(*hits: bool) -> ExplainGrade:
    return ExplainGrade(tuple(hits), NAMES[: len(hits)], sum(hits), len(hits), "note")


FULL = graded(True, True, True, True)
HALF = graded(True, True, False, False)
LOW = graded(True, False, False, False)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "r.db")
    try:
        yield database
    finally:
        await database.close()


async def show(db: Database, user: int = ALICE, prompt: str = PROMPT, at: datetime = T0, guild: int = GUILD):
    return await open_prompt(db, guild_id=guild, user_id=user, deck_id=DECK, prompt_id=prompt, public=False,
                             channel_id=CHANNEL, at=at)


async def answer(db: Database, nonce: str, grade: ExplainGrade = FULL, user: int = ALICE,
                 at: datetime = T0 + timedelta(minutes=1), text: str = "my answer"):
    return await save_attempt(db, guild_id=GUILD, user_id=user, nonce=nonce, display_name=f"user{user}", text=text,
                              grade=grade, at=at, fuzz=False)


async def count(db: Database, table: str) -> int:
    row = await db.fetchone(f"SELECT COUNT(*) AS n FROM {table}")
    return row["n"]


async def test_an_open_prompt_is_read_back_as_stored(db: Database) -> None:
    shown = await show(db)
    await set_prompt_message(db, GUILD, ALICE, shown.nonce, 555)
    back = await get_open_prompt(db, GUILD, ALICE)
    assert back is not None
    assert (back.deck_id, back.prompt_id, back.nonce) == (DECK, PROMPT, shown.nonce)
    assert (back.message_id, back.channel_id) == (555, CHANNEL)
    assert (back.hint_used, back.public, back.answered, back.opened_at) == (False, False, False, T0)
    assert await get_open_prompt(db, GUILD, BOB) is None
    assert await get_open_prompt(db, OTHER_GUILD, ALICE) is None


async def test_each_showing_gets_a_fresh_short_nonce(db: Database) -> None:
    nonces = {(await show(db)).nonce for _ in range(20)}
    assert len(nonces) == 20
    assert all(len(n) == 8 and n.replace("-", "").replace("_", "").isalnum() for n in nonces)


async def test_a_new_prompt_replaces_the_open_one(db: Database) -> None:
    first = await show(db)
    second = await show(db, prompt=PROMPT2)
    current = await get_open_prompt(db, GUILD, ALICE)
    assert current is not None and (current.prompt_id, current.nonce) == (PROMPT2, second.nonce)
    assert await use_hint(db, GUILD, ALICE, first.nonce) is None
    assert await answer(db, first.nonce) is None
    assert await count(db, "explain_attempts") == 0


async def test_hint_is_remembered_and_caps_the_rating_at_hard(db: Database) -> None:
    shown = await show(db)
    hinted = await use_hint(db, GUILD, ALICE, shown.nonce)
    assert hinted is not None and hinted.hint_used
    assert (await get_open_prompt(db, GUILD, ALICE)).hint_used
    saved = await answer(db, shown.nonce, FULL)
    assert saved is not None and (saved.rating, saved.hint_used) == (2, True)
    (attempt,) = await get_attempts(db, GUILD, ALICE)
    assert attempt.hint_used and attempt.rating == 2


@pytest.mark.parametrize(("grade", "rating"), [(FULL, 3), (HALF, 2), (LOW, 1), (graded(False, False, False, False), 1)])
async def test_the_score_becomes_the_rating(db: Database, grade: ExplainGrade, rating: int) -> None:
    shown = await show(db)
    saved = await answer(db, shown.nonce, grade)
    assert saved is not None and saved.rating == rating
    review = await db.fetchone("SELECT kind, rating, item_id, deck_id FROM reviews")
    assert (review["kind"], review["rating"], review["deck_id"], review["item_id"]) == ("explain", rating, DECK, PROMPT)


async def test_an_attempt_stores_text_concepts_review_activity_and_name(db: Database) -> None:
    shown = await show(db)
    at = T0 + timedelta(minutes=3)
    saved = await answer(db, shown.nonce, HALF, at=at, text="Big steps first, then small ones.")
    assert saved is not None
    (attempt,) = await get_attempts(db, GUILD, ALICE)
    assert (attempt.deck_id, attempt.prompt_id, attempt.text) == (DECK, PROMPT, "Big steps first, then small ones.")
    assert (attempt.hit, attempt.total, attempt.created_at, attempt.id) == (2, 4, at, saved.attempt_id)
    assert attempt.concepts == tuple(zip(NAMES, (True, True, False, False)))
    state = await db.fetchone("SELECT kind, due, reps FROM srs_state WHERE user_id = ?", (ALICE,))
    assert (state["kind"], state["reps"]) == ("explain", 1)
    assert saved.due > at
    activity = await db.fetchone("SELECT kind, at FROM activity WHERE user_id = ?", (ALICE,))
    assert activity["kind"] == "explain"
    member = await get_member(db, GUILD, ALICE)
    assert member is not None and member.display_name == f"user{ALICE}"
    assert (await get_open_prompt(db, GUILD, ALICE)).answered_at == at


async def test_a_double_submit_stores_one_attempt(db: Database) -> None:
    shown = await show(db)
    first = await answer(db, shown.nonce, FULL)
    second = await answer(db, shown.nonce, LOW)
    assert first is not None and second is None
    assert [await count(db, t) for t in ("explain_attempts", "reviews", "activity")] == [1, 1, 1]
    assert await use_hint(db, GUILD, ALICE, shown.nonce) is None  # an answered prompt's hint no longer counts


async def test_racing_submits_store_one_attempt(db: Database) -> None:
    shown = await show(db)
    results = await asyncio.gather(*(answer(db, shown.nonce, FULL) for _ in range(5)))
    assert sum(r is not None for r in results) == 1
    assert await count(db, "explain_attempts") == 1


async def test_a_nonce_of_another_member_is_not_theirs(db: Database) -> None:
    alices = await show(db, ALICE)
    await show(db, BOB)
    assert await answer(db, alices.nonce, user=BOB) is None
    assert await use_hint(db, GUILD, BOB, alices.nonce) is None
    assert await count(db, "explain_attempts") == 0


async def test_the_unique_nonce_guards_attempts_even_without_the_open_row(db: Database) -> None:
    shown = await show(db)
    await answer(db, shown.nonce)
    with pytest.raises(Exception, match="UNIQUE"):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO explain_attempts (guild_id, user_id, deck_id, prompt_id, text, hit, total, concepts_json, "
                "hint_used, rating, created_at, nonce) VALUES (?, ?, 'lr', 'why', '', 0, 4, '[]', 0, 1, 'x', ?)",
                (GUILD, ALICE, shown.nonce),
            )


async def test_a_second_answer_later_reviews_the_same_state(db: Database) -> None:
    first = await show(db)
    await answer(db, first.nonce, FULL, at=T0 + timedelta(minutes=1))
    again = await show(db, at=T0 + timedelta(days=1))
    await answer(db, again.nonce, FULL, at=T0 + timedelta(days=1, minutes=1))
    state = await db.fetchone("SELECT reps FROM srs_state WHERE user_id = ? AND item_id = ?", (ALICE, PROMPT))
    assert state["reps"] == 2
    attempts = await get_attempts(db, GUILD, ALICE)
    assert [a.created_at for a in attempts] == [T0 + timedelta(days=1, minutes=1), T0 + timedelta(minutes=1)]


async def test_explain_due_lists_only_explain_states_of_the_member(db: Database) -> None:
    shown = await show(db)
    saved = await answer(db, shown.nonce, LOW)
    async with db.transaction() as conn:  # a study card of the same member must not count as a prompt
        await conn.execute(
            "INSERT INTO srs_state (guild_id, user_id, deck_id, item_id, kind, card_json, due, first_seen) "
            "SELECT guild_id, user_id, deck_id, 'a-card', 'card', card_json, due, first_seen FROM srs_state"
        )
    assert await explain_due(db, GUILD, ALICE) == {(DECK, PROMPT): saved.due}
    assert await explain_due(db, GUILD, BOB) == {}


async def test_concepts_json_is_plain_json(db: Database) -> None:
    shown = await show(db)
    await answer(db, shown.nonce, HALF)
    row = await db.fetchone("SELECT concepts_json FROM explain_attempts")
    assert json.loads(row["concepts_json"])[0] == {"name": "Fast early", "hit": True}
