"""Grading an explanation written in the member's own words by the key concepts it mentions.

Pure: no Discord, no database. A concept is met when any of its keyword phrases appears in the answer:
case- and accent-insensitive, stemmed ("scheduling" meets "schedule"), tolerant of typos in longer words,
and not when the phrase is negated just before ("it does not speed up training" does not earn "speed up").
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz

from bot.core.decks import Concept
from bot.core.streaks import StreakUpdate

MAX_ANSWER_CHARS = 1500  # the modal's limit; long enough for a paragraph, short enough to grade instantly
MIN_WORDS = 2  # a single word is a guess, not an explanation

# Typos are forgiven on longer words only: one wrong letter in a short word makes another word ("air" / "chair").
FUZZY_MIN_LENGTH = 5
FUZZY_MIN_RATIO = 85.0

NEGATION_WINDOW = 3  # words before a phrase that can negate it
NEGATIONS = frozenset(
    {"not", "no", "never", "without", "cannot", "nor", "neither", "none", "nothing", "hardly"}
    # The same contractions typed without an apostrophe, as people do in chat.
    | {"dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "wont", "cant", "couldnt", "shouldnt", "wouldnt"}
)
# A negation does not reach past these: "it is not random, it speeds up training" still earns "speed up".
CLAUSE_BREAKS = frozenset({"but", "although", "though", "however", "whereas", "while", "yet"})
# "not only faster but also…" affirms: a negation word followed by one of these negates nothing.
NOT_NEGATING_NEXT = frozenset({"only", "just", "merely", "simply"})
# A concept named for avoiding something ("Avoid getting stuck") is expressed BY a negation ("so it doesn't get
# stuck", "without overshooting"), so the guard is off for it. Compared as stems of the concept name's words.
AVOIDANCE_STEMS = frozenset({"avoid", "prevent", "stop", "without", "not", "no", "never", "less", "fewer"})
# Articles carry no meaning for a concept; dropping them lets "the learning rate" meet "learning rate".
IGNORED = frozenset({"a", "an", "the"})

# Decimals stay one word ("0.1"); other punctuation is kept as a token because it ends a clause.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:'[^\W_]+)*|[.,;:!?()\[\]\"]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_STEMMER = snowballstemmer.stemmer("english")


@dataclass(frozen=True, slots=True)
class ExplainGrade:
    """Which concepts an answer met, in the prompt's order."""

    hits: tuple[bool, ...]
    names: tuple[str, ...]
    hit: int
    total: int
    note: str

    @property
    def all_hit(self) -> bool:
        return self.total > 0 and self.hit == self.total


@dataclass(frozen=True, slots=True)
class SavedAttempt:
    """A graded answer as stored: the rating it earned, when the prompt comes back, and the streak it moved."""

    attempt_id: int
    rating: int
    hint_used: bool
    due: datetime
    streak: StreakUpdate | None = None


@dataclass(frozen=True, slots=True)
class _Word:
    text: str  # folded surface form, used for typo tolerance
    stem: str
    clause: int  # words in different clauses never negate each other
    negation: bool


_Token = tuple[str, str]  # (folded text, stem) of one keyword word
_Phrase = tuple[_Token, ...]


def fold(text: str) -> str:
    """Lowercase without accents, with one kind of apostrophe: "Décroît’s" → "decroit's"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def _is_negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith("n't")


def words(text: str) -> list[_Word]:
    """The answer's meaningful words in order, articles dropped, each tagged with its clause."""
    found: list[_Word] = []
    clause = 0
    tokens = _TOKEN.findall(fold(text))
    for index, token in enumerate(tokens):
        if not token[0].isalnum() or token in CLAUSE_BREAKS:
            clause += 1
            continue
        if token in IGNORED:
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        negation = _is_negation(token) and following not in NOT_NEGATING_NEXT
        found.append(_Word(token, stem(token), clause, negation))
    return found


def word_count(text: str) -> int:
    return sum(1 for token in _TOKEN.findall(fold(text)) if token[0].isalnum())


@dataclass(frozen=True, slots=True)
class _Compiled:
    phrases: tuple[_Phrase, ...]
    negation_guard: bool


@lru_cache(maxsize=1024)
def _compile(concept: Concept) -> _Compiled:
    # Decks are immutable, so each concept's keywords are tokenised and stemmed once per process.
    phrases = []
    for keyword in concept.keywords:
        phrase = tuple((w.text, w.stem) for w in words(keyword))
        if phrase:
            phrases.append(phrase)
    return _Compiled(tuple(phrases), not is_avoidance(concept.name))


def is_avoidance(name: str) -> bool:
    """Whether a concept is about avoiding something, so a negated keyword still expresses it."""
    return any(w.stem in AVOIDANCE_STEMS or w.negation for w in words(name))


class _Answer:
    """An answer indexed for phrase lookups: where each stem occurs, plus typo-tolerant matches on demand."""

    def __init__(self, answer_words: list[_Word]) -> None:
        self.words = answer_words
        self._by_stem: dict[str, list[int]] = {}
        self._long: dict[str, dict[tuple[str, str], list[int]]] = {}  # first letter → (text, stem) → positions
        for index, word in enumerate(answer_words):
            self._by_stem.setdefault(word.stem, []).append(index)
            if len(word.text) >= FUZZY_MIN_LENGTH:
                self._long.setdefault(word.text[0], {}).setdefault((word.text, word.stem), []).append(index)
        self._cache: dict[_Token, frozenset[int]] = {}

    def positions(self, token: _Token) -> frozenset[int]:
        """Where the answer has this keyword word: same stem, or a near spelling of a long word."""
        found = self._cache.get(token)
        if found is None:
            found = frozenset(self._exact(token) + self._fuzzy(token))
            self._cache[token] = found
        return found

    def _exact(self, token: _Token) -> list[int]:
        return self._by_stem.get(token[1], [])

    def _fuzzy(self, token: _Token) -> list[int]:
        text, stem_ = token
        if len(text) < FUZZY_MIN_LENGTH:
            return []
        # Typos rarely hit the first letter, and requiring it keeps "reduce" from meeting "produce".
        matches: list[int] = []
        for (other_text, other_stem), where in self._long.get(text[0], {}).items():
            if other_stem == stem_:
                continue  # already an exact match
            if (
                fuzz.ratio(text, other_text, score_cutoff=FUZZY_MIN_RATIO)
                or fuzz.ratio(stem_, other_stem, score_cutoff=FUZZY_MIN_RATIO)
            ):
                matches.extend(where)
        return matches

    def negated(self, index: int) -> bool:
        clause = self.words[index].clause
        start = max(0, index - NEGATION_WINDOW)
        return any(w.negation and w.clause == clause for w in self.words[start:index])

    def contains(self, phrase: _Phrase, *, negation_guard: bool = True) -> bool:
        """Whether the phrase appears as consecutive words (at least once without a negation before it)."""
        first = self.positions(phrase[0])
        if not first:
            return False
        rest = [self.positions(token) for token in phrase[1:]]
        for start in sorted(first):
            if all(start + offset in where for offset, where in enumerate(rest, 1)):
                if not (negation_guard and self.negated(start)):
                    return True
        return False

    def meets(self, concept: Concept) -> bool:
        compiled = _compile(concept)
        return any(self.contains(p, negation_guard=compiled.negation_guard) for p in compiled.phrases)


def grade(text: str, concepts: Sequence[Concept]) -> ExplainGrade:
    """Grade an answer against the prompt's concepts."""
    names = tuple(c.name for c in concepts)
    count = word_count(text)
    if count < MIN_WORDS:
        return ExplainGrade((False,) * len(concepts), names, 0, len(concepts), _too_short_note(count))
    answer = _Answer(words(text))
    hits = tuple(answer.meets(c) for c in concepts)
    hit = sum(hits)
    return ExplainGrade(hits, names, hit, len(concepts), _score_note(hit, len(concepts)))


def _too_short_note(count: int) -> str:
    if count == 0:
        return ("Nothing to grade yet. Write a sentence or two in your own words: "
                "a rough explanation still earns concepts.")
    return ("One word is a start, not an explanation yet. Try a sentence or two about why or how: "
            "a rough answer still earns concepts.")


def _score_note(hit: int, total: int) -> str:
    if total and hit == total:
        return "Every key concept is there. Nicely explained!"
    if hit * 2 >= total:
        return "Good start: add the missing concepts next time."
    return "Keep going: this prompt comes back soon so you can try again."


def most_due(
    candidates: Sequence[tuple[str, str]], due: Mapping[tuple[str, str], datetime], now: datetime
) -> tuple[str, str] | None:
    """The (deck id, prompt id) to ask next: the earliest due, a never-seen prompt counting as due now.

    Ties keep the candidates' order, so a deck is walked from its first prompt.
    """
    if not candidates:
        return None
    return min(candidates, key=lambda key: due.get(key, now))
