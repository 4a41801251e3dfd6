"""The concept grader, on answers to the shipped deck's two explain prompts."""
from __future__ import annotations

import random
import string
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.decks import Concept, ExplainPrompt, load_deck_file
from bot.core.explain import MAX_ANSWER_CHARS, fold, grade, is_avoidance, most_due, words
from tests.conftest import SHIPPED_DECKS

DECK = load_deck_file(SHIPPED_DECKS / "pytorch-lr-schedulers.yaml")
WHY = "why-schedulers-are-useful"  # fast early · small steps later · avoid stuck/missing · accuracy/efficiency
STEPLR = "how-steplr-changes-the-rate"  # lowers · by a factor · after fixed epochs · in steps


def prompt(prompt_id: str) -> ExplainPrompt:
    found = DECK.prompt(prompt_id)
    assert found is not None, f"the shipped deck lost prompt {prompt_id}"
    return found


def noise(length: int, seed: int) -> str:
    """Word-like gibberish: letters in groups of 2 to 9, exactly `length` characters."""
    rng = random.Random(seed)
    text = ""
    while len(text) < length:
        text += "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9))) + " "
    return text[:length]


LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore "
    "magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo "
    "consequat. "
)

T, F = True, False

CASES = [
    # --- why schedulers are useful --------------------------------------------------------------------------------
    ("full", WHY,
     "A scheduler lets the model take big steps at first so it learns faster, then smaller steps so it can settle "
     "near the best solution. That way it avoids getting stuck and reaches better accuracy.",
     (T, T, T, T)),
    ("model answer", WHY, prompt(WHY).answer, (T, T, T, T)),
    ("partial: speed only", WHY, "It makes training faster at the beginning.", (T, F, F, F)),
    ("partial: stemmed phrase", WHY,
     "Lowering the learning rate later lets the model settle instead of bouncing around.", (F, T, T, F)),
    ("paraphrase with keywords", WHY,
     "At first the network takes larger steps so it learns quickly; near the end it fine-tunes with tiny updates, "
     "which gives a better model.", (T, T, F, T)),
    ("typos on long words", WHY,
     "The schedular helps the modle lern quikly at the begining and then it can convergge, giving beter acuracy.",
     (T, T, F, T)),
    ("negation", WHY, "A scheduler does not speed up training and it doesn't improve accuracy.", (F, F, F, F)),
    ("negation with a curly apostrophe", WHY, "It doesn\u2019t make training faster.", (F, F, F, F)),
    ("negation typed without apostrophe", WHY, "It doesnt learn faster at all.", (F, F, F, F)),
    ("avoidance concept is expressed by a negation", WHY,
     "Later the model doesn't overshoot and never gets stuck.", (F, F, T, F)),
    ("'not only' affirms", WHY, "It not only speeds up training, it also improves accuracy.", (T, F, F, T)),
    ("case and accents", WHY, "FASTER at first, then it CONVÉRGES with better ACCURACY.", (T, T, F, T)),
    ("empty", WHY, "", (F, F, F, F)),
    ("whitespace only", WHY, "   \n\t ", (F, F, F, F)),
    ("one word, even a keyword", WHY, "stuck", (F, F, F, F)),
    ("1,500 characters of gibberish", WHY, noise(MAX_ANSWER_CHARS, seed=1), (F, F, F, F)),
    ("1,500 characters of lorem ipsum", WHY, (LOREM * 10)[:MAX_ANSWER_CHARS], (F, F, F, F)),
    # --- how StepLR changes the rate ------------------------------------------------------------------------------
    ("full", STEPLR,
     "StepLR keeps the learning rate constant for step_size epochs, then multiplies it by gamma to lower it, "
     "so it goes down in steps.", (T, T, T, T)),
    ("model answer", STEPLR, prompt(STEPLR).answer, (T, T, T, T)),
    ("partial: lowers only", STEPLR, "It reduces the learning rate as training goes on.", (T, F, F, F)),
    ("paraphrase with keywords", STEPLR,
     "Every 30 epochs the scheduler cuts the rate by a factor of ten, like a staircase.", (T, T, T, T)),
    ("typos on long words, short words exact", STEPLR,
     "It decreses the learning rate by a factr of gama after a fixed numbr of epochs.", (T, T, T, F)),
    ("decimal number as one word", STEPLR, "The rate is multiplied by 0.1 every few epochs.", (F, T, T, F)),
    ("negation", STEPLR, "StepLR does not reduce the learning rate and does not use a factor.", (F, F, F, F)),
    ("negation stops at a clause break", STEPLR, "It is not random, it drops the rate every few epochs.",
     (T, F, T, F)),
    ("negation stops at 'but'", STEPLR, "Nothing happens at first but then it drops the rate.", (T, F, F, F)),
    ("short words never fuzzy", STEPLR, "A cute cat sat on a mat.", (F, F, F, F)),
    ("empty", STEPLR, "", (F, F, F, F)),
    ("one word", STEPLR, "gamma", (F, F, F, F)),
    ("1,500 characters of gibberish", STEPLR, noise(MAX_ANSWER_CHARS, seed=2), (F, F, F, F)),
]


@pytest.mark.parametrize(("label", "prompt_id", "text", "expected"), CASES, ids=[f"{c[1][:6]}-{c[0]}" for c in CASES])
def test_grades_answers_to_the_seed_prompts(label: str, prompt_id: str, text: str, expected: tuple[bool, ...]) -> None:
    concepts = prompt(prompt_id).concepts
    result = grade(text, concepts)
    met = [c.name for c, hit in zip(concepts, result.hits) if hit]
    assert result.hits == expected, f"{label}: met {met}"
    assert result.hit == sum(expected)
    assert result.total == len(concepts) == 4
    assert result.names == tuple(c.name for c in concepts)


def test_noise_rows_are_the_full_length() -> None:
    assert len(noise(MAX_ANSWER_CHARS, seed=1)) == MAX_ANSWER_CHARS
    assert len((LOREM * 10)[:MAX_ANSWER_CHARS]) == MAX_ANSWER_CHARS


@pytest.mark.parametrize(
    ("text", "starts"), [("", "Nothing to grade"), ("  ", "Nothing to grade"), ("stuck", "One word")]
)
def test_too_short_answers_get_an_encouraging_note(text: str, starts: str) -> None:
    result = grade(text, prompt(WHY).concepts)
    assert result.hit == 0
    assert result.note.startswith(starts)
    assert "sentence or two" in result.note


def test_notes_follow_the_score() -> None:
    concepts = prompt(STEPLR).concepts
    full = grade(prompt(STEPLR).answer, concepts)
    half = grade("It drops the rate by a factor.", concepts)
    low = grade("It drops the rate.", concepts)
    assert full.all_hit and "Every key concept" in full.note
    assert (half.hit, half.all_hit) == (2, False) and "Good start" in half.note
    assert low.hit == 1 and "comes back soon" in low.note


def test_short_keywords_need_an_exact_word() -> None:
    concepts = (Concept("Air", ("air",)),)
    assert grade("The chair is red.", concepts).hits == (False,)
    assert grade("Hot air rises.", concepts).hits == (True,)


def test_long_keywords_forgive_one_typo_but_not_another_word() -> None:
    reduce = (Concept("Reduce", ("reduce",)),)
    assert grade("It reduced it.", reduce).hits == (True,)  # stem
    assert grade("It reducce it.", reduce).hits == (True,)  # a doubled letter
    assert grade("It produces it.", reduce).hits == (False,)  # another word, not a typo
    decrease = (Concept("Decrease", ("decrease",)),)
    assert grade("It decraeses it.", decrease).hits == (True,)  # transposed letters in a long word
    assert grade("It increases it.", decrease).hits == (False,)


def test_phrases_must_be_contiguous() -> None:
    concepts = (Concept("Turn down", ("turn down",)),)
    assert grade("You turn the volume down.", concepts).hits == (False,)
    assert grade("You turn down the volume.", concepts).hits == (True,)


def test_negation_reaches_three_words_back_only() -> None:
    concepts = (Concept("Speed", ("speed up",)),)
    assert grade("It does not really speed up.", concepts).hits == (False,)
    assert grade("Not at all what you expect, speed up.", concepts).hits == (True,)
    assert grade("Not at all like this: it speeds up.", concepts).hits == (True,)


def test_a_later_plain_occurrence_still_counts_after_a_negated_one() -> None:
    concepts = (Concept("Speed", ("speed up",)),)
    assert grade("It does not slow down; it can speed up.", concepts).hits == (True,)
    assert grade("People think it does not speed up. It does speed up training.", concepts).hits == (True,)


def test_avoidance_is_read_from_the_concept_name() -> None:
    assert is_avoidance("Avoid getting stuck or missing the best solution")
    assert is_avoidance("Prevents overshooting")
    assert is_avoidance("Does not overshoot")
    assert not is_avoidance("It lowers the learning rate")
    assert not is_avoidance("Better accuracy and more efficient training")


def test_fold_drops_case_and_accents() -> None:
    assert fold("ÉPOQUE Straße doesn\u2019t") == "epoque strasse doesn't"


def test_words_drop_articles_and_stem() -> None:
    assert [w.stem for w in words("The schedulers are scheduling an update")] == ["schedul", "are", "schedul", "updat"]


def test_no_concepts_gives_zero_of_zero() -> None:
    result = grade("A perfectly fine answer.", ())
    assert (result.hits, result.hit, result.total, result.all_hit) == ((), 0, 0, False)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=MAX_ANSWER_CHARS))
def test_any_text_grades_consistently(text: str) -> None:
    concepts = prompt(WHY).concepts
    result = grade(text, concepts)
    assert len(result.hits) == result.total == len(concepts)
    assert result.hit == sum(result.hits)
    assert result.note


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([c for p in DECK.explain for c in p.concepts if not is_avoidance(c.name)]), st.data())
def test_a_keyword_counts_plain_and_not_after_not(concept: Concept, data: st.DataObject) -> None:
    keyword = data.draw(st.sampled_from(concept.keywords))
    if any(w.negation for w in words(keyword)):
        return  # a keyword like "not smooth" carries its own negation
    # Alone, because a concept's other keywords may sit inside this one, too far from the negation to be reached.
    single = (Concept(concept.name, (keyword,)),)
    assert grade(f"Well, it will {keyword} here.", single).hits == (True,)
    assert grade(f"Well, it will not {keyword} here.", single).hits == (False,)


NOW = datetime(2025, 1, 6, 12, 0, tzinfo=timezone.utc)


def test_most_due_prefers_overdue_then_never_seen_then_later() -> None:
    a, b, c = ("d", "a"), ("d", "b"), ("d", "c")
    due = {a: NOW + timedelta(days=2), c: NOW - timedelta(hours=1)}
    assert most_due([a, b, c], due, NOW) == c
    assert most_due([a, b], due, NOW) == b  # never seen counts as due now
    assert most_due([a], due, NOW) == a  # not due yet, still shown: /explain always asks something
    assert most_due([], due, NOW) is None


def test_most_due_keeps_deck_order_on_ties() -> None:
    keys = [("d", "first"), ("d", "second"), ("e", "third")]
    assert most_due(keys, {}, NOW) == ("d", "first")
    assert most_due(keys, {("d", "first"): NOW + timedelta(minutes=10)}, NOW) == ("d", "second")
