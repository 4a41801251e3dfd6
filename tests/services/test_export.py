"""The export service: a deck file built from the deck asked for, and a member's missed quiz questions read from
their answers, on this server only, over the decks this server can use."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import to_text
from bot.core.decks import Card, Deck, QuizQuestion
from bot.core.errors import InvalidInput
from bot.core.library import DeckLibrary
from bot.services.export import ExportService
from bot.store.api import Store
from tests.store.conftest import write

G, OTHER_G, ALICE, BOB = 111, 222, 1, 2
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
QUIZ = (QuizQuestion("q1", "2 + 2?", ("3", "4", "5"), "4", "Count them."),
        QuizQuestion("q2", "Capital of Italy?", ("Rome", "Milan"), "Rome"))
SHIPPED = Deck(id="maths", title="Maths", cards=(Card("c1", "1 + 1", "2"),), quiz=QUIZ)
OWN = Deck(id="own", title="Our deck", quiz=(QuizQuestion("o1", "Our mascot?", ("Cat", "Dog"), "Cat"),))

_ids = iter(range(1, 10**6))


async def answer(db: Store, guild: int, user: int, deck: str, question: str, correct: bool, at: datetime) -> None:
    await write(db, "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, "
                    "question_id, letter, choice, correct, response_ms, points, answered_at) "
                    "VALUES (?, 0, ?, 9, ?, ?, ?, 'A', 'x', ?, 1000, 0, ?)",
                (next(_ids), guild, user, deck, question, int(correct), to_text(at)))


def service(db: Store) -> ExportService:
    library = DeckLibrary({"maths": SHIPPED})
    library.set_server_deck(G, OWN)
    return ExportService(db, library)


async def test_missed_questions_are_the_members_wrong_answers_here_latest_first(db: Store) -> None:
    await answer(db, G, ALICE, "maths", "q1", False, NOW - timedelta(days=2))
    await answer(db, G, ALICE, "maths", "q1", False, NOW - timedelta(days=1))  # the latest miss counts
    await answer(db, G, ALICE, "maths", "q2", True, NOW)  # right: not missed
    await answer(db, G, ALICE, "own", "o1", False, NOW)
    await answer(db, G, ALICE, "maths", "gone", False, NOW)  # no longer in the deck: nothing to show
    await answer(db, G, BOB, "maths", "q2", False, NOW)  # someone else
    await answer(db, OTHER_G, ALICE, "maths", "q2", False, NOW)  # another server
    data, count = await service(db).missed_file(G, ALICE)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    assert count == 2
    assert [(r["deck"], r["question"], r["answer"], r["explanation"], r["last_missed"]) for r in rows] == [
        ("own", "Our mascot?", "Cat", "", "2026-03-02T09:30:00Z"),
        ("maths", "2 + 2?", "4", "Count them.", "2026-03-01T09:30:00Z"),
    ]
    assert rows[1]["choices"] == "3\n4\n5"
    assert await service(db).missed_file(G, BOB + 1) == (
        b"deck,deck_title,question_id,question,answer,explanation,choices,last_missed\r\n", 0)


async def test_a_deck_file_is_the_deck_in_the_asked_format(db: Store) -> None:
    exported = await service(db).deck_file(OWN, "csv")
    assert exported.filename == "own.csv" and exported.items == 1
    assert exported.data.decode("utf-8").splitlines()[1] == "quiz,o1,Our mascot?,Cat,beginner,,\"Cat"
    with pytest.raises(InvalidInput, match="Unknown format `pdf`"):
        await service(db).deck_file(OWN, "pdf")
