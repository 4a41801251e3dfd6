"""Quiz storage: rounds, question snapshots, answers stored once with activity, the restart read-back."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import AsyncIterator

import pytest

from bot.core.decks import QuizQuestion
from bot.core.quiz import LETTERS, QuizRound, Reaction
from bot.store.db import Database
from bot.store.quiz import (
    answers_of,
    close_question,
    create_round,
    finish_round,
    get_round,
    question_from_json,
    question_to_json,
    questions_of,
    running_rounds,
    save_answers,
    save_question,
    set_announcement,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
WINDOW = timedelta(seconds=20)
GUILD, CHANNEL, ALICE, BOB, CAROL = 1, 2, 11, 22, 33
NAMES = {ALICE: "alice", BOB: "bob", CAROL: "carol"}
A, B, C = LETTERS[:3]


def question(qid: str = "q1") -> QuizQuestion:
    return QuizQuestion(qid, "Which scheduler steps?", ("ExponentialLR", "StepLR", "ReduceLROnPlateau"), "StepLR",
                        "StepLR reduces the rate every few epochs.", "intermediate")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "quiz.db")
    try:
        yield database
    finally:
        await database.close()


async def new_round(db: Database, count: int = 2):
    return await create_round(db, guild_id=GUILD, channel_id=CHANNEL, deck_id="lr", starter_id=ALICE,
                              question_count=count, seconds=20.0, started_at=T0)


def test_snapshot_round_trips_the_shown_question() -> None:
    shown = question()
    assert question_from_json(question_to_json(shown)) == shown


async def test_a_round_is_running_until_finished(db: Database) -> None:
    quiz = await new_round(db)
    await set_announcement(db, quiz.id, 555)
    stored = await get_round(db, quiz.id)
    assert (stored.status, stored.announcement_message_id, stored.deck_id, stored.started_at) == ("running", 555, "lr", T0)
    assert [r.id for r in await running_rounds(db)] == [quiz.id]
    await finish_round(db, quiz.id, "stopped", T0 + WINDOW)
    assert await running_rounds(db) == []
    assert (await get_round(db, quiz.id)).status == "stopped"
    with pytest.raises(ValueError):
        await finish_round(db, quiz.id, "running", T0)


async def test_answers_are_stored_once_with_their_activity_and_member_names(db: Database) -> None:
    quiz = await new_round(db)
    core = QuizRound(2)
    core.open_question(question(), T0, WINDOW)
    await save_question(db, quiz.id, 0, question(), 777, T0, T0 + WINDOW)
    right = core.record(ALICE, B, T0 + timedelta(seconds=5))
    wrong = core.record(BOB, A, T0 + timedelta(seconds=2))
    await save_answers(db, quiz, "q1", [right], NAMES)
    await save_answers(db, quiz, "q1", [right, wrong], NAMES)  # a replay must not double anything

    rows = await db.fetchall(
        "SELECT user_id, letter, choice, correct, response_ms, points, guild_id, channel_id, deck_id, question_id "
        "FROM quiz_answers ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [
        (ALICE, "B", "StepLR", 1, 5000, 875, GUILD, CHANNEL, "lr", "q1"),
        (BOB, "A", "ExponentialLR", 0, 2000, 0, GUILD, CHANNEL, "lr", "q1"),
    ]
    activity = await db.fetchall("SELECT user_id, kind FROM activity ORDER BY id")
    assert [tuple(r) for r in activity] == [(ALICE, "quiz"), (BOB, "quiz")]
    names = await db.fetchall("SELECT user_id, display_name FROM members ORDER BY user_id")
    assert [tuple(r) for r in names] == [(ALICE, "alice"), (BOB, "bob")]


async def test_closing_stores_found_answers_and_marks_the_question_closed(db: Database) -> None:
    quiz = await new_round(db)
    core = QuizRound(2)
    core.open_question(question(), T0, WINDOW)
    await save_question(db, quiz.id, 0, question(), 777, T0, T0 + WINDOW)
    result = core.close([Reaction(B, CAROL)], T0 + WINDOW)
    await close_question(db, quiz, 0, "q1", result.answers, NAMES, T0 + WINDOW)
    [stored] = await questions_of(db, quiz.id)
    assert stored.closed_at == T0 + WINDOW and stored.message_id == 777
    row = await db.fetchone("SELECT user_id, points, response_ms FROM quiz_answers")
    assert tuple(row) == (CAROL, 500, 20_000)


async def test_misses_are_the_wrong_answers(db: Database) -> None:
    quiz = await new_round(db)
    core = QuizRound(2)
    for index, qid in enumerate(["q1", "q2"]):
        core.open_question(question(qid), T0, WINDOW)
        await save_question(db, quiz.id, index, question(qid), 700 + index, T0, T0 + WINDOW)
        answer = core.record(ALICE, A if qid == "q1" else B, T0)
        await save_answers(db, quiz, qid, [answer], NAMES)
        core.close()
    # The query /study runs against the shared contract.
    rows = await db.fetchall(
        "SELECT DISTINCT question_id FROM quiz_answers WHERE guild_id = ? AND user_id = ? AND deck_id = ? AND correct = 0",
        (GUILD, ALICE, "lr"),
    )
    assert [r["question_id"] for r in rows] == ["q1"]


async def test_a_round_reads_back_for_a_restart(db: Database) -> None:
    quiz = await new_round(db)
    core = QuizRound(2)
    stored_answers = []
    for index, qid in enumerate(["q1", "q2"]):
        opened_at = T0 + index * timedelta(minutes=1)
        core.open_question(question(qid), opened_at, WINDOW)
        await save_question(db, quiz.id, index, question(qid), 700 + index, opened_at, opened_at + WINDOW)
        answer = core.record(ALICE, B, opened_at + timedelta(milliseconds=1234))
        stored_answers.append(answer)
        await save_answers(db, quiz, qid, [answer], NAMES)
        if index == 0:
            await close_question(db, quiz, 0, qid, [], NAMES, opened_at + WINDOW)
            core.close()

    questions = await questions_of(db, quiz.id)
    assert [(q.index, q.question.id, q.closed_at is None) for q in questions] == [(0, "q1", False), (1, "q2", True)]
    answers = await answers_of(db, quiz.id, questions)
    assert [(a.user_id, a.letter, a.correct, a.points, a.bonus) for a in answers] == [
        (ALICE, 1, True, stored_answers[0].points, 0),
        (ALICE, 1, True, stored_answers[1].points, 100),
    ]
    assert stored_answers[1].bonus == 100


async def test_an_answer_row_is_unique_per_round_question_and_member(db: Database) -> None:
    quiz = await new_round(db)
    insert = (
        "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, question_id, "
        "letter, choice, correct, response_ms, points, answered_at) VALUES (?, 0, 1, 2, 11, 'lr', 'q1', 'A', 'x', 1, 0, 0, 't')"
    )
    async with db.transaction() as conn:
        await conn.execute(insert, (quiz.id,))
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await conn.execute(insert, (quiz.id,))
