"""`python -m bot export`: a deck id or path in, the file written with what the deck holds; an existing file kept
unless --force; `-o -` to standard output, quietly when the reader stops early."""
from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

from bot.core.decks import load_deck_file
from bot.exporting import run_export

REPO = Path(__file__).resolve().parent.parent
DECKS = REPO / "decks"


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "bot", "export", *args], check=False, cwd=cwd, capture_output=True,
                          timeout=60, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", **(env or {})})


def test_a_deck_id_from_decks_dir_becomes_an_anki_package_with_every_item(tmp_path: Path) -> None:
    done = run_cli("sql-basics", "--format", "anki", "-o", "out/sql.apkg", cwd=tmp_path,
                   env={"DECKS_DIR": str(DECKS)})
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().startswith("Wrote out/sql.apkg: SQL basics (sql-basics), 23 items as Anki package")
    with zipfile.ZipFile(tmp_path / "out/sql.apkg") as zf:
        raw = zf.read("collection.anki2")
    conn = sqlite3.connect(":memory:")
    conn.deserialize(raw)
    notes = [flds.split("\x1f") for (flds,) in conn.execute("SELECT flds FROM notes ORDER BY id")]
    deck = load_deck_file(DECKS / "sql-basics.yaml")
    assert len(notes) == deck.item_count
    # Fields are Id first, then the text: Recall Basic (Id, Front, Back), Recall Quiz (Id, Question, Choices, ...).
    assert notes[0][:2] == [deck.cards[0].id, deck.cards[0].front]
    assert notes[0][1] == "What does a SELECT statement do?"
    assert notes[len(deck.cards)][:2] == [deck.quiz[0].id, deck.quiz[0].question]
    assert notes[len(deck.cards)][2].startswith("A. ")


def test_a_deck_path_exports_as_csv_to_stdout(tmp_path: Path) -> None:
    done = run_cli(str(DECKS / "git-basics.yaml"), "-f", "csv", "-o", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    rows = list(csv.DictReader(io.StringIO(done.stdout.decode("utf-8"), newline="")))
    deck = load_deck_file(DECKS / "git-basics.yaml")
    assert [(r["kind"], r["front"]) for r in rows][:1] == [("card", deck.cards[0].front)]
    assert [r["answer"] for r in rows if r["kind"] == "quiz"] == [q.answer for q in deck.quiz]
    assert not list(tmp_path.iterdir())  # nothing written beside


def test_an_existing_file_is_kept_unless_force(tmp_path: Path) -> None:
    target = tmp_path / "deck.yaml"
    target.write_text("mine", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run_export("python-asyncio", "yaml", str(target), decks_dir=DECKS, stdout=out, stderr=err) == 2
    assert err.getvalue() == f"error: {target} already exists; pass --force to overwrite it\n"
    assert target.read_text(encoding="utf-8") == "mine"
    assert run_export("python-asyncio", "yaml", str(target), decks_dir=DECKS, force=True, stdout=out,
                      stderr=io.StringIO()) == 0
    assert load_deck_file(target).cards == load_deck_file(DECKS / "python-asyncio.yaml").cards


def test_unknown_decks_anki_to_stdout_and_broken_decks_are_refused_with_one_line(tmp_path: Path) -> None:
    err = io.StringIO()
    assert run_export("no-such-deck", "csv", None, decks_dir=DECKS, stderr=err) == 2
    assert err.getvalue() == f"error: no-such-deck: no such deck file, and no deck with that id in {DECKS}\n"
    err = io.StringIO()
    assert run_export("sql-basics", "anki", "-", decks_dir=DECKS, stderr=err) == 2
    assert "an Anki package is a zip file" in err.getvalue()
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: Broken\ncards:\n  - front: only a front\n", encoding="utf-8")
    err = io.StringIO()
    assert run_export(str(broken), "csv", str(tmp_path / "b.csv"), decks_dir=DECKS, stderr=err) == 1
    assert err.getvalue().startswith(f"error: {broken} is not a valid deck:\n  ")
    assert not (tmp_path / "b.csv").exists()


def test_the_default_output_is_the_deck_id_with_the_formats_extension(tmp_path: Path) -> None:
    done = run_cli("sql-basics", "-f", "yaml", cwd=tmp_path, env={"DECKS_DIR": str(DECKS)})
    assert done.returncode == 0, done.stderr
    assert load_deck_file(tmp_path / "sql-basics.yaml").quiz == load_deck_file(DECKS / "sql-basics.yaml").quiz


def test_piping_into_head_ends_quietly(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    cards = "".join(f"  - id: c{i}\n    front: Question number {i} {'x' * 200}\n    back: Answer {i}\n"
                    for i in range(2000))  # far more than a pipe's buffer
    big.write_text(f"title: Big\ncards:\n{cards}", encoding="utf-8")
    done = subprocess.run(f"{sys.executable} -m bot export {big} -f csv -o - | head -n 1", shell=True, check=False,
                          cwd=tmp_path,
                          capture_output=True, timeout=60, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.stdout == b"kind,id,front,back,level,image,choices,answer,explanation,hint,concepts\r\n"
    assert done.stderr == b""
