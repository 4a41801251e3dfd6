"""The study store: session rows, the rating's one read, schedules, quiz misses, where /study continues.

The use cases that compose these (open, rate, stop, Reveal, the remembered sessions) are tested in
tests/services/test_study.py.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from bot.core.clock import to_text
from bot.core.scheduling import new_card, review
from bot.core.study_queue import ItemSchedule, StudySession
from bot.store.db import Database
from bot.store.guilds import update_guild_settings
from bot.store.members import remember_member, set_member_field
from bot.store.srs import get_state, save_review
from bot.store.study import (
    DEFAULT_NEW_LIMIT,
    StoredSchedule,
    deck_history,
    get_shown,
    load_schedule,
    read_context,
    read_misses,
    read_rating,
    read_session,
    write_last_deck,
    write_message,
    write_session,
)
from tests.store.conftest import write

G, U, OTHER = 10, 20, 21
T0 = datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc)


def session(item_id: str | None = "c0", token: str = "abc123", deck_id: str = "deck", **fields: Any) -> StudySession:
    values = dict(guild_id=G, user_id=U, deck_id=deck_id, item_id=item_id, item_kind="card" if item_id else None,
                  token=token, shown_at=T0, available=3, reviewed=1, again=0, started_at=T0, channel_id=5)
    values.update(fields)
    return StudySession(**values)


async def run(db: Database, function: Any, *args: Any) -> Any:
    """`function(conn, *args)` in a transaction of its own."""

    async def body(conn: Any) -> Any:
        return await function(conn, *args)

    return await db.atomic(body)


async def get_session(db: Database, guild_id: int, user_id: int) -> StudySession | None:
    return await run(db, read_session, guild_id, user_id)


async def answer_quiz(db: Database, question_id: str, correct: bool, at: datetime, user_id: int = U,
                      deck_id: str = "deck", index: int = 0) -> None:
    await write(
        db,
        "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, question_id, "
        "choice, correct, answered_at) VALUES (?, ?, ?, 1, ?, ?, ?, 'x', ?, ?)",
        (index + 1, index, G, user_id, deck_id, question_id, int(correct), to_text(at)),
    )


async def rated(db: Database, item_id: str, rating: int, at: datetime, kind: str = "card"):
    card, _log = review(new_card(at), rating, at, fuzz=False)

    async def body(conn: Any) -> None:
        await save_review(conn, guild_id=G, user_id=U, deck_id="deck", item_id=item_id, kind=kind, card=card,
                          rating=rating, at=at)

    await db.atomic(body)
    return card


async def test_a_written_session_reads_back_the_same(db: Database):
    assert await get_session(db, G, U) is None
    await run(db, write_session, session())
    assert await get_session(db, G, U) == session()
    moved = session("c1", token="def456", reviewed=2, again=1, message_id=77)
    await run(db, write_session, moved)  # the row is updated in place
    assert await get_session(db, G, U) == moved
    assert (await db.fetchone("SELECT COUNT(*) AS n FROM study_sessions"))["n"] == 1


async def test_the_message_is_written_only_under_the_shown_token(db: Database):
    await run(db, write_session, session())
    await run(db, write_message, G, U, "stale0", 7, 99)
    assert (await get_session(db, G, U)).message_id is None
    await run(db, write_message, G, U, "abc123", 7, 100)
    assert ((await get_session(db, G, U)).channel_id, (await get_session(db, G, U)).message_id) == (7, 100)


async def test_the_rating_read_has_session_card_settings_name_and_streak(db: Database):
    assert await run(db, read_rating, G, U) is None
    await run(db, write_session, session())
    row = await run(db, read_rating, G, U)
    assert row.session == session() and row.card_json is None and row.member_name is None
    assert (row.context.desired_retention, row.context.new_card_limit) == (0.9, DEFAULT_NEW_LIMIT)
    assert row.streak.stored is None and row.streak.member_zone is None

    card = await rated(db, "c0", 3, T0)
    await update_guild_settings(db, G, desired_retention=0.85, new_card_limit=7)
    await write(db, "UPDATE guild_settings SET timezone = 'Europe/Paris' WHERE guild_id = ?", (G,))
    await set_member_field(db, G, U, "alice", timezone="Asia/Tokyo")
    row = await run(db, read_rating, G, U)
    assert row.card_json == card.to_json() and row.member_name == "alice"
    assert (row.context.desired_retention, row.context.new_card_limit) == (0.85, 7)
    assert (row.context.member_timezone, row.context.server_timezone) == ("Asia/Tokyo", "Europe/Paris")
    assert (row.streak.member_zone, row.streak.server_zone) == ("Asia/Tokyo", "Europe/Paris")
    assert await run(db, read_context, G, U) == row.context


async def test_shown_parses_the_stored_card(db: Database):
    assert await get_shown(db, G, U) is None
    await run(db, write_session, session())
    shown = await get_shown(db, G, U)
    assert shown.session == session() and shown.card is None and shown.desired_retention == 0.9
    card = await rated(db, "c0", 1, T0)
    assert (await get_shown(db, G, U)).card.to_dict() == card.to_dict()


async def test_a_remembered_schedule_records_what_the_database_gives_back(db: Database):
    await rated(db, "c0", 3, T0)
    schedule = await run(db, load_schedule, "deck", G, U)
    assert set(schedule.items) == {"c0"} and schedule.new_since(to_text(T0)) == 1
    at = T0 + timedelta(minutes=12)
    for item_id, rating, kind in (("c0", 3, "card"), ("c1", 1, "card"), ("q0", 3, "quiz")):
        card, _log = review(schedule.card(item_id) or new_card(at), rating, at, fuzz=False)

        async def body(conn: Any) -> None:
            await save_review(conn, guild_id=G, user_id=U, deck_id="deck", item_id=item_id, kind=kind, card=card,
                              rating=rating, at=at)

        await db.atomic(body)
        schedule.record(item_id, kind, card, at)
    reloaded = await run(db, load_schedule, "deck", G, U)
    assert reloaded.items == schedule.items
    assert reloaded.first_seen == schedule.first_seen == {"c0": to_text(T0), "c1": to_text(at)}
    assert {i: reloaded.card(i).to_dict() for i in reloaded.cards} == {i: schedule.card(i).to_dict() for i in schedule.cards}
    state = await run(db, get_state, G, U, "deck", "c0")
    assert state.reps == 2 and state.card.to_dict() == schedule.card("c0").to_dict()


async def test_quiz_misses_are_the_latest_wrong_answer_per_question(db: Database):
    await answer_quiz(db, "q0", False, T0 - timedelta(days=3))
    await answer_quiz(db, "q0", False, T0 - timedelta(days=1), index=1)
    await answer_quiz(db, "q1", True, T0 - timedelta(hours=1), index=2)
    await answer_quiz(db, "q0", False, T0 - timedelta(hours=1), deck_id="elsewhere", index=3)
    await answer_quiz(db, "q0", False, T0 - timedelta(hours=1), user_id=OTHER, index=4)
    assert await run(db, read_misses, G, U, "deck") == {"q0": T0 - timedelta(days=1)}


async def test_deck_history_is_the_open_sessions_deck_and_the_last_deck(db: Database):
    assert await deck_history(db, G, U) == (None, None)
    await run(db, write_session, session(deck_id="open"))
    assert await deck_history(db, G, U) == ("open", None)

    async def last(conn: Any) -> None:
        await remember_member(conn, G, U, "alice")
        await write_last_deck(conn, G, U, "last")

    await db.atomic(last)
    assert await deck_history(db, G, U) == ("open", "last")
    await run(db, write_session, session(item_id=None, deck_id="open"))  # the session ended
    assert await deck_history(db, G, U) == (None, "last")


def test_the_load_balancers_day_counts_follow_each_recorded_review() -> None:
    day = datetime(2025, 5, 1, 9, tzinfo=timezone.utc)
    items = {f"c{i}": ItemSchedule(f"c{i}", "card", day + timedelta(days=i % 2), True) for i in range(4)}
    schedule = StoredSchedule(items, {}, {})
    assert (schedule.busy(day.date()), schedule.busy(day.date() + timedelta(days=1))) == (2, 2)
    moved, _ = review(new_card(day), 3, day, fuzz=False)
    moved.due = day + timedelta(days=1)
    schedule.record("c0", "card", moved, day)  # from the first day to the second
    schedule.record("new", "card", moved, day)  # a card never seen, due on the second day
    counted = (schedule.busy(day.date()), schedule.busy(day.date() + timedelta(days=1)))
    assert counted == (1, 4) == (
        StoredSchedule(dict(schedule.items), {}, {}).busy(day.date()),
        StoredSchedule(dict(schedule.items), {}, {}).busy(day.date() + timedelta(days=1)),
    )
