"""Decks: the study material Recall serves, and the rules a deck file must follow.

This module is pure: it knows YAML and text, never Discord.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Level = Literal["beginner", "intermediate", "advanced"]
LEVELS: tuple[str, ...] = ("beginner", "intermediate", "advanced")


@dataclass(frozen=True, slots=True)
class Card:
    """A flashcard for /study."""

    id: str
    front: str
    back: str
    level: str = "beginner"
    image: str | None = None


@dataclass(frozen=True, slots=True)
class QuizQuestion:
    """A multiple-choice question for /quiz; `answer` is always one of `choices`."""

    id: str
    question: str
    choices: tuple[str, ...]
    answer: str
    explanation: str = ""
    level: str = "beginner"


@dataclass(frozen=True, slots=True)
class Concept:
    """One key idea an explanation should contain; it is met when any keyword phrase appears."""

    name: str
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExplainPrompt:
    """A free-text prompt for /explain, graded by its concepts."""

    id: str
    prompt: str
    concepts: tuple[Concept, ...]
    hint: str = ""
    answer: str = ""
    level: str = "beginner"


@dataclass(frozen=True, slots=True)
class Deck:
    id: str
    title: str
    description: str = ""
    tags: tuple[str, ...] = ()
    author: str = ""
    source: str = ""  # where the deck came from: a file path, or "upload" for a server's own deck
    cards: tuple[Card, ...] = ()
    quiz: tuple[QuizQuestion, ...] = ()
    explain: tuple[ExplainPrompt, ...] = ()

    @property
    def item_count(self) -> int:
        return len(self.cards) + len(self.quiz) + len(self.explain)

    def card(self, item_id: str) -> Card | None:
        return next((c for c in self.cards if c.id == item_id), None)

    def question(self, item_id: str) -> QuizQuestion | None:
        return next((q for q in self.quiz if q.id == item_id), None)

    def prompt(self, item_id: str) -> ExplainPrompt | None:
        return next((p for p in self.explain if p.id == item_id), None)
