"""Daily challenge rules: the next local run (DST included), catch-up within an hour vs skip, and questions without
repeats across days with a new cycle once all were asked."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone

import pytest

from bot.core.challenge import (
    OFF_CHANNEL,
    Decision,
    choose_questions,
    decide,
    missing_of,
    permissions_reason,
)
from bot.core.decks import QuizQuestion
from bot.core.daily_time import next_send_at
from bot.core.streaks import zone

UTC = timezone.utc
BERLIN = zone("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- When the next run is ------------------------------------------------------------------------------------------


def test_the_next_run_is_today_while_the_time_is_ahead_else_tomorrow() -> None:
    at = time(18, 0)
    assert next_send_at(at, BERLIN, utc(2025, 1, 10, 12, 0)) == utc(2025, 1, 10, 17, 0)  # CET = UTC+1
    assert next_send_at(at, BERLIN, utc(2025, 1, 10, 17, 0)) == utc(2025, 1, 11, 17, 0)  # exactly at: the next day
    assert next_send_at(at, BERLIN, utc(2025, 1, 10, 17, 30)) == utc(2025, 1, 11, 17, 0)


def test_the_local_time_holds_across_daylight_saving_changes() -> None:
    at = time(18, 0)
    # Spring forward (30 March 2025): 18:00 CET is 17:00 UTC, 18:00 CEST the day after is 16:00 UTC.
    before = next_send_at(at, BERLIN, utc(2025, 3, 29, 17, 0))
    assert before == utc(2025, 3, 30, 16, 0)
    assert next_send_at(at, BERLIN, before) == utc(2025, 3, 31, 16, 0)
    # Fall back (26 October 2025): back to 17:00 UTC.
    assert next_send_at(at, BERLIN, utc(2025, 10, 25, 16, 0)) == utc(2025, 10, 26, 17, 0)


def test_a_skipped_local_time_runs_once_and_a_doubled_one_once() -> None:
    # 02:30 does not exist on 30 March in Berlin: it runs at 02:30 CET's moment (01:30 UTC), once that day.
    first = next_send_at(time(2, 30), BERLIN, utc(2025, 3, 29, 12, 0))
    assert first == utc(2025, 3, 30, 1, 30)
    assert next_send_at(time(2, 30), BERLIN, first) == utc(2025, 3, 31, 0, 30)
    # 02:30 happens twice on 26 October: the first (CEST, 00:30 UTC) only; the second is not a new run.
    doubled = next_send_at(time(2, 30), BERLIN, utc(2025, 10, 25, 12, 0))
    assert doubled == utc(2025, 10, 26, 0, 30)
    assert next_send_at(time(2, 30), BERLIN, doubled + timedelta(minutes=30)) == utc(2025, 10, 27, 1, 30)


# --- Late runs -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("late", "decision"), [
    (timedelta(0), Decision.ON_TIME),
    (timedelta(seconds=40), Decision.ON_TIME),  # a pass every ~20 s
    (timedelta(minutes=5), Decision.CATCH_UP),
    (timedelta(minutes=59), Decision.CATCH_UP),
    (timedelta(hours=1), Decision.CATCH_UP),
    (timedelta(hours=1, seconds=1), Decision.SKIP),
    (timedelta(days=3), Decision.SKIP),
])
def test_a_run_is_caught_up_within_the_hour_and_skipped_after(late: timedelta, decision: Decision) -> None:
    due = utc(2025, 5, 1, 18, 0)
    assert decide(due, due + late) is decision


def test_off_reasons_name_the_missing_permissions() -> None:
    reason = permissions_reason(["Send Messages", "Add Reactions"])
    assert missing_of(reason) == ["Send Messages", "Add Reactions"]
    assert missing_of(OFF_CHANNEL) == []


# --- Which questions -----------------------------------------------------------------------------------------------


def pool(n: int) -> list[QuizQuestion]:
    return [QuizQuestion(f"q{i}", f"Question {i}?", ("right", "wrong", "other"), "right") for i in range(n)]


def days(questions: list[QuizQuestion], per_day: int, count: int, seed: int = 7) -> list[list[str]]:
    """The question ids `count` daily runs ask, each logged as the store does (the cycle of each asked question)."""
    rng = random.Random(seed)
    asked: dict[str, int] = {}
    runs = []
    for _ in range(count):
        pick = choose_questions(questions, asked, per_day, rng)
        assert set(pick.cycles) == {q.id for q in pick.questions}
        asked.update(pick.cycles)
        runs.append([q.id for q in pick.questions])
    return runs


def test_no_question_repeats_until_all_were_asked() -> None:
    runs = days(pool(10), per_day=3, count=3)
    asked = [qid for run in runs for qid in run]
    assert len(asked) == 9 and len(set(asked)) == 9


def test_when_too_few_are_left_the_rest_are_asked_and_a_new_cycle_starts() -> None:
    first, second, third, fourth = days(pool(5), per_day=3, count=4)
    assert len(set(first)) == 3
    # Day 2: the 2 questions not asked yet, and 1 from the new cycle (not one of those 2: never twice in a run).
    leftover = set(q.id for q in pool(5)) - set(first)
    assert leftover <= set(second) and len(set(second)) == 3
    new_cycle = (set(second) - leftover).pop()
    # Day 3: the new cycle goes on without the one already asked in it.
    assert new_cycle not in third and len(set(third)) == 3
    # Days 2 (its last question) to 3 asked 4 of 5 in the new cycle: day 4 asks the last one first.
    last = set(q.id for q in pool(5)) - {new_cycle} - set(third)
    assert last <= set(fourth)


def test_every_question_is_asked_once_per_cycle_over_many_days() -> None:
    rng = random.Random(11)
    asked: dict[str, int] = {}
    by_cycle: dict[int, list[str]] = {}
    for _ in range(21):  # 42 questions asked = 6 full cycles of 7
        pick = choose_questions(pool(7), asked, 2, rng)
        for qid, cycle in pick.cycles.items():
            by_cycle.setdefault(cycle, []).append(qid)
        asked.update(pick.cycles)
    assert sorted(by_cycle) == list(range(6))
    assert all(sorted(ids) == [f"q{i}" for i in range(7)] for ids in by_cycle.values())


def test_questions_gone_from_the_deck_are_ignored_and_a_small_deck_gives_what_it_has() -> None:
    asked = {"gone": 5, "q0": 0}
    pick = choose_questions(pool(2), asked, 3, random.Random(1))
    # The cycle of the removed question does not count: q1 is fresh in cycle 0, then q0 starts cycle 1.
    assert pick.cycles == {"q1": 0, "q0": 1}
    assert [q.id for q in pick.questions] in (["q0", "q1"], ["q1", "q0"])


def test_choices_are_shuffled_and_the_answer_kept() -> None:
    pick = choose_questions(pool(3), {}, 3, random.Random(3))
    assert all(q.answer == "right" and sorted(q.choices) == ["other", "right", "wrong"] for q in pick.questions)
    assert {q.choices for q in pick.questions} != {("right", "wrong", "other")}
