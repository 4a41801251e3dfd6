"""`check`: every problem on its own line, a summary, and an exit code a script can trust."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.check import run_check

ROOT = Path(__file__).resolve().parents[2]
GOOD = "title: Good\ncards:\n  - front: F\n    back: B\n"
BROKEN = "title: Broken\nquiz:\n  - question: Q\n    choices: [a]\n    answer: b\n"


def check(*paths: Path) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = run_check(list(paths), out)
    return code, out.getvalue().splitlines()


def test_shipped_decks_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    count = len(list((ROOT / "decks").glob("*.yaml")))
    code, lines = check(Path("decks"))
    assert code == 0
    assert lines == [f"{count} deck valid" if count == 1 else f"{count} decks valid"]


def test_valid_folder_counts_decks(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.yaml").write_text(GOOD, encoding="utf-8")
    assert check(tmp_path) == (0, ["3 decks valid"])


def test_single_file_of_any_extension_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "deck.txt"
    path.write_text(GOOD, encoding="utf-8")
    assert check(path) == (0, ["1 deck valid"])


def test_problems_are_printed_then_summarised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("good.yaml").write_text(GOOD, encoding="utf-8")
    Path("broken.yaml").write_text(BROKEN, encoding="utf-8")
    code, lines = check(Path("."))
    assert code == 1
    assert lines == [
        "broken.yaml:4: quiz[0].choices: needs 2 to 10 choices, found 1",
        'broken.yaml:5: quiz[0].answer: "b" is not one of the choices',
        "2 problems in 1 deck; 1 deck valid",
    ]


def test_only_broken_decks(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "two.yaml").write_text("title: [\n", encoding="utf-8")
    code, lines = check(tmp_path)
    assert code == 1
    assert lines[-1] == "3 problems in 2 decks"
    assert len(lines) == 4


def test_empty_folder_fails(tmp_path: Path) -> None:
    assert check(tmp_path) == (1, ["no decks found"])


def test_missing_path_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert check(Path("missing.yaml")) == (1, ["missing.yaml: no such file or folder", "1 problem in 1 deck"])


def test_several_paths_add_up(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "a.yaml").write_text(GOOD, encoding="utf-8")
    (second / "b.yaml").write_text(GOOD, encoding="utf-8")
    assert check(first, second) == (0, ["2 decks valid"])
    (second / "c.yaml").write_text(BROKEN, encoding="utf-8")
    code, lines = check(first, second)
    assert (code, lines[-1]) == (1, "2 problems in 1 deck; 2 decks valid")


def test_broken_fixtures_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, lines = check(Path("tests/fixtures/decks"))
    assert code == 1
    assert all(line.startswith("tests/fixtures/decks/") for line in lines[:-1])
    assert lines[-1].endswith(f"in {len(list((ROOT / 'tests/fixtures/decks').glob('*.yaml')))} decks")


def test_an_unknown_language_tag_is_named_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("spanish.yaml").write_text("title: Tasas\nlanguage: espanol\n" + GOOD.removeprefix("title: Good\n"),
                                    encoding="utf-8")
    assert check(Path("spanish.yaml")) == (1, [
        'spanish.yaml:2: language: "espanol" is not a known language tag (BCP 47, such as en, es, de, pt-BR or ja)',
        "1 problem in 1 deck",
    ])


def test_a_known_language_tag_passes(tmp_path: Path) -> None:
    path = tmp_path / "japanese.yaml"
    path.write_text("title: 学習率\nlanguage: ja\n" + GOOD.removeprefix("title: Good\n"), encoding="utf-8")
    assert check(path) == (0, ["1 deck valid"])
