"""What /quiz keeps: rounds, posted questions (with their shuffle) and answers, enough to survive a restart."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Sequence

import aiosqlite

from bot.core.clock import from_text, to_text
from bot.core.decks import QuizQuestion
from bot.core.quiz import Answer, base_points, letter_name
from bot.services.streaks import record_activity as _record  # interim
from bot.ui.common import streak_line as _line  # interim
from bot.store.db import Connection, Database
from bot.store.members import remember_member

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


_ROUND_COLUMNS = (
    "id, guild_id, channel_id, deck_id, starter_id, question_count, seconds, announcement_message_id, status, "
    "started_at, ended_at"
)


def _round(row: aiosqlite.Row) -> RoundRecord:
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


async def create_round(
    db: Database, *, guild_id: int, channel_id: int, deck_id: str, starter_id: int, question_count: int,
    seconds: float, started_at: datetime,
) -> RoundRecord:
    async def body(conn: Connection) -> int:
        cur = await conn.execute(
            "INSERT INTO quiz_rounds (guild_id, channel_id, deck_id, starter_id, question_count, seconds, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (guild_id, channel_id, deck_id, starter_id, question_count, seconds, to_text(started_at)),
        )
        return int(cur.lastrowid)

    round_id = await db.atomic(body)
    return RoundRecord(round_id, guild_id, channel_id, deck_id, starter_id, question_count, seconds, None, "running",
                       started_at, None)


async def set_announcement(db: Database, round_id: int, message_id: int) -> None:
    async def body(conn: Connection) -> None:
        await conn.execute("UPDATE quiz_rounds SET announcement_message_id = ? WHERE id = ?", (message_id, round_id))

    await db.atomic(body)


async def finish_round(db: Database, round_id: int, status: str, ended_at: datetime) -> None:
    if status not in ROUND_STATUSES or status == "running":
        raise ValueError(f"a round cannot finish as {status!r}")
    async def body(conn: Connection) -> None:
        await conn.execute(
            "UPDATE quiz_rounds SET status = ?, ended_at = ? WHERE id = ?", (status, to_text(ended_at), round_id)
        )

    await db.atomic(body)


async def get_round(db: Database, round_id: int) -> RoundRecord | None:
    row = await db.fetchone(f"SELECT {_ROUND_COLUMNS} FROM quiz_rounds WHERE id = ?", (round_id,))
    return _round(row) if row else None


async def running_rounds(db: Database) -> list[RoundRecord]:
    """Rounds that were running when the bot stopped (or are running now), oldest first."""
    rows = await db.fetchall(f"SELECT {_ROUND_COLUMNS} FROM quiz_rounds WHERE status = 'running' ORDER BY id")
    return [_round(r) for r in rows]


# --- Questions -----------------------------------------------------------------------------------------------------


async def save_question(
    db: Database, round_id: int, index: int, question: QuizQuestion, message_id: int, opened_at: datetime,
    closes_at: datetime,
) -> None:
    async def body(conn: Connection) -> None:
        await conn.execute(
            "INSERT INTO quiz_questions (round_id, question_index, question_id, snapshot_json, message_id, opened_at, "
            "closes_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (round_id, index, question.id, question_to_json(question), message_id, to_text(opened_at),
             to_text(closes_at)),
        )

    await db.atomic(body)


async def questions_of(db: Database, round_id: int) -> list[QuestionRecord]:
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


async def save_answers(
    db: Database, quiz: RoundRecord, question_id: str, answers: Sequence[Answer], names: Mapping[int, str],
) -> dict[int, str]:
    """Store answers (each once), each with its activity and the member's name, in one transaction.

    Returns the streak lines record_activity gave, by member.
    """
    async def body(conn: Connection) -> dict[int, str]:
        return await _store_answers(conn, quiz, question_id, answers, names)

    return await db.atomic(body)


async def close_question(
    db: Database, quiz: RoundRecord, index: int, question_id: str, answers: Sequence[Answer], names: Mapping[int, str],
    closed_at: datetime,
) -> dict[int, str]:
    """Store the answers found at the close and mark the question closed, atomically."""
    async def body(conn: Connection) -> dict[int, str]:
        notes = await _store_answers(conn, quiz, question_id, answers, names)
        await conn.execute(
            "UPDATE quiz_questions SET closed_at = ? WHERE round_id = ? AND question_index = ?",
            (to_text(closed_at), quiz.id, index),
        )
        return notes

    return await db.atomic(body)


async def _store_answers(
    conn: aiosqlite.Connection, quiz: RoundRecord, question_id: str, answers: Sequence[Answer],
    names: Mapping[int, str],
) -> dict[int, str]:
    notes: dict[int, str] = {}
    for answer in answers:
        if not await _insert_answer(conn, quiz, question_id, answer):
            continue
        await remember_member(conn, quiz.guild_id, answer.user_id, names.get(answer.user_id) or str(answer.user_id))
        note = _line(await _record(conn, quiz.guild_id, answer.user_id, "quiz", answer.answered_at))
        if note:
            notes[answer.user_id] = note
    return notes


async def _insert_answer(conn: aiosqlite.Connection, quiz: RoundRecord, question_id: str, answer: Answer) -> bool:
    # The UNIQUE key makes a second store of the same member's answer (a replayed event, a restart) a no-op.
    cur = await conn.execute(
        "INSERT OR IGNORE INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, "
        "question_id, letter, choice, correct, response_ms, points, answered_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (quiz.id, answer.question_index, quiz.guild_id, quiz.channel_id, answer.user_id, quiz.deck_id, question_id,
         letter_name(answer.letter), answer.choice, int(answer.correct), answer.response_ms, answer.points,
         to_text(answer.answered_at)),
    )
    return cur.rowcount == 1


async def answers_of(db: Database, round_id: int, questions: Sequence[QuestionRecord]) -> list[Answer]:
    """The stored answers of a round as core Answers (the streak bonus recovered from points), in answer order."""
    by_index = {q.index: q for q in questions}
    rows = await db.fetchall(
        "SELECT question_index, user_id, letter, choice, correct, response_ms, points, answered_at FROM quiz_answers "
        "WHERE round_id = ? ORDER BY question_index, id",
        (round_id,),
    )
    answers = []
    for r in rows:
        question = by_index.get(r["question_index"])
        if question is None:
            continue
        response = timedelta(milliseconds=r["response_ms"])
        correct = bool(r["correct"])
        window = question.closes_at - question.opened_at
        # Only whole milliseconds are stored, so the base may differ by a point; the bonus is a multiple of 100.
        bonus = round((r["points"] - base_points(response, window)) / 100) * 100 if correct else 0
        answers.append(Answer(
            r["user_id"], r["question_index"], ord(r["letter"]) - ord("A"), r["choice"], correct, response,
            r["points"], max(bonus, 0), from_text(r["answered_at"]),
        ))
    return answers
