"""What /quiz keeps: rounds, posted questions (with their shuffle) and answers, enough to survive a restart.

SQL and row mapping only: the service decides what goes into one transaction and turns stored answers back into
graded ones (bot.services.quiz).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.clock import from_text, to_text
from bot.core.decks import QuizQuestion
from bot.core.quiz import Answer
from bot.store.api import Connection, Store

ROUND_STATUSES = ("running", "finished", "stopped", "idle", "interrupted", "failed")


@dataclass(frozen=True, slots=True)
class RoundRecord:
    id: int
    guild_id: int
    channel_id: int
    deck_id: str
    starter_id: int
    question_count: int
    seconds: float  # the real time each question stays open
    announcement_message_id: int | None
    status: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    round_id: int
    index: int
    question: QuizQuestion  # as shown: choices in the shuffled order
    message_id: int | None
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One stored answer as it is in the table (the letter as its name, "A", "B"…)."""

    question_index: int
    user_id: int
    letter: str
    choice: str
    correct: bool
    response_ms: int
    points: int  # including the streak bonus
    answered_at: datetime


_ROUND_COLUMNS = (
    "id, guild_id, channel_id, deck_id, starter_id, question_count, seconds, announcement_message_id, status, "
    "started_at, ended_at"
)


def _round(row: Any) -> RoundRecord:
    return RoundRecord(
        row["id"], row["guild_id"], row["channel_id"], row["deck_id"], row["starter_id"], row["question_count"],
        row["seconds"], row["announcement_message_id"], row["status"], from_text(row["started_at"]),
        from_text(row["ended_at"]) if row["ended_at"] else None,
    )


def question_to_json(question: QuizQuestion) -> str:
    return json.dumps(
        {
            "id": question.id, "question": question.question, "choices": list(question.choices),
            "answer": question.answer, "explanation": question.explanation, "level": question.level,
        },
        ensure_ascii=False,
    )


def question_from_json(text: str) -> QuizQuestion:
    data = json.loads(text)
    return QuizQuestion(
        id=data["id"], question=data["question"], choices=tuple(data["choices"]), answer=data["answer"],
        explanation=data.get("explanation", ""), level=data.get("level", "beginner"),
    )


# --- Rounds --------------------------------------------------------------------------------------------------------


async def insert_round(
    conn: Connection, *, guild_id: int, channel_id: int, deck_id: str, starter_id: int, question_count: int,
    seconds: float, started_at: datetime,
) -> RoundRecord:
    cur = await conn.execute(
        "INSERT INTO quiz_rounds (guild_id, channel_id, deck_id, starter_id, question_count, seconds, started_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (guild_id, channel_id, deck_id, starter_id, question_count, seconds, to_text(started_at)),
    )
    (round_id,) = await cur.fetchone()
    return RoundRecord(round_id, guild_id, channel_id, deck_id, starter_id, question_count, seconds,
                       None, "running", started_at, None)


async def set_announcement(conn: Connection, round_id: int, message_id: int) -> None:
    await conn.execute("UPDATE quiz_rounds SET announcement_message_id = ? WHERE id = ?", (message_id, round_id))


async def finish_round(conn: Connection, round_id: int, status: str, ended_at: datetime) -> None:
    if status not in ROUND_STATUSES or status == "running":
        raise ValueError(f"a round cannot finish as {status!r}")
    await conn.execute(
        "UPDATE quiz_rounds SET status = ?, ended_at = ? WHERE id = ?", (status, to_text(ended_at), round_id)
    )


async def running_rounds(db: Store) -> list[RoundRecord]:
    """Rounds that were running when the bot stopped (or are running now), oldest first."""
    rows = await db.fetchall(f"SELECT {_ROUND_COLUMNS} FROM quiz_rounds WHERE status = 'running' ORDER BY id")
    return [_round(r) for r in rows]


# --- Questions -----------------------------------------------------------------------------------------------------


async def insert_question(
    conn: Connection, round_id: int, index: int, question: QuizQuestion, message_id: int, opened_at: datetime,
    closes_at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO quiz_questions (round_id, question_index, question_id, snapshot_json, message_id, opened_at, "
        "closes_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (round_id, index, question.id, question_to_json(question), message_id, to_text(opened_at), to_text(closes_at)),
    )


async def close_question(conn: Connection, round_id: int, index: int, closed_at: datetime) -> None:
    await conn.execute(
        "UPDATE quiz_questions SET closed_at = ? WHERE round_id = ? AND question_index = ?",
        (to_text(closed_at), round_id, index),
    )


async def questions_of(db: Store, round_id: int) -> list[QuestionRecord]:
    rows = await db.fetchall(
        "SELECT round_id, question_index, snapshot_json, message_id, opened_at, closes_at, closed_at "
        "FROM quiz_questions WHERE round_id = ? ORDER BY question_index",
        (round_id,),
    )
    return [
        QuestionRecord(
            r["round_id"], r["question_index"], question_from_json(r["snapshot_json"]), r["message_id"],
            from_text(r["opened_at"]), from_text(r["closes_at"]), from_text(r["closed_at"]) if r["closed_at"] else None,
        )
        for r in rows
    ]


# --- Answers -------------------------------------------------------------------------------------------------------


async def insert_answer(conn: Connection, quiz: RoundRecord, question_id: str, answer: Answer, letter: str) -> bool:
    """Store one graded answer (`letter`: its name, "A"…); False when the member's answer was already stored."""
    # The UNIQUE key makes a second store of the same member's answer (a replayed event, a restart) a no-op.
    cur = await conn.execute(
        "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, "
        "question_id, letter, choice, correct, response_ms, points, answered_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1",
        (quiz.id, answer.question_index, quiz.guild_id, quiz.channel_id, answer.user_id, quiz.deck_id, question_id,
         letter, answer.choice, int(answer.correct), answer.response_ms, answer.points, to_text(answer.answered_at)),
    )
    return await cur.fetchone() is not None


async def answers_of(db: Store, round_id: int) -> list[AnswerRow]:
    """The stored answers of a round, in answer order."""
    rows = await db.fetchall(
        "SELECT question_index, user_id, letter, choice, correct, response_ms, points, answered_at FROM quiz_answers "
        "WHERE round_id = ? ORDER BY question_index, id",
        (round_id,),
    )
    return [
        AnswerRow(r["question_index"], r["user_id"], r["letter"], r["choice"], bool(r["correct"]), r["response_ms"],
                  r["points"], from_text(r["answered_at"]))
        for r in rows
    ]
