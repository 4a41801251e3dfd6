"""Anki packages rendered from their note types' templates: packages built here with genanki (Anki's schema 11) and
by hand (schema 18, templates as protobuf), each test asserting the fronts and backs a member would see."""
from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path

import genanki
import pytest
import zstandard

from bot.core.importers import import_file
from bot.core.importers.anki_template import (
    NoteType,
    Template,
    TemplateError,
    answer_part,
    cloze_text,
    field_is_empty,
    parse_cloze,
    parse_template,
    render_note,
    strip_html,
)
from bot.core.importers.common import ImportResult


def _package(tmp_path: Path, model: genanki.Model, notes: list[list[str]], *, deck: str = "Test deck") -> bytes:
    built = genanki.Deck(2059400110, deck)
    for i, fields in enumerate(notes):
        built.add_note(genanki.Note(model=model, fields=fields, guid=f"guid-{model.model_id}-{i}"))
    path = tmp_path / "deck.apkg"
    genanki.Package(built).write_to_file(str(path))
    return path.read_bytes()


def _sides(result: ImportResult) -> list[tuple[str, str]]:
    return [(card.front, card.back) for card in result.deck.cards]


VOCAB = genanki.Model(
    1607392319, "Vocab with a sort code",
    fields=[{"name": "Code"}, {"name": "Word"}, {"name": "Meaning"}, {"name": "Example"}],
    templates=[{"name": "Recognise", "qfmt": "{{Word}}",
                "afmt": "{{FrontSide}}\n\n<hr id=answer>\n\n{{Meaning}}{{#Example}}<br><i>{{Example}}</i>{{/Example}}"
                        "{{^Example}}<br>(no example){{/Example}}"}])


def test_front_comes_from_the_template_not_the_first_field(tmp_path: Path) -> None:
    data = _package(tmp_path, VOCAB, [["A-001", "der Hund", "the dog", "Der Hund bellt."],
                                      ["A-002", "die Katze", "the cat", "<br>"]])
    result = import_file(data, "vocab.apkg")
    # The sort code is on no card; a field of only <br> counts as empty, as in Anki.
    assert _sides(result) == [("der Hund", "the dog\n*Der Hund bellt.*"), ("die Katze", "the cat\n(no example)")]
    assert result.imported == 2 and result.skipped == []


def test_reversed_note_type_gives_both_cards(tmp_path: Path) -> None:
    data = _package(tmp_path, genanki.BASIC_AND_REVERSED_CARD_MODEL, [["<b>gato</b>", "cat"]])
    result = import_file(data, "reversed.apkg")
    assert _sides(result) == [("**gato**", "cat"), ("cat", "**gato**")]
    assert len({card.id for card in result.deck.cards}) == 2


def test_optional_reverse_only_where_the_note_asks(tmp_path: Path) -> None:
    data = _package(tmp_path, genanki.BASIC_OPTIONAL_REVERSED_CARD_MODEL,
                    [["uno", "one", ""], ["dos", "two", "y"]])
    result = import_file(data, "optional.apkg")
    assert _sides(result) == [("uno", "one"), ("dos", "two"), ("two", "dos")]
    assert result.skipped == []


CLOZE_TWO_FIELDS = genanki.Model(
    1550428389, "Cloze in two fields",
    fields=[{"name": "Text"}, {"name": "Extra"}, {"name": "Source"}],
    templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}<br>{{cloze:Extra}}",
                "afmt": "{{cloze:Text}}<br>{{cloze:Extra}}<br>{{Source}}"}],
    model_type=genanki.Model.CLOZE)


def test_cloze_across_two_fields(tmp_path: Path) -> None:
    data = _package(tmp_path, CLOZE_TWO_FIELDS, [[
        "{{c1::Paris}} is the capital of {{c2::France::country}}.",
        "It has about {{c3::2.1 million}} people.",
        "atlas",
    ]])
    result = import_file(data, "cloze.apkg")
    # A cloze field without the card's deletion renders empty (Anki's rule); the others show their text.
    # (On the first two cards the empty Extra leaves its line break, as it does in Anki.)
    assert _sides(result) == [
        ("[…] is the capital of France.", "**Paris** is the capital of France.\n\natlas"),
        ("Paris is the capital of [country].", "Paris is the capital of **France**.\n\natlas"),
        ("It has about […] people.", "It has about **2.1 million** people.\natlas"),
    ]
    assert not any("{{c" in card.front or "{{c" in card.back for card in result.deck.cards)


def test_nested_cloze(tmp_path: Path) -> None:
    data = _package(tmp_path, genanki.CLOZE_MODEL, [[
        "{{c1::Canberra is the capital of {{c2::Australia}}}}, since {{c3::1913}}.", "Extra line"]])
    result = import_file(data, "nested.apkg")
    backs = [back.split("\n")[0] for _, back in _sides(result)]
    assert [front for front, _ in _sides(result)] == [
        "[…], since 1913.",
        "Canberra is the capital of […], since 1913.",
        "Canberra is the capital of Australia, since […].",
    ]
    assert backs == [
        "**Canberra is the capital of Australia**, since 1913.",
        "Canberra is the capital of **Australia**, since 1913.",
        "Canberra is the capital of Australia, since **1913**.",
    ]
    assert all(back.endswith("Extra line") for _, back in _sides(result))


def test_cloze_note_without_deletions_is_reported(tmp_path: Path) -> None:
    data = _package(tmp_path, genanki.CLOZE_MODEL, [["{{c1::one}} here", ""], ["no deletion at all", ""]])
    result = import_file(data, "c.apkg")
    assert _sides(result) == [("[…] here", "**one** here")]
    assert ("no deletion at all (note)", "a cloze note without any {{c1::…}} deletion") in result.skipped


QUIZ = genanki.Model(
    1091735104, "Typed answer with hint",
    fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Hint"}, {"name": "Notes"}],
    templates=[{"name": "Card 1", "qfmt": "{{Front}}<br>{{hint:Hint}}{{type:Back}}",
                "afmt": "{{Front}}<hr id=answer>{{type:Back}}<br>{{text:Notes}}<br>{{myaddon:Back}}"}])


def test_type_hint_text_and_unknown_filters(tmp_path: Path) -> None:
    data = _package(tmp_path, QUIZ, [["Capital of <b>Peru</b>?", "<i>Lima</i>", "starts with L",
                                      "<u>founded</u> 1535 &amp; more"]])
    result = import_file(data, "quiz.apkg")
    # type: is dropped from the question and shows the expected answer (its text) on the back; hint: becomes a
    # spoiler; text: strips the markup; an unknown filter leaves the field as it is.
    assert _sides(result) == [("Capital of **Peru**?\nHint: ||starts with L||",
                               "Lima\nfounded 1535 & more\n*Lima*")]


def test_empty_hint_shows_nothing(tmp_path: Path) -> None:
    data = _package(tmp_path, QUIZ, [["Capital of Chile?", "Santiago", "", ""]])
    assert _sides(import_file(data, "quiz.apkg")) == [("Capital of Chile?", "Santiago\n\nSantiago")]


def test_missing_field_is_reported_not_shown(tmp_path: Path) -> None:
    broken = genanki.Model(1300000001, "Broken", fields=[{"name": "Front"}, {"name": "Back"}],
                           templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Front}}<hr id=answer>{{Bakc}}"}])
    good = genanki.BASIC_MODEL
    deck = genanki.Deck(1, "Mixed")
    deck.add_note(genanki.Note(model=broken, fields=["question", "answer"], guid="b1"))
    deck.add_note(genanki.Note(model=good, fields=["two", "2"], guid="g1"))
    path = tmp_path / "m.apkg"
    genanki.Package(deck).write_to_file(str(path))
    result = import_file(path.read_bytes(), "m.apkg")
    assert _sides(result) == [("two", "2")]
    why = "its card template cannot be rendered: it uses `{{Bakc}}`, but the note type has no field 'Bakc'"
    assert result.skipped == [("question (Card 1)", why)]


MEDIA = genanki.Model(
    1400000002, "Word with picture and sound",
    fields=[{"name": "Word"}, {"name": "Meaning"}, {"name": "Picture"}, {"name": "Audio"}, {"name": "Unused"}],
    templates=[{"name": "Card 1", "qfmt": "{{Word}}",
                "afmt": "{{FrontSide}}<hr id=answer>{{Meaning}}<br>{{Picture}}{{Audio}}"}])


def test_media_counted_in_every_field_the_card_shows(tmp_path: Path) -> None:
    data = _package(tmp_path, MEDIA, [["perro", "dog", '<img src="dog.jpg">', "[sound:dog.mp3]",
                                       '<img src="never-shown.jpg">']])
    result = import_file(data, "media.apkg")
    assert _sides(result) == [("perro", "dog")]
    # Picture and Audio are on the card (2); the unused field is on none, so nothing of it was left out.
    assert dict(result.skipped)["media"] == "2 image/sound references in notes left out (Recall imports text only)"


# --- Schema 18: templates in their own table, settings as protobuf ------------------------------------------------


def _proto(*fields: tuple[int, int | str]) -> bytes:
    out = bytearray()

    def varint(value: int) -> None:
        while True:
            byte, value = value & 0x7F, value >> 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                return

    for number, value in fields:
        if isinstance(value, int):
            varint(number << 3)
            varint(value)
        else:
            raw = value.encode()
            varint(number << 3 | 2)
            varint(len(raw))
            out += raw
    return bytes(out)


def _schema18_package() -> bytes:
    conn = sqlite3.connect(":memory:")
    conn.create_collation("unicase", lambda a, b: (a.casefold() > b.casefold()) - (a.casefold() < b.casefold()))
    conn.executescript("""
        CREATE TABLE col (id integer primary key, crt, mod, scm, ver, dty, usn, ls, conf, models, decks, dconf, tags);
        CREATE TABLE notes (id integer primary key, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data);
        CREATE TABLE cards (id integer primary key, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps,
          lapses, left, odue, odid, flags, data);
        CREATE TABLE notetypes (id integer primary key, name text collate unicase, mtime_secs, usn, config blob);
        CREATE TABLE fields (ntid, ord, name, config blob);
        CREATE TABLE templates (ntid, ord, name, mtime_secs, usn, config blob);
        CREATE TABLE decks (id integer primary key, name text collate unicase, mtime_secs, usn, common, kind);
    """)
    conn.execute("INSERT INTO col VALUES (1,0,0,0,18,0,0,0,'','','','','')")
    conn.execute("INSERT INTO decks VALUES (1, 'Words', 0, 0, x'', x'')")
    # A reversed type whose first field is a code, and a cloze type not named "cloze" (its kind says so).
    conn.execute("INSERT INTO notetypes VALUES (10, 'Two ways', 0, 0, ?)", (_proto((3, ".card {}")),))
    conn.execute("INSERT INTO notetypes VALUES (20, 'Lückentext', 0, 0, ?)", (_proto((1, 1), (3, ".card {}")),))
    conn.executemany("INSERT INTO fields VALUES (?,?,?,x'')",
                     [(10, 0, "Code"), (10, 1, "Term"), (10, 2, "Gloss"), (20, 0, "Text"), (20, 1, "Mehr")])
    conn.executemany("INSERT INTO templates VALUES (?,?,?,0,0,?)", [
        (10, 0, "Forward", _proto((1, "{{Term}}"), (2, "{{FrontSide}}<hr id=answer>{{Gloss}}"))),
        (10, 1, "Backward", _proto((1, "{{Gloss}}"), (2, "{{FrontSide}}<hr id=answer>{{Term}}"))),
        (20, 0, "Cloze", _proto((1, "{{cloze:Text}}{{cloze:Mehr}}"), (2, "{{cloze:Text}}{{cloze:Mehr}}"))),
    ])
    notes = [(1, "n1", 10, "X1\x1fHaus\x1fhouse", (0, 1)), (2, "n2", 20, "Ein {{c1::Haus}}\x1f", (0,)),
             (3, "n3", 10, "X2\x1fBaum\x1ftree", (0,))]  # n3: only the forward card was made
    card_id = 1
    for nid, guid, mid, flds, ords in notes:
        conn.execute("INSERT INTO notes VALUES (?,?,?,0,0,'',?,'',0,0,'')", (nid, guid, mid, flds))
        for ord_ in ords:
            conn.execute("INSERT INTO cards VALUES (?,?,1,?,0,0,0,0,0,0,0,0,0,0,0,0,0,'')", (card_id, nid, ord_))
            card_id += 1
    conn.commit()
    raw = conn.serialize()
    buffer = io.BytesIO()
    with zstandard.ZstdCompressor().stream_writer(buffer, closefd=False) as writer:
        writer.write(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("collection.anki21b", buffer.getvalue())
    return out.getvalue()


def test_schema18_templates_and_card_ords() -> None:
    result = import_file(_schema18_package(), "words.apkg")
    assert _sides(result) == [("Haus", "house"), ("house", "Haus"), ("Ein […]", "Ein **Haus**"), ("Baum", "tree")]


# --- The renderer on its own ---------------------------------------------------------------------------------------


def test_template_parse_errors() -> None:
    with pytest.raises(TemplateError, match="never closed"):
        parse_template("{{#Front}}x")
    with pytest.raises(TemplateError, match="not open"):
        parse_template("{{#Front}}x{{/Back}}")
    with pytest.raises(TemplateError, match="no closing"):
        parse_template("{{Front")
    assert parse_template("{{=<% %>=}}<%Front%>") == parse_template("{{Front}}")


def test_sections_and_legacy_syntax() -> None:
    note_type = NoteType("T", ("Front", "Back", "Extra"), (
        Template("Card 1", 0, "{{#Extra}}[{{Extra}}] {{/Extra}}{{Front}}",
                 "{{FrontSide}}<hr id=answer>{{Back}}{{^Extra}} (no extra){{/Extra}}"),))
    with_extra = render_note(note_type, ["q", "a", "x"], card_ords=(0,))
    without = render_note(note_type, ["q", "a", " <div></div> "], card_ords=(0,))
    assert [(c.front, c.back) for c in with_extra.cards] == [("[x] q", "a")]
    assert [(c.front, c.back) for c in without.cards] == [("q", "a (no extra)")]
    assert with_extra.used_fields == {"Front", "Back", "Extra"}


def test_special_fields_and_empty_front() -> None:
    note_type = NoteType("Vocab", ("Front", "Back"), (
        Template("Card 1", 0, "{{Front}}", "{{Back}} ({{Type}}, {{Card}}, {{Tags}})"),
        Template("Card 2", 1, "{{Back}}", "{{Front}}")))
    rendered = render_note(note_type, ["q", ""], tags=["t1", "t2"])
    # No card ords recorded: the second template has an empty front, so Anki would make no card from it.
    assert [(c.key, c.front, c.back) for c in rendered.cards] == [("", "q", " (Vocab, Card 1, t1 t2)")]
    recorded = render_note(note_type, ["q", ""], card_ords=(0, 1))
    assert recorded.problems == [("Card 2", "its front is empty for this note")]


def test_cloze_text_rules() -> None:
    text = "{{c1::a}} {{c2::b::hint}} {{c1::c}}"
    assert cloze_text(text, 1, True) == "[…] b […]"
    assert cloze_text(text, 2, True) == "a [hint] c"
    assert cloze_text(text, 1, False) == "<b>a</b> b <b>c</b>"
    assert cloze_text(text, 3, True) == ""
    assert cloze_text("{{c1::closed early}} }} {{c2::x}}", 2, True) == "closed early }} […]"
    assert cloze_text("{{c1::open {{c2::x}}", 2, True) == "{{c1::open […]"
    assert len(parse_cloze("{{c1::" * 20_000)) >= 1  # unclosed openings stay text, in one pass


def test_small_helpers() -> None:
    assert field_is_empty(" <br> <div></div>\n") and not field_is_empty("<img src=a>") and not field_is_empty("x")
    assert strip_html("<b>a</b> &amp; <!-- c --> b <i") == "a &  b "
    assert answer_part("Q<hr id=answer>A", "Q") == "A"
    assert answer_part('Q<HR id="answer" class=x>A', "Q") == "A"
    assert answer_part("Q<hr>A", "Q") == "<hr>A"
    assert answer_part("just A", "Q") == "just A"


def test_unclosed_and_too_deep_deletions_stay_text() -> None:
    unclosed = "{{c1::a {{c02::b"
    assert parse_cloze(unclosed) == ["", "{{c1::", "a ", "{{c02::", "b"]
    assert cloze_text(unclosed, 1, True) == ""  # no deletion 1 in it, so the field is empty on card 1
    deep = "{{c1::" * 40 + "x" + "}}" * 40
    # 32 levels are deletions; the 8 deeper openings are text, and the 8 closings left over after the outermost are too
    assert cloze_text(deep, 1, True) == "[…]" + "}}" * 8
    # (the innermost deletion's text then holds "::", so what follows it is read as a hint, as Anki reads it)
    assert cloze_text(deep, 1, False) == "<b>" + "{{c1::" * 7 + "{{c1</b>" + "}}" * 8


# --- Recall's own note types ---------------------------------------------------------------------------------------

RECALL_QUIZ = genanki.Model(
    1607392330, "Recall Quiz",
    fields=[{"name": n} for n in ("Id", "Question", "Choices", "Answer", "Explanation", "Source")],
    templates=[{"name": "Question", "qfmt": "{{Question}}<br><br>{{Choices}}", "afmt": "{{Answer}}"}])
RECALL_CLOZE = genanki.Model(
    1607392331, "Recall Cloze", fields=[{"name": "Id"}, {"name": "Text"}, {"name": "Back Extra"}],
    templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}", "afmt": "{{cloze:Text}}<br>{{Back Extra}}"}],
    model_type=genanki.Model.CLOZE)
OLD_RECALL_BASIC = genanki.Model(  # an export from before note types had an Id: rendered like any other
    1607392332, "Recall Basic", fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}<hr id=answer>{{Back}}"}])
LOOKALIKE = genanki.Model(  # Recall's fields under another name: a foreign type, shown through its templates
    1607392333, "My quiz", fields=[{"name": n} for n in ("Id", "Question", "Choices", "Answer", "Explanation")],
    templates=[{"name": "Q", "qfmt": "{{Question}}", "afmt": "{{Answer}} ({{Id}})"}])


def _tagged_package(tmp_path: Path, notes: list[tuple[genanki.Model, list[str], list[str]]]) -> bytes:
    built = genanki.Deck(2059400111, "Mixed")
    for i, (model, fields, tags) in enumerate(notes):
        built.add_note(genanki.Note(model=model, fields=fields, tags=tags, guid=f"guid-{i}"))
    path = tmp_path / "mixed.apkg"
    genanki.Package(built).write_to_file(str(path))
    return path.read_bytes()


def test_recall_note_types_become_items_and_foreign_ones_render_as_before(tmp_path: Path) -> None:
    data = _tagged_package(tmp_path, [
        (RECALL_QUIZ, ["q-1", "Pick <b>one</b>", "A. Red<br>B. Green<br>Blue", "Green", "", "book"],
         ["recall::advanced"]),
        (RECALL_CLOZE, ["cz", "{{c1::Paris}} is in {{c2::France}}", ""], ["recall::Intermediate"]),
        (RECALL_CLOZE, ["Not An Id", "{{c1::Rome}} is in Italy", ""], []),
        (OLD_RECALL_BASIC, ["Old front", "Old back"], ["recall::advanced"]),
        (LOOKALIKE, ["x-1", "What?", "A. This", "This", ""], []),
        (RECALL_QUIZ, ["q-2", "Edited in Anki", "A. Yes<br>B. No", "Maybe", "", ""], []),
    ])
    result = import_file(data, "mixed.apkg", deck_id="mixed")
    quiz = result.deck.quiz
    # An extra field (Source) does not matter; only the letters the export writes are taken off the choices.
    assert [(q.id, q.question, q.choices, q.answer, q.level) for q in quiz] == [
        ("q-1", "Pick **one**", ("Red", "Green", "Blue"), "Green", "advanced")]
    cards = result.deck.cards
    assert [(c.front, c.back, c.level) for c in cards] == [
        ("[…] is in France", "**Paris** is in France", "intermediate"),
        ("Paris is in […]", "Paris is in **France**", "intermediate"),
        ("[…] is in Italy", "**Rome** is in Italy", "beginner"),
        ("Old front", "Old back", "beginner"),
        ("What?", "This (x-1)", "beginner"),
    ]
    # A Recall cloze note's cards keep its Id (the second deletion's with its key); an unusable Id is ignored and
    # the card gets the id any Anki card gets, from the note's guid.
    assert [c.id for c in cards[:2]] == ["cz", "cz-c2"]
    assert cards[2].id.startswith("c-") and cards[3].id.startswith("c-") and cards[4].id.startswith("c-")
    assert result.deck.explain == ()
    assert result.skipped == [("Edited in Anki (q-2)", "the answer is not one of the choices")]
