"""The study queue: due items first, then new cards up to the daily limit, missed quiz questions as cards."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core.decks import Card, Deck, QuizQuestion
from bot.core.study_queue import (
    KIND_CARD,
    KIND_QUIZ,
    LEARN_AHEAD,
    ItemSchedule,
    again_rate,
    day_bounds,
    find_item,
    pick_next,
    quiz_item,
    study_zone,
)

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc)
DAY_END = datetime(2025, 3, 11, 0, 0, tzinfo=timezone.utc)


def make_deck(cards: int = 5, questions: int = 2) -> Deck:
    return Deck(
        id="d",
        title="Deck",
        cards=tuple(Card(f"c{i}", f"front {i}", f"back {i}") for i in range(cards)),
        quiz=tuple(
            QuizQuestion(f"q{i}", f"question {i}?", ("yes", "no"), "yes", f"because {i}", "intermediate")
            for i in range(questions)
        ),
    )


def review(item_id: str, due: datetime, *, kind: str = KIND_CARD, in_review: bool = True,
           last_review: datetime | None = None) -> ItemSchedule:
    return ItemSchedule(item_id, kind, due, in_review, last_review or due - timedelta(days=1))


def pick(deck: Deck, schedules=(), misses=None, *, new_today: int = 0, new_limit: int = 20, now: datetime = NOW):
    return pick_next(
        deck, {s.item_id: s for s in schedules}, misses or {}, now=now, day_end=DAY_END,
        new_today=new_today, new_limit=new_limit,
    )


def order(deck: Deck, schedules=(), misses=None) -> list[str]:
    """Every item the queue would show now, in order: each shown item is parked far in the future."""
    shown: list[str] = []
    parked = {s.item_id: s for s in schedules}
    while (result := pick(deck, parked.values(), misses)).item is not None:
        item = result.item
        shown.append(item.item_id)
        parked[item.item_id] = review(item.item_id, NOW + timedelta(days=300), kind=item.kind, last_review=NOW)
    return shown


def test_new_cards_come_in_deck_order():
    result = pick(make_deck())
    assert result.item is not None and result.item.item_id == "c0"
    assert result.available == 5
    assert result.new_waiting == 0


def test_due_reviews_come_before_new_cards_most_overdue_first():
    deck = make_deck()
    schedules = [review("c3", NOW - timedelta(hours=1)), review("c1", NOW - timedelta(days=2))]
    result = pick(deck, schedules)
    assert result.item.item_id == "c1"
    # c1, c3 due; c0, c2, c4 new
    assert result.available == 5


def test_new_card_limit_counts_cards_started_today():
    deck = make_deck(cards=5)
    result = pick(deck, new_today=18, new_limit=20)
    assert result.available == 2
    assert result.new_waiting == 3

    exhausted = pick(deck, new_today=20, new_limit=20)
    assert exhausted.item is None
    assert exhausted.available == 0
    assert exhausted.new_waiting == 5


def test_limit_does_not_hold_back_due_reviews():
    deck = make_deck(cards=3)
    result = pick(deck, [review("c2", NOW - timedelta(minutes=5))], new_today=99, new_limit=20)
    assert result.item.item_id == "c2"
    assert result.available == 1
    assert result.new_waiting == 2


def test_a_learning_card_due_soon_is_studied_ahead_after_new_cards():
    deck = make_deck(cards=2)
    learning = review("c0", NOW + timedelta(minutes=10), in_review=False)
    result = pick(deck, [learning])
    assert result.item.item_id == "c1"  # the new card first
    assert result.available == 2
    alone = pick(deck, [learning, review("c1", NOW + timedelta(days=3))])
    assert alone.item.item_id == "c0"  # nothing else left: study the learning card ahead


def test_a_learning_card_further_away_waits_and_gives_next_due():
    deck = make_deck(cards=1, questions=0)
    due = NOW + LEARN_AHEAD + timedelta(minutes=1)
    result = pick(deck, [review("c0", due, in_review=False)])
    assert result.item is None
    assert result.next_due == due


def test_reviews_due_later_today_count_as_due_today():
    deck = make_deck(cards=2, questions=0)
    later_today = NOW + timedelta(hours=6)
    tomorrow = DAY_END + timedelta(hours=1)
    result = pick(deck, [review("c0", later_today), review("c1", tomorrow)])
    assert result.item.item_id == "c0"
    assert result.available == 1
    assert result.next_due == tomorrow


def test_nothing_due_reports_the_soonest_next_due():
    deck = make_deck(cards=3, questions=0)
    schedules = [review(f"c{i}", DAY_END + timedelta(days=i + 1)) for i in range(3)]
    result = pick(deck, schedules)
    assert result.item is None
    assert result.available == 0
    assert result.next_due == DAY_END + timedelta(days=1)


def test_missed_quiz_question_is_due_at_once_and_not_limited_as_new():
    deck = make_deck(cards=2, questions=2)
    missed_at = NOW - timedelta(hours=2)
    result = pick(deck, misses={"q1": missed_at}, new_today=20, new_limit=20)
    assert result.item.item_id == "q1"
    assert result.item.kind == KIND_QUIZ
    assert result.available == 1


def test_missed_question_studied_since_follows_its_schedule():
    deck = make_deck(cards=0, questions=1)
    missed_at = NOW - timedelta(days=3)
    studied = review("q0", NOW + timedelta(days=5), kind=KIND_QUIZ, last_review=NOW - timedelta(days=1))
    result = pick(deck, [studied], {"q0": missed_at})
    assert result.item is None
    assert result.next_due == studied.due


def test_missing_it_again_after_studying_makes_it_due_again():
    deck = make_deck(cards=0, questions=1)
    studied = review("q0", NOW + timedelta(days=5), kind=KIND_QUIZ, last_review=NOW - timedelta(days=2))
    result = pick(deck, [studied], {"q0": NOW - timedelta(hours=1)})
    assert result.item is not None and result.item.item_id == "q0"


def test_questions_never_missed_are_not_study_items():
    deck = make_deck(cards=0, questions=3)
    assert pick(deck).item is None


def test_misses_of_questions_no_longer_in_the_deck_are_ignored():
    deck = make_deck(cards=0, questions=1)
    assert pick(deck, misses={"gone": NOW - timedelta(hours=1)}).item is None


def test_other_kinds_with_the_same_deck_are_ignored():
    deck = make_deck(cards=1, questions=0)
    explain = ItemSchedule("p0", "explain", NOW - timedelta(days=1), True, None)
    result = pick(deck, [explain])
    assert result.item.item_id == "c0"
    assert result.available == 1


def test_whole_order_due_then_new_then_misses_by_due_time():
    deck = make_deck(cards=4, questions=2)
    schedules = [review("c2", NOW - timedelta(hours=3)), review("c3", NOW + timedelta(days=9))]
    misses = {"q0": NOW - timedelta(hours=5)}
    assert order(deck, schedules, misses) == ["q0", "c2", "c0", "c1"]


def test_quiz_item_shows_question_and_choices_then_answer_and_explanation():
    question = QuizQuestion("q", "Which one?", ("StepLR", "ExponentialLR"), "StepLR", "It steps.", "advanced")
    item = quiz_item(question)
    assert item.front.startswith("Which one?")
    assert "• StepLR" in item.front and "• ExponentialLR" in item.front
    assert item.back == "**StepLR**\n\nIt steps."
    assert item.level == "advanced"


def test_find_item_by_kind():
    deck = make_deck(cards=1, questions=1)
    assert find_item(deck, "c0").kind == KIND_CARD
    assert find_item(deck, "q0").kind == KIND_QUIZ
    assert find_item(deck, "q0", KIND_CARD) is None
    assert find_item(deck, "nope") is None


def test_study_zone_prefers_member_then_server_then_utc():
    assert study_zone("Europe/Paris", "Asia/Tokyo") == ZoneInfo("Europe/Paris")
    assert study_zone(None, "Asia/Tokyo") == ZoneInfo("Asia/Tokyo")
    assert study_zone("Not/AZone", None) == timezone.utc
    assert study_zone(None, None) == timezone.utc


@pytest.mark.parametrize(
    "zone, now, start, end",
    [
        ("UTC", datetime(2025, 3, 10, 12, tzinfo=timezone.utc),
         datetime(2025, 3, 10, tzinfo=timezone.utc), datetime(2025, 3, 11, tzinfo=timezone.utc)),
        # 23:30 UTC is already the next day in Tokyo (UTC+9)
        ("Asia/Tokyo", datetime(2025, 3, 10, 23, 30, tzinfo=timezone.utc),
         datetime(2025, 3, 10, 15, tzinfo=timezone.utc), datetime(2025, 3, 11, 15, tzinfo=timezone.utc)),
        # the day clocks go forward in New York has 23 hours
        ("America/New_York", datetime(2025, 3, 9, 12, tzinfo=timezone.utc),
         datetime(2025, 3, 9, 5, tzinfo=timezone.utc), datetime(2025, 3, 10, 4, tzinfo=timezone.utc)),
    ],
)
def test_day_bounds_in_the_members_zone(zone, now, start, end):
    assert day_bounds(now, ZoneInfo(zone)) == (start, end)


def test_again_rate():
    assert again_rate(0, 0) is None
    assert again_rate(4, 1) == 0.25
