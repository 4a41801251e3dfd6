"""Deck loading and validation: shipped decks, broken fixtures with exact messages, ids, limits, safety."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import decks as decks_module
from bot.core.decks import (
    LEVELS,
    MAX_CHOICE,
    MAX_ITEMS,
    MAX_QUESTION,
    Deck,
    DeckError,
    DeckProblem,
    derived_item_id,
    display_path,
    load_deck_dir,
    load_deck_file,
    parse_deck,
)
from bot.core.importers import deck_to_yaml

ROOT = Path(__file__).resolve().parents[2]
DECKS = ROOT / "decks"
FIXTURES = Path("tests/fixtures/decks")  # relative to ROOT, so messages read like a user's

SHIPPED = sorted(p for p in DECKS.iterdir() if p.suffix in (".yaml", ".yml"))


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def problems_of(text: str, deck_id: str = "test") -> list[str]:
    with pytest.raises(DeckError) as info:
        parse_deck(text, deck_id=deck_id, source="t.yaml")
    return [str(p) for p in info.value.problems]


def quiz_deck(*questions: str) -> str:
    return "title: T\nquiz:\n" + "".join(questions)


def question(text: str, choices: str, answer: str, extra: str = "") -> str:
    return f"  - question: {text}\n    choices: {choices}\n    answer: {answer}\n{extra}"


# --- Shipped decks -----------------------------------------------------------------------------------------------


def test_there_is_at_least_one_shipped_deck() -> None:
    assert SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_deck_loads_without_problems(path: Path) -> None:
    deck = load_deck_file(path)
    assert deck.id == path.stem
    assert deck.item_count > 0


def test_shipped_folder_loads_as_a_whole() -> None:
    result = load_deck_dir(DECKS)
    assert result.problems == []
    assert set(result.decks) == {p.stem for p in SHIPPED}


def test_lr_scheduler_deck_carries_the_whole_page() -> None:
    deck = load_deck_file(DECKS / "pytorch-lr-schedulers.yaml")
    assert deck.title == "Learning rate schedulers in PyTorch"
    assert (len(deck.cards), len(deck.quiz), len(deck.explain)) == (5, 5, 2)
    assert [c.level for c in deck.cards] == ["beginner", "beginner", "intermediate", "intermediate", "beginner"]
    assert deck.cards[0].front == "What is a learning rate scheduler in PyTorch?"
    assert all(len(q.choices) == 4 and q.answer in q.choices and q.explanation for q in deck.quiz)
    assert deck.question("scheduler-on-validation-loss").answer == "ReduceLROnPlateau"  # type: ignore[union-attr]
    for prompt in deck.explain:
        assert len(prompt.concepts) == 4
        assert prompt.hint and prompt.answer
        assert all(len(concept.keywords) >= 3 for concept in prompt.concepts)


def test_shipped_items_have_readable_ids() -> None:
    derived = re.compile(r"[cqe]-[0-9a-f]{10}")
    for path in SHIPPED:
        deck = load_deck_file(path)
        ids = [item.id for item in (*deck.cards, *deck.quiz, *deck.explain)]
        assert not any(derived.fullmatch(i) for i in ids), path.name


def test_shipped_decks_point_editors_at_the_schema() -> None:
    for path in SHIPPED:
        first_line = path.read_text(encoding="utf-8").splitlines()[0]
        assert first_line == "# yaml-language-server: $schema=deck.schema.json"


# --- Broken fixtures: the exact file:line:field message ------------------------------------------------------------

BROKEN = {
    "unknown-key.yaml": [
        'tests/fixtures/decks/unknown-key.yaml:6: quiz[0].explanaton: unknown key, did you mean "explanation"? '
        "(allowed: id, question, choices, answer, explanation, level)",
    ],
    "missing-title.yaml": ["tests/fixtures/decks/missing-title.yaml:1: title: is required"],
    "answer-not-in-choices.yaml": [
        'tests/fixtures/decks/answer-not-in-choices.yaml:13: quiz[2].answer: "Step LR" is not one of the choices',
    ],
    "too-few-choices.yaml": [
        "tests/fixtures/decks/too-few-choices.yaml:4: quiz[0].choices: needs 2 to 10 choices, found 1",
    ],
    "duplicate-id.yaml": [
        'tests/fixtures/decks/duplicate-id.yaml:7: quiz[0].id: "steplr" is already used by cards[0] (line 3)',
    ],
    "duplicate-derived-id.yaml": [
        "tests/fixtures/decks/duplicate-derived-id.yaml:6: quiz[1]: has the same question as quiz[0] (line 3), "
        f'so both get the id "{derived_item_id("q-", "Which scheduler lowers the rate after fixed steps?")}"; '
        "give one of them an id:",
    ],
    "bad-level.yaml": [
        'tests/fixtures/decks/bad-level.yaml:5: cards[0].level: "expert" is not one of beginner, intermediate, '
        "advanced",
    ],
    "long-choice.yaml": [
        "tests/fixtures/decks/long-choice.yaml:5: quiz[0].choices[0]: is 95 characters long; the limit is 80",
    ],
    "python-tag.yaml": [
        "tests/fixtures/decks/python-tag.yaml:3: cards[0].front: tag !!python/object/apply:os.system is not "
        "allowed: decks are plain YAML",
    ],
    "implicit-boolean.yaml": [
        'tests/fixtures/decks/implicit-boolean.yaml:5: quiz[0].answer: "yes" is not one of the choices '
        '(did you mean "Yes"?)',
    ],
    "syntax-error.yaml": [
        "tests/fixtures/decks/syntax-error.yaml:5: YAML syntax error: did not find expected '-' indicator "
        "(while parsing a block collection on line 3)",
    ],
    "empty-deck.yaml": ["tests/fixtures/decks/empty-deck.yaml:1: needs at least one item in cards, quiz or explain"],
    "choices-string.yaml": ["tests/fixtures/decks/choices-string.yaml:4: quiz[0].choices: must be a list, got text"],
    "duplicate-key.yaml": ["tests/fixtures/decks/duplicate-key.yaml:5: cards[0].back: appears twice (first on line 4)"],
    "blank-text.yaml": [
        "tests/fixtures/decks/blank-text.yaml:1: title: must not be empty",
        "tests/fixtures/decks/blank-text.yaml:4: explain[0].hint: must not be empty",
        "tests/fixtures/decks/blank-text.yaml:7: explain[0].concepts[0].keywords: needs at least one keyword",
    ],
}


def test_every_fixture_has_an_expectation() -> None:
    assert {p.name for p in (ROOT / FIXTURES).glob("*.yaml")} == set(BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_fixture_gives_exact_messages(name: str) -> None:
    with pytest.raises(DeckError) as info:
        load_deck_file(FIXTURES / name)
    assert [str(p) for p in info.value.problems] == BROKEN[name]
    assert str(info.value) == "\n".join(BROKEN[name])


def test_fixture_folder_reports_every_broken_deck_and_loads_none() -> None:
    result = load_deck_dir(FIXTURES)
    assert result.decks == {}
    assert [str(p) for p in result.problems] == [m for name in sorted(BROKEN) for m in BROKEN[name]]


def test_absolute_path_inside_working_folder_is_shown_relative() -> None:
    with pytest.raises(DeckError) as info:
        load_deck_file(ROOT / FIXTURES / "bad-level.yaml")
    assert info.value.problems[0].path == "tests/fixtures/decks/bad-level.yaml"


# --- All problems, not the first ----------------------------------------------------------------------------------


def test_every_problem_of_a_deck_is_reported_in_line_order() -> None:
    text = (
        "title: T\n"                                  # 1
        "colour: red\n"                               # 2
        "cards:\n"                                    # 3
        "  - front: F\n"                              # 4
        "    level: Advanced\n"                       # 5
        "quiz:\n"                                     # 6
        "  - question: Q\n"                           # 7
        "    choices: [a, b, a]\n"                    # 8
        "    answer: c\n"                             # 9
    )
    assert problems_of(text) == [
        't.yaml:2: colour: unknown key (allowed: $schema, title, description, tags, author, language, cards, quiz, explain)',
        "t.yaml:4: cards[0].back: is required",
        't.yaml:5: cards[0].level: "Advanced" is not one of beginner, intermediate, advanced',
        't.yaml:8: quiz[0].choices[2]: "a" is repeated (first on line 8)',
        't.yaml:9: quiz[0].answer: "c" is not one of the choices',
    ]


def test_problem_without_line_or_field_reads_cleanly() -> None:
    assert str(DeckProblem("decks/x.yaml", None, "", "file not found")) == "decks/x.yaml: file not found"
    assert str(DeckProblem("decks/x.yaml", 3, "title", "is required")) == "decks/x.yaml:3: title: is required"


# --- YAML safety and text fidelity ----------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "true", "false", "y", "n", "null", "Yes", "NO", "True"])
def test_implicit_booleans_and_null_words_stay_text(word: str) -> None:
    other = "maybe"
    deck = parse_deck(quiz_deck(question("Is it?", f"[{word}, {other}]", word)), deck_id="t", source="t")
    assert deck.quiz[0].choices == (word, other)
    assert deck.quiz[0].answer == word


@pytest.mark.parametrize("written", ["0.10", "1e3", "010", "0x1F", "2024-01-01", "1_000", ".inf", "12:30:00"])
def test_numbers_and_dates_keep_their_written_form(written: str) -> None:
    deck = parse_deck(quiz_deck(question("Which?", f"[{written}, other]", written)), deck_id="t", source="t")
    assert deck.quiz[0].answer == written


def test_explicit_core_tags_are_read_as_text() -> None:
    deck = parse_deck(quiz_deck(question("Which?", "[!!str 1, !!int 2]", "!!int 2")), deck_id="t", source="t")
    assert deck.quiz[0].choices == ("1", "2")


@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!!python/name:os.system", "!custom", "!!binary"])
def test_unsafe_or_unknown_tags_are_refused(tag: str) -> None:
    text = f"title: T\ncards:\n  - front: {tag} x\n    back: B\n"
    assert problems_of(text) == [f"t.yaml:3: cards[0].front: tag {tag} is not allowed: decks are plain YAML"]


def test_unsafe_tag_inside_an_unknown_key_is_still_refused() -> None:
    text = "title: T\nextra:\n  deep: [!!python/object/new:os.system [x]]\ncards:\n  - {front: F, back: B}\n"
    problems = problems_of(text)
    assert problems[0].startswith("t.yaml:2: extra: unknown key")
    assert problems[1] == "t.yaml:3: extra: tag !!python/object/new:os.system is not allowed: decks are plain YAML"


def test_recursive_alias_does_not_hang() -> None:
    text = "title: T\nloop: &a [*a]\ncards:\n  - front: F\n    back: B\n    level: &l [*l]\n"
    assert problems_of(text) == [
        "t.yaml:2: loop: unknown key (allowed: $schema, title, description, tags, author, language, cards, quiz, explain)",
        "t.yaml:6: cards[0].level: must be text, got a list",
    ]


def test_aliases_may_reuse_a_keyword_list() -> None:
    text = (
        "title: T\nexplain:\n"
        "  - prompt: P1\n    concepts:\n      - {name: Speed, keywords: &speed [fast, quick]}\n"
        "  - prompt: P2\n    concepts:\n      - {name: Speed, keywords: *speed}\n"
    )
    deck = parse_deck(text, deck_id="t", source="t")
    assert deck.explain[1].concepts[0].keywords == ("fast", "quick")


def test_more_than_one_document_is_a_syntax_error() -> None:
    problems = problems_of("title: A\n---\ntitle: B\n")
    assert problems[0].startswith("t.yaml:2: YAML syntax error:")


def test_empty_file_is_reported() -> None:
    assert problems_of("# only a comment\n") == [
        "t.yaml:1: the file is empty: a deck needs a title and at least one item"
    ]


def test_deck_must_be_a_mapping() -> None:
    assert problems_of("- a\n- b\n") == [
        "t.yaml:1: must be a deck (title, cards, quiz, explain), got a list"
    ]


def test_text_is_stripped_and_block_scalars_work() -> None:
    text = "title: '  Spaced  '\ncards:\n  - front: |\n      Line one\n      Line two\n    back: '  B  '\n"
    deck = parse_deck(text, deck_id="t", source="t")
    assert deck.title == "Spaced"
    assert deck.cards[0].front == "Line one\nLine two"
    assert deck.cards[0].back == "B"


def test_schema_key_and_optional_fields_are_accepted() -> None:
    text = (
        "$schema: deck.schema.json\ntitle: T\ndescription: D\nauthor: A\ntags: [x, y, x]\n"
        "cards:\n  - {front: F, back: B}\n"
    )
    deck = parse_deck(text, deck_id="t", source="decks/t.yaml")
    assert (deck.description, deck.author, deck.tags, deck.source) == ("D", "A", ("x", "y"), "decks/t.yaml")


def test_sections_left_empty_read_as_empty_lists() -> None:
    deck = parse_deck("title: T\ncards:\nquiz:\nexplain:\n  - prompt: P\n    concepts: [{name: N, keywords: [k]}]\n",
                      deck_id="t", source="t")
    assert (deck.cards, deck.quiz, len(deck.explain)) == ((), (), 1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=MAX_CHOICE).map(str.strip).filter(bool),
                min_size=2, max_size=10, unique=True))
def test_any_quoted_choice_text_round_trips(choices: list[str]) -> None:
    # JSON strings are valid YAML double-quoted scalars, so this writes arbitrary text safely.
    listed = "[" + ", ".join(json.dumps(c) for c in choices) + "]"
    text = quiz_deck(question("Q", listed, json.dumps(choices[-1])))
    try:
        deck = parse_deck(text, deck_id="t", source="t")
    except DeckError as exc:  # only characters YAML itself forbids may fail, and then as a syntax error
        assert all("YAML syntax error" in p.message for p in exc.problems), exc
        return
    assert deck.quiz[0].choices == tuple(choices)
    assert deck.quiz[0].answer == choices[-1]


# --- Ids --------------------------------------------------------------------------------------------------------


def test_derived_ids_come_from_the_items_own_text() -> None:
    text = (
        "title: T\ncards:\n  - {front: F1, back: B1}\n"
        "quiz:\n" + question("Q1", "[a, b]", "a")
        + "explain:\n  - prompt: P1\n    concepts: [{name: N, keywords: [k]}]\n"
    )
    deck = parse_deck(text, deck_id="t", source="t")
    assert deck.cards[0].id == "c-" + hashlib.sha1(b"F1").hexdigest()[:10]
    assert deck.quiz[0].id == "q-" + hashlib.sha1(b"Q1").hexdigest()[:10]
    assert deck.explain[0].id == "e-" + hashlib.sha1(b"P1").hexdigest()[:10]


def test_reordering_or_editing_other_items_keeps_ids() -> None:
    first = question("Q1", "[a, b]", "a")
    second = question("Q2", "[c, d]", "c")
    before = parse_deck(quiz_deck(first, second), deck_id="t", source="t")
    edited = question("Q2 changed", "[c, d, e]", "e")
    after = parse_deck(quiz_deck(edited, first), deck_id="t", source="t")
    assert after.question(before.quiz[0].id) is not None
    assert after.quiz[1].id == before.quiz[0].id
    assert after.quiz[0].id != before.quiz[1].id


def test_explicit_id_wins_and_allows_same_text() -> None:
    deck = parse_deck(quiz_deck(question("Q", "[a, b]", "a"), question("Q", "[a, b]", "b", "    id: q-other\n")),
                      deck_id="t", source="t")
    assert deck.quiz[1].id == "q-other"
    assert deck.quiz[0].id == derived_item_id("q-", "Q")


@pytest.mark.parametrize("bad", ["Has Caps", "spa ce", "a" * 41, "ünï"])
def test_explicit_id_must_be_a_slug(bad: str) -> None:
    problems = problems_of(quiz_deck(question("Q", "[a, b]", "a", f"    id: {bad}\n")))
    assert len(problems) == 1 and problems[0].startswith("t.yaml:6: quiz[0].id:")


@pytest.mark.parametrize("deck_id", ["Bad Name", "a.b", "", "x" * 41])
def test_deck_id_must_be_a_slug(deck_id: str) -> None:
    problems = problems_of("title: T\ncards: [{front: F, back: B}]\n", deck_id=deck_id)
    assert problems == [f't.yaml: deck id "{deck_id}" must be 1 to 40 lowercase letters, digits, - or _ '
                        "(it comes from the file name)"]


# --- Limits and shapes --------------------------------------------------------------------------------------------


def test_question_length_limit_is_inclusive() -> None:
    ok = parse_deck(quiz_deck(question("q" * MAX_QUESTION, "[a, b]", "a")), deck_id="t", source="t")
    assert len(ok.quiz[0].question) == MAX_QUESTION
    assert problems_of(quiz_deck(question("q" * (MAX_QUESTION + 1), "[a, b]", "a"))) == [
        f"t.yaml:3: quiz[0].question: is {MAX_QUESTION + 1} characters long; the limit is {MAX_QUESTION}"
    ]


def test_ten_choices_pass_and_eleven_fail() -> None:
    ten = "[" + ", ".join(f"c{i}" for i in range(10)) + "]"
    assert len(parse_deck(quiz_deck(question("Q", ten, "c0")), deck_id="t", source="t").quiz[0].choices) == 10
    eleven = "[" + ", ".join(f"c{i}" for i in range(11)) + "]"
    assert problems_of(quiz_deck(question("Q", eleven, "c0"))) == [
        "t.yaml:4: quiz[0].choices: needs 2 to 10 choices, found 11"
    ]


def test_missing_quiz_fields_are_each_named() -> None:
    assert problems_of("title: T\nquiz:\n  - explanation: E\n") == [
        "t.yaml:3: quiz[0].question: is required",
        "t.yaml:3: quiz[0].choices: is required",
        "t.yaml:3: quiz[0].answer: is required",
    ]


def test_explain_concept_limits() -> None:
    eleven = "".join(f"      - {{name: N{i}, keywords: [k]}}\n" for i in range(11))
    text = "title: T\nexplain:\n  - prompt: P\n    concepts:\n" + eleven
    assert problems_of(text) == ["t.yaml:4: explain[0].concepts: needs 1 to 10 concepts, found 11"]
    assert problems_of("title: T\nexplain:\n  - prompt: P\n    concepts: []\n") == [
        "t.yaml:4: explain[0].concepts: needs 1 to 10 concepts, found 0"
    ]
    assert problems_of("title: T\nexplain:\n  - prompt: P\n    concepts:\n      - name: N\n") == [
        "t.yaml:5: explain[0].concepts[0].keywords: is required"
    ]


def test_tag_limits() -> None:
    many = "[" + ", ".join(f"t{i}" for i in range(21)) + "]"
    assert problems_of(f"title: T\ntags: {many}\ncards: [{{front: F, back: B}}]\n") == [
        "t.yaml:2: tags: has 21 tags; the limit is 20"
    ]
    assert problems_of(f"title: T\ntags: [{'x' * 41}]\ncards: [{{front: F, back: B}}]\n") == [
        "t.yaml:2: tags[0]: is 41 characters long; the limit is 40"
    ]


def test_item_count_limit() -> None:
    cards = "".join(f"  - {{front: F{i}, back: B}}\n" for i in range(MAX_ITEMS + 1))
    assert problems_of("title: T\ncards:\n" + cards) == [f"t.yaml:1: has {MAX_ITEMS + 1} items; the limit is {MAX_ITEMS}"]


def test_levels_default_to_beginner_and_accept_every_level() -> None:
    cards = "".join(f"  - {{front: F{lv}, back: B, level: {lv}}}\n" for lv in LEVELS) + "  - {front: F, back: B}\n"
    deck = parse_deck("title: T\ncards:\n" + cards, deck_id="t", source="t")
    assert [c.level for c in deck.cards] == [*LEVELS, "beginner"]


def test_image_card_may_leave_out_its_front() -> None:
    deck = parse_deck("title: T\ncards:\n  - {image: 'https://example.org/a.png', back: B}\n", deck_id="t",
                      source="t")
    card = deck.cards[0]
    assert (card.front, card.image, card.id) == ("", "https://example.org/a.png",
                                                  derived_item_id("c-", "https://example.org/a.png"))


@pytest.mark.parametrize("url", ["http://example.org/a.png", "example.org/a.png", "https://", "https://a b/c.png"])
def test_image_must_be_an_https_url(url: str) -> None:
    problems = problems_of(f"title: T\ncards:\n  - front: F\n    back: B\n    image: '{url}'\n")
    assert problems == [f't.yaml:5: cards[0].image: "{url}" must be an https:// URL']


def test_card_without_front_or_image_is_reported() -> None:
    assert problems_of("title: T\ncards:\n  - back: B\n") == ["t.yaml:3: cards[0].front: is required"]


def test_wrong_shapes_are_named() -> None:
    assert problems_of("title: [a]\ncards: {front: F}\n") == [
        "t.yaml:1: title: must be text, got a list",
        "t.yaml:2: cards: must be a list, got a mapping",
    ]
    assert problems_of("title: T\nquiz:\n  - just text\n") == [
        "t.yaml:3: quiz[0]: must be a question (question, choices, answer), got text"
    ]


# --- Files and folders ----------------------------------------------------------------------------------------------

GOOD = "title: Good\ncards:\n  - front: F\n    back: B\n"


def test_folder_with_one_broken_and_one_good_deck_loads_the_good_one(tmp_path: Path) -> None:
    (tmp_path / "a-broken.yaml").write_text("title: Broken\nquiz:\n  - question: Q\n", encoding="utf-8")
    (tmp_path / "b-good.yml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a deck", encoding="utf-8")
    (tmp_path / ".c-backup.yaml").write_text("broken: [", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nested.yaml").write_text("broken: [", encoding="utf-8")
    result = load_deck_dir(tmp_path)
    assert list(result.decks) == ["b-good"]
    assert isinstance(result.decks["b-good"], Deck)
    assert {p.path for p in result.problems} == {display_path(tmp_path / "a-broken.yaml")}
    assert [p.field for p in result.problems] == ["quiz[0].choices", "quiz[0].answer"]


def test_same_deck_id_from_yaml_and_yml_is_reported(tmp_path: Path) -> None:
    (tmp_path / "dup.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "dup.yml").write_text(GOOD, encoding="utf-8")
    result = load_deck_dir(tmp_path)
    assert list(result.decks) == ["dup"]
    assert [p.message for p in result.problems] == [f'deck id "dup" is already used by {display_path(tmp_path / "dup.yaml")}']


def test_missing_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    result = load_deck_dir(tmp_path / "nowhere")
    assert result.decks == {}
    assert [p.message for p in result.problems] == ["folder not found"]


def test_file_name_gives_the_deck_id(tmp_path: Path) -> None:
    (tmp_path / "Bad Name.yaml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(DeckError) as info:
        load_deck_file(tmp_path / "Bad Name.yaml")
    assert 'deck id "Bad Name" must be' in info.value.problems[0].message


def test_oversized_file_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(decks_module.MAX_DECK_BYTES + 1)

    def never_read(self: Path) -> bytes:
        raise AssertionError("an oversized deck must not be read")

    monkeypatch.setattr(Path, "read_bytes", never_read)
    with pytest.raises(DeckError) as info:
        load_deck_file(big)
    assert info.value.problems[0].message == f"is {decks_module.MAX_DECK_BYTES + 1} bytes; the limit is 2 MB"


def test_non_utf8_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"title: T\ncards:\n  - front: caf\xe9\n    back: B\n")
    with pytest.raises(DeckError) as info:
        load_deck_file(path)
    assert (info.value.problems[0].line, info.value.problems[0].message) == (3, "is not UTF-8 text")


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_deck_file(path).title == "Good"


# --- JSON Schema --------------------------------------------------------------------------------------------------

SCHEMA_PATH = DECKS / "deck.schema.json"


def test_schema_is_valid_json_for_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert "$schema" in schema["properties"]
    for name in ("card", "question", "prompt", "concept"):
        assert schema["$defs"][name]["additionalProperties"] is False


def test_schema_limits_match_the_loader() -> None:
    defs = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["$defs"]
    assert defs["question"]["properties"]["choices"]["items"]["maxLength"] == MAX_CHOICE
    assert defs["question"]["properties"]["question"]["maxLength"] == MAX_QUESTION
    assert defs["level"]["enum"] == list(LEVELS)


def _validator():  # type: ignore[no-untyped-def]
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_deck_validates_against_schema(path: Path) -> None:
    validator = _validator()
    errors = list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))))
    assert errors == []


@pytest.mark.parametrize("name", ["unknown-key.yaml", "missing-title.yaml", "too-few-choices.yaml", "bad-level.yaml",
                                  "long-choice.yaml", "empty-deck.yaml", "choices-string.yaml", "blank-text.yaml"])
def test_schema_rejects_broken_fixtures(name: str) -> None:
    validator = _validator()
    assert not validator.is_valid(yaml.safe_load((ROOT / FIXTURES / name).read_text(encoding="utf-8")))


def test_keys_must_be_plain_text() -> None:
    assert problems_of("title: T\n[a]: x\ncards: [{front: F, back: B}]\n") == ["t.yaml:2: keys must be plain text"]


# --- Language ------------------------------------------------------------------------------------------------------

CARD = "cards:\n  - front: F\n    back: B\n"


def test_a_deck_without_language_is_english() -> None:
    assert parse_deck("title: T\n" + CARD, deck_id="d", source="t.yaml").language == "en"


@pytest.mark.parametrize("tag", ["es", "de", "fr", "pt-BR", "ja", "zh-Hant", "es-419", "en"])
def test_bcp47_language_tags_are_kept_as_written(tag: str) -> None:
    assert parse_deck(f"title: T\nlanguage: {tag}\n" + CARD, deck_id="d", source="t.yaml").language == tag


@pytest.mark.parametrize(("tag", "why"), [
    ("xx", "no such language"),
    ("klingon", "a name, not a tag"),
    ("pt_BR", "a POSIX locale, not BCP 47"),
    ("es-ZZ", "a region no one has"),
    ("yes", "not a language"),
])
def test_an_unknown_language_tag_is_refused_with_its_line(tag: str, why: str) -> None:
    assert problems_of(f"title: T\ndescription: D\nlanguage: {tag}\n" + CARD) == [
        f't.yaml:3: language: "{tag}" is not a known language tag (BCP 47, such as en, es, de, pt-BR or ja)'
    ], why


def test_language_must_be_one_text() -> None:
    assert problems_of("title: T\nlanguage: [es, de]\n" + CARD) == ["t.yaml:2: language: must be text, got a list"]


def test_the_spanish_deck_declares_its_language() -> None:
    deck = load_deck_file(DECKS / "pytorch-lr-schedulers-es.yaml")
    assert deck.language == "es"
    assert deck.title == "Programadores de la tasa de aprendizaje en PyTorch"
    assert (len(deck.cards), len(deck.quiz), len(deck.explain)) == (5, 5, 2)
    assert all(q.explanation for q in deck.quiz)
    assert all(p.hint and p.answer and len(p.concepts) == 4 for p in deck.explain)


def test_language_survives_the_yaml_round_trip() -> None:
    deck = load_deck_file(DECKS / "pytorch-lr-schedulers-es.yaml")
    text = deck_to_yaml(deck)
    assert "\nlanguage: es\n" in text
    assert parse_deck(text, deck_id=deck.id, source=deck.source) == deck


def test_english_exports_write_no_language_line() -> None:
    assert "language:" not in deck_to_yaml(load_deck_file(DECKS / "pytorch-lr-schedulers.yaml"))


def test_schema_accepts_a_language_tag_and_refuses_a_malformed_one() -> None:
    validator = _validator()
    deck = {"title": "T", "cards": [{"front": "F", "back": "B"}]}
    assert validator.is_valid({**deck, "language": "pt-BR"})
    assert not validator.is_valid({**deck, "language": "pt_BR"})
    assert not validator.is_valid({**deck, "language": ""})
