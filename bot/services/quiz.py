"""/quiz as a use case: rounds, the questions they post and the answers members give, each stored in one transaction
with what it implies (an answer: its activity, the member's streak and name), and a round read back after a restart.

The round's rules (grading, scoring) are bot.core.quiz's; the session that runs a round lives in the cog layer.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Mapping, Sequence

from bot.core.quiz import Answer, OpenQuestion, base_points, letter_name
from bot.core.streaks import StreakUpdate
from bot.services.streaks import record_activity
from bot.store import quiz as store
from bot.store.api import Connection, Store
from bot.store.members import get_member, remember_member
from bot.store.quiz import AnswerRow, QuestionRecord, RoundRecord

__all__ = ["QuestionRecord", "QuizService", "RoundRecord"]


class QuizService:
    def __init__(self, db: Store) -> None:
        self.db = db

    async def last_deck(self, guild_id: int, user_id: int) -> str | None:
        """The deck the member used last (what /quiz quizzes on when no deck is named)."""
        prefs = await get_member(self.db, guild_id, user_id)
        return prefs.last_deck if prefs else None

    # Rounds ---------------------------------------------------------------------------------------------------------

    async def create_round(
        self, *, guild_id: int, channel_id: int, deck_id: str, starter_id: int, question_count: int, seconds: float,
        started_at: datetime,
    ) -> RoundRecord:
        async def body(conn: Connection) -> RoundRecord:
            return await store.insert_round(
                conn, guild_id=guild_id, channel_id=channel_id, deck_id=deck_id, starter_id=starter_id,
                question_count=question_count, seconds=seconds, started_at=started_at,
            )

        return await self.db.atomic(body)

    async def set_announcement(self, quiz: RoundRecord, message_id: int) -> RoundRecord:
        """Remember the announcement (its Stop button is disabled when the round ends); the round as it is now."""
        async def body(conn: Connection) -> None:
            await store.set_announcement(conn, quiz.id, message_id)

        await self.db.atomic(body)
        return replace(quiz, announcement_message_id=message_id)

    async def finish_round(self, round_id: int, status: str, ended_at: datetime) -> None:
        async def body(conn: Connection) -> None:
            await store.finish_round(conn, round_id, status, ended_at)

        await self.db.atomic(body)

    async def running_rounds(self) -> list[RoundRecord]:
        """Rounds still marked running: at start-up, the ones a restart cut off."""
        return await store.running_rounds(self.db)

    # Questions ------------------------------------------------------------------------------------------------------

    async def save_question(self, round_id: int, question: OpenQuestion, message_id: int) -> None:
        """Store a posted question as shown (its shuffle), before any answer to it can be stored."""
        async def body(conn: Connection) -> None:
            await store.insert_question(conn, round_id, question.index, question.question, message_id,
                                        question.opened_at, question.closes_at)

        await self.db.atomic(body)

    async def close_question(
        self, quiz: RoundRecord, question: OpenQuestion, found: Sequence[Answer], names: Mapping[int, str],
        closed_at: datetime,
    ) -> dict[int, StreakUpdate]:
        """Store the answers found on the message at the close and mark the question closed, atomically."""
        async def body(conn: Connection) -> dict[int, StreakUpdate]:
            streaks = await self._store_answers(conn, quiz, question.question.id, found, names)
            await store.close_question(conn, quiz.id, question.index, closed_at)
            return streaks

        return await self.db.atomic(body)

    # Answers --------------------------------------------------------------------------------------------------------

    async def save_answers(
        self, quiz: RoundRecord, question_id: str, answers: Sequence[Answer], names: Mapping[int, str]
    ) -> dict[int, StreakUpdate]:
        """Store answers (each member's once), each with its activity and the member's name, in one transaction.

        Returns the streak each newly stored answer left its member with, by member.
        """
        async def body(conn: Connection) -> dict[int, StreakUpdate]:
            return await self._store_answers(conn, quiz, question_id, answers, names)

        return await self.db.atomic(body)

    @staticmethod
    async def _store_answers(
        conn: Connection, quiz: RoundRecord, question_id: str, answers: Sequence[Answer], names: Mapping[int, str]
    ) -> dict[int, StreakUpdate]:
        streaks: dict[int, StreakUpdate] = {}
        for answer in answers:
            if not await store.insert_answer(conn, quiz, question_id, answer, letter_name(answer.letter)):
                continue  # stored before (a replayed event, a restart): its activity was logged then
            await remember_member(conn, quiz.guild_id, answer.user_id,
                                  names.get(answer.user_id) or str(answer.user_id))
            streaks[answer.user_id] = await record_activity(conn, quiz.guild_id, answer.user_id, "quiz",
                                                            answer.answered_at)
        return streaks

    # Restart --------------------------------------------------------------------------------------------------------

    async def questions_of(self, round_id: int) -> list[QuestionRecord]:
        """The questions a round posted, in order, as they were shown."""
        return await store.questions_of(self.db, round_id)

    async def answers_of(self, round_id: int, questions: Sequence[QuestionRecord]) -> list[Answer]:
        """The stored answers of a round as graded Answers (the streak bonus recovered from points), in answer order."""
        by_index = {q.index: q for q in questions}
        return [
            recovered(row, by_index[row.question_index])
            for row in await store.answers_of(self.db, round_id)
            if row.question_index in by_index
        ]


def recovered(row: AnswerRow, question: QuestionRecord) -> Answer:
    """A stored answer as the round graded it. Only points are stored; the bonus is what exceeds the base points."""
    response = timedelta(milliseconds=row.response_ms)
    bonus = 0
    if row.correct:
        # Only whole milliseconds are stored, so the base may differ by a point; the bonus is a multiple of 100.
        base = base_points(response, question.closes_at - question.opened_at)
        bonus = max(round((row.points - base) / 100) * 100, 0)
    letter = ord(row.letter) - ord("A")  # the inverse of letter_name
    return Answer(row.user_id, row.question_index, letter, row.choice, row.correct, response, row.points, bonus,
                  row.answered_at)
