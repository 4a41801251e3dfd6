"""The study use cases: open/resume, the atomic rating transaction, quiz misses, limits, stop, Reveal, and the
remembered sessions (same picks as reading everything back, bounded, forgotten on a settings change)."""
from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.core.clock import from_text, to_text
from bot.core.decks import Card, Deck, QuizQuestion
from bot.core.library import DeckLibrary
from bot.core.study_queue import StudyScreen, StudySession
from bot.services.study import StudyService
from bot.store.db import Database
from bot.store.guilds import update_guild_settings
from bot.store.members import get_member, set_member_field
from bot.store.srs import get_state
from bot.store.study import read_session
from tests.store.test_study_store import answer_quiz

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


@pytest.fixture
def study(db: Database) -> StudyService:
    return StudyService(db, DeckLibrary({DECK.id: DECK}))


async def start(study: StudyService, now: datetime = T0, deck: Deck = DECK, user_id: int = U) -> StudyScreen:
    return await study.open(deck, guild_id=G, user_id=user_id, display_name="alice", now=now, channel_id=5)


async def rate(study: StudyService, screen: StudyScreen, rating: int, now: datetime, deck: Deck = DECK):
    session = screen.session
    return await study.rate(
        deck, guild_id=G, user_id=session.user_id, display_name="alice", item_id=session.item_id,
        token=session.token, rating=rating, now=now, fuzz=False,
    )


async def stop(study: StudyService, token: str, now: datetime = T0):
    return await study.stop(DECK, guild_id=G, user_id=U, token=token, now=now)


async def get_session(db: Database, guild_id: int, user_id: int) -> StudySession | None:
    async def body(conn) -> StudySession | None:
        return await read_session(conn, guild_id, user_id)

    return await db.atomic(body)


async def count(db: Database, table: str) -> int:
    row = await db.fetchone(f"SELECT COUNT(*) AS n FROM {table}")
    return row["n"]


async def state_of(db: Database, item_id: str):
    return await db.atomic(lambda conn: get_state(conn, G, U, DECK.id, item_id))


async def test_open_shows_the_first_new_card_and_remembers_the_member(db: Database, study: StudyService):
    screen = await start(study)
    assert screen.pick.item.item_id == "c0"
    assert screen.pick.available == 5
    assert not screen.resumed
    assert await state_of(db, "c0") is None  # never studied yet
    stored = await get_session(db, G, U)
    assert stored == screen.session
    assert (stored.item_id, stored.item_kind, stored.reviewed, stored.channel_id) == ("c0", "card", 0, 5)
    member = await get_member(db, G, U)
    assert (member.display_name, member.last_deck) == ("alice", "deck")


async def test_second_open_shows_the_same_item_with_the_same_token(study: StudyService):
    first = await start(study)
    again = await start(study, T0 + timedelta(minutes=3))
    assert again.resumed
    assert again.session.token == first.session.token
    assert again.pick.item.item_id == "c0"


async def test_rating_stores_one_review_and_moves_on(db: Database, study: StudyService):
    screen = await start(study)
    result = await rate(study, screen, 3, T0 + timedelta(seconds=10))
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


async def test_the_rating_result_carries_the_streak_update(study: StudyService):
    screen = await start(study)
    first = await rate(study, screen, 3, T0)
    assert first.streak.grew and first.streak.state.current == 1  # the day's first activity counts it
    second = await rate(study, first.screen, 3, T0 + timedelta(minutes=1))
    assert not second.streak.grew and second.streak.state.current == 1


async def test_a_rating_writes_the_member_name_only_when_it_changed(db: Database, study: StudyService):
    screen = await start(study)
    screen = (await rate(study, screen, 3, T0)).screen
    before = (await db.fetchone("SELECT updated_at FROM members WHERE user_id = ?", (U,)))["updated_at"]
    await asyncio.sleep(0.002)
    screen = (await rate(study, screen, 3, T0)).screen  # same name: the members row is not written
    assert (await db.fetchone("SELECT updated_at FROM members WHERE user_id = ?", (U,)))["updated_at"] == before
    session = screen.session
    await study.rate(DECK, guild_id=G, user_id=U, display_name="alicia", item_id=session.item_id,
                     token=session.token, rating=3, now=T0, fuzz=False)
    assert (await get_member(db, G, U)).display_name == "alicia"


async def test_a_stale_token_is_refused_and_stores_nothing(db: Database, study: StudyService):
    screen = await start(study)
    await rate(study, screen, 3, T0)
    assert await rate(study, screen, 1, T0 + timedelta(seconds=1)) is None
    assert await count(db, "reviews") == 1
    assert (await get_session(db, G, U)).reviewed == 1


async def test_racing_clicks_store_exactly_one_review(db: Database, study: StudyService):
    screen = await start(study)
    results = await asyncio.gather(*(rate(study, screen, r, T0) for r in (3, 3, 1, 4)))
    assert sum(r is not None for r in results) == 1
    assert await count(db, "reviews") == 1
    assert await count(db, "activity") == 1


async def test_rating_refuses_another_deck_or_item(db: Database, study: StudyService):
    screen = await start(study)
    session = screen.session
    other_deck = Deck(id="other", title="Other", cards=DECK.cards)
    wrong_deck = await study.rate(other_deck, guild_id=G, user_id=U, display_name="a", item_id="c0",
                                  token=session.token, rating=3, now=T0)
    wrong_item = await study.rate(DECK, guild_id=G, user_id=U, display_name="a", item_id="c1",
                                  token=session.token, rating=3, now=T0)
    nobody = await study.rate(DECK, guild_id=G, user_id=OTHER, display_name="b", item_id="c0",
                              token=session.token, rating=3, now=T0)
    assert wrong_deck is wrong_item is nobody is None
    assert await count(db, "reviews") == 0
    with pytest.raises(ValueError):
        await study.rate(DECK, guild_id=G, user_id=U, display_name="a", item_id="c0", token=session.token,
                         rating=5, now=T0)


async def test_again_is_counted_for_the_summary(study: StudyService):
    screen = await start(study)
    screen = (await rate(study, screen, 1, T0)).screen
    screen = (await rate(study, screen, 3, T0)).screen
    assert (screen.session.reviewed, screen.session.again) == (2, 1)


async def test_studying_the_deck_to_the_end_with_good(db: Database, study: StudyService):
    screen, now, seen = await start(study), T0, []
    while screen.pick.item is not None:
        seen.append(screen.pick.item.item_id)
        now += timedelta(seconds=20)
        screen = (await rate(study, screen, 3, now)).screen
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
    tomorrow = await start(study, T0 + timedelta(days=1))
    assert tomorrow.pick.item is None
    first_due = screen.pick.next_due
    later = await start(study, first_due + timedelta(seconds=1))
    assert later.pick.item is not None
    assert await state_of(db, later.pick.item.item_id) is not None
    assert later.pick.item.item_id == rows[5]["item_id"]


async def test_new_card_limit_from_server_settings(db: Database, study: StudyService):
    await update_guild_settings(db, G, new_card_limit=2)
    screen = await start(study)
    assert screen.pick.available == 2 and screen.pick.new_waiting == 3
    screen = (await rate(study, screen, 3, T0)).screen
    screen = (await rate(study, screen, 3, T0)).screen
    # two new cards started: the next one is a learning card studied ahead, not a third new card
    assert screen.pick.item.item_id == "c0"
    assert screen.pick.new_waiting == 3
    # a new day brings new cards again
    next_day = await start(study, T0 + timedelta(days=1, hours=1))
    assert next_day.pick.new_waiting == 1


async def test_new_cards_count_from_the_members_local_midnight(db: Database, study: StudyService):
    await update_guild_settings(db, G, new_card_limit=1)
    await set_member_field(db, G, U, "alice", timezone="Asia/Tokyo")
    evening = datetime(2025, 3, 10, 14, 0, tzinfo=timezone.utc)  # 23:00 in Tokyo
    screen = await start(study, evening)
    await rate(study, screen, 4, evening)  # Easy: graduated, away for days
    after_midnight = datetime(2025, 3, 10, 16, 0, tzinfo=timezone.utc)  # 01:00 the next day in Tokyo
    await stop(study, (await get_session(db, G, U)).token, after_midnight)
    screen = await start(study, after_midnight)
    # Same UTC day, but a new day for the member: one new card is allowed again.
    assert screen.pick.item is not None and screen.pick.item.item_id == "c1"


async def test_quiz_misses_become_study_items(db: Database, study: StudyService):
    await answer_quiz(db, "q0", False, T0 - timedelta(hours=1))
    await answer_quiz(db, "q1", True, T0 - timedelta(hours=1), index=1)
    await answer_quiz(db, "q0", False, T0 - timedelta(hours=1), user_id=OTHER, index=2)
    screen = await start(study)
    assert screen.pick.item.item_id == "q0" and screen.pick.item.kind == "quiz"
    assert screen.pick.item.back.startswith("**a**")
    await rate(study, screen, 3, T0)
    state = await db.fetchone("SELECT kind FROM srs_state WHERE item_id = 'q0'")
    assert state["kind"] == "quiz"
    review = await db.fetchone("SELECT kind FROM reviews WHERE item_id = 'q0'")
    assert review["kind"] == "quiz"


async def test_stop_ends_the_session_and_refuses_stale_tokens(study: StudyService):
    screen = await start(study)
    screen = (await rate(study, screen, 1, T0)).screen
    summary = await stop(study, screen.session.token)
    assert summary.pick.item is None and not summary.session.is_open
    assert (summary.session.reviewed, summary.session.again) == (1, 1)
    assert await stop(study, screen.session.token) is None
    assert await rate(study, screen, 3, T0) is None
    assert study.memory.get((G, U)) is None  # an ended session is not remembered
    # the next /study starts a fresh session with fresh counts
    fresh = await start(study)
    assert fresh.session.reviewed == 0 and fresh.session.is_open and not fresh.resumed


async def test_open_on_another_deck_replaces_the_session(study: StudyService):
    await start(study)
    other = Deck(id="other", title="Other", cards=(Card("x", "X?", "x."),))
    screen = await start(study, deck=other)
    assert screen.session.deck_id == "other" and screen.pick.item.item_id == "x"


async def test_an_item_removed_from_the_deck_is_not_resumed(study: StudyService):
    await start(study)
    edited = Deck(id="deck", title="Deck", cards=DECK.cards[1:])
    screen = await start(study, deck=edited)
    assert not screen.resumed and screen.pick.item.item_id == "c1"


async def test_shown_has_the_card_state_and_retention(db: Database, study: StudyService):
    await update_guild_settings(db, G, desired_retention=0.85)
    screen = await start(study)
    shown = await study.shown(G, U)
    assert shown.session.item_id == "c0" and shown.card is None and shown.desired_retention == 0.85
    screen = (await rate(study, screen, 1, T0)).screen
    screen = (await rate(study, screen, 3, T0 + timedelta(minutes=2))).screen  # c1; meanwhile c0 fell due
    assert screen.pick.item.item_id == "c0"
    shown = await study.shown(G, U)
    assert shown.card is not None and shown.card.due == T0 + timedelta(minutes=1)
    study.forget()
    assert (await study.shown(G, U)).card.to_dict() == shown.card.to_dict()  # the same, read from the database
    assert await study.shown(G, OTHER) is None


async def test_reveal_previews_each_rating_and_refuses_a_stale_token(study: StudyService):
    screen = await start(study)
    token = screen.session.token
    revealed = await study.reveal(DECK, guild_id=G, user_id=U, token=token, now=T0)
    assert revealed.item.item_id == "c0" and revealed.session == screen.session
    assert revealed.intervals[3] == timedelta(minutes=10) and revealed.intervals[1] == timedelta(minutes=1)
    assert await study.reveal(DECK, guild_id=G, user_id=U, token="stale0", now=T0) is None
    edited = Deck(id="deck", title="Deck", cards=DECK.cards[1:])
    gone = await study.reveal(edited, guild_id=G, user_id=U, token=token, now=T0)
    assert gone is not None and gone.item is None  # the deck no longer has the shown card


async def test_set_message_only_for_the_shown_token(db: Database, study: StudyService):
    screen = await start(study)
    await study.set_message(G, U, "stale0", 7, 99)
    assert (await get_session(db, G, U)).message_id is None
    await study.set_message(G, U, screen.session.token, 7, 100)
    assert (await get_session(db, G, U)).message_id == 100
    assert study.memory.get((G, U)).session.message_id == 100  # the remembered session kept in step


async def test_default_deck_is_the_open_session_else_the_last_deck(db: Database):
    other = Deck(id="other", title="Other", cards=(Card("x", "X?", "x."),))
    library = DeckLibrary({DECK.id: DECK, other.id: other})
    study = StudyService(db, library)
    assert await study.default_deck(G, U) is None
    screen = await start(study)
    assert await study.default_deck(G, U) == DECK
    await set_member_field(db, G, U, "alice", last_deck="other")
    assert await study.default_deck(G, U) == DECK  # the open session wins
    await stop(study, screen.session.token)
    assert await study.default_deck(G, U) == other  # then the last deck
    library.replace_shipped({DECK.id: DECK})
    assert await study.default_deck(G, U) is None  # a deck the server no longer has is not offered


async def test_the_token_refuses_a_stale_rating_of_the_same_card_shown_again(db: Database, study: StudyService):
    single = Deck(id="one", title="One", cards=(Card("only", "Q?", "A."),))
    screen = await start(study, deck=single)
    after = (await rate(study, screen, 1, T0, deck=single)).screen
    # Nothing else to study: the same card comes back at once (learn ahead), under a new token.
    assert after.pick.item.item_id == "only" and after.session.token != screen.session.token
    assert await rate(study, screen, 3, T0 + timedelta(seconds=1), deck=single) is None
    assert await count(db, "reviews") == 1
    assert await rate(study, after, 3, T0 + timedelta(seconds=2), deck=single) is not None
    assert await count(db, "reviews") == 2


async def test_remembered_schedules_pick_as_the_database_would(tmp_path: Path):
    """Ratings and Reveals use what the last rating left in memory; a twin service on a twin database that forgets it
    before every step (so it reads everything back) must show the same cards, counts, due times and card states."""
    remembering_db = await Database.open(tmp_path / "remembering.db")
    forgetting_db = await Database.open(tmp_path / "forgetting.db")
    try:
        for database in (remembering_db, forgetting_db):
            await answer_quiz(database, "q1", False, T0 - timedelta(hours=1))  # a miss joins the queue as a card
            await update_guild_settings(database, G, new_card_limit=12)
        deck = replace(DECK, cards=tuple(Card(f"c{i}", f"front {i}", f"back {i}") for i in range(12)))
        library = DeckLibrary({deck.id: deck})
        remembering, forgetting = StudyService(remembering_db, library), StudyService(forgetting_db, library)
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
            forgetting.forget()
            shown = [await remembering.shown(G, U), await forgetting.shown(G, U)]  # what Reveal reads
            assert shown[0].session == await get_session(remembering_db, G, U)  # as the database has it
            assert replace(shown[0].session, token="") == replace(shown[1].session, token="")
            assert shown[0].desired_retention == shown[1].desired_retention
            assert (shown[0].card and shown[0].card.to_dict()) == (shown[1].card and shown[1].card.to_dict())
            forgetting.forget()
            rating = rng.choice((1, 2, 3, 3, 3, 4, 4))
            results = [
                await rate(remembering, screens[0], rating, now, deck), await rate(forgetting, screens[1], rating, now, deck)
            ]
            assert results[0].rated == results[1].rated
            assert results[0].streak == results[1].streak
            screens = [r.screen for r in results]
            now += timedelta(minutes=rng.choice((1, 7, 30)))
        assert screens[0].pick == screens[1].pick
        assert await count(remembering_db, "reviews") == await count(forgetting_db, "reviews") > 10
        assert len(remembering.memory.entries) == 1  # the remembered one was used, and kept up to date
    finally:
        await remembering_db.close()
        await forgetting_db.close()


async def test_reveal_after_a_settings_change_uses_the_new_retention(db: Database, study: StudyService):
    screen = await start(study)
    screen = (await rate(study, screen, 3, T0)).screen  # the session is now remembered, with the retention then
    token = screen.session.token
    before = await study.reveal(DECK, guild_id=G, user_id=U, token=token, now=T0)
    assert (await study.shown(G, U)).desired_retention == 0.9
    await update_guild_settings(db, G, desired_retention=0.7)
    study.forget(G + 1)  # another server's change leaves this one's memory alone
    assert (await study.shown(G, U)).desired_retention == 0.9
    study.forget(G)  # what the settings service calls (on_settings_change) after this server's change
    assert (await study.shown(G, U)).desired_retention == 0.7
    after = await study.reveal(DECK, guild_id=G, user_id=U, token=token, now=T0)
    assert after.intervals[1] == before.intervals[1]  # a learning step is minutes, whatever the retention
    assert after.intervals[4] > before.intervals[4]  # a lower retention lets Easy wait longer


async def test_remembered_sessions_are_bounded_by_their_items(study: StudyService):
    study.memory.limit = 5
    screens = {}
    for user in (1, 2, 3):  # each rates two cards: a schedule of two items each
        screen = await start(study, T0, user_id=user)
        screen = (await rate(study, screen, 3, T0)).screen
        screens[user] = (await rate(study, screen, 3, T0)).screen
    memory = study.memory
    assert list(memory.entries) == [(G, 2), (G, 3)] and memory.items == 4  # the first one left was forgotten
    # Forgotten is only slower: the member's next rating reads the schedule back and is remembered again.
    later = await rate(study, screens[1], 3, T0)
    assert later is not None and later.screen.session.reviewed == 3
    assert list(memory.entries) == [(G, 3), (G, 1)] and memory.items == 5
