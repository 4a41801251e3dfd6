"""The study session store: open/resume, the atomic rating transaction, quiz misses, limits, stop."""
from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import AsyncIterator

import pytest

from bot.core.clock import from_text, to_text
from bot.core.decks import Card, Deck, QuizQuestion
from bot.store.db import Database
from bot.store.guilds import update_guild_settings
from bot.store.members import get_member, set_member_field
from bot.store.srs import get_state
import bot.store.study as study_store
from bot.store.study import (
    close_session,
    get_session,
    get_shown,
    open_session,
    rate_current,
    read_misses,
    set_message,
)

G, U, OTHER = 10, 20, 21
T0 = datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc)
DECK = Deck(
    id="deck",
    title="Deck",
    cards=tuple(Card(f"c{i}", f"front {i}", f"back {i}") for i in range(5)),
    quiz=(
        QuizQuestion("q0", "Which?", ("a", "b"), "a", "Because a."),
        QuizQuestion("q1", "Other?", ("a", "b"), "b"),
    ),
)

QUIZ_ANSWERS_CONTRACT = """
CREATE TABLE IF NOT EXISTS quiz_answers (
    id INTEGER PRIMARY KEY, round_id INTEGER NOT NULL, question_index INTEGER NOT NULL, guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL, user_id INTEGER NOT NULL, deck_id TEXT NOT NULL, question_id TEXT NOT NULL,
    letter TEXT NOT NULL DEFAULT '', choice TEXT NOT NULL DEFAULT '', correct INTEGER NOT NULL,
    response_ms INTEGER NOT NULL DEFAULT 0, points INTEGER NOT NULL DEFAULT 0, answered_at TEXT NOT NULL,
    UNIQUE (round_id, question_index, user_id))
"""


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "study.db")
    async with database.transaction() as conn:
        # The quiz feature owns this table; its contract is repeated here in case its migration is not in yet.
        await conn.execute(QUIZ_ANSWERS_CONTRACT)
    yield database
    await database.close()


async def answer_quiz(db: Database, question_id: str, correct: bool, at: datetime, user_id: int = U,
                      deck_id: str = "deck", index: int = 0) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, question_id, "
            "choice, correct, answered_at) VALUES (?, ?, ?, 1, ?, ?, ?, 'x', ?, ?)",
            (index + 1, index, G, user_id, deck_id, question_id, int(correct), to_text(at)),
        )


async def start(db: Database, now: datetime = T0, deck: Deck = DECK, user_id: int = U):
    return await open_session(db, deck, guild_id=G, user_id=user_id, display_name="alice", now=now, channel_id=5)


async def rate(db: Database, screen, rating: int, now: datetime, deck: Deck = DECK):
    session = screen.session
    return await rate_current(
        db, deck, guild_id=G, user_id=session.user_id, display_name="alice", item_id=session.item_id,
        token=session.token, rating=rating, now=now, fuzz=False,
    )


async def count(db: Database, table: str) -> int:
    row = await db.fetchone(f"SELECT COUNT(*) AS n FROM {table}")
    return row["n"]


async def test_open_shows_the_first_new_card_and_remembers_the_member(db: Database):
    screen = await start(db)
    assert screen.pick.item.item_id == "c0"
    assert screen.pick.available == 5
    assert not screen.resumed
    assert await get_state(db, G, U, screen.session.deck_id, "c0") is None  # never studied yet
    stored = await get_session(db, G, U)
    assert stored == screen.session
    assert (stored.item_id, stored.item_kind, stored.reviewed, stored.channel_id) == ("c0", "card", 0, 5)
    assert (await get_member(db, G, U)).display_name == "alice"


async def test_second_open_shows_the_same_item_with_the_same_token(db: Database):
    first = await start(db)
    again = await start(db, T0 + timedelta(minutes=3))
    assert again.resumed
    assert again.session.token == first.session.token
    assert again.pick.item.item_id == "c0"


async def test_rating_stores_one_review_and_moves_on(db: Database):
    screen = await start(db)
    result = await rate(db, screen, 3, T0 + timedelta(seconds=10))
    assert result.rated.due == T0 + timedelta(seconds=10, minutes=10)
    nxt = result.screen
    assert nxt.pick.item.item_id == "c1"
    assert nxt.session.token != screen.session.token
    assert (nxt.session.reviewed, nxt.session.again) == (1, 0)
    review = await db.fetchone("SELECT * FROM reviews")
    assert (review["item_id"], review["kind"], review["rating"], review["user_id"]) == ("c0", "card", 3, U)
    state = await db.fetchone("SELECT * FROM srs_state WHERE item_id = 'c0'")
    assert from_text(state["due"]) == result.rated.due
    activity = await db.fetchall("SELECT kind, at FROM activity WHERE user_id = ?", (U,))
    assert [(a["kind"], a["at"]) for a in activity] == [("study", to_text(T0 + timedelta(seconds=10)))]


async def test_a_stale_token_is_refused_and_stores_nothing(db: Database):
    screen = await start(db)
    await rate(db, screen, 3, T0)
    again = await rate(db, screen, 1, T0 + timedelta(seconds=1))
    assert again.screen is None and again.rated is None
    assert await count(db, "reviews") == 1
    assert (await get_session(db, G, U)).reviewed == 1


async def test_racing_clicks_store_exactly_one_review(db: Database):
    screen = await start(db)
    results = await asyncio.gather(*(rate(db, screen, r, T0) for r in (3, 3, 1, 4)))
    assert sum(r.screen is not None for r in results) == 1
    assert await count(db, "reviews") == 1
    assert await count(db, "activity") == 1


async def test_rating_refuses_another_deck_or_item(db: Database):
    screen = await start(db)
    session = screen.session
    other_deck = Deck(id="other", title="Other", cards=DECK.cards)
    wrong_deck = await rate_current(db, other_deck, guild_id=G, user_id=U, display_name="a", item_id="c0",
                                    token=session.token, rating=3, now=T0)
    wrong_item = await rate_current(db, DECK, guild_id=G, user_id=U, display_name="a", item_id="c1",
                                    token=session.token, rating=3, now=T0)
    nobody = await rate_current(db, DECK, guild_id=G, user_id=OTHER, display_name="b", item_id="c0",
                                token=session.token, rating=3, now=T0)
    assert wrong_deck.screen is wrong_item.screen is nobody.screen is None
    assert await count(db, "reviews") == 0


async def test_again_is_counted_for_the_summary(db: Database):
    screen = await start(db)
    screen = (await rate(db, screen, 1, T0)).screen
    screen = (await rate(db, screen, 3, T0)).screen
    assert (screen.session.reviewed, screen.session.again) == (2, 1)


async def test_studying_the_deck_to_the_end_with_good(db: Database):
    screen, now, seen = await start(db), T0, []
    while screen.pick.item is not None:
        seen.append(screen.pick.item.item_id)
        now += timedelta(seconds=20)
        screen = (await rate(db, screen, 3, now)).screen
    # every card twice: new (then 10 minutes), studied ahead (then days)
    assert seen == ["c0", "c1", "c2", "c3", "c4", "c0", "c1", "c2", "c3", "c4"]
    assert screen.session.reviewed == 10 and not screen.session.is_open
    rows = await db.fetchall("SELECT item_id, reviewed_at, due_after FROM reviews ORDER BY id")
    by_item: dict[str, list[timedelta]] = {}
    for row in rows:
        by_item.setdefault(row["item_id"], []).append(from_text(row["due_after"]) - from_text(row["reviewed_at"]))
    for intervals in by_item.values():
        assert intervals[0] == timedelta(minutes=10)
        assert intervals[1] >= timedelta(days=1)
    assert screen.pick.next_due == min(from_text(r["due_after"]) for r in rows[5:])

    # The next day nothing is due yet; once the first card is due, it is the one shown.
    tomorrow = await start(db, T0 + timedelta(days=1))
    assert tomorrow.pick.item is None
    first_due = screen.pick.next_due
    later = await start(db, first_due + timedelta(seconds=1))
    assert later.pick.item is not None
    assert await get_state(db, G, U, later.session.deck_id, later.pick.item.item_id) is not None
    assert later.pick.item.item_id == rows[5]["item_id"]


async def test_new_card_limit_from_server_settings(db: Database):
    await update_guild_settings(db, G, new_card_limit=2)
    screen = await start(db)
    assert screen.pick.available == 2 and screen.pick.new_waiting == 3
    screen = (await rate(db, screen, 3, T0)).screen
    screen = (await rate(db, screen, 3, T0)).screen
    # two new cards started: the next one is a learning card studied ahead, not a third new card
    assert screen.pick.item.item_id == "c0"
    assert screen.pick.new_waiting == 3
    # a new day brings new cards again
    next_day = await start(db, T0 + timedelta(days=1, hours=1))
    assert next_day.pick.new_waiting == 1


async def test_new_cards_count_from_the_members_local_midnight(db: Database):
    await update_guild_settings(db, G, new_card_limit=1)
    await set_member_field(db, G, U, "alice", timezone="Asia/Tokyo")
    evening = datetime(2025, 3, 10, 14, 0, tzinfo=timezone.utc)  # 23:00 in Tokyo
    screen = await start(db, evening)
    await rate(db, screen, 4, evening)  # Easy: graduated, away for days
    after_midnight = datetime(2025, 3, 10, 16, 0, tzinfo=timezone.utc)  # 01:00 the next day in Tokyo
    await close_session(db, DECK, guild_id=G, user_id=U, token=(await get_session(db, G, U)).token,
                        now=after_midnight)
    screen = await start(db, after_midnight)
    # Same UTC day, but a new day for the member: one new card is allowed again.
    assert screen.pick.item is not None and screen.pick.item.item_id == "c1"


async def test_quiz_misses_become_study_items(db: Database):
    await answer_quiz(db, "q0", False, T0 - timedelta(hours=1))
    await answer_quiz(db, "q1", True, T0 - timedelta(hours=1), index=1)
    await answer_quiz(db, "q0", False, T0 - timedelta(hours=1), user_id=OTHER, index=2)
    assert await read_misses(db.conn, G, U, "deck") == {"q0": T0 - timedelta(hours=1)}

    screen = await start(db)
    assert screen.pick.item.item_id == "q0" and screen.pick.item.kind == "quiz"
    assert screen.pick.item.back.startswith("**a**")
    await rate(db, screen, 3, T0)
    state = await db.fetchone("SELECT kind FROM srs_state WHERE item_id = 'q0'")
    assert state["kind"] == "quiz"
    review = await db.fetchone("SELECT kind FROM reviews WHERE item_id = 'q0'")
    assert review["kind"] == "quiz"


async def test_the_latest_miss_counts(db: Database):
    await answer_quiz(db, "q0", False, T0 - timedelta(days=3))
    await answer_quiz(db, "q0", False, T0 - timedelta(days=1), index=1)
    await answer_quiz(db, "q0", False, T0 - timedelta(days=1), deck_id="elsewhere", index=2)
    assert await read_misses(db.conn, G, U, "deck") == {"q0": T0 - timedelta(days=1)}


async def test_no_quiz_table_means_no_misses(db: Database):
    async with db.transaction() as conn:
        await conn.execute("DROP TABLE quiz_answers")
        assert await read_misses(conn, G, U, "deck") == {}


async def test_stop_ends_the_session_and_refuses_stale_tokens(db: Database):
    screen = await start(db)
    screen = (await rate(db, screen, 1, T0)).screen
    summary = await close_session(db, DECK, guild_id=G, user_id=U, token=screen.session.token, now=T0)
    assert summary.pick.item is None and not summary.session.is_open
    assert (summary.session.reviewed, summary.session.again) == (1, 1)
    assert await close_session(db, DECK, guild_id=G, user_id=U, token=screen.session.token, now=T0) is None
    refused = await rate(db, screen, 3, T0)
    assert refused.screen is None
    # the next /study starts a fresh session with fresh counts
    fresh = await start(db)
    assert fresh.session.reviewed == 0 and fresh.session.is_open and not fresh.resumed


async def test_open_on_another_deck_replaces_the_session(db: Database):
    await start(db)
    other = Deck(id="other", title="Other", cards=(Card("x", "X?", "x."),))
    screen = await start(db, deck=other)
    assert screen.session.deck_id == "other" and screen.pick.item.item_id == "x"


async def test_an_item_removed_from_the_deck_is_not_resumed(db: Database):
    await start(db)
    edited = Deck(id="deck", title="Deck", cards=DECK.cards[1:])
    screen = await start(db, deck=edited)
    assert not screen.resumed and screen.pick.item.item_id == "c1"


async def test_get_shown_has_the_card_state_and_retention(db: Database):
    await update_guild_settings(db, G, desired_retention=0.85)
    screen = await start(db)
    session, card, retention = await get_shown(db, G, U)
    assert session.item_id == "c0" and card is None and retention == 0.85
    screen = (await rate(db, screen, 1, T0)).screen
    screen = (await rate(db, screen, 3, T0 + timedelta(minutes=2))).screen  # c1; meanwhile c0 fell due
    assert screen.pick.item.item_id == "c0"
    session, card, _ = await get_shown(db, G, U)
    assert card is not None and card.due == T0 + timedelta(minutes=1)
    assert await get_shown(db, G, OTHER) is None


async def test_set_message_only_for_the_shown_token(db: Database):
    screen = await start(db)
    await set_message(db, G, U, "stale0", 7, 99)
    assert (await get_session(db, G, U)).message_id is None
    await set_message(db, G, U, screen.session.token, 7, 100)
    assert (await get_session(db, G, U)).message_id == 100


async def test_the_token_refuses_a_stale_rating_of_the_same_card_shown_again(db: Database):
    single = Deck(id="one", title="One", cards=(Card("only", "Q?", "A."),))
    screen = await start(db, deck=single)
    after = (await rate(db, screen, 1, T0, deck=single)).screen
    # Nothing else to study: the same card comes back at once (learn ahead), under a new token.
    assert after.pick.item.item_id == "only" and after.session.token != screen.session.token
    stale = await rate(db, screen, 3, T0 + timedelta(seconds=1), deck=single)
    assert stale.screen is None
    assert await count(db, "reviews") == 1
    fresh = await rate(db, after, 3, T0 + timedelta(seconds=2), deck=single)
    assert fresh.screen is not None
    assert await count(db, "reviews") == 2


async def test_remembered_schedules_pick_as_the_database_would(tmp_path: Path):
    """Ratings and Reveals use what the last rating left in memory; a twin database that forgets it before every
    step (so it reads everything back) must show the same cards, counts, due times and card states throughout."""
    remembering = await Database.open(tmp_path / "remembering.db")
    forgetting = await Database.open(tmp_path / "forgetting.db")
    try:
        for database in (remembering, forgetting):
            async with database.transaction() as conn:
                await conn.execute(QUIZ_ANSWERS_CONTRACT)
            await answer_quiz(database, "q1", False, T0 - timedelta(hours=1))  # a miss joins the queue as a card
            await update_guild_settings(database, G, new_card_limit=12)
        deck = replace(DECK, cards=tuple(Card(f"c{i}", f"front {i}", f"back {i}") for i in range(12)))
        rng = random.Random(7)
        now = T0.replace(hour=22)  # sessions run past midnight, when reviews due "later today" become available
        screens = [await start(remembering, now, deck), await start(forgetting, now, deck)]
        for step in range(60):
            assert screens[0].pick == screens[1].pick, f"step {step}"
            if screens[0].pick.item is None:
                # Nothing to study: come back when the next item is due, or early on its day (a review due later
                # that day may be studied then, a learning step may not).
                due = screens[0].pick.next_due
                morning = due.replace(hour=0, minute=30)
                now = morning if step % 2 and now < morning < due else due + timedelta(seconds=1)
                screens = [await start(remembering, now, deck), await start(forgetting, now, deck)]
                continue
            forgetting.memo.clear()
            shown = [await get_shown(remembering, G, U), await get_shown(forgetting, G, U)]  # what Reveal reads
            assert shown[0][0] == await get_session(remembering, G, U)  # read from the database
            assert replace(shown[0][0], token="") == replace(shown[1][0], token="") and shown[0][2] == shown[1][2]
            assert (shown[0][1] and shown[0][1].to_dict()) == (shown[1][1] and shown[1][1].to_dict())
            rating = rng.choice((1, 2, 3, 3, 3, 4, 4))
            results = [
                await rate(remembering, screens[0], rating, now, deck), await rate(forgetting, screens[1], rating, now, deck)
            ]
            assert results[0].rated == results[1].rated
            screens = [r.screen for r in results]
            now += timedelta(minutes=rng.choice((1, 7, 30)))
        assert screens[0].pick == screens[1].pick
        assert await count(remembering, "reviews") == await count(forgetting, "reviews") > 10
        assert len(remembering.memo["study.shown"].entries) == 1  # the remembered one was used, and kept up to date
    finally:
        await remembering.close()
        await forgetting.close()


async def test_reveal_after_a_settings_change_uses_the_new_retention(db: Database):
    screen = await start(db)
    screen = await rate(db, screen, 3, T0)  # the session is now remembered, with the server's retention then
    assert (await get_shown(db, G, U))[2] == 0.9
    await update_guild_settings(db, G, desired_retention=0.8)
    assert (await get_shown(db, G, U))[2] == 0.8


async def test_remembered_sessions_are_bounded_by_their_items(db: Database, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(study_store, "SHOWN_ITEMS", 5)
    screens = {}
    for user in (1, 2, 3):  # each rates two cards: a schedule of two items each
        screen = await start(db, T0, user_id=user)
        screen = (await rate(db, screen, 3, T0)).screen
        screens[user] = (await rate(db, screen, 3, T0)).screen
    memory = db.memo["study.shown"]
    assert list(memory.entries) == [(G, 2), (G, 3)] and memory.items == 4  # the first one left was forgotten
    # Forgotten is only slower: the member's next rating reads the schedule back and is remembered again.
    later = await rate(db, screens[1], 3, T0)
    assert later.screen is not None and later.screen.session.reviewed == 3
    assert list(memory.entries) == [(G, 3), (G, 1)] and memory.items == 5
