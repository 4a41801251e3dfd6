"""The quiz use case: a round's answers stored once with their activity, streak and member name in one transaction;
a question closed atomically with the answers found at its close; a round read back for a restart."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.core.decks import QuizQuestion
from bot.core.quiz import LETTERS, QuizRound, Reaction
from bot.services.quiz import QuizService, RoundRecord
from bot.store import quiz as quiz_store
from bot.store.db import Database
from bot.store.members import set_member_field

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
WINDOW = timedelta(seconds=20)
GUILD, CHANNEL, ALICE, BOB, CAROL = 1, 2, 11, 22, 33
NAMES = {ALICE: "alice", BOB: "bob", CAROL: "carol"}
A, B = LETTERS[:2]


def question(qid: str = "q1") -> QuizQuestion:
    return QuizQuestion(qid, "Which scheduler steps?", ("ExponentialLR", "StepLR", "ReduceLROnPlateau"), "StepLR",
                        "StepLR reduces the rate every few epochs.", "intermediate")


@pytest.fixture
def service(db: Database) -> QuizService:
    return QuizService(db)


async def new_round(service: QuizService, count: int = 2) -> RoundRecord:
    return await service.create_round(guild_id=GUILD, channel_id=CHANNEL, deck_id="lr", starter_id=ALICE,
                                      question_count=count, seconds=20.0, started_at=T0)


async def rows(db: Database, sql: str) -> list[tuple]:
    return [tuple(r) for r in await db.fetchall(sql)]


async def test_a_round_runs_until_finished_and_keeps_its_announcement(db: Database, service: QuizService) -> None:
    quiz = await new_round(service)
    announced = await service.set_announcement(quiz, 555)
    assert announced.announcement_message_id == 555 and announced.id == quiz.id
    assert [(r.id, r.announcement_message_id) for r in await service.running_rounds()] == [(quiz.id, 555)]
    await service.finish_round(quiz.id, "finished", T0 + WINDOW)
    assert await service.running_rounds() == []
    assert await rows(db, "SELECT status FROM quiz_rounds") == [("finished",)]


async def test_answers_are_stored_once_with_their_activity_streak_and_member_name(
    db: Database, service: QuizService
) -> None:
    quiz = await new_round(service)
    core = QuizRound(2)
    current = core.open_question(question(), T0, WINDOW)
    await service.save_question(quiz.id, current, 777)
    right = core.record(ALICE, B, T0 + timedelta(seconds=5))
    wrong = core.record(BOB, A, T0 + timedelta(seconds=2))
    first = await service.save_answers(quiz, "q1", [right], NAMES)
    again = await service.save_answers(quiz, "q1", [right, wrong], NAMES)  # a replay must not double anything

    assert list(first) == [ALICE] and first[ALICE].grew and first[ALICE].state.current == 1
    assert list(again) == [BOB]  # only the newly stored answer logged an activity
    stored = await rows(db, "SELECT user_id, letter, choice, correct, response_ms, points FROM quiz_answers ORDER BY id")
    assert stored == [
        (ALICE, "B", "StepLR", 1, 5000, 875), (BOB, "A", "ExponentialLR", 0, 2000, 0),
    ]
    assert await rows(db, "SELECT user_id, kind FROM activity ORDER BY id") == [(ALICE, "quiz"), (BOB, "quiz")]
    assert await rows(db, "SELECT user_id, current FROM streaks ORDER BY user_id") == [(ALICE, 1), (BOB, 1)]
    names = await rows(db, "SELECT user_id, display_name FROM members ORDER BY user_id")
    assert names == [(ALICE, "alice"), (BOB, "bob")]


async def test_a_second_answer_the_same_day_does_not_grow_the_streak(service: QuizService) -> None:
    quiz = await new_round(service)
    core = QuizRound(2)
    for index, qid in enumerate(["q1", "q2"]):
        current = core.open_question(question(qid), T0 + index * WINDOW, WINDOW)
        await service.save_question(quiz.id, current, 700 + index)
        streaks = await service.save_answers(quiz, qid, [core.record(ALICE, B, current.opened_at)], NAMES)
        assert streaks[ALICE].grew is (index == 0)
        core.close()


async def test_closing_stores_found_answers_and_marks_the_question_closed(db: Database, service: QuizService) -> None:
    quiz = await new_round(service)
    core = QuizRound(2)
    current = core.open_question(question(), T0, WINDOW)
    await service.save_question(quiz.id, current, 777)
    result = core.close([Reaction(B, CAROL)], T0 + WINDOW)
    streaks = await service.close_question(quiz, current, result.answers, NAMES, T0 + WINDOW)
    assert list(streaks) == [CAROL]
    [stored] = await service.questions_of(quiz.id)
    assert stored.closed_at == T0 + WINDOW and stored.message_id == 777
    assert await rows(db, "SELECT user_id, points, response_ms FROM quiz_answers") == [(CAROL, 500, 20_000)]
    assert await rows(db, "SELECT user_id FROM activity") == [(CAROL,)]


async def test_a_failing_close_stores_nothing(
    db: Database, service: QuizService, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiz = await new_round(service)
    core = QuizRound(2)
    current = core.open_question(question(), T0, WINDOW)
    await service.save_question(quiz.id, current, 777)
    result = core.close([Reaction(B, CAROL)], T0 + WINDOW)

    async def broken(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(quiz_store, "close_question", broken)
    with pytest.raises(RuntimeError):
        await service.close_question(quiz, current, result.answers, NAMES, T0 + WINDOW)
    # One transaction: the answers, their activity and the members' names went with the failed close.
    for table in ("quiz_answers", "activity", "members", "streaks"):
        assert await rows(db, f"SELECT COUNT(*) FROM {table}") == [(0,)]
    assert (await service.questions_of(quiz.id))[0].closed_at is None


async def test_a_round_reads_back_for_a_restart_with_its_streak_bonuses(service: QuizService) -> None:
    quiz = await new_round(service)
    core = QuizRound(2)
    given = []
    for index, qid in enumerate(["q1", "q2"]):
        current = core.open_question(question(qid), T0 + index * timedelta(minutes=1), WINDOW)
        await service.save_question(quiz.id, current, 700 + index)
        answer = core.record(ALICE, B, current.opened_at + timedelta(milliseconds=1234))
        given.append(answer)
        await service.save_answers(quiz, qid, [answer], NAMES)
        if index == 0:
            await service.close_question(quiz, current, [], NAMES, current.closes_at)
            core.close()

    questions = await service.questions_of(quiz.id)
    assert [(q.index, q.question.id, q.closed_at is None) for q in questions] == [(0, "q1", False), (1, "q2", True)]
    answers = await service.answers_of(quiz.id, questions)
    assert given[1].bonus == 100
    # Only whole milliseconds are stored; everything a restarted round grades by comes back as it was.
    assert [(a.user_id, a.question_index, a.letter, a.choice, a.correct, a.points, a.bonus, a.answered_at)
            for a in answers] == [
        (g.user_id, g.question_index, g.letter, g.choice, g.correct, g.points, g.bonus, g.answered_at) for g in given
    ]
    assert [a.response for a in answers] == [timedelta(milliseconds=1234)] * 2
    assert await service.answers_of(quiz.id, questions[:1]) == answers[:1]  # only the questions asked for


async def test_the_last_deck_is_what_quiz_uses_without_a_deck(db: Database, service: QuizService) -> None:
    assert await service.last_deck(GUILD, ALICE) is None
    await set_member_field(db, GUILD, ALICE, "alice", last_deck="lr")
    assert await service.last_deck(GUILD, ALICE) == "lr"
