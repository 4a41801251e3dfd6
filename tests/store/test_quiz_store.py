"""Quiz storage: rounds, question snapshots, answers stored once, the rows a restart reads back (SQL and mapping only;
what goes into one transaction, and turning rows back into graded answers, is tested in tests/services/test_quiz.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.core.decks import QuizQuestion
from bot.core.quiz import LETTERS, QuizRound
from bot.store import quiz as store
from bot.store.db import Database
from bot.store.quiz import AnswerRow, question_from_json, question_to_json
from tests.store.conftest import write

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
WINDOW = timedelta(seconds=20)
GUILD, CHANNEL, ALICE, BOB = 1, 2, 11, 22
A, B = LETTERS[:2]


def question(qid: str = "q1") -> QuizQuestion:
    return QuizQuestion(qid, "Which scheduler steps?", ("ExponentialLR", "StepLR", "ReduceLROnPlateau"), "StepLR",
                        "StepLR reduces the rate every few epochs.", "intermediate")


async def new_round(db: Database, count: int = 2) -> store.RoundRecord:
    return await db.atomic(lambda conn: store.insert_round(
        conn, guild_id=GUILD, channel_id=CHANNEL, deck_id="lr", starter_id=ALICE, question_count=count, seconds=20.0,
        started_at=T0,
    ))


async def round_row(db: Database, round_id: int) -> tuple:
    row = await db.fetchone("SELECT status, announcement_message_id, deck_id, ended_at FROM quiz_rounds WHERE id = ?",
                            (round_id,))
    return tuple(row)


def test_snapshot_round_trips_the_shown_question() -> None:
    shown = question()
    assert question_from_json(question_to_json(shown)) == shown


async def test_a_round_is_running_until_finished(db: Database) -> None:
    quiz = await new_round(db)
    assert (quiz.status, quiz.started_at, quiz.announcement_message_id) == ("running", T0, None)
    await db.atomic(lambda conn: store.set_announcement(conn, quiz.id, 555))
    assert await round_row(db, quiz.id) == ("running", 555, "lr", None)
    [running] = await store.running_rounds(db)
    assert (running.id, running.announcement_message_id, running.started_at) == (quiz.id, 555, T0)
    assert running.seconds == 20.0
    await db.atomic(lambda conn: store.finish_round(conn, quiz.id, "stopped", T0 + WINDOW))
    assert await store.running_rounds(db) == []
    assert (await round_row(db, quiz.id))[0] == "stopped"
    with pytest.raises(ValueError):
        await db.atomic(lambda conn: store.finish_round(conn, quiz.id, "running", T0))


async def test_an_answer_is_inserted_once_with_the_letter_it_is_given(db: Database) -> None:
    quiz = await new_round(db)
    core = QuizRound(2)
    core.open_question(question(), T0, WINDOW)
    right = core.record(ALICE, B, T0 + timedelta(seconds=5))
    assert await db.atomic(lambda conn: store.insert_answer(conn, quiz, "q1", right, "B"))
    assert not await db.atomic(lambda conn: store.insert_answer(conn, quiz, "q1", right, "B"))  # a replay: no-op
    rows = await db.fetchall(
        "SELECT user_id, letter, choice, correct, response_ms, points, guild_id, channel_id, deck_id, question_id "
        "FROM quiz_answers"
    )
    assert [tuple(r) for r in rows] == [(ALICE, "B", "StepLR", 1, 5000, 875, GUILD, CHANNEL, "lr", "q1")]
    assert await db.fetchall("SELECT * FROM activity") == []  # activity is the service's part of the transaction


async def test_questions_and_answers_read_back_as_stored(db: Database) -> None:
    quiz = await new_round(db)
    core = QuizRound(2)
    core.open_question(question(), T0, WINDOW)
    wrong = core.record(BOB, A, T0 + timedelta(milliseconds=1234))

    async def body(conn) -> None:
        await store.insert_question(conn, quiz.id, 0, question("q1"), 700, T0, T0 + WINDOW)
        await store.insert_question(conn, quiz.id, 1, question("q2"), 701, T0 + WINDOW, T0 + 2 * WINDOW)
        await store.insert_answer(conn, quiz, "q1", wrong, "A")
        await store.close_question(conn, quiz.id, 0, T0 + WINDOW)

    await db.atomic(body)
    questions = await store.questions_of(db, quiz.id)
    assert [(q.index, q.question, q.message_id, q.opened_at, q.closed_at) for q in questions] == [
        (0, question("q1"), 700, T0, T0 + WINDOW), (1, question("q2"), 701, T0 + WINDOW, None),
    ]
    assert await store.answers_of(db, quiz.id) == [
        AnswerRow(0, BOB, "A", "ExponentialLR", False, 1234, 0, T0 + timedelta(milliseconds=1234)),
    ]


async def test_misses_are_the_wrong_answers(db: Database) -> None:
    quiz = await new_round(db)
    core = QuizRound(2)
    for index, (qid, emoji) in enumerate([("q1", A), ("q2", B)]):
        core.open_question(question(qid), T0, WINDOW)
        answer = core.record(ALICE, emoji, T0)
        await db.atomic(lambda conn: store.insert_answer(conn, quiz, qid, answer, "AB"[index]))
        core.close()
    # The query /study runs against the shared contract.
    rows = await db.fetchall(
        "SELECT DISTINCT question_id FROM quiz_answers WHERE guild_id = ? AND user_id = ? AND deck_id = ? AND correct = 0",
        (GUILD, ALICE, "lr"),
    )
    assert [r["question_id"] for r in rows] == ["q1"]


async def test_an_answer_row_is_unique_per_round_question_and_member(db: Database) -> None:
    quiz = await new_round(db)
    insert = (
        "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, question_id, "
        "letter, choice, correct, response_ms, points, answered_at) VALUES (?, 0, 1, 2, 11, 'lr', 'q1', 'A', 'x', 1, 0, 0, 't')"
    )
    await write(db, insert, (quiz.id,))
    with pytest.raises(Exception, match="(?i)unique"):
        await write(db, insert, (quiz.id,))
