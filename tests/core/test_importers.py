"""Importers on small files of every format, written by the tests themselves (apkg forms with sqlite3/zipfile/zstd)."""
from __future__ import annotations

import argparse
import io
import json
import random
import sqlite3
import string
import zipfile
from dataclasses import replace
from pathlib import Path

import genanki
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.decks import Card, Concept, Deck, ExplainPrompt, QuizQuestion, load_deck_dir, load_deck_file, parse_deck
from bot.core.importers import FORMATS, ImportFailed, ImportLimits, detect_format, import_file
from bot.core.importers.common import (
    deck_to_yaml,
    html_to_markdown,
    is_near_duplicate,
    nearby_numbers,
    pick_distractors,
    slugify,
    stable_id,
)
from bot.importing import add_import_parser, main_import

REPO = Path(__file__).resolve().parents[2]

# --- Fixture builders -----------------------------------------------------------------------------------------------

SCHEMA11 = """
CREATE TABLE col (id integer primary key, crt integer not null, mod integer not null, scm integer not null,
  ver integer not null, dty integer not null, usn integer not null, ls integer not null, conf text not null,
  models text not null, decks text not null, dconf text not null, tags text not null);
CREATE TABLE notes (id integer primary key, guid text not null, mid integer not null, mod integer not null,
  usn integer not null, tags text not null, flds text not null, sfld integer not null, csum integer not null,
  flags integer not null, data text not null);
CREATE TABLE cards (id integer primary key, nid integer not null, did integer not null, ord integer not null,
  mod integer not null, usn integer not null, type integer not null, queue integer not null, due integer not null,
  ivl integer not null, factor integer not null, reps integer not null, lapses integer not null,
  left integer not null, odue integer not null, odid integer not null, flags integer not null, data text not null);
"""

SCHEMA18_EXTRA = """
CREATE TABLE notetypes (id integer not null primary key, name text not null collate unicase,
  mtime_secs integer not null, usn integer not null, config blob not null);
CREATE TABLE fields (ntid integer not null, ord integer not null, name text not null collate unicase,
  config blob not null, primary key (ntid, ord)) without rowid;
CREATE TABLE decks (id integer primary key not null, name text not null collate unicase,
  mtime_secs integer not null, usn integer not null, common blob not null, kind blob not null);
CREATE UNIQUE INDEX idx_notetypes_name ON notetypes (name);
"""

BASIC, CLOZE = 1001, 1002
DECK_ID = 2001

# (guid, model, fields, tags)
NOTES = [
    ("g-basic-1", BASIC, ["What does <b>HTTP</b> stand for?", "HyperText Transfer Protocol"], "web networking"),
    ("g-basic-2", BASIC, ["Capital of Japan?<br>(one word)", "<i>Tokyo</i> &amp; nothing else"], "geo"),
    ("g-cloze-1", CLOZE, ["{{c1::Paris}} is the capital of {{c2::France::country}}.", "Since 508 AD"], "geo"),
    ("g-image", BASIC, ['<img src="cat.jpg">', "a cat"], ""),
    ("g-sound", BASIC, ["Say hello [sound:hello.mp3]", "Hello!"], ""),
]

PLACEHOLDER = [("g-ph", BASIC, ["Please update to the latest Anki version, then import the .colpkg/.apkg file again.",
                                ""], "")]


def _unicase(a: str, b: str) -> int:
    return (a.casefold() > b.casefold()) - (a.casefold() < b.casefold())


def _collection(notes: list[tuple[str, int, list[str], str]], schema: int) -> bytes:
    conn = sqlite3.connect(":memory:")
    conn.create_collation("unicase", _unicase)
    conn.executescript(SCHEMA11)
    if schema == 11:
        models = {str(BASIC): {"name": "Basic", "type": 0, "flds": [{"name": "Front", "ord": 0},
                                                                     {"name": "Back", "ord": 1}]},
                  str(CLOZE): {"name": "Cloze", "type": 1, "flds": [{"name": "Text", "ord": 0},
                                                                     {"name": "Back Extra", "ord": 1}]}}
        decks = {"1": {"name": "Default"}, str(DECK_ID): {"name": "Languages::Test deck"}}
        conn.execute("INSERT INTO col VALUES (1,0,0,0,11,0,0,0,'{}',?,?,'{}','{}')",
                     (json.dumps(models), json.dumps(decks)))
    else:
        conn.executescript(SCHEMA18_EXTRA)
        conn.execute("INSERT INTO col VALUES (1,0,0,0,18,0,0,0,'','','','','')")
        conn.executemany("INSERT INTO notetypes VALUES (?,?,0,0,x'')", [(BASIC, "Basic"), (CLOZE, "Cloze")])
        conn.executemany("INSERT INTO fields VALUES (?,?,?,x'')",
                         [(BASIC, 0, "Front"), (BASIC, 1, "Back"), (CLOZE, 0, "Text"), (CLOZE, 1, "Back Extra")])
        conn.executemany("INSERT INTO decks VALUES (?,?,0,0,x'',x'')",
                         [(1, "Default"), (DECK_ID, "Languages\x1fTest deck")])
    for i, (guid, mid, fields, tags) in enumerate(notes, 1):
        conn.execute("INSERT INTO notes VALUES (?,?,?,0,0,?,?,?,0,0,'')",
                     (i, guid, mid, f" {tags} " if tags else "", "\x1f".join(fields), fields[0]))
        conn.execute("INSERT INTO cards VALUES (?,?,?,0,0,0,0,0,0,0,0,0,0,0,0,0,0,'')", (i, i, DECK_ID))
    conn.commit()
    data = conn.serialize()
    conn.close()
    return data


def _zstd(data: bytes) -> bytes:
    # Like Anki: streamed, so the frame carries no content size (plain .decompress() would fail on it).
    out = io.BytesIO()
    with zstandard.ZstdCompressor().stream_writer(out, closefd=False) as writer:
        writer.write(data)
    return out.getvalue()


def make_apkg(form: str, notes: list[tuple[str, int, list[str], str]] = NOTES) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        if form == "anki2":
            zf.writestr("collection.anki2", _collection(notes, 11))
            zf.writestr("media", json.dumps({"0": "cat.jpg"}))
        elif form == "anki21":
            zf.writestr("collection.anki21", _collection(notes, 11))
            zf.writestr("collection.anki2", _collection(PLACEHOLDER, 11))
            zf.writestr("media", json.dumps({"0": "cat.jpg"}))
        else:
            zf.writestr("meta", b"\x08\x03")
            zf.writestr("collection.anki21b", _zstd(_collection(notes, 18)))
            zf.writestr("collection.anki2", _collection(PLACEHOLDER, 11))
            zf.writestr("media", _zstd(b"\x0a\x07cat.jpg"))
        zf.writestr("0", b"\xff\xd8\xff fake jpeg")
    return buffer.getvalue()


def limits(**changes: int) -> ImportLimits:
    return replace(ImportLimits(), **changes)


# --- Red trivia -----------------------------------------------------------------------------------------------------

RED = """AUTHOR: Quiz Master
DESCRIPTION: Capitals, years and other things
CONFIG:
  max_score: 10
  bot_plays: false
What is the capital of France?:
- Paris
What is the capital of Germany?:
- Berlin
What is the capital of Italy?:
- Rome
- Roma
What is the capital of Spain?:
- Madrid
Who was the first US president?:
- George Washington
- Washington
Is the Pacific the largest ocean?:
- yes
- on
In which year did the Berlin Wall fall?:
- 1989
How many legs does a spider have?:
- 8
https://example.com/img/flag.png:
- Japan
Which flag is this? https://example.com/img/flag2.png:
- Canada
Which planet is called the Red Planet?:
- Mars
Broken question:
  nested: mapping
Empty question: []
"""


def red_deck():
    return import_file(RED.encode(), "capital-cities.yaml")


def test_red_questions_become_cards_and_questions() -> None:
    result = red_deck()
    deck = result.deck
    assert result.format == "red"
    assert deck.id == "capital-cities"
    assert deck.author == "Quiz Master" and deck.description == "Capitals, years and other things"
    italy = next(c for c in deck.cards if c.front == "What is the capital of Italy?")
    assert italy.back.splitlines()[0] == "Rome" and "Roma" in italy.back
    question = next(q for q in deck.quiz if q.question == "What is the capital of France?")
    assert question.answer == "Paris" and len(question.choices) == 4
    # The most related questions' answers make the wrong choices.
    assert set(question.choices) - {"Paris"} <= {"Berlin", "Rome", "Madrid"}
    assert result.imported == 11


def test_red_skips_are_reported_with_reasons() -> None:
    skipped = dict(red_deck().skipped)
    assert "not a list" in skipped["Broken question"]
    assert "no answers" in skipped["Empty question"]
    assert "image" in skipped["quiz: https://example.com/img/flag.png"]


def test_red_booleans_stay_text() -> None:
    deck = red_deck().deck
    card = next(c for c in deck.cards if c.front.startswith("Is the Pacific"))
    assert card.back.splitlines()[0] == "yes" and "on" in card.back
    question = next(q for q in deck.quiz if q.question.startswith("Is the Pacific"))
    assert question.answer == "yes" and set(question.choices) == {"yes", "no"}


def test_red_numbers_get_nearby_wrong_numbers() -> None:
    deck = red_deck().deck
    year = next(q for q in deck.quiz if "Berlin Wall" in q.question)
    assert year.answer == "1989"
    wrong = [int(c) for c in year.choices if c != "1989"]
    assert len(wrong) == 3 and all(1960 <= w <= 2020 and w != 1989 for w in wrong)
    legs = next(q for q in deck.quiz if "spider" in q.question)
    assert all(c.isdigit() and int(c) > 0 for c in legs.choices) and legs.choices.count("8") == 1


def test_red_image_questions_become_image_cards() -> None:
    deck = red_deck().deck
    only_image = next(c for c in deck.cards if c.image == "https://example.com/img/flag.png")
    assert only_image.front == "" and only_image.back == "Japan"
    with_text = next(c for c in deck.cards if c.image == "https://example.com/img/flag2.png")
    assert with_text.front == "Which flag is this?"
    assert not any("flag" in q.question for q in deck.quiz)


def test_red_near_duplicates_of_an_answer_are_never_choices() -> None:
    deck = red_deck().deck
    for question in deck.quiz:
        wrong = [c for c in question.choices if c != question.answer]
        assert all(not is_near_duplicate(c, question.answer) for c in wrong), question
    president = next(q for q in deck.quiz if "president" in q.question)
    assert "Washington" not in president.choices


def test_red_import_is_deterministic() -> None:
    assert red_deck().deck == red_deck().deck


def test_red_broken_yaml_is_a_clear_error() -> None:
    with pytest.raises(ImportFailed, match="line 2"):
        import_file(b"Question one:\n- [unclosed\n", "x.yaml", fmt="red")
    with pytest.raises(ImportFailed, match="mapping of questions"):
        import_file(b"- just\n- a list\n", "x.yaml", fmt="red")


# --- Wrong choices --------------------------------------------------------------------------------------------------

words = st.text(alphabet=string.ascii_letters + " ", min_size=1, max_size=20).filter(lambda s: s.strip())


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(right=st.lists(words, min_size=1, max_size=3), pool=st.lists(words, max_size=15), seed=st.integers(0, 99))
def test_distractors_never_match_a_right_answer(right: list[str], pool: list[str], seed: int) -> None:
    wrong = pick_distractors(right, pool + right + [r.upper() for r in right], random.Random(seed))
    assert len(wrong) <= 3
    assert len({w.casefold() for w in wrong}) == len(wrong)
    for w in wrong:
        assert all(not is_near_duplicate(w, r) for r in right)
        assert w.casefold() not in {r.strip().casefold() for r in right}


@given(number=st.integers(-5000, 100000), seed=st.integers(0, 99))
def test_nearby_numbers_are_wrong_and_keep_sign(number: int, seed: int) -> None:
    wrong = nearby_numbers(str(number), [str(number)], random.Random(seed))
    assert len(wrong) == 3 and str(number) not in wrong and len(set(wrong)) == 3
    assert all((int(w) >= 0) == (number >= 0) or number == 0 for w in wrong)


def test_nearby_numbers_keep_decimals_and_avoid_other_right_answers() -> None:
    wrong = nearby_numbers("0.5", ["0.5", "0.6"], random.Random(1))
    assert len(wrong) == 3 and all(len(w.split(".")[1]) == 1 for w in wrong) and "0.6" not in wrong
    assert all(abs(int(w) - 1945) <= 20 for w in nearby_numbers("1945", ["1945"], random.Random(2)))


def test_near_duplicate_rules() -> None:
    assert is_near_duplicate("paris", "Paris")
    assert is_near_duplicate("Washington", "George Washington")
    assert is_near_duplicate("Pari", "Paris")
    assert not is_near_duplicate("Berlin", "Paris")


# --- Anki packages --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["anki2", "anki21", "anki21b"])
def test_apkg_forms(form: str) -> None:
    result = import_file(make_apkg(form), "languages.apkg")
    deck = result.deck
    assert result.format == "anki"
    assert deck.title == "Languages / Test deck"
    fronts = [c.front for c in deck.cards]
    assert "What does **HTTP** stand for?" in fronts
    assert "Capital of Japan?\n(one word)" in fronts
    tokyo = next(c for c in deck.cards if c.front.startswith("Capital of Japan"))
    assert tokyo.back == "*Tokyo* & nothing else"
    assert not any("update to the latest" in c.front.casefold() for c in deck.cards)
    assert "anki" in deck.tags and "geo" in deck.tags


@pytest.mark.parametrize("form", ["anki2", "anki21b"])
def test_apkg_cloze_notes_become_one_card_per_deletion(form: str) -> None:
    deck = import_file(make_apkg(form), "languages.apkg").deck
    cloze = [c for c in deck.cards if "capital of" in c.front and "France" in c.back]
    assert [c.front for c in cloze] == ["[…] is the capital of France.", "Paris is the capital of [country]."]
    assert cloze[0].back.startswith("**Paris** is the capital of France.") and "Since 508 AD" in cloze[0].back
    assert len({c.id for c in cloze}) == 2


def test_apkg_media_is_left_out_and_counted() -> None:
    result = import_file(make_apkg("anki2"), "languages.apkg")
    skipped = dict(result.skipped)
    assert skipped["note with back: a cat"] == "the front is only an image or sound (media is not imported)"
    assert "1 media file" in skipped["media"] and "2 image/sound references" in skipped["media"]
    hello = next(c for c in result.deck.cards if c.back == "Hello!")
    assert hello.front == "Say hello"
    assert result.imported == 4


def test_apkg_ids_are_stable_across_forms() -> None:
    legacy = import_file(make_apkg("anki2"), "x.apkg").deck
    latest = import_file(make_apkg("anki21b"), "x.apkg").deck
    assert [c.id for c in legacy.cards] == [c.id for c in latest.cards]


def test_apkg_corrupt_zip() -> None:
    data = make_apkg("anki2")
    with pytest.raises(ImportFailed, match="not a readable zip"):
        import_file(b"PK\x03\x04" + b"\x00" * 50, "broken.apkg")
    with pytest.raises(ImportFailed):
        import_file(data[: len(data) // 2], "cut.apkg")


def test_apkg_corrupt_member_data() -> None:
    data = bytearray(make_apkg("anki2"))
    start = data.index(b"collection.anki2") + len("collection.anki2")
    for i in range(start + 40, start + 200):  # inside the deflated collection bytes
        data[i] ^= 0x5A
    with pytest.raises(ImportFailed, match="damaged"):
        import_file(bytes(data), "bad.apkg")


def test_apkg_corrupt_database() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("collection.anki2", b"SQLite format 3\x00" + b"\x13" * 2000)
    with pytest.raises(ImportFailed, match="damaged"):
        import_file(buffer.getvalue(), "bad.apkg")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("collection.anki21b", b"not zstd at all")
    with pytest.raises(ImportFailed, match="damaged"):
        import_file(buffer.getvalue(), "bad.apkg")


def test_apkg_without_a_collection() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ImportFailed, match="no Anki collection"):
        import_file(buffer.getvalue(), "other.zip")


def test_zip_bomb_is_refused_from_declared_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("collection.anki2", b"\x00" * (3 * 1024 * 1024))  # deflates to a few KB
    data = buffer.getvalue()
    assert len(data) < 64 * 1024
    opened: list[str] = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, name, *a, **k: opened.append(str(name))
                        or real_open(self, name, *a, **k))
    with pytest.raises(ImportFailed, match="unpack to more than 1.0 MB"):
        import_file(data, "bomb.apkg", limits=limits(max_unpacked_bytes=1024 * 1024))
    assert opened == []  # refused before anything was unpacked


def test_zstd_bomb_is_stopped_while_streaming() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("collection.anki21b", _zstd(b"\x00" * (3 * 1024 * 1024)))
    with pytest.raises(ImportFailed, match="unpack to more than 1.0 MB"):
        import_file(buffer.getvalue(), "bomb.apkg", limits=limits(max_unpacked_bytes=1024 * 1024))


def test_only_a_placeholder_collection_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("collection.anki2", _collection(PLACEHOLDER, 11))
    with pytest.raises(ImportFailed, match="placeholder"):
        import_file(buffer.getvalue(), "new.apkg")


# --- Anki text export -----------------------------------------------------------------------------------------------

ANKI_TEXT = (
    "#separator:tab\n#html:true\n#deck:Biology\n#guid column:1\n#tags column:4\n"
    "g1\tWhat is the <b>powerhouse</b> of the cell?\tThe mitochondrion\tcells\n"
    'g2\t"A field with a ""quote"" and a\nline break"\tAnswer two\t\n'
    "g3\t{{c1::Photosynthesis}} makes sugar from light.\t\tplants\n"
    "g4\tonly one field\n"
)


def test_anki_text_export() -> None:
    result = import_file(ANKI_TEXT.encode(), "notes.txt")
    deck = result.deck
    assert result.format == "anki-text" and deck.title == "Biology"
    fronts = [c.front for c in deck.cards]
    assert fronts[0] == "What is the **powerhouse** of the cell?"
    assert fronts[1] == 'A field with a "quote" and a line break'  # an HTML field: a source line break is a space
    assert fronts[2] == "[…] makes sugar from light."
    assert deck.cards[2].back == "**Photosynthesis** makes sugar from light."
    assert any(what == "row 4" for what, _ in result.skipped)
    assert {"cells", "plants"} <= set(deck.tags)


def test_anki_text_plain_and_other_separators() -> None:
    text = "#separator:semicolon\n#html:false\n#columns:Front;Back\n2 < 3;true\na <b>tag</b>;kept as typed\n"
    deck = import_file(text.encode(), "plain.txt").deck
    assert [(c.front, c.back) for c in deck.cards] == [("2 < 3", "true"), ("a <b>tag</b>", "kept as typed")]


def test_anki_text_bad_separator() -> None:
    with pytest.raises(ImportFailed, match="separator"):
        import_file(b"#separator:double pipe\na||b\n", "x.txt")


def test_anki_text_columns_header_places_front_and_back() -> None:
    # `#columns:` names the columns: here the back comes first, so column 2 is the front.
    text = "#separator:tab\n#html:false\n#columns:Back\tFront\ndog\tHund\ncat\tKatze\n"
    cards = import_file(text.encode(), "reversed.txt").deck.cards
    assert [(c.front, c.back) for c in cards] == [("Hund", "dog"), ("Katze", "cat")]


def test_anki_text_columns_header_with_meta_and_extra_columns() -> None:
    # Named meta columns hold no card text; the front and back are found among the rest, in any order.
    text = ("#separator:semicolon\n#html:false\n#columns:Notes;Antwort;Tags;Frage\n"
            "a note;dog;animals;Hund\n;cat;;Katze\n")
    result = import_file(text.encode(), "german.txt")
    assert [(c.front, c.back) for c in result.deck.cards] == [("Hund", "dog"), ("Katze", "cat")]
    assert "animals" in result.deck.tags


def test_anki_text_columns_header_without_front_and_back_names_keeps_file_order() -> None:
    text = "#separator:tab\n#html:false\n#columns:Word\tNotes\nHund\tdog\n"
    cards = import_file(text.encode(), "words.txt").deck.cards
    assert [(c.front, c.back) for c in cards] == [("Hund", "dog")]


NESTED = "{{c1::Canberra is the capital of {{c2::Australia::country}}}}, since {{c3::1913}}."


def test_anki_text_nested_cloze() -> None:
    data = f"#separator:tab\n#html:true\n#notetype:Cloze\n{NESTED}\t<i>Extra</i> line\n".encode()
    cards = import_file(data, "nested.txt").deck.cards
    assert [(c.front, c.back) for c in cards] == [
        ("[…], since 1913.", "**Canberra is the capital of Australia**, since 1913.\n*Extra* line"),
        ("Canberra is the capital of [country], since 1913.",
         "Canberra is the capital of **Australia**, since 1913.\n*Extra* line"),
        ("Canberra is the capital of Australia, since […].",
         "Canberra is the capital of Australia, since **1913**.\n*Extra* line"),
    ]
    assert [c.id for c in cards] == [stable_id("c-", f"{NESTED}:c{n}") for n in (1, 2, 3)]


def test_anki_text_nested_cloze_gives_the_cards_of_the_same_note_in_a_package(tmp_path: Path) -> None:
    # One renderer for both: the text export's note shows what Anki's own Cloze type shows from a package.
    deck = genanki.Deck(2059400110, "Nested")
    deck.add_note(genanki.Note(model=genanki.CLOZE_MODEL, fields=[NESTED, "<i>Extra</i> line"], guid="n1"))
    path = tmp_path / "nested.apkg"
    genanki.Package(deck).write_to_file(str(path))
    packaged = import_file(path.read_bytes(), "nested.apkg").deck.cards
    text = import_file(f"#separator:tab\n#html:true\n{NESTED}\t<i>Extra</i> line\n".encode(), "n.txt").deck.cards
    assert [(c.front, c.back) for c in text] == [(c.front, c.back) for c in packaged]
    assert len(text) == 3


def test_anki_text_plain_nested_cloze_keeps_its_characters_and_lines() -> None:
    data = '#separator:tab\n#html:false\n"a < b {{c1::x {{c2::y::hint}}}} &amp;\nnext"\tnote\n'.encode()
    cards = import_file(data, "plain-cloze.txt").deck.cards
    assert [(c.front, c.back) for c in cards] == [
        ("a < b […] &\nnext", "a < b **x y** &\nnext\nnote"),
        ("a < b x [hint] &\nnext", "a < b x **y** &\nnext\nnote"),
    ]


# --- Quizlet and CSV ------------------------------------------------------------------------------------------------


def test_quizlet_tab_and_quoted_comma_exports_give_the_same_cards() -> None:
    # The two readers of Quizlet's export split rows differently and share the rest: ids, skips, the deck.
    tab = "mitochondria\tpowerhouse, of the cell\nno separator here\nribosome\tmakes proteins\n"
    comma = 'mitochondria,"powerhouse, of the cell"\nno separator here\nribosome,makes proteins\n'
    by_tab, by_comma = (import_file(text.encode(), "bio.txt", fmt="quizlet") for text in (tab, comma))
    assert by_tab.deck.cards == by_comma.deck.cards
    assert [(c.front, c.back) for c in by_comma.deck.cards] == [
        ("mitochondria", "powerhouse, of the cell"), ("ribosome", "makes proteins")]
    assert by_tab.skipped == [("row 2", "no tab between term and definition")]
    assert by_comma.skipped == [("row 2", "no comma between term and definition")]
    assert by_tab.imported == by_comma.imported == 2 and by_tab.deck.tags == by_comma.deck.tags == ("quizlet",)


def test_quizlet_default_separators() -> None:
    text = "mitochondria\tpowerhouse of the cell\r\nribosome\tmakes proteins, from RNA\n\nbroken row\n"
    result = import_file(text.encode(), "bio.txt")
    assert result.format == "quizlet"
    assert [(c.front, c.back) for c in result.deck.cards] == [
        ("mitochondria", "powerhouse of the cell"), ("ribosome", "makes proteins, from RNA")]
    assert result.skipped == [("row 4", "no tab between term and definition")]


def test_quizlet_custom_separators() -> None:
    text = "chat - cat;;chien - dog;;oiseau - bird - a flyer"
    deck = import_file(text.encode(), "fr.txt", fmt="quizlet", term_sep=" - ", row_sep=";;").deck
    assert [(c.front, c.back) for c in deck.cards] == [("chat", "cat"), ("chien", "dog"),
                                                       ("oiseau", "bird - a flyer")]
    deck = import_file(b"un,one;deux,two", "n.txt", fmt="quizlet", term_sep="comma", row_sep="semicolon").deck
    assert [c.back for c in deck.cards] == ["one", "two"]


@pytest.mark.parametrize("header", ["front,back", "Question,Answer", "term,definition"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_csv_headers_and_bom(header: str, bom: bytes) -> None:
    text = f'{header},level\nWhat is 2+2?,4,beginner\n"A, with comma","multi\nline",advanced\n'
    deck = import_file(bom + text.encode(), "maths.csv").deck
    assert [(c.front, c.back, c.level) for c in deck.cards] == [
        ("What is 2+2?", "4", "beginner"), ("A, with comma", "multi\nline", "advanced")]


def test_csv_semicolons_and_bad_rows() -> None:
    result = import_file("front;back\nyes;no\n;empty front\nbad level;x\n".encode(), "s.csv")
    assert [(c.front, c.back) for c in result.deck.cards] == [("yes", "no"), ("bad level", "x")]
    assert result.skipped == [("row 3", "the front is empty")]


def test_csv_without_a_header() -> None:
    result = import_file(b"cat,chat\ndog,chien\n", "words.csv")
    assert [(c.front, c.back) for c in result.deck.cards] == [("cat", "chat"), ("dog", "chien")]


# --- Any format -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"title: T\ncards:\n- front: a\n  back: b\n", "deck.yaml", "recall"),
        (RED.encode(), "trivia.yaml", "red"),
        (b"Question?:\n- answer\n", "trivia.txt", "red"),
        (b"PK\x03\x04rest", "x.bin", "anki"),
        (b"#separator:tab\na\tb\n", "notes.txt", "anki-text"),
        (b"a\tb\n", "set.txt", "quizlet"),
        (b"front,back\na,b\n", "cards.txt", "csv"),
        (b"anything", "cards.csv", "csv"),
    ],
)
def test_detect_format(data: bytes, name: str, expected: str) -> None:
    assert detect_format(data, name) == expected
    assert expected in FORMATS


@pytest.mark.parametrize(("data", "match"), [(b"", "empty"), (b"  \n\n", "empty"),
                                             (b"just some prose here\n", "cannot tell"),
                                             (b"\x00\x01\x02binary", "cannot tell")])
def test_unknown_or_empty_files(data: bytes, match: str) -> None:
    with pytest.raises(ImportFailed, match=match):
        import_file(data, "mystery.dat")


def test_not_utf8() -> None:
    with pytest.raises(ImportFailed, match="not UTF-8"):
        import_file("front,back\ncafé,coffee\n".encode("latin-1"), "x.csv")


def test_limits() -> None:
    rows = "front,back\n" + "".join(f"q{i},a{i}\n" for i in range(30))
    with pytest.raises(ImportFailed, match="more than 20 items"):
        import_file(rows.encode(), "big.csv", limits=limits(max_items=20))
    with pytest.raises(ImportFailed, match="is 231 bytes; the limit is 10 bytes"):
        import_file(rows.encode(), "big.csv", limits=limits(max_bytes=10))
    with pytest.raises(ImportFailed, match="unknown format|Unknown format"):
        import_file(rows.encode(), "big.csv", fmt="docx")


def test_recall_yaml_upload_problems_are_listed() -> None:
    text = b"title: T\nquiz:\n- question: Q?\n  choices: [a, b]\n  answer: c\n  colour: red\n"
    with pytest.raises(ImportFailed) as caught:
        import_file(text, "mine.yaml")
    assert len(caught.value.problems) == 2
    assert any("mine.yaml:5" in p and "answer" in p for p in caught.value.problems)


def test_deck_id_comes_from_the_file_name() -> None:
    assert slugify("My Deck (v2)") == "my-deck-v2"
    assert slugify("???") == "imported-deck"
    assert len(slugify("x" * 90)) == 40


def test_every_import_passes_the_deck_loader() -> None:
    for data, name in [(RED.encode(), "r.yaml"), (make_apkg("anki21b"), "a.apkg"), (ANKI_TEXT.encode(), "t.txt"),
                       (b"front,back\nyes,1e3\n", "c.csv")]:
        deck = import_file(data, name).deck
        again = parse_deck(deck_to_yaml(deck), deck_id=deck.id, source=deck.source)
        assert again == deck


# --- HTML and cloze -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("<b>bold</b> and <i>it</i>", "**bold** and *it*"),
        ("line<br>next<br/>last", "line\nnext\nlast"),
        ("<div>one</div><div>two</div>", "one\ntwo"),
        ("<ul><li>a</li><li>b</li></ul>", "- a\n- b"),
        ('<a href="https://x.org">site</a>', "[site](https://x.org)"),
        ("&lt;tag&gt; &amp; &nbsp;x", "<tag> & x"),
        ("<span style='color:red'>red</span>", "red"),
        ("<b></b>empty", "empty"),
        ("<code>x = 1</code>", "`x = 1`"),
    ],
)
def test_html_to_markdown(html: str, markdown: str) -> None:
    assert html_to_markdown(html).text == markdown


def test_html_media_counted() -> None:
    converted = html_to_markdown('<img src="a.png"> text [sound:b.mp3]')
    assert converted.text == "text" and converted.media == 2


# --- Writing decks --------------------------------------------------------------------------------------------------

tricky = st.sampled_from(["yes", "No", "on", "null", "~", "1e3", "0.10", "- dash", "key: value", "# hash",
                          "'quoted'", '"dq"', "multi\nline", "tab\there", "émoji 🎉", "[list]", "{map}", "*star*",
                          "@at", "%pct", "!bang", "a  b", "| pipe", "> gt", "x" * 70])
text = st.one_of(tricky, st.text(alphabet=string.printable, min_size=1, max_size=40).map(str.strip)
                 .filter(bool).filter(lambda s: "\x0b" not in s and "\x0c" not in s and "\r" not in s))


@st.composite
def decks(draw: st.DrawFn) -> Deck:
    n = draw(st.integers(1, 4))
    cards = tuple(Card(id=f"c{i}", front=draw(text), back=draw(text),
                       level=draw(st.sampled_from(["beginner", "intermediate", "advanced"]))) for i in range(n))
    choices = draw(st.lists(text.filter(lambda s: len(s) <= 80), min_size=2, max_size=5, unique=True))
    quiz = (QuizQuestion(id="q0", question=draw(text), choices=tuple(choices), answer=choices[0],
                         explanation=draw(st.one_of(st.just(""), text))),)
    explain = (ExplainPrompt(id="e0", prompt=draw(text), concepts=(Concept(draw(text), (draw(text), draw(text))),),
                             hint=draw(st.one_of(st.just(""), text)), answer=draw(text), level="advanced"),)
    return Deck(id="d", title=draw(text), description=draw(st.one_of(st.just(""), text)),
                tags=tuple(draw(st.lists(text.filter(lambda s: len(s) <= 40), max_size=3, unique=True))),
                author=draw(st.one_of(st.just(""), text)), source="s", cards=cards, quiz=quiz, explain=explain)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(deck=decks())
def test_deck_to_yaml_round_trips(deck: Deck) -> None:
    assert parse_deck(deck_to_yaml(deck), deck_id="d", source="s") == deck


def test_shipped_decks_round_trip() -> None:
    result = load_deck_dir(REPO / "decks")
    assert result.decks and not result.problems
    for deck in result.decks.values():
        assert parse_deck(deck_to_yaml(deck), deck_id=deck.id, source=deck.source) == deck


def test_image_card_round_trips() -> None:
    deck = Deck(id="d", title="T", source="s", cards=(Card(id="c", front="", back="cat",
                                                            image="https://example.com/cat.png"),))
    assert parse_deck(deck_to_yaml(deck), deck_id="d", source="s") == deck


# --- The import command ---------------------------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`python -m bot import ARGS` as the lead wires it: add_import_parser, then main_import(args)."""
    parser = argparse.ArgumentParser(prog="python -m bot")
    add_import_parser(parser.add_subparsers(dest="command"))
    code = main_import(parser.parse_args(["import", *args]))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_writes_a_deck_the_loader_accepts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "Lang Notes.apkg"
    source.write_bytes(make_apkg("anki21b"))
    target = tmp_path / "decks" / "languages.yaml"
    code, out, err = run_cli(capsys, str(source), "-o", str(target))
    assert code == 0, err
    deck = load_deck_file(target)
    assert deck.id == "languages" and deck.title == "Languages / Test deck"
    assert "Imported 4 entries into Languages / Test deck" in out and "media" in out
    assert f"Wrote {target}" in out
    assert err == ""  # a small file draws no progress bar


def test_cli_progress_bar_for_large_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "big.csv"
    rows = "".join(f"Question number {i} with some padding text?,Answer number {i} with padding\n" for i in range(4000))
    source.write_text("front,back\n" + rows, encoding="utf-8")
    code, out, err = run_cli(capsys, str(source), "-o", str(tmp_path / "big.yaml"))
    assert code == 0
    assert "[" + "#" * 30 + "] 100% 4000/4000" in err
    assert "Imported 4000 entries" in out


def test_cli_usage_and_import_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "words.csv"
    source.write_text("cat\ndog\n", encoding="utf-8")
    assert run_cli(capsys, str(tmp_path / "missing.csv"))[0] == 2
    code, _, err = run_cli(capsys, str(source), "-o", str(tmp_path / "Bad Name.yaml"))
    assert code == 2 and "bad-name.yaml" in err
    code, _, err = run_cli(capsys, str(source), "-o", str(tmp_path / "words.yaml"))
    assert code == 1 and "one column" in err
    assert not (tmp_path / "words.yaml").exists()
    source.write_text("front,back\ncat,chat\n", encoding="utf-8")
    assert run_cli(capsys, str(source), "-o", str(tmp_path / "words.yaml"))[0] == 0
    code, _, err = run_cli(capsys, str(source), "-o", str(tmp_path / "words.yaml"))
    assert code == 2 and "--force" in err
    assert run_cli(capsys, str(source), "-o", str(tmp_path / "words.yaml"), "--force")[0] == 0


def test_cli_quizlet_separators(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "fr.txt"
    source.write_text("chat=cat|chien=dog", encoding="utf-8")
    code, _, err = run_cli(capsys, str(source), "-f", "quizlet", "--term-sep", "=", "--row-sep", "|",
                           "-o", str(tmp_path / "fr.yaml"))
    assert code == 0, err
    assert [c.back for c in parse_deck((tmp_path / "fr.yaml").read_text(), deck_id="fr", source="fr").cards] == [
        "cat", "dog"]
