"""The memory-model store on both backends: fits logged and adopted sets kept with the one they replaced, roll back,
rescheduled cards written only when no rating moved them, calibration averages and review counts."""
from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone

import pytest

from bot.core import scheduling
from bot.core.clock import to_text
from bot.core.memory import Evaluation, FitOutcome
from bot.store import memory
from bot.store.api import Store
from bot.core.memory import SERVER_SCOPE
from bot.store.memory import RescheduledCard
from bot.store.srs import save_review
from tests.store.conftest import write

G, U, V, OTHER_GUILD = 10, 20, 21, 11
T0 = datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc)
FIRST, SECOND = "[0.1, 0.2]", "[0.3, 0.4]"  # the store keeps text: checking it is core's job
BEFORE, AFTER = Evaluation(0.5, 0.15), Evaluation(0.4, 0.1)


def adopted(reviews: int = 900) -> FitOutcome:
    return FitOutcome((0.1, 0.2), reviews, "better on the latest reviews", BEFORE, AFTER)


def kept(reviews: int = 1200) -> FitOutcome:
    return FitOutcome(None, reviews, "the fitted parameters did not predict the latest reviews better", BEFORE, AFTER)


async def review(db: Store, item_id: str, rating: int, at: datetime, *, user_id: int = U, guild_id: int = G,
                 predicted: float | None = None) -> scheduling.Card:
    """Rate a member's item at `at` through the study path's own write, from its stored card."""

    async def body(conn) -> scheduling.Card:
        row = await (await conn.execute(
            "SELECT card_json FROM srs_state WHERE guild_id = ? AND user_id = ? AND deck_id = 'deck' AND item_id = ?",
            (guild_id, user_id, item_id))).fetchone()
        card = scheduling.load_card(row["card_json"] if row else None, at)
        rated, _log = scheduling.review(card, rating, at, fuzz=False)
        await save_review(conn, guild_id=guild_id, user_id=user_id, deck_id="deck", item_id=item_id, kind="card",
                          card=rated, rating=rating, at=at, predicted_recall=predicted)
        return rated

    return await db.atomic(body)


async def fits(db: Store) -> list[tuple]:
    rows = await db.fetchall(
        "SELECT user_id, reviews, adopted, reason, log_loss_before, rmse_after, parameters FROM memory_fits "
        "WHERE guild_id = ? ORDER BY id", (G,))
    return [tuple(row[k] for k in ("user_id", "reviews", "adopted", "reason", "log_loss_before", "rmse_after",
                                   "parameters")) for row in rows]


async def test_an_adopted_fit_stores_its_set_and_keeps_the_one_it_replaced(db: Store):
    await memory.record_fit(db, G, U, adopted(), text=FIRST, at=T0, reviews_now=900)
    await memory.record_fit(db, G, U, adopted(1500), text=SECOND, at=T0 + timedelta(days=7), reviews_now=1500)
    model = (await memory.models(db, G))[U]
    assert (model.parameters, model.previous) == (SECOND, FIRST)
    assert model.adopted_at == model.last_fit_at == T0 + timedelta(days=7)
    assert model.last_fit_reviews == 1500
    assert await memory.model_text(db, G, U) == (SECOND, "member")
    assert await fits(db) == [
        (U, 900, 1, "better on the latest reviews", 0.5, 0.1, FIRST),
        (U, 1500, 1, "better on the latest reviews", 0.5, 0.1, SECOND),
    ]


async def test_a_fit_not_adopted_leaves_the_set_and_moves_the_last_fit(db: Store):
    await memory.record_fit(db, G, U, adopted(), text=FIRST, at=T0, reviews_now=900)
    later = T0 + timedelta(days=8)
    await memory.record_fit(db, G, U, kept(), text=None, at=later, reviews_now=1200)
    model = (await memory.models(db, G))[U]
    assert (model.parameters, model.previous, model.adopted_at) == (FIRST, None, T0)
    assert (model.last_fit_at, model.last_fit_reviews) == (later, 1200)
    assert (await fits(db))[-1] == (U, 1200, 0, "the fitted parameters did not predict the latest reviews better",
                                    0.5, 0.1, None)
    latest = (await memory.recent_fits(db, G))[0]
    assert (latest.fitted_at, latest.adopted, latest.reviews) == (later, False, 1200)


async def test_a_first_fit_not_adopted_stores_no_set(db: Store):
    await memory.record_fit(db, G, SERVER_SCOPE, FitOutcome(None, 10, "10 reviews; 1000 needed"), text=None, at=T0,
                            reviews_now=10)
    model = (await memory.models(db, G))[SERVER_SCOPE]
    assert (model.parameters, model.adopted_at, model.last_fit_reviews) == (None, None, 10)
    assert await memory.model_text(db, G, U) == (None, "default")
    assert (await fits(db))[0][4:6] == (None, None)


async def test_a_member_without_a_set_is_scheduled_by_the_servers(db: Store):
    await memory.record_fit(db, G, SERVER_SCOPE, adopted(), text=FIRST, at=T0, reviews_now=900)
    assert await memory.model_text(db, G, U) == (FIRST, "server")
    assert await memory.model_text(db, OTHER_GUILD, U) == (None, "default")
    await memory.record_fit(db, G, U, adopted(), text=SECOND, at=T0, reviews_now=500)
    assert await memory.model_text(db, G, U) == (SECOND, "member")


async def test_roll_back_puts_the_previous_set_back_and_logs_it(db: Store):
    await memory.record_fit(db, G, U, adopted(), text=FIRST, at=T0, reviews_now=900)
    await memory.record_fit(db, G, U, adopted(), text=SECOND, at=T0 + timedelta(days=1), reviews_now=1500)
    back = T0 + timedelta(days=2)
    assert await memory.roll_back(db, G, U, at=back)
    model = (await memory.models(db, G))[U]
    assert (model.parameters, model.previous, model.adopted_at) == (FIRST, None, back)
    assert (await fits(db))[-1] == (U, 1500, 0, "rolled back to the previous set", None, None, None)
    # Once more: the first set had nothing before it, so the member goes back to the defaults.
    assert await memory.roll_back(db, G, U, at=back)
    assert await memory.model_text(db, G, U) == (None, "default")
    assert not await memory.roll_back(db, G, U, at=back)
    assert len(await fits(db)) == 4


async def test_roll_back_of_a_scope_never_adopted_does_nothing(db: Store):
    await memory.record_fit(db, G, U, kept(), text=None, at=T0, reviews_now=1200)
    assert not await memory.roll_back(db, G, U, at=T0)
    assert not await memory.roll_back(db, G, V, at=T0)
    assert len(await fits(db)) == 1


async def test_rescheduled_cards_are_written_unless_a_rating_moved_them(db: Store):
    await review(db, "a", 3, T0)
    await review(db, "b", 3, T0)
    histories = {h.item_id: h for h in await memory.card_histories(db, G, U)}
    assert [r for r, _at in histories["a"].ratings] == [3]
    await review(db, "b", 1, T0 + timedelta(hours=1))  # rated after its history was read
    new_due = T0 + timedelta(days=40)
    cards = [RescheduledCard("deck", item, histories[item].last_review, '{"moved": true}', 2, new_due)
             for item in ("a", "b")]
    assert await memory.write_rescheduled(db, G, U, cards) == 1
    rows = {row["item_id"]: row for row in await db.fetchall(
        "SELECT item_id, card_json, state, due FROM srs_state WHERE guild_id = ? AND user_id = ?", (G, U))}
    assert (rows["a"]["card_json"], rows["a"]["state"], rows["a"]["due"]) == ('{"moved": true}', 2, to_text(new_due))
    assert rows["b"]["card_json"] != '{"moved": true}'


async def test_card_histories_give_each_card_its_ratings_oldest_first(db: Store):
    latest = {}
    for hours, (item, rating) in enumerate([("a", 1), ("b", 3), ("a", 3), ("a", 4)]):
        latest[item] = await review(db, item, rating, T0 + timedelta(hours=hours))
    await review(db, "a", 2, T0, user_id=V)
    histories = {h.item_id: h for h in await memory.card_histories(db, G, U)}
    assert histories["a"].ratings == [(1, T0), (3, T0 + timedelta(hours=2)), (4, T0 + timedelta(hours=3))]
    assert histories["a"].card_json == latest["a"].to_json()
    assert histories["a"].last_review == to_text(T0 + timedelta(hours=3))
    assert histories["b"].ratings == [(3, T0 + timedelta(hours=1))]
    history = await memory.review_history(db, G)
    assert [(r.card, r.rating) for r in history][:2] == [((U, "deck", "a"), 1), ((V, "deck", "a"), 2)]
    rows = await memory.review_rows(db, G)
    assert pickle.loads(pickle.dumps(rows)) == rows  # plain tuples: what the fitting process is sent
    assert rows[0] == (U, "deck", "a", 1, to_text(T0))
    assert memory.reviews_from_rows(rows) == history


async def test_calibration_averages_predicted_and_true_recall_since_a_day(db: Store):
    await review(db, "old", 1, T0 - timedelta(days=40), predicted=0.1)
    await review(db, "a", 1, T0, predicted=0.9)
    await review(db, "b", 2, T0 + timedelta(hours=1), predicted=0.8)
    await review(db, "c", 3, T0 + timedelta(hours=2), predicted=0.7)
    await review(db, "d", 4, T0 + timedelta(hours=3), predicted=0.6)
    await review(db, "e", 3, T0 + timedelta(hours=4))  # a same-day step: no prediction, not counted
    await review(db, "f", 1, T0, predicted=0.2, user_id=V)
    calibration = await memory.calibration(db, G, U, T0 - timedelta(days=30))
    assert calibration.reviews == 4
    assert calibration.predicted == pytest.approx(0.75)
    assert calibration.actual == pytest.approx(0.75)
    assert type(calibration.predicted) is type(calibration.actual) is float  # not PostgreSQL's numeric
    empty = await memory.calibration(db, G, U, T0 + timedelta(days=1))
    assert (empty.reviews, empty.predicted, empty.actual) == (0, None, None)


async def test_review_counts_come_from_the_board_totals(db: Store):
    for hours in range(3):
        await review(db, f"i{hours}", 3, T0 + timedelta(hours=hours))
    await review(db, "i0", 3, T0, user_id=V)
    await review(db, "i0", 3, T0, guild_id=OTHER_GUILD)
    assert await memory.review_counts(db, G) == {U: 3, V: 1}
    assert await memory.review_counts(db, OTHER_GUILD) == {U: 1}
    assert sorted(await memory.servers_with_reviews(db)) == [G, OTHER_GUILD]
    await write(db, "DELETE FROM reviews WHERE guild_id = ? AND user_id = ?", (G, V))
    assert await memory.review_counts(db, G) == {U: 3}  # a member whose reviews are gone is not counted


async def test_members_on_the_server_model_are_those_without_an_own_set(db: Store):
    await review(db, "a", 3, T0)
    await review(db, "a", 3, T0, user_id=V)
    await memory.record_fit(db, G, V, kept(), text=None, at=T0, reviews_now=1)  # fitted, nothing adopted
    assert sorted(await memory.members_on_server_model(db, G)) == [U, V]
    await memory.record_fit(db, G, U, adopted(), text=FIRST, at=T0, reviews_now=1)
    assert await memory.members_on_server_model(db, G) == [V]


async def test_due_cards_are_the_reviewed_ones_due_by_the_end_of_the_day(db: Store):
    soon = await review(db, "a", 1, T0)  # Again on a new card: due in a minute
    await review(db, "b", 4, T0)  # Easy: days away
    assert await memory.due_cards(db, G, U, T0 + timedelta(hours=12)) == [soon.to_json()]
