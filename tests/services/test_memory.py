"""Memory models as use cases on both backends: a far-off learner's fit adopted and used by their next rating, one fit
per server at a time, the background pass fitting only due scopes, rescheduling to the new set, roll back, and stored
sets that must never schedule (corrupt JSON, wrong length)."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest
from fsrs import State

from bot.core import scheduling
from bot.core.clock import to_text
from bot.core.decks import Card, Deck
from bot.core.library import DeckLibrary
from bot.core.memory import (
    DEFAULT_PARAMETERS, FitOutcome, Review, interval_days, judge, parameters_from_text, parameters_to_text,
)
from bot.core.memory import RetentionAdvice
from bot.services.memory import FitBusy, MemoryService, usable_parameters
from bot.services.study import StudyService
from bot.store import memory as store
from bot.store.api import Store
from bot.core.memory import SERVER_SCOPE
from bot.store.srs import save_review
from tests.core.test_memory import FAR_OFF, learner
from tests.store.conftest import write

G, U, V = 10, 20, 21
HISTORY = learner(FAR_OFF, 1, cards=150)  # 900 reviews of a learner who forgets faster than the defaults expect
NOW = max(r.at for r in HISTORY) + timedelta(days=1)
FRESH = Deck(id="fresh", title="Fresh", cards=(Card("new", "front", "back"),))
NEVER = 10**9  # a threshold no test history reaches


async def store_history(db: Store, reviews: list[Review], user_id: int = U) -> None:
    """Store `reviews` as the study path would have (cards scheduled by the defaults, unfuzzed), in one transaction."""
    cards: dict[str, scheduling.Card] = {}

    async def body(conn) -> None:
        for review in sorted(reviews, key=lambda r: r.at):
            item_id = f"c{review.card}"
            card = cards.get(item_id) or scheduling.new_card(review.at)
            cards[item_id], _log = scheduling.review(card, review.rating, review.at, fuzz=False)
            await save_review(conn, guild_id=G, user_id=user_id, deck_id="deck", item_id=item_id, kind="card",
                              card=cards[item_id], rating=review.rating, at=review.at)

    await db.atomic(body)


def single_reviews(count: int, start: int) -> list[Review]:
    """`count` new cards rated Good once (enough to move review counts)."""
    return [Review(start + n, 3, NOW + timedelta(minutes=n)) for n in range(count)]


async def stored_dues(db: Store, user_id: int = U) -> dict[str, str]:
    rows = await db.fetchall("SELECT item_id, due FROM srs_state WHERE guild_id = ? AND user_id = ? AND deck_id = "
                             "'deck'", (G, user_id))
    return {row["item_id"]: row["due"] for row in rows}


def replayed_dues(reviews: list[Review], params: tuple[float, ...] | None) -> dict[str, str]:
    """Each card's due when every rating of it is scheduled with `params` (unfuzzed), as stored text."""
    cards: dict[str, scheduling.Card] = {}
    for review in sorted(reviews, key=lambda r: r.at):
        item_id = f"c{review.card}"
        card = cards.get(item_id) or scheduling.new_card(review.at)
        cards[item_id], _log = scheduling.review(card, review.rating, review.at, fuzz=False, parameters=params)
    return {item_id: to_text(card.due) for item_id, card in cards.items()}


async def rate_fresh_card_easy(db: Store, user_id: int = U):
    """Open the fresh deck and rate its new card Easy, unfuzzed: the first interval comes from the set in use."""
    study = StudyService(db, DeckLibrary({FRESH.id: FRESH}))
    screen = await study.open(FRESH, guild_id=G, user_id=user_id, display_name="alice", now=NOW)
    return await study.rate(FRESH, guild_id=G, user_id=user_id, display_name="alice", item_id="new",
                            token=screen.session.token, rating=4, now=NOW, fuzz=False)


def easy_due(params: tuple[float, ...] | None) -> datetime:
    card, _log = scheduling.review(scheduling.new_card(NOW), 4, NOW, fuzz=False, parameters=params)
    return card.due


@pytest.fixture
async def history(db: Store) -> list[Review]:
    await store_history(db, HISTORY)
    return HISTORY


async def test_a_far_off_learner_gets_their_own_set_and_their_next_rating_uses_it(db: Store, history):
    service = MemoryService(db, min_member_reviews=400, min_server_reviews=NEVER)
    (fit,) = await service.fit_server(G, now=NOW)
    assert fit.user_id == U and fit.outcome.adopted and fit.outcome.reviews == 900
    assert fit.outcome.after.log_loss < fit.outcome.before.log_loss
    assert fit.rescheduled == 150
    text, scope = await store.model_text(db, G, U)
    assert scope == "member"
    params = parameters_from_text(text)
    assert params == pytest.approx(fit.outcome.parameters, abs=1e-6)

    result = await rate_fresh_card_easy(db)
    assert result.screen.parameters == text
    assert result.rated.due == easy_due(params) != easy_due(None)
    predicted = await db.fetchone("SELECT COUNT(*) AS n FROM reviews WHERE predicted_recall IS NOT NULL")
    assert predicted["n"] == 0  # a new card's first rating predicts nothing


async def test_too_few_reviews_fit_nothing(db: Store, history):
    service = MemoryService(db, min_member_reviews=901, min_server_reviews=NEVER)
    assert await service.fit_server(G, now=NOW) == []
    assert await store.models(db, G) == {}
    assert await service.run_due(now=NOW) == 0


async def test_a_second_fit_of_a_server_while_one_runs_is_refused(db: Store, history):
    service = MemoryService(db, min_member_reviews=400, min_server_reviews=NEVER)
    running = asyncio.create_task(service.fit_server(G, now=NOW))
    await asyncio.sleep(0)  # the first fit starts and holds the server
    assert service.fitting(G)
    with pytest.raises(FitBusy):
        await service.fit_server(G, now=NOW)
    assert await service.run_due(now=NOW) == 0  # the background pass leaves a server being fitted alone
    assert len(await running) == 1
    assert not service.fitting(G)
    assert len(await service.fit_server(G, now=NOW)) == 1  # free again once it ended


async def test_run_due_fits_only_scopes_that_are_due(db: Store, history):
    service = MemoryService(db, min_member_reviews=400, min_server_reviews=400, refit_after_reviews=50)
    assert await service.run_due(owns=lambda guild_id: guild_id != G, now=NOW) == 0  # another process's server
    assert await service.run_due(now=NOW) == 2  # the server's pooled set and the member's
    assert set(await store.models(db, G)) == {SERVER_SCOPE, U}
    assert await service.run_due(now=NOW) == 0  # nothing new since

    await store_history(db, single_reviews(49, start=10_000))
    assert await service.run_due(now=NOW) == 0
    await store_history(db, single_reviews(1, start=20_000))
    assert await service.run_due(now=NOW) == 2  # 50 new reviews in each scope
    assert (await store.models(db, G))[U].last_fit_reviews == 950

    week_later = NOW + service.refit_after
    assert await service.run_due(now=week_later) == 0  # a week, but no new review
    await store_history(db, single_reviews(1, start=30_000))
    assert await service.run_due(now=week_later - timedelta(seconds=1)) == 0
    assert await service.run_due(now=week_later) == 2  # a week and a new review


async def test_the_servers_set_schedules_members_without_their_own(db: Store, history):
    others = learner(FAR_OFF, 7, cards=3, reviews_per_card=4)
    await store_history(db, others, user_id=V)
    service = MemoryService(db, min_member_reviews=400, min_server_reviews=400)
    server, member = await service.fit_server(G, now=NOW)
    assert (server.user_id, member.user_id) == (SERVER_SCOPE, U)
    assert server.outcome.adopted and server.outcome.reviews == 912
    server_text = (await store.models(db, G))[SERVER_SCOPE].parameters
    assert await store.model_text(db, G, V) == (server_text, "server")
    # The member's candidate is judged against the server's set as it was before the member's held-out reviews (it
    # still predicts them better than the defaults do), not the stored one, which saw those very answers.
    assert member.outcome.adopted
    defaults = judge(HISTORY, DEFAULT_PARAMETERS, min_reviews=400).before
    assert member.outcome.before.log_loss < defaults.log_loss
    assert (await store.model_text(db, G, U))[1] == "member"
    assert await stored_dues(db, V) == replayed_dues(others, parameters_from_text(server_text))
    result = await rate_fresh_card_easy(db, user_id=V)
    assert result.screen.parameters == server_text
    summary = await service.summary(G)
    assert (summary.members_own, summary.members_server, summary.members_default) == (1, 1, 0)
    assert summary.server_fitted and summary.reviews == 913


async def test_reschedule_gives_the_cards_the_dues_of_the_new_set(db: Store, history):
    assert await stored_dues(db) == replayed_dues(HISTORY, None)
    told: list[tuple[int, int | None]] = []
    service = MemoryService(db, min_member_reviews=400, min_server_reviews=NEVER,
                            on_reschedule=lambda guild, user: told.append((guild, user)))
    await service.fit_server(G, now=NOW)
    params = parameters_from_text((await store.model_text(db, G, U))[0])
    dues = await stored_dues(db)
    assert dues == replayed_dues(HISTORY, params)
    changed = sum(dues[item] != due for item, due in replayed_dues(HISTORY, None).items())
    assert changed > len(dues) // 2  # the faster forgetting moves most cards
    assert told == [(G, U)]


# Beside HISTORY's cards (reviews days apart): same-day learning steps that graduate (FSRS's short-term stability),
# a card still in its learning steps, and one relearning after a lapse.
STEPS = [Review(9001, 3, NOW - timedelta(days=3)), Review(9001, 3, NOW - timedelta(days=3) + timedelta(minutes=10)),
         Review(9002, 1, NOW - timedelta(hours=1)),
         Review(9003, 3, NOW - timedelta(days=9)), Review(9003, 4, NOW - timedelta(days=5)),
         Review(9003, 1, NOW - timedelta(minutes=5))]


def replayed_cards(reviews: list[Review], params: tuple[float, ...]) -> dict[str, scheduling.Card]:
    cards: dict[str, scheduling.Card] = {}
    for review in sorted(reviews, key=lambda r: r.at):
        item_id = f"c{review.card}"
        card = cards.get(item_id) or scheduling.new_card(review.at)
        cards[item_id], _log = scheduling.review(card, review.rating, review.at, fuzz=False, parameters=params)
    return cards


async def stored_cards(db: Store) -> dict[str, scheduling.Card]:
    rows = await db.fetchall("SELECT item_id, card_json FROM srs_state WHERE guild_id = ? AND user_id = ?", (G, U))
    return {row["item_id"]: scheduling.Card.from_json(row["card_json"]) for row in rows}


async def test_reschedule_gives_each_card_the_state_py_fsrs_replays_and_moves_only_cards_in_review(db: Store):
    await store_history(db, HISTORY + STEPS)
    before = await stored_cards(db)
    await store.record_fit(db, G, U, FitOutcome(FAR_OFF, 906, "adopted"), text=parameters_to_text(FAR_OFF), at=NOW,
                           reviews_now=906)
    params = parameters_from_text((await store.model_text(db, G, U))[0])
    assert await MemoryService(db).reschedule(G, U) == 153

    after, replayed = await stored_cards(db), replayed_cards(HISTORY + STEPS, params)
    assert {card.state for card in after.values()} == {State.Learning, State.Review, State.Relearning}
    for item_id, card in after.items():
        expected = replayed[item_id]
        # The Rust replay computes in float32: the same states to about seven digits, and so the same whole days.
        assert card.stability == pytest.approx(expected.stability, rel=1e-5)
        assert card.difficulty == pytest.approx(expected.difficulty, rel=1e-5)
        assert (card.state, card.step, card.last_review) == (expected.state, expected.step, before[item_id].last_review)
        assert card.due == (expected.due if card.state == State.Review else before[item_id].due)
    assert sum(after[i].due != before[i].due for i in after) > len(after) // 2
    assert after["c9001"].stability != before["c9001"].stability  # short-term steps follow the new set too


@pytest.mark.parametrize("retention", [0.7, 0.9, 0.97])
@pytest.mark.parametrize("stability", [0.3, 2.6, 47.0, 900.0, 40_000.0])
def test_the_interval_is_py_fsrs_own(stability: float, retention: float):
    for params in (DEFAULT_PARAMETERS, FAR_OFF):
        plain = scheduling.scheduler(retention, params)
        assert interval_days(params, stability, retention, scheduling.MAXIMUM_INTERVAL) == plain._next_interval(
            stability=stability)


async def test_roll_back_puts_the_old_set_back_and_the_cards_follow(db: Store, history):
    service = MemoryService(db, min_member_reviews=400, min_server_reviews=NEVER)
    await service.fit_server(G, now=NOW)
    assert await service.roll_back(G, U, now=NOW + timedelta(hours=1))
    assert await store.model_text(db, G, U) == (None, "default")
    assert await stored_dues(db) == replayed_dues(HISTORY, None)
    assert not await service.roll_back(G, U, now=NOW + timedelta(hours=2))
    latest = (await store.recent_fits(db, G))[0]
    assert (latest.adopted, latest.reason) == (False, "rolled back to the previous set")
    result = await rate_fresh_card_easy(db)
    assert result.screen.parameters is None
    assert result.rated.due == easy_due(None)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('[0.2, 1.3, "', "stored parameters are not JSON"),
        ("[0.2, 1.3]", "expected 21 numbers, got 2"),
        ("[" + ", ".join(["1e9"] * 21) + "]", "out of bounds"),
    ],
    ids=["bad-json", "wrong-length", "out-of-bounds"],
)
async def test_a_corrupt_stored_set_never_schedules(db: Store, text: str, why: str, caplog: pytest.LogCaptureFixture):
    usable_parameters.cache_clear()  # its warning is logged once per text and process
    await write(db, "INSERT INTO memory_models (guild_id, user_id, parameters, last_fit_at, last_fit_reviews) "
                    "VALUES (?, ?, ?, ?, ?)", (G, U, text, to_text(NOW), 0))
    with caplog.at_level(logging.WARNING, logger="bot.services.memory"):
        result = await rate_fresh_card_easy(db)
    assert result.rated.due == easy_due(None) == easy_due(DEFAULT_PARAMETERS)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and why in warnings[0] and "defaults" in warnings[0]
    service = MemoryService(db)
    memory = await service.member_memory(G, U, now=NOW, day_end=NOW + timedelta(hours=12))
    assert memory.scope == "default"
    summary = await service.summary(G)
    assert summary.members_own == 0


async def test_a_rating_a_day_later_logs_the_recall_the_members_set_predicted(db: Store, history):
    service = MemoryService(db, min_member_reviews=400, min_server_reviews=NEVER)
    await service.fit_server(G, now=NOW)
    params = parameters_from_text((await store.model_text(db, G, U))[0])
    first = await rate_fresh_card_easy(db)
    later = first.rated.due + timedelta(days=1)
    study = StudyService(db, DeckLibrary({FRESH.id: FRESH}))
    screen = await study.open(FRESH, guild_id=G, user_id=U, display_name="alice", now=later)
    assert screen.pick.item.item_id == "new"
    await study.rate(FRESH, guild_id=G, user_id=U, display_name="alice", item_id="new", token=screen.session.token,
                     rating=3, now=later, fuzz=False)
    row = await db.fetchone("SELECT predicted_recall FROM reviews WHERE item_id = 'new' AND reviewed_at = ?",
                            (to_text(later),))
    expected = scheduling.retrievability(first.rated, later, parameters=params)
    assert row["predicted_recall"] == pytest.approx(expected)
    assert expected != pytest.approx(scheduling.retrievability(first.rated, later))
    memory = await service.member_memory(G, U, now=later, day_end=later)
    assert (memory.scope, memory.since) == ("member", NOW)
    assert memory.calibration.reviews == 1 and memory.calibration.actual == pytest.approx(1.0)


async def test_retention_advice_is_simulated_with_the_servers_set(db: Store, history, monkeypatch):
    simulated: list[tuple[float, ...]] = []

    def simulation(params: tuple[float, ...]) -> float:  # the real one takes seconds; core's tests cover it
        simulated.append(tuple(params))
        return 0.84

    monkeypatch.setattr("bot.core.memory.recommended_retention", simulation)
    service = MemoryService(db, min_member_reviews=NEVER, min_server_reviews=400)
    assert await service.retention_advice(G) == RetentionAdvice(0.9, 0.84, "default")
    await service.fit_server(G, now=NOW)
    assert await service.retention_advice(G) == RetentionAdvice(0.9, 0.84, "server")
    assert await service.retention_advice(G) == RetentionAdvice(0.9, 0.84, "server")  # cached per set
    server = parameters_from_text((await store.models(db, G))[SERVER_SCOPE].parameters)
    assert simulated == [DEFAULT_PARAMETERS, server]


def test_a_member_on_the_pooled_set_is_judged_against_the_pooled_set_as_it_was_before_the_held_out_reviews():
    # One member's reviews are all of the server's: the stored pooled set was fitted on the member's held-out answers.
    from bot.core.memory import fit, judge, training_items
    from bot.services.memory import _judged

    history = learner(FAR_OFF, 1)
    rows = [(7, "deck", str(r.card), r.rating, to_text(r.at)) for r in history]
    stored_pooled = fit(training_items(store.reviews_from_rows(rows)))
    fair = _judged(rows, stored_pooled, 400, pooled_rows=rows)
    leaked = judge(store.reviews_from_rows(rows), stored_pooled, min_reviews=400)
    assert fair.before.log_loss > leaked.before.log_loss  # the pooled set of then, not the one that saw the answers
    plain = _judged(rows, stored_pooled, 400).before  # without pooled rows: the set in use (up to float noise)
    assert plain.log_loss == pytest.approx(leaked.before.log_loss, rel=1e-5)
