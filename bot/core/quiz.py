"""A /quiz round as a state machine: open a question, record answers, close it, score, and rank the players.

This module is pure: it never imports Discord. The cog feeds it reactions (as emoji strings and user ids) and times.

Points (the rule the README documents):

* A correct answer scores ``round(1000 × (1 − (t / T) / 2))``: ``t`` is the time from the question's post to the
  member's reaction, clamped to ``0 ≤ t ≤ T``, and ``T`` is the question's time. Halves round up, so an instant
  answer scores 1000 and one at the last moment 500.
* Streak bonus: each further correct answer in a row within the round adds +100 — the second correct answer in a row
  +100, the third +200, … — capped at +500.
* A wrong or missing answer scores 0 and resets the streak.
* A member's answer is their **first** letter reaction while the question is open; later ones do not change it.
* A reaction the bot only finds on the message when it closes the question (its event was missed, e.g. during a
  gateway reconnect or a restart) counts as made at the close: ``t = T``. When such a member has reactions on
  several letters the bot cannot tell which came first, so none of them counts.
* If nobody answers three questions in a row, the round ends itself.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Callable, Iterable, Sequence

from bot.core.clock import utcnow
from bot.core.decks import QuizQuestion

MAX_POINTS = 1000
STREAK_STEP = 100
STREAK_CAP = 500
IDLE_LIMIT = 3
SCOREBOARD_SIZE = 10

# Regional indicator symbols 🇦…🇯 (U+1F1E6…): one per possible choice (decks allow up to 10).
LETTERS: tuple[str, ...] = tuple(chr(0x1F1E6 + i) for i in range(10))
MEDALS: tuple[str, ...] = ("🥇", "🥈", "🥉")


@dataclass(slots=True)
class Pacing:
    """How rounds run in real time. Tests shorten the waits and pin the clock; /quiz's public 5–120 s never changes.

    Kept here rather than in the cog because discord.py re-imports a cog module on every (re)load.
    """

    time_scale: float = 1.0  # real seconds per second a member chose
    reveal_pause: float = 5.0  # seconds between a reveal and the next question (scaled too)
    edit_interval: float = 1.5  # at most one "locked in" edit per question message this often (rate limits)
    clock: Callable[[], datetime] = utcnow  # the time answers are graded by


PACING = Pacing()


class QuizStateError(Exception):
    """The round was asked to do something its state does not allow (a bug in the caller, not a member's doing)."""


def letter_emoji(index: int) -> str:
    return LETTERS[index]


def letter_name(index: int) -> str:
    """"A" for the first choice, "B" for the second…"""
    return chr(ord("A") + index)


def letter_index(emoji: str) -> int | None:
    """The choice a reaction stands for, or None when the emoji is not a letter."""
    try:
        return LETTERS.index(emoji)
    except ValueError:
        return None


# --- Choosing and shuffling ----------------------------------------------------------------------------------------


def shuffle_choices(question: QuizQuestion, rng: random.Random) -> QuizQuestion:
    """The same question with its choices in a new order; `answer` still names the right one by its text."""
    choices = list(question.choices)
    rng.shuffle(choices)
    return replace(question, choices=tuple(choices))


def pick_questions(pool: Sequence[QuizQuestion], count: int, rng: random.Random) -> list[QuizQuestion]:
    """Up to `count` different questions in random order, each with its choices shuffled."""
    chosen = rng.sample(list(pool), min(count, len(pool)))
    return [shuffle_choices(q, rng) for q in chosen]


# --- Scoring -------------------------------------------------------------------------------------------------------


def base_points(response: timedelta, window: timedelta) -> int:
    """round(1000 × (1 − (t/T)/2)) with t clamped to [0, T], computed in integer microseconds so halves round up."""
    total = _micros(window)
    if total <= 0:
        raise ValueError("a question's time must be positive")
    spent = min(max(_micros(response), 0), total)
    # 1000 - 500·t/T, plus ½ then floored: (2000T - 1000t + T) // 2T
    return (2 * MAX_POINTS * total - MAX_POINTS * spent + total) // (2 * total)


def streak_bonus(streak: int) -> int:
    """Bonus for a correct answer that makes `streak` correct answers in a row (1 = no streak yet)."""
    return min(STREAK_STEP * max(streak - 1, 0), STREAK_CAP)


def _micros(span: timedelta) -> int:
    return span // timedelta(microseconds=1)


# --- Round state ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reaction:
    """One reaction as found on a question's message."""

    emoji: str
    user_id: int
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    user_id: int
    question_index: int
    letter: int  # position in the shown (shuffled) order
    choice: str
    correct: bool
    response: timedelta
    points: int  # including the streak bonus
    bonus: int
    answered_at: datetime
    found_at_close: bool = False  # graded from the message's reactions, not from a live event

    @property
    def response_ms(self) -> int:
        return self.response // timedelta(milliseconds=1)


@dataclass(slots=True)
class OpenQuestion:
    index: int  # 0-based position in the round
    question: QuizQuestion  # choices already in the shown order
    opened_at: datetime
    closes_at: datetime
    answers: dict[int, Answer] = field(default_factory=dict)  # insertion order = answer order

    @property
    def window(self) -> timedelta:
        return self.closes_at - self.opened_at

    @property
    def correct_letter(self) -> int:
        return self.question.choices.index(self.question.answer)


@dataclass(frozen=True, slots=True)
class QuestionResult:
    index: int
    question: QuizQuestion
    correct_letter: int
    answers: tuple[Answer, ...]
    counts: tuple[int, ...]  # members per letter, in the shown order

    @property
    def right(self) -> tuple[Answer, ...]:
        return tuple(a for a in self.answers if a.correct)

    @property
    def wrong(self) -> tuple[Answer, ...]:
        return tuple(a for a in self.answers if not a.correct)


@dataclass(frozen=True, slots=True)
class ScoreLine:
    rank: int  # equal points and equal correct answers share a rank: 1, 1, 3…
    user_id: int
    correct: int
    answered: int
    points: int

    @property
    def medal(self) -> str:
        return MEDALS[self.rank - 1] if self.rank <= len(MEDALS) else f"**{self.rank}.**"


@dataclass(slots=True)
class _Tally:
    correct: int = 0
    answered: int = 0
    points: int = 0
    first_answer: int = 0  # order of the member's first answer, to list equal scores stably


class QuizRound:
    """One round in one channel. Feed it questions, reactions and closes; it keeps scores, streaks and idle count."""

    def __init__(self, total: int) -> None:
        if total < 1:
            raise ValueError("a round needs at least one question")
        self.total = total
        self.asked = 0
        self.current: OpenQuestion | None = None
        self.unanswered_in_row = 0
        self.stop_requested = False
        self._streaks: dict[int, int] = {}
        self._tallies: dict[int, _Tally] = {}

    # Questions ------------------------------------------------------------------------------------------------------

    def open_question(self, question: QuizQuestion, opened_at: datetime, window: timedelta) -> OpenQuestion:
        if self.current is not None:
            raise QuizStateError(f"question {self.current.index + 1} is still open")
        if self.is_over:
            raise QuizStateError("the round is over")
        if window <= timedelta(0):
            raise ValueError("a question's time must be positive")
        if question.answer not in question.choices:
            raise ValueError(f"question {question.id}: the answer is not one of the choices")
        self.current = OpenQuestion(self.asked, question, opened_at, opened_at + window)
        self.asked += 1
        return self.current

    def record(self, user_id: int, emoji: str, at: datetime, *, is_bot: bool = False) -> Answer | None:
        """Grade a live reaction; None when it does not count (closed, a bot, not a letter, already answered)."""
        question = self.current
        if question is None or is_bot or user_id in question.answers:
            return None
        letter = letter_index(emoji)
        if letter is None or letter >= len(question.question.choices):
            return None
        return self._grade(question, user_id, letter, at, found_at_close=False)

    def restore(self, answer: Answer) -> None:
        """Put back an answer stored before a restart (already graded: its points are kept as they were)."""
        question = self.current
        if question is None or answer.question_index != question.index:
            raise QuizStateError("a stored answer must belong to the open question")
        if answer.user_id not in question.answers:
            question.answers[answer.user_id] = answer
            self._count(answer)

    def close(self, reactions: Iterable[Reaction] = (), at: datetime | None = None) -> QuestionResult:
        """Close the open question, grading reactions found on its message that no live event brought in."""
        question = self.current
        if question is None:
            raise QuizStateError("no question is open")
        at = question.closes_at if at is None else min(at, question.closes_at)
        for user_id, letter in _unseen_single_letters(question, reactions):
            self._grade(question, user_id, letter, at, found_at_close=True)
        self.current = None
        self._update_streaks(question)
        self.unanswered_in_row = 0 if question.answers else self.unanswered_in_row + 1
        counts = [0] * len(question.question.choices)
        for answer in question.answers.values():
            counts[answer.letter] += 1
        return QuestionResult(
            question.index, question.question, question.correct_letter, tuple(question.answers.values()), tuple(counts)
        )

    def request_stop(self) -> None:
        """End the round after the question that is open now (or before the next one)."""
        self.stop_requested = True

    @property
    def ended_idle(self) -> bool:
        return self.unanswered_in_row >= IDLE_LIMIT

    @property
    def is_over(self) -> bool:
        return self.current is None and (self.asked >= self.total or self.stop_requested or self.ended_idle)

    # Scores ---------------------------------------------------------------------------------------------------------

    def points_of(self, user_id: int) -> int:
        tally = self._tallies.get(user_id)
        return tally.points if tally else 0

    def scoreboard(self, limit: int = SCOREBOARD_SIZE) -> list[ScoreLine]:
        """Everyone who answered, best first: points, then correct answers; ties share a rank."""
        ordered = sorted(self._tallies.items(), key=lambda kv: (-kv[1].points, -kv[1].correct, kv[1].first_answer))
        lines: list[ScoreLine] = []
        previous: tuple[int, int] | None = None
        rank = 0
        for position, (user_id, tally) in enumerate(ordered, start=1):
            key = (tally.points, tally.correct)
            if key != previous:
                rank, previous = position, key
            lines.append(ScoreLine(rank, user_id, tally.correct, tally.answered, tally.points))
        return lines[:limit]

    # Internals ------------------------------------------------------------------------------------------------------

    def _grade(self, question: OpenQuestion, user_id: int, letter: int, at: datetime, *, found_at_close: bool) -> Answer:
        choice = question.question.choices[letter]
        correct = choice == question.question.answer
        # A reaction found only at the close is taken as made at the close, whatever `at` says.
        response = question.window if found_at_close else at - question.opened_at
        response = min(max(response, timedelta(0)), question.window)
        bonus = streak_bonus(self._streaks.get(user_id, 0) + 1) if correct else 0
        points = base_points(response, question.window) + bonus if correct else 0
        answer = Answer(user_id, question.index, letter, choice, correct, response, points, bonus, at, found_at_close)
        question.answers[user_id] = answer
        self._count(answer)
        return answer

    def _count(self, answer: Answer) -> None:
        tally = self._tallies.get(answer.user_id)
        if tally is None:
            tally = self._tallies[answer.user_id] = _Tally(first_answer=len(self._tallies))
        tally.answered += 1
        tally.correct += int(answer.correct)
        tally.points += answer.points

    def _update_streaks(self, question: OpenQuestion) -> None:
        # Everyone not right on this question (wrong or silent) starts again from zero.
        right = {a.user_id for a in question.answers.values() if a.correct}
        self._streaks = {user_id: self._streaks.get(user_id, 0) + 1 for user_id in right}


def _unseen_single_letters(question: OpenQuestion, reactions: Iterable[Reaction]) -> list[tuple[int, int]]:
    """(user, letter) for members with no recorded answer and exactly one letter reaction, in first-seen order."""
    letters: dict[int, set[int]] = {}
    for reaction in reactions:
        letter = letter_index(reaction.emoji)
        if reaction.is_bot or letter is None or letter >= len(question.question.choices):
            continue
        if reaction.user_id in question.answers:
            continue
        letters.setdefault(reaction.user_id, set()).add(letter)
    return [(user_id, next(iter(found))) for user_id, found in letters.items() if len(found) == 1]
