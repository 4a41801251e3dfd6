"""`python -m bot import` with CSV column choices, separators that look like options, and a reader that stops early."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.decks import load_deck_file
from bot.importing import add_import_parser, attach_dash_values, main_import

REPO = Path(__file__).resolve().parents[1]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="python -m bot")  # as bot/__main__.py builds it
    add_import_parser(parser.add_subparsers(dest="command"))
    code = main_import(parser.parse_args(["import", *args]))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def sides(deck_file: Path) -> list[tuple[str, str]]:
    return [(c.front, c.back) for c in load_deck_file(deck_file).cards]


WORDS = "id;Wort;Bedeutung;Notiz\r\n1;Hund;dog;animal\r\n2;Katze;cat;pet\r\n"


def test_front_and_back_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "words.csv"
    source.write_text(WORDS, encoding="utf-8")
    code, out, err = run_cli(capsys, str(source), "--front", "Wort", "--back", "bedeutung",
                             "-o", str(tmp_path / "words.yaml"))
    assert code == 0, err
    assert sides(tmp_path / "words.yaml") == [("Hund", "dog"), ("Katze", "cat")]
    assert "column 1 (id)" in out and "column 4 (Notiz)" in out  # the columns left out are named
    assert "Columns separated by semicolon." in out


def test_front_and_back_by_number_with_a_joined_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "words.csv"
    source.write_text(WORDS, encoding="utf-8")
    code, out, err = run_cli(capsys, str(source), "--front", "2", "--back", "3,4", "-o", str(tmp_path / "w.yaml"))
    assert code == 0, err
    assert sides(tmp_path / "w.yaml") == [("Hund", "dog\nanimal"), ("Katze", "cat\npet")]
    assert "column 1 (id)" in out and "Notiz" not in out


def test_no_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "pairs.csv"
    source.write_text("front,back\nyes,oui\n", encoding="utf-8")
    code, _, err = run_cli(capsys, str(source), "--no-header", "-o", str(tmp_path / "pairs.yaml"))
    assert code == 0, err
    assert sides(tmp_path / "pairs.yaml") == [("front", "back"), ("yes", "oui")]


def test_a_bad_column_choice_is_an_import_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "words.csv"
    source.write_text(WORDS, encoding="utf-8")
    code, _, err = run_cli(capsys, str(source), "--back", "Meaning", "-o", str(tmp_path / "w.yaml"))
    assert code == 1 and "No column is named 'Meaning'" in err
    assert not (tmp_path / "w.yaml").exists()


def test_a_separator_starting_with_a_dash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "fr.txt"
    source.write_text("chat---cat\nchien---dog - a pet\n", encoding="utf-8")
    code, out, err = run_cli(capsys, str(source), "-f", "quizlet", "--term-sep", "---", "-o", str(tmp_path / "fr.yaml"))
    assert code == 0, err
    assert sides(tmp_path / "fr.yaml") == [("chat", "cat"), ("chien", "dog - a pet")]
    assert "Term and definition separated by '---', rows by newline." in out


def test_the_summary_names_the_separator_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "bio.txt"
    source.write_text("mitochondria,powerhouse of the cell\nribosome,makes proteins\n", encoding="utf-8")
    code, out, err = run_cli(capsys, str(source), "-f", "quizlet", "-o", str(tmp_path / "bio.yaml"))
    assert code == 0, err
    assert "Term and definition separated by comma, rows by newline." in out


@pytest.mark.parametrize(("args", "expected"), [
    (["f", "--term-sep", "---", "--row-sep", "-;-"], ["f", "--term-sep=---", "--row-sep=-;-"]),
    (["f", "--term-sep", "tab", "--front", "-1"], ["f", "--term-sep", "tab", "--front", "-1"]),
    (["f", "--term-sep"], ["f", "--term-sep"]),
])
def test_attach_dash_values(args: list[str], expected: list[str]) -> None:
    assert attach_dash_values(args) == expected


def test_a_reader_that_stops_early_ends_quietly(tmp_path: Path) -> None:
    source = tmp_path / "words.csv"
    source.write_text("Frage,Antwort\n" + "".join(f"Frage {i},Antwort {i}\n" for i in range(50)), encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-m", "bot", "import", str(source), "-o", str(tmp_path / "w.yaml")],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # as `| head -0` would: every line the command prints meets a closed pipe
    err = child.stderr.read().decode()
    child.stderr.close()
    assert child.wait(timeout=60) == 0, err
    assert "BrokenPipeError" not in err and "Traceback" not in err, err
    assert sides(tmp_path / "w.yaml")[:2] == [("Frage 0", "Antwort 0"), ("Frage 1", "Antwort 1")]
