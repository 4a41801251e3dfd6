"""Exporting decks: the Anki package's notes, fields and note types as Anki reads them, the CSV's rows, and the
round trip (importing an export gives the same items back) for every shipped deck and every format."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from bot.core.decks import (
    Card,
    Concept,
    Deck,
    ExplainPrompt,
    QuizQuestion,
    load_deck_file,
)
from bot.core.exporting import (
    CSV_COLUMNS,
    EXPORT_FORMATS,
    ExportError,
    anki_id,
    cloze_text,
    export_anki,
    export_csv,
    export_deck,
    markdown_to_html,
    read_export_csv,
)
from bot.core.importers import ImportFailed, import_file
from bot.core.importers.anki_template import NoteType, Template, render_note

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "decks").glob("*.yaml"))

DECK = Deck(
    id="demo",
    title="Demo deck",
    description="For the export tests",
    cards=(
        Card("sql-lt", "In SQL, is `a < b` true when **a** is NULL?", "No: it is NULL,\nnot true.", "intermediate"),
        Card("capital", "The capital of France is […].", "The capital of France is **Paris**.", "beginner"),
        Card("hinted", "Water boils at [temperature] at sea level.", "Water boils at **100 °C** at sea level."),
    ),
    quiz=(QuizQuestion("q-join", "Which join keeps every row of the left table?",
                       ("INNER JOIN", "LEFT JOIN", "CROSS JOIN, with a comma", 'A "self" join'), "LEFT JOIN",
                       "Rows without a match get NULLs.", "advanced"),),
    explain=(ExplainPrompt("e-index", "Explain what an index is for.",
                           (Concept("faster lookups", ("faster", "quicker")),
                            Concept("costs writes", ("slower writes",))),
                           hint="Think of a book's index.", answer="", level="intermediate"),),
)


def read_apkg(data: bytes) -> tuple[sqlite3.Connection, list[str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        raw = zf.read("collection.anki2")
    conn = sqlite3.connect(":memory:")
    conn.deserialize(raw)
    return conn, names


def notes_of(conn: sqlite3.Connection) -> list[tuple[str, int, list[str], str]]:
    """(guid, model id, fields, tags) of every note, in id order."""
    return [(guid, mid, flds.split("\x1f"), tags.strip())
            for guid, mid, flds, tags in conn.execute("SELECT guid, mid, flds, tags FROM notes ORDER BY id")]


def test_the_anki_package_holds_one_deck_recalls_four_note_types_and_every_item() -> None:
    conn, names = read_apkg(export_anki(DECK, timestamp=1_700_000_000))
    assert names == ["collection.anki2", "media"]
    models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
    by_name = {m["name"]: {**m, "id": int(mid)} for mid, m in models.items()}
    basic, cloze = by_name["Recall Basic"], by_name["Recall Cloze"]
    quiz, explain = by_name["Recall Quiz"], by_name["Recall Explain"]
    assert [f["name"] for f in basic["flds"]] == ["Id", "Front", "Back"] and basic["type"] == 0
    assert basic["tmpls"][0]["qfmt"] == "{{Front}}"
    assert [f["name"] for f in cloze["flds"]] == ["Id", "Text", "Back Extra"] and cloze["type"] == 1
    assert cloze["tmpls"][0]["qfmt"] == "{{cloze:Text}}"
    assert [f["name"] for f in quiz["flds"]] == ["Id", "Question", "Choices", "Answer", "Explanation"]
    assert [f["name"] for f in explain["flds"]] == ["Id", "Prompt", "Concepts", "Hint", "Answer"]
    assert {m["id"] for m in by_name.values() if m["name"].startswith("Recall")} == {
        anki_id("demo", what) for what in ("basic", "cloze", "quiz", "explain")}
    decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
    assert sorted(d["name"] for d in decks.values()) == ["Default", "Demo deck"]
    assert {d["name"]: int(i) for i, d in decks.items()}["Demo deck"] == anki_id("demo", "deck")

    notes = notes_of(conn)
    assert [(mid, fields) for _, mid, fields, _ in notes] == [
        (basic["id"], ["sql-lt", "In SQL, is <code>a &lt; b</code> true when <b>a</b> is NULL?",
                       "No: it is NULL,<br>not true."]),
        (cloze["id"], ["capital", "The capital of France is {{c1::Paris}}.", ""]),
        (cloze["id"], ["hinted", "Water boils at {{c1::100 °C::temperature}} at sea level.", ""]),
        (quiz["id"], ["q-join", "Which join keeps every row of the left table?",
                      "A. INNER JOIN<br>B. LEFT JOIN<br>C. CROSS JOIN, with a comma<br>D. A \"self\" join",
                      "LEFT JOIN", "Rows without a match get NULLs."]),
        (explain["id"], ["e-index", "Explain what an index is for.",
                         "faster lookups: faster | quicker<br>costs writes: slower writes", "Think of a book's index.",
                         ""]),
    ]
    assert [tags for *_, tags in notes] == ["recall::intermediate", "recall::beginner", "recall::beginner",
                                           "recall::advanced", "recall::intermediate"]
    # Anki makes one card per cloze deletion and per template: five notes, five cards, all in the exported deck.
    assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT did), MIN(did) FROM cards").fetchone() == (
        5, 1, anki_id("demo", "deck"))


def test_recalls_note_types_show_an_anki_user_the_lettered_question_and_the_answer() -> None:
    # What Anki shows, rendered from the exported templates by the importer's template engine.
    conn, _ = read_apkg(export_anki(DECK, timestamp=1))
    models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
    shown = {}
    for _, mid, fields, _ in notes_of(conn):
        model = models[str(mid)]
        notetype = NoteType(model["name"], tuple(f["name"] for f in model["flds"]),
                            tuple(Template(t["name"], t["ord"], t["qfmt"], t["afmt"]) for t in model["tmpls"]),
                            cloze=model["type"] == 1)
        card = render_note(notetype, fields).cards[0]
        shown[model["name"]] = (card.front, card.back)
    assert shown["Recall Quiz"] == (
        ("Which join keeps every row of the left table?<br><br>A. INNER JOIN<br>B. LEFT JOIN<br>"
         "C. CROSS JOIN, with a comma<br>D. A \"self\" join"),
        "LEFT JOIN<br><br>Rows without a match get NULLs.")
    assert shown["Recall Explain"] == (
        "Explain what an index is for.",
        ("A good explanation covers:<br>faster lookups: faster | quicker<br>costs writes: slower writes<br><br>"
         "Hint: Think of a book's index."))
    assert shown["Recall Basic"][0] == "In SQL, is <code>a &lt; b</code> true when <b>a</b> is NULL?"


def test_re_exporting_gives_the_same_guids_note_type_ids_and_deck_id() -> None:
    first, _ = read_apkg(export_anki(DECK, timestamp=1_700_000_000))
    second, _ = read_apkg(export_anki(DECK, timestamp=1_800_000_000))
    assert [n[:2] for n in notes_of(first)] == [n[:2] for n in notes_of(second)]
    assert json.loads(first.execute("SELECT decks FROM col").fetchone()[0]).keys() == \
        json.loads(second.execute("SELECT decks FROM col").fetchone()[0]).keys()
    other, _ = read_apkg(export_anki(Deck(id="other", title="Other", cards=DECK.cards), timestamp=1))
    assert not {n[0] for n in notes_of(other)} & {n[0] for n in notes_of(first)}  # guids differ between decks


def test_markdown_becomes_anki_html_and_only_a_cloze_shaped_card_becomes_a_cloze_note() -> None:
    assert markdown_to_html("`**not bold**` and **bold** <i>\nx") == \
        "<code>**not bold**</code> and <b>bold</b> &lt;i&gt;<br>x"
    assert cloze_text(Card("a", "2 + 2 = […]", "2 + 2 = **4**")) == "2 + 2 = {{c1::4}}"
    assert cloze_text(Card("b", "[…] is a prime", "**7** is a prime")) == "{{c1::7}} is a prime"
    assert cloze_text(Card("c", "What is 2 + 2?", "4")) is None
    assert cloze_text(Card("d", "Use [brackets] here", "Use **bold** there")) is None  # the rest differs


def test_csv_has_a_header_and_one_row_per_item_with_quoting_and_line_breaks() -> None:
    text = export_csv(DECK)
    assert text.startswith(",".join(CSV_COLUMNS) + "\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [(r["kind"], r["front"], r["back"], r["level"]) for r in rows] == [
        ("card", "In SQL, is `a < b` true when **a** is NULL?", "No: it is NULL,\nnot true.", "intermediate"),
        ("card", "The capital of France is […].", "The capital of France is **Paris**.", "beginner"),
        ("card", "Water boils at [temperature] at sea level.", "Water boils at **100 °C** at sea level.", "beginner"),
        ("quiz", "Which join keeps every row of the left table?", "LEFT JOIN", "advanced"),
        ("explain", "Explain what an index is for.", "Cover: faster lookups; costs writes", "intermediate"),
    ]
    assert rows[3]["choices"].split("\n") == ["INNER JOIN", "LEFT JOIN", "CROSS JOIN, with a comma", 'A "self" join']
    assert rows[3]["explanation"] == "Rows without a match get NULLs."
    assert rows[4]["concepts"] == "faster lookups: faster | quicker\ncosts writes: slower writes"
    assert rows[4]["hint"] == "Think of a book's index."
    # Quoted: the field holds commas, line breaks and quotes.
    assert '"INNER JOIN\nLEFT JOIN\nCROSS JOIN, with a comma\nA ""self"" join"' in text
    assert read_export_csv(text, deck_id="demo", title="Demo deck") == Deck(
        id="demo", title="Demo deck", cards=DECK.cards, quiz=DECK.quiz, explain=DECK.explain)


def test_an_unknown_format_is_refused_and_each_format_names_its_file() -> None:
    with pytest.raises(ExportError, match="Unknown export format 'pdf'"):
        export_deck(DECK, "pdf")
    assert [export_deck(DECK, f, timestamp=1).filename for f in EXPORT_FORMATS] == \
        ["demo.apkg", "demo.csv", "demo.yaml"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_deck_survives_the_round_trip_in_every_format(path: Path) -> None:
    deck = load_deck_file(path)
    assert deck.cards and deck.quiz and deck.explain

    yaml_back = import_file(export_deck(deck, "yaml").data, f"{deck.id}.yaml", deck_id=deck.id).deck
    assert (yaml_back.title, yaml_back.cards, yaml_back.quiz, yaml_back.explain) == \
        (deck.title, deck.cards, deck.quiz, deck.explain)

    # The CSV importer knows Recall's own export by its header: every item comes back as it was.
    csv_data = export_deck(deck, "csv").data
    csv_back = import_file(csv_data, f"{deck.id}.csv", deck_id=deck.id)
    assert csv_back.format == "csv" and not csv_back.skipped
    assert (csv_back.deck.cards, csv_back.deck.quiz, csv_back.deck.explain) == (deck.cards, deck.quiz, deck.explain)

    # Anki: Recall's note types carry every field, so the same items come back, ids and levels included.
    anki_back = import_file(export_deck(deck, "anki", timestamp=1).data, f"{deck.id}.apkg", deck_id=deck.id)
    assert anki_back.format == "anki" and not anki_back.skipped
    assert (anki_back.deck.cards, anki_back.deck.quiz, anki_back.deck.explain) == (deck.cards, deck.quiz, deck.explain)
    assert anki_back.deck.title == deck.title
    assert anki_back.imported == deck.item_count


def test_cards_quiz_and_explain_survive_the_anki_round_trip_with_ids_levels_cloze_and_images() -> None:
    with_image = Card("pic", "Which bird is this?", "A **robin**.", "advanced", "https://example.org/robin.png?a=1&b=2")
    deck = Deck(id="demo", title="Demo deck", cards=(*DECK.cards, with_image), quiz=DECK.quiz, explain=DECK.explain)
    back = import_file(export_anki(deck, timestamp=1), "demo.apkg", deck_id="demo")
    assert (back.deck.cards, back.deck.quiz, back.deck.explain) == (deck.cards, deck.quiz, deck.explain)
    assert back.deck.cards[1].front == "The capital of France is […]."
    assert back.deck.cards[2].front == "Water boils at [temperature] at sea level."
    assert back.deck.cards[2].back == "Water boils at **100 °C** at sea level."
    assert back.skipped == []


def test_a_broken_row_under_recalls_export_header_is_refused() -> None:
    with pytest.raises(ImportFailed, match="does not pass validation|cannot be read"):
        import_file(b"kind,id,front,back\ncard,c1\n", "broken.csv", deck_id="broken")
