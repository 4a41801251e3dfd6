"""The `/decks export` and missed-questions replies: the attachment carries the exported bytes under the deck's
file name, and the text says what was sent and how to open it."""
from __future__ import annotations

from bot.core.decks import Card, Deck
from bot.core.exporting import export_deck
from bot.ui.export import EXPORT_FORMAT_CHOICES, NOTHING_MISSED, export_file, exported_text, missed_file, missed_text

DECK = Deck(id="tiny", title="Tiny", cards=(Card("c", "Front", "Back"),))


def test_the_attachment_and_text_of_an_export() -> None:
    exported = export_deck(DECK, "yaml")
    file = export_file(exported)
    assert file.filename == "tiny.yaml" and file.fp.read() == exported.data
    assert exported_text(DECK, exported) == ("**Tiny** (`tiny`), 1 item as Recall deck file (.yaml). A Recall deck "
                                             "file: `/decks upload` takes it on another server.")
    assert [c.value for c in EXPORT_FORMAT_CHOICES] == ["anki", "csv", "yaml"]


def test_the_missed_questions_reply() -> None:
    assert missed_file(b"a,b\r\n").filename == "missed-questions.csv"
    assert missed_text(0) == NOTHING_MISSED
    assert missed_text(1).startswith("Your 1 missed quiz question, most recent first")
