"""ExplainService: picking the most due prompt, the hint, and storing a graded answer once with its review,
activity, streak and the member's name."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from bot.core.decks import Concept, Deck, ExplainPrompt
from bot.core.errors import DeckGone, InvalidInput, Stale
from bot.core.library import DeckLibrary
from bot.services.explain import ALREADY_RECORDED, ANSWERED, NO_PROMPTS, STALE, ExplainService
from bot.store.db import Database
from bot.store.explain import get_open_prompt
from bot.store.members import get_member
from tests.store.test_explain_store import attempts, count

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
GUILD, CHANNEL, ALICE, BOB = 1, 2, 11, 22
CONCEPTS = tuple(Concept(name, (word,)) for name, word in
                 (("Fast early", "alpha"), ("Small later", "bravo"), ("Avoid stuck", "charlie"), ("Accuracy", "delta")))
WHY = ExplainPrompt("why", "Why?", CONCEPTS, hint="Think of the Greek letters.", answer="alpha bravo charlie delta")
HOW = ExplainPrompt("how", "How?", CONCEPTS)
DECK = Deck("lr", "Learning rates", explain=(WHY, HOW))
CARDS_ONLY = Deck("plain", "No prompts here")
FULL, HALF, LOW = "alpha bravo charlie delta", "alpha and bravo only", "alpha is all I know"


@pytest.fixture
def service(db: Database) -> ExplainService:
    return ExplainService(db, DeckLibrary({DECK.id: DECK, CARDS_ONLY.id: CARDS_ONLY}), fuzz=False)


async def ask(service: ExplainService, user: int = ALICE, at: datetime = T0, deck: Deck | None = DECK):
    return await service.ask(GUILD, user, deck, public=False, channel_id=CHANNEL, at=at)


async def answer(service: ExplainService, nonce: str, text: str = FULL, user: int = ALICE,
                 at: datetime = T0 + timedelta(minutes=1)):
    return await service.submit(GUILD, user, nonce, f"user{user}", text, at)


async def test_ask_opens_the_first_prompt_and_remembers_its_message(service: ExplainService, db: Database) -> None:
    shown = await ask(service)
    assert (shown.deck, shown.prompt, shown.public) == (DECK, WHY, False)
    await service.remember_message(GUILD, ALICE, shown.nonce, 555)
    stored = await get_open_prompt(db, GUILD, ALICE)
    assert stored is not None and (stored.prompt_id, stored.nonce, stored.message_id) == ("why", shown.nonce, 555)


async def test_the_most_due_prompt_comes_first(service: ExplainService) -> None:
    await answer(service, (await ask(service)).nonce, FULL)  # Good: back in ~10 minutes
    shown = await ask(service, at=T0 + timedelta(minutes=2))
    assert shown.prompt == HOW  # never seen counts as due now
    await answer(service, shown.nonce, LOW, at=T0 + timedelta(minutes=3))  # Again: back in ~1 minute
    assert (await ask(service, at=T0 + timedelta(minutes=5), deck=None)).prompt == HOW


async def test_a_deck_or_server_without_prompts_is_refused(service: ExplainService, db: Database) -> None:
    with pytest.raises(InvalidInput, match="No prompts here"):
        await ask(service, deck=CARDS_ONLY)
    empty = ExplainService(db, DeckLibrary({CARDS_ONLY.id: CARDS_ONLY}))
    with pytest.raises(InvalidInput) as refused:
        await ask(empty, deck=None)
    assert str(refused.value) == NO_PROMPTS
    assert await get_open_prompt(db, GUILD, ALICE) is None


async def test_the_hint_is_remembered_and_caps_the_rating_at_hard(service: ExplainService, db: Database) -> None:
    shown = await ask(service)
    hinted = await service.use_hint(GUILD, ALICE, shown.nonce)
    assert hinted.prompt.hint == WHY.hint
    assert (await get_open_prompt(db, GUILD, ALICE)).hint_used
    answered = await answer(service, shown.nonce, FULL)
    assert (answered.saved.rating, answered.saved.hint_used, answered.grade.hit) == (2, True, 4)
    (attempt,) = await attempts(db, GUILD, ALICE)
    assert attempt.hint_used and attempt.rating == 2


@pytest.mark.parametrize(("text", "rating"), [(FULL, 3), (HALF, 2), (LOW, 1), ("no", 1)])
async def test_the_score_becomes_the_rating(service: ExplainService, db: Database, text: str, rating: int) -> None:
    shown = await ask(service)
    answered = await answer(service, shown.nonce, text)
    assert answered.saved.rating == rating
    review = await db.fetchone("SELECT kind, rating, deck_id, item_id FROM reviews")
    assert tuple(review) == ("explain", rating, "lr", "why")


async def test_an_answer_stores_attempt_review_activity_streak_and_name(
    service: ExplainService, db: Database
) -> None:
    shown = await ask(service)
    at = T0 + timedelta(minutes=3)
    answered = await answer(service, shown.nonce, HALF, at=at)
    assert (answered.prompt, answered.grade.hit, answered.grade.total) == (WHY, 2, 4)
    (attempt,) = await attempts(db, GUILD, ALICE)
    assert (attempt.id, attempt.text, attempt.hit, attempt.created_at) == (answered.saved.attempt_id, HALF, 2, at)
    assert attempt.concepts == (("Fast early", True), ("Small later", True), ("Avoid stuck", False),
                                ("Accuracy", False))
    state = await db.fetchone("SELECT kind, reps FROM srs_state WHERE user_id = ?", (ALICE,))
    assert tuple(state) == ("explain", 1)
    assert answered.saved.due > at
    activity = await db.fetchone("SELECT kind FROM activity WHERE user_id = ?", (ALICE,))
    assert activity["kind"] == "explain"
    streak = answered.saved.streak
    assert streak is not None and streak.grew and streak.state.current == 1
    member = await get_member(db, GUILD, ALICE)
    assert member is not None and member.display_name == f"user{ALICE}"
    assert (await get_open_prompt(db, GUILD, ALICE)).answered_at == at


async def test_a_double_submit_stores_one_attempt(service: ExplainService, db: Database) -> None:
    shown = await ask(service)
    await answer(service, shown.nonce, FULL)
    with pytest.raises(Stale) as refused:
        await answer(service, shown.nonce, LOW)
    assert str(refused.value) == ALREADY_RECORDED
    assert [await count(db, t) for t in ("explain_attempts", "reviews", "activity")] == [1, 1, 1]
    with pytest.raises(Stale, match="already answered"):  # an answered prompt's hint no longer counts
        await service.use_hint(GUILD, ALICE, shown.nonce)
    with pytest.raises(Stale) as answered:
        await service.showing(GUILD, ALICE, shown.nonce)
    assert str(answered.value) == ANSWERED


async def test_racing_submits_store_one_attempt(service: ExplainService, db: Database) -> None:
    shown = await ask(service)
    results = await asyncio.gather(*(answer(service, shown.nonce, FULL) for _ in range(5)), return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, Stale) for r in results if isinstance(r, BaseException))
    assert [await count(db, t) for t in ("explain_attempts", "reviews", "activity")] == [1, 1, 1]


async def test_a_replaced_prompt_or_another_members_nonce_is_stale(service: ExplainService, db: Database) -> None:
    first = await ask(service)
    await ask(service, at=T0 + timedelta(seconds=5))
    for attempt in (service.use_hint(GUILD, ALICE, first.nonce), answer(service, first.nonce),
                    service.showing(GUILD, ALICE, first.nonce)):
        with pytest.raises(Stale) as refused:
            await attempt
        assert str(refused.value) == STALE
    bobs = await ask(service, user=BOB)
    with pytest.raises(Stale):
        await answer(service, bobs.nonce, user=ALICE)
    assert await count(db, "explain_attempts") == 0


async def test_a_prompt_whose_deck_went_away_is_refused(service: ExplainService, db: Database) -> None:
    shown = await ask(service)
    service.decks.replace_shipped({})
    with pytest.raises(DeckGone, match="`lr` changed"):
        await service.showing(GUILD, ALICE, shown.nonce)
    with pytest.raises(DeckGone):
        await service.use_hint(GUILD, ALICE, shown.nonce)
    assert not (await get_open_prompt(db, GUILD, ALICE)).hint_used  # refused inside the transaction: rolled back


async def test_a_second_answer_later_reviews_the_same_state(service: ExplainService, db: Database) -> None:
    await answer(service, (await ask(service)).nonce, FULL, at=T0 + timedelta(minutes=1))
    again = await ask(service, at=T0 + timedelta(days=1), deck=Deck("lr", "Learning rates", explain=(WHY,)))
    await answer(service, again.nonce, FULL, at=T0 + timedelta(days=1, minutes=1))
    state = await db.fetchone("SELECT reps FROM srs_state WHERE user_id = ? AND item_id = 'why'", (ALICE,))
    assert state["reps"] == 2
    assert [a.created_at for a in await attempts(db, GUILD, ALICE)] == [
        T0 + timedelta(days=1, minutes=1), T0 + timedelta(minutes=1)
    ]

