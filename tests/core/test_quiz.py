"""The quiz round state machine: scoring, first-reaction-locks, ignored reactions, reconcile, idle end, scoreboard."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from bot.core.decks import QuizQuestion
from bot.core.quiz import (
    IDLE_LIMIT,
    LETTERS,
    QuizRound,
    QuizStateError,
    Reaction,
    base_points,
    letter_index,
    letter_name,
    pick_questions,
    shuffle_choices,
    streak_bonus,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
WINDOW = timedelta(seconds=20)
A, B, C, D = LETTERS[:4]
ALICE, BOB, CAROL, BOT = 11, 22, 33, 99


def question(answer: str = "StepLR", qid: str = "q1") -> QuizQuestion:
    return QuizQuestion(
        id=qid,
        question="Which scheduler reduces the learning rate after fixed steps?",
        choices=("ExponentialLR", "StepLR", "ReduceLROnPlateau", "CosineAnnealingLR"),
        answer=answer,
        explanation="StepLR reduces the learning rate every fixed number of epochs.",
    )


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def opened(total: int = 3) -> QuizRound:
    quiz = QuizRound(total)
    quiz.open_question(question(), T0, WINDOW)
    return quiz


# --- Letters and shuffling -----------------------------------------------------------------------------------------


def test_letters_are_regional_indicators_in_order() -> None:
    assert LETTERS[0] == "\U0001F1E6" and LETTERS[9] == "\U0001F1EF"
    assert [letter_index(e) for e in LETTERS] == list(range(10))
    assert letter_index("👍") is None and letter_index("A") is None
    assert letter_name(0) == "A" and letter_name(3) == "D"


def test_shuffle_keeps_the_answer_and_the_choices() -> None:
    original = question()
    orders = {shuffle_choices(original, random.Random(seed)).choices for seed in range(30)}
    assert len(orders) > 1, "30 seeds should not all give the same order"
    for order in orders:
        assert sorted(order) == sorted(original.choices)


def test_shuffle_is_reproducible_with_the_same_random() -> None:
    assert shuffle_choices(question(), random.Random(7)) == shuffle_choices(question(), random.Random(7))


def test_pick_questions_takes_at_most_the_pool_without_repeats() -> None:
    pool = [question(qid=f"q{i}") for i in range(4)]
    picked = pick_questions(pool, 10, random.Random(1))
    assert sorted(q.id for q in picked) == ["q0", "q1", "q2", "q3"]
    assert len(pick_questions(pool, 2, random.Random(1))) == 2


# --- Scoring -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, 1000), (20, 500), (10, 750), (5, 875), (1, 975), (0.1, 998), (19.9, 503), (-3, 1000), (45, 500)],
)
def test_base_points_follow_the_formula(seconds: float, expected: int) -> None:
    assert base_points(timedelta(seconds=seconds), WINDOW) == expected


def test_base_points_round_halves_up() -> None:
    # 1000 × (1 − 0.001/2) = 999.5 → 1000; 1000 × (1 − 0.003/2) = 998.5 → 999 where round() would give 998.
    assert base_points(timedelta(milliseconds=20), WINDOW) == 1000
    assert base_points(timedelta(milliseconds=60), WINDOW) == 999  # 998.5 rounds up, not to even (998)


def test_base_points_need_a_positive_window() -> None:
    with pytest.raises(ValueError):
        base_points(timedelta(0), timedelta(0))


@pytest.mark.parametrize(("streak", "bonus"), [(0, 0), (1, 0), (2, 100), (3, 200), (6, 500), (7, 500), (20, 500)])
def test_streak_bonus_grows_by_100_and_caps_at_500(streak: int, bonus: int) -> None:
    assert streak_bonus(streak) == bonus


def test_streak_bonus_is_added_per_further_correct_answer_and_reset_by_a_wrong_one() -> None:
    quiz = QuizRound(9)
    gained = []
    # Right ×7, wrong, right: bonuses 0,100,…,500,500 then 0 for the wrong one and 0 again after the reset.
    for n, right in enumerate([True] * 7 + [False, True]):
        q = question(qid=f"q{n}")
        quiz.open_question(q, T0, WINDOW)
        letter = LETTERS[q.choices.index("StepLR") if right else 0]
        answer = quiz.record(ALICE, letter, T0)  # instant: 1000 base
        gained.append(answer.points)
        quiz.close()
    assert gained == [1000, 1100, 1200, 1300, 1400, 1500, 1500, 0, 1000]
    assert quiz.points_of(ALICE) == sum(gained)


def test_a_missing_answer_resets_the_streak() -> None:
    quiz = QuizRound(3)
    for n, answers in enumerate([True, False, True]):
        quiz.open_question(question(qid=f"q{n}"), T0, WINDOW)
        if answers:
            quiz.record(ALICE, B, T0)
        quiz.close()
    assert quiz.points_of(ALICE) == 2000  # no bonus for the third: the silent second broke the streak


# --- Recording -----------------------------------------------------------------------------------------------------


def test_right_and_wrong_answers_are_graded_with_the_response_time() -> None:
    quiz = opened()
    right = quiz.record(ALICE, B, at(5))
    wrong = quiz.record(BOB, A, at(2))
    assert (right.correct, right.points, right.response_ms, right.choice) == (True, 875, 5000, "StepLR")
    assert (wrong.correct, wrong.points, wrong.letter, wrong.choice) == (False, 0, 0, "ExponentialLR")


def test_the_first_letter_locks_the_answer() -> None:
    quiz = opened()
    first = quiz.record(ALICE, A, at(1))
    assert quiz.record(ALICE, B, at(2)) is None  # changed mind: ignored
    assert quiz.record(ALICE, A, at(3)) is None  # same letter again: ignored
    result = quiz.close()
    assert result.answers == (first,)
    assert result.counts == (1, 0, 0, 0)
    assert quiz.points_of(ALICE) == 0


def test_bots_and_foreign_emoji_are_ignored() -> None:
    quiz = opened()
    assert quiz.record(BOT, B, at(1), is_bot=True) is None
    assert quiz.record(ALICE, "👍", at(1)) is None
    assert quiz.record(ALICE, LETTERS[4], at(1)) is None  # 🇪 on a four-choice question
    assert quiz.record(ALICE, B, at(2)).correct  # still free to answer
    result = quiz.close([Reaction(B, BOT, is_bot=True), Reaction("🎉", CAROL)])
    assert [a.user_id for a in result.answers] == [ALICE]


def test_reactions_after_the_close_are_ignored() -> None:
    quiz = opened()
    quiz.close()
    assert quiz.record(ALICE, B, at(1)) is None
    assert quiz.scoreboard() == []


def test_a_late_event_before_the_close_counts_as_answered_at_the_last_moment() -> None:
    quiz = opened()
    assert quiz.record(ALICE, B, at(60)).points == 500


# --- Reconcile -----------------------------------------------------------------------------------------------------


def test_reconcile_grades_reactions_whose_event_was_missed_as_made_at_the_close() -> None:
    quiz = opened()
    live = quiz.record(ALICE, B, at(4))
    fetched = [
        Reaction(A, BOT, is_bot=True), Reaction(B, BOT, is_bot=True),
        Reaction(B, ALICE),  # already recorded: kept as recorded
        Reaction(B, BOB),  # missed event, right
        Reaction(C, CAROL),  # missed event, wrong
    ]
    result = quiz.close(fetched, at(20))
    by_user = {a.user_id: a for a in result.answers}
    assert by_user[ALICE] == live
    assert (by_user[BOB].correct, by_user[BOB].points, by_user[BOB].response_ms) == (True, 500, 20_000)
    assert by_user[BOB].found_at_close and not live.found_at_close
    assert (by_user[CAROL].correct, by_user[CAROL].points) == (False, 0)
    assert result.counts == (0, 2, 1, 0)


def test_reconcile_keeps_a_recorded_answer_whose_reaction_is_gone_or_changed() -> None:
    quiz = opened()
    quiz.record(ALICE, A, at(1))
    result = quiz.close([Reaction(B, ALICE)])  # the first reaction was removed, another added later
    assert [(a.user_id, a.letter) for a in result.answers] == [(ALICE, 0)]


def test_reconcile_skips_members_with_several_letters_and_no_recorded_order() -> None:
    quiz = opened()
    result = quiz.close([Reaction(A, BOB), Reaction(B, BOB), Reaction(D, CAROL)])
    assert [(a.user_id, a.letter) for a in result.answers] == [(CAROL, 3)]


def test_a_reconciled_answer_found_at_a_restart_before_the_close_still_scores_half() -> None:
    quiz = opened()
    result = quiz.close([Reaction(B, BOB)], at(3))
    assert result.answers[0].points == 500
    assert result.answers[0].answered_at == at(3)


# --- Flow, idle end, stop ------------------------------------------------------------------------------------------


def test_only_one_question_is_open_at_a_time() -> None:
    quiz = opened()
    with pytest.raises(QuizStateError):
        quiz.open_question(question(qid="q2"), T0, WINDOW)
    quiz.close()
    with pytest.raises(QuizStateError):
        quiz.close()


def test_round_is_over_after_the_last_question() -> None:
    quiz = QuizRound(2)
    for n in range(2):
        assert not quiz.is_over
        quiz.open_question(question(qid=f"q{n}"), T0, WINDOW)
        quiz.record(ALICE, B, T0)
        quiz.close()
    assert quiz.is_over and not quiz.ended_idle
    with pytest.raises(QuizStateError):
        quiz.open_question(question(qid="q9"), T0, WINDOW)


def test_idle_end_after_three_unanswered_questions_in_a_row() -> None:
    quiz = QuizRound(10)
    pattern = [False, False, True, False, False, False]  # an answer on the third resets the count
    for n, answered in enumerate(pattern):
        assert not quiz.is_over, f"ended early at question {n + 1}"
        quiz.open_question(question(qid=f"q{n}"), T0, WINDOW)
        if answered:
            quiz.record(ALICE, A, at(1))  # a wrong answer is still an answer
        quiz.close()
    assert quiz.unanswered_in_row == IDLE_LIMIT
    assert quiz.ended_idle and quiz.is_over
    assert quiz.asked == 6


def test_a_stop_takes_effect_after_the_open_question() -> None:
    quiz = opened(total=5)
    quiz.request_stop()
    assert not quiz.is_over  # the open question still gets graded
    assert quiz.record(ALICE, B, at(1)) is not None
    quiz.close()
    assert quiz.is_over


def test_open_question_rejects_an_answer_outside_the_choices() -> None:
    with pytest.raises(ValueError):
        QuizRound(1).open_question(question(answer="SGD"), T0, WINDOW)


# --- Scoreboard ----------------------------------------------------------------------------------------------------


def test_scoreboard_ranks_by_points_then_correct_and_shares_ranks_on_ties() -> None:
    quiz = QuizRound(2)
    quiz.open_question(question(qid="q1"), T0, WINDOW)
    quiz.record(CAROL, A, at(1))  # wrong
    quiz.record(ALICE, B, at(10))  # 750
    quiz.record(BOB, B, at(10))  # 750
    quiz.close()
    board = quiz.scoreboard()
    assert [(line.rank, line.user_id, line.points, line.correct) for line in board] == [
        (1, ALICE, 750, 1), (1, BOB, 750, 1), (3, CAROL, 0, 0),
    ]
    assert [line.medal for line in board] == ["🥇", "🥇", "🥉"]


def test_scoreboard_keeps_the_top_ten() -> None:
    quiz = QuizRound(1)
    quiz.open_question(question(), T0, WINDOW)
    for user in range(12):
        quiz.record(1000 + user, B, at(user))
    quiz.close()
    board = quiz.scoreboard()
    assert len(board) == 10
    assert [line.user_id for line in board] == [1000 + u for u in range(10)]
    assert board[-1].medal == "**10.**"


def test_restore_replays_stored_answers_with_their_points() -> None:
    first = opened(total=3)
    stored = first.record(ALICE, B, at(2))
    first.close()
    first.open_question(question(qid="q2"), at(30), WINDOW)
    stored_second = first.record(ALICE, B, at(30))

    replay = QuizRound(3)
    replay.open_question(question(), T0, WINDOW)
    replay.restore(stored)
    replay.close()
    replay.open_question(question(qid="q2"), at(30), WINDOW)
    replay.restore(stored_second)
    assert replay.record(ALICE, A, at(31)) is None  # the restored answer locks like a live one
    missed = replay.close([Reaction(B, BOB)])
    assert stored_second.points == 1100  # streak bonus kept
    assert replay.points_of(ALICE) == first.points_of(ALICE) == 950 + 1100
    assert [a.user_id for a in missed.answers] == [ALICE, BOB]
