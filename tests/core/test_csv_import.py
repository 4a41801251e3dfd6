"""CSV files as people make them (headers in several languages, semicolons, CRLF, a BOM, quoted line breaks, no
header, vocabulary columns) and Anki's text exports with `#` lines: each test checks the cards' fronts and backs."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.importers import CsvOptions, ImportFailed, import_file
from bot.core.importers.csv_import import sniff_dialect
from bot.core.importers.detect import detect_format, separator_text
from tests.core.test_hostile_inputs import finishes, repeat

BOM = "\ufeff"


def sides(data: str | bytes, name: str = "deck.csv", **kwargs: object) -> list[tuple[str, str]]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return [(c.front, c.back) for c in import_file(raw, name, **kwargs).deck.cards]  # type: ignore[arg-type]


# --- Headers in the project's languages ----------------------------------------------------------------------------


@pytest.mark.parametrize("header", [
    "Frage,Antwort", "begriff;uebersetzung", "Begriff;Übersetzung", "Vorderseite\tRückseite", "pregunta,respuesta",
    "recto;verso", "question;réponse", "Question,Reponse", "pergunta,resposta", "表,裏", "質問,答え", "単語,意味",
    "expression,meaning", "Front:,Back:", "TERM,DEFINITION",
])
def test_header_names_in_many_languages(header: str) -> None:
    sep = next(c for c in ",;\t" if c in header)
    text = f"{header}\nHund{sep}dog\nKatze{sep}cat\n"
    assert sides(text, "words.txt") == [("Hund", "dog"), ("Katze", "cat")]
    assert detect_format(text.encode(), "words.txt") == "csv"


def test_german_semicolons_crlf_and_bom() -> None:
    text = BOM + "Frage;Antwort\r\nWie heißt die Hauptstadt?;Berlin\r\n\"Zwei; mit Semikolon\";\"zwei\r\nZeilen\"\r\n"
    assert sides(text) == [("Wie heißt die Hauptstadt?", "Berlin"), ("Zwei; mit Semikolon", "zwei\nZeilen")]


def test_japanese_header_with_quoted_newlines() -> None:
    text = '表,裏\n犬,"dog\n(animal)"\n"猫, ねこ",cat\n'
    assert sides(text, "ja.csv") == [("犬", "dog\n(animal)"), ("猫, ねこ", "cat")]


def test_columns_after_front_and_back_are_left_out_and_named() -> None:
    result = import_file(b"Frage,Antwort,Quelle\nHund,dog,Buch\n", "de.csv")
    assert [(c.front, c.back) for c in result.deck.cards] == [("Hund", "dog")]
    assert result.skipped == [("column 3 (Quelle)", "left out; to add it to the back, choose back 2,3")]
    assert "column 3 (Quelle)" in result.summary()


# --- Vocabulary headers --------------------------------------------------------------------------------------------

VOCAB = "expression,reading,meaning\n食べる,たべる,to eat\n飲む,のむ,to drink\n"


def test_expression_reading_meaning() -> None:
    result = import_file(VOCAB.encode(), "n5.csv")
    assert [(c.front, c.back) for c in result.deck.cards] == [("食べる", "to eat"), ("飲む", "to drink")]
    assert [what for what, _ in result.skipped] == ["column 2 (reading)"]


def test_reading_joins_the_back_only_when_asked() -> None:
    assert sides(VOCAB, "n5.csv", options=CsvOptions(back="meaning,reading")) == [
        ("食べる", "to eat\nたべる"), ("飲む", "to drink\nのむ")]


# --- No header, and columns chosen by the member ----------------------------------------------------------------------


def test_no_header_takes_the_first_two_columns() -> None:
    result = import_file(b"cat,chat\ndog,chien\nbird,oiseau\n", "words.csv")
    assert [(c.front, c.back) for c in result.deck.cards] == [("cat", "chat"), ("dog", "chien"), ("bird", "oiseau")]
    assert result.skipped == []


def test_no_header_option_keeps_a_first_row_that_looks_like_names() -> None:
    text = "front,back\nyes,oui\n"
    assert sides(text) == [("yes", "oui")]
    assert sides(text, options=CsvOptions(no_header=True)) == [("front", "back"), ("yes", "oui")]


def test_unknown_header_of_numbers_is_recognised_as_a_header() -> None:
    assert sides("Aufgabe,Ergebnis\n2+2,4\n3+3,6\n10+1,11\n") == [("2+2", "4"), ("3+3", "6"), ("10+1", "11")]


def test_unknown_header_over_codes_of_one_length_is_recognised_as_a_header() -> None:
    assert sides("Code,Tier\nAB1,Hund\nCD2,Katze\nEF3,Maus\n") == [("AB1", "Hund"), ("CD2", "Katze"), ("EF3", "Maus")]


def test_front_and_back_by_name() -> None:
    text = "id;wort;bedeutung;notiz\n1;Hund;dog;n\n2;Katze;cat;m\n"
    result = import_file(text.encode(), "de.csv", options=CsvOptions(front="Wort", back="bedeutung"))
    assert [(c.front, c.back) for c in result.deck.cards] == [("Hund", "dog"), ("Katze", "cat")]
    assert [what for what, _ in result.skipped] == ["column 1 (id)", "column 4 (notiz)"]


def test_front_and_back_by_number_with_a_joined_back() -> None:
    text = "1;Hund;dog;animal\n2;Katze;cat;pet\n"
    options = CsvOptions(front="2", back="3,4", no_header=True)
    assert sides(text, options=options) == [("Hund", "dog\nanimal"), ("Katze", "cat\npet")]
    assert sides(text, options=CsvOptions(front="3", back="2")) == [("dog", "Hund"), ("cat", "Katze")]


@pytest.mark.parametrize(("options", "match"), [
    (CsvOptions(front="7"), "front column 7 does not exist; the file has 3 columns"),
    (CsvOptions(back="Bedeutung"), "No column is named 'Bedeutung'"),
    (CsvOptions(front="wort", no_header=True), "has no header row; give its number"),
    (CsvOptions(front="2", back="2"), "both the front and the back"),
])
def test_bad_column_choices_say_what_is_wrong(options: CsvOptions, match: str) -> None:
    with pytest.raises(ImportFailed, match=match):
        import_file(b"a,b,c\nHund,dog,x\n", "de.csv", options=options)


def test_one_column_is_refused_with_a_reason() -> None:
    with pytest.raises(ImportFailed, match="one column"):
        import_file(b"just\nwords\nhere\n", "list.csv")


def test_limits_still_hold() -> None:
    from bot.core.importers import ImportLimits

    rows = "".join(f"q{i};a{i}\n" for i in range(30))
    with pytest.raises(ImportFailed, match="more than 20 items"):
        import_file(rows.encode(), "big.csv", limits=ImportLimits(max_items=20))


# --- The dialect -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "name"), [
    ("a,b\nc,d\n", "comma"), ("a;b\nc;d\n", "semicolon"), ("a\tb\nc\td\n", "tab"), ("a|b\nc|d\n", "pipe"),
    # A comma inside every quoted field must not outvote the semicolons between them.
    ('"x, y";"z, w"\n"p, q";"r, s"\n', "semicolon"),
    ("front;back\r\nein, zwei;one, two\r\ndrei;three\r\n", "semicolon"),
])
def test_dialect(text: str, name: str) -> None:
    assert sniff_dialect(text).name == name
    assert separator_text(text, "csv") == f"Columns separated by {name}."


# --- Anki text exports ---------------------------------------------------------------------------------------------


def test_commented_anki_text_file() -> None:
    text = ("# Exported from my phone\n#separator:Semicolon\n# a comment between settings\n#html:true\n"
            "#columns:Front;Back;Tags\n"
            "What is <b>H2O</b>?;Water;chemistry\n"
            "# a comment among the rows\n"
            '"Two\n# not a comment: inside quotes";Answer;\n')
    assert detect_format(text.encode(), "notes.txt") == "anki-text"
    result = import_file(text.encode(), "notes.txt")
    assert result.format == "anki-text"
    assert [(c.front, c.back) for c in result.deck.cards] == [
        ("What is **H2O**?", "Water"), ("Two # not a comment: inside quotes", "Answer")]  # (HTML: a space)
    assert "chemistry" in result.deck.tags  # the Tags column named by #columns: holds tags, not card text
    assert separator_text(text, "anki-text") == "Fields separated by semicolon (from `#separator:`)."


def test_plain_comments_above_tab_rows() -> None:
    text = "# my vocabulary\n# exported 2024\nHund\tdog\nKatze\tcat\n"
    assert detect_format(text.encode(), "words.txt") == "anki-text"
    assert sides(text, "words.txt") == [("Hund", "dog"), ("Katze", "cat")]


def test_headerless_anki_text_form() -> None:
    # Anki's older "Notes in Plain Text": tab-separated fields with Anki's HTML, quoted when they hold a tab.
    text = 'Hund<br>(der)\tdog\nKatze\t"cat\tfeline"\n'
    assert detect_format(text.encode(), "notes.txt") == "anki-text"
    result = import_file(text.encode(), "notes.txt")
    assert result.format == "anki-text"
    assert [(c.front, c.back) for c in result.deck.cards] == [("Hund\n(der)", "dog"), ("Katze", "cat feline")]


def test_quizlet_tab_export_stays_quizlet() -> None:
    assert detect_format(b"chat\tcat\nchien\tdog\n", "set.txt") == "quizlet"


def test_yaml_starting_with_a_comment_is_not_anki_text() -> None:
    assert detect_format(b"# my trivia, 2024\nWhat is 2+2?:\n- 4\n", "trivia.txt") == "red"


def test_quizlet_comma_export_honours_quoting() -> None:
    text = ('chat,"cat, the animal"\n"chien, le",dog\n"oiseau","a bird\nthat flies"\n'
            "ribosome,makes proteins, from RNA\nno comma here\n")
    for term_sep in ("comma", None):  # chosen, or Quizlet's rule: no tab in the file means commas
        result = import_file(text.encode(), "set.txt", fmt="quizlet", term_sep=term_sep)
        assert [(c.front, c.back) for c in result.deck.cards] == [
            ("chat", "cat, the animal"), ("chien, le", "dog"), ("oiseau", "a bird\nthat flies"),
            ("ribosome", "makes proteins, from RNA")]
        assert result.format == "quizlet" and result.skipped == [("row 6", "no comma between term and definition")]


# --- Hostile text ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "unit"), [("quotes.csv", ',"'), ("semis.csv", ';"\n'), ("tabs.txt", '\t"')])
def test_the_sniffer_sees_only_a_few_kb_of_unclosed_quotes(tmp_path: Path, name: str, unit: str) -> None:
    # csv.Sniffer's `".*?"` patterns are quadratic on unclosed quotes: over 2 MB they would run for hours.
    finishes(tmp_path, "bot.core.importers:import_file", repeat(unit).encode(), name)


def test_column_choices_read_a_headerless_tab_file_as_csv() -> None:
    text = b"Hund\tdog\tanimal\nKatze\tcat\tpet\n"
    assert detect_format(text, "words.txt") == "quizlet"
    result = import_file(text, "words.txt", options=CsvOptions(front="2", back="1"))
    assert result.format == "csv"
    assert [(c.front, c.back) for c in result.deck.cards] == [("dog", "Hund"), ("cat", "Katze")]


def test_column_choices_on_another_format_are_refused() -> None:
    with pytest.raises(ImportFailed, match="choose a CSV file's columns, but `notes.txt` is read as Anki notes"):
        import_file(b"#separator:tab\na\tb\n", "notes.txt", options=CsvOptions(front="2"))
    with pytest.raises(ImportFailed, match="is read as Quizlet export"):
        import_file(b"a\tb\n", "set.txt", fmt="quizlet", options=CsvOptions(no_header=True))
