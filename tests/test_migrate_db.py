"""`python -m bot migrate-db`: a SQLite database built through the real services, copied into PostgreSQL (a schema of
its own on the test server) and read back through the store on both sides; refusals leave the target as it was.

The CLI runs as `python -m bot` would run it (argparse, `main_migrate`), in a thread of its own (it starts its own
event loop with asyncio.run), and once as a separate process.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.store import transfer
from bot.core.decks import Card, Concept, Deck, ExplainPrompt, QuizQuestion
from bot.core.leaderboard import Board, Period
from bot.core.library import DeckLibrary, StoredDeck
from bot.core.quiz import LETTERS, QuizRound
from bot.migrate_db import add_migrate_parser, main_migrate
from bot.services import streaks
from bot.services.explain import ExplainService
from bot.services.progress import ProgressService
from bot.services.quiz import QuizService
from bot.services.study import StudyService
from bot.store.db import Database, _migrations, _statements
from bot.store.meta import set_meta
from bot.store.postgres import PostgresDatabase
from bot.store.server_decks import save_server_deck
from tests.backends import postgres_schema, require_postgres, with_search_path

UTC = timezone.utc
# Real-sized snowflakes: they need PostgreSQL's BIGINT.
G1, G2, G3 = 1_180_000_000_000_000_001, 1_180_000_000_000_000_002, 1_180_000_000_000_000_003
ALICE, BOB, CAROL, DAVE = 2_090_000_000_000_000_011, 2_090_000_000_000_000_022, 33, 44
NAMES = {ALICE: "alice", BOB: "bob", CAROL: "carol", DAVE: "dave"}
T0 = datetime(2025, 6, 9, 8, 0, tzinfo=UTC)  # a Monday
NOW = datetime(2025, 6, 12, 18, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=20)
CONCEPTS = (Concept("Fast early", ("alpha",)), Concept("Small later", ("bravo",)))
DECK = Deck(
    "lr", "Learning rates",
    cards=tuple(Card(f"c{i}", f"front {i}", f"back {i}") for i in range(6)),
    quiz=(QuizQuestion("q0", "Which?", ("a", "b", "c"), "b", "Because b."),
          QuizQuestion("q1", "Other?", ("a", "b"), "a")),
    explain=(ExplainPrompt("why", "Why?", CONCEPTS, hint="Greek letters."),),
)
LIBRARY = DeckLibrary({DECK.id: DECK})
TOTALS = ("board_totals", "board_member_totals", "board_months", "board_member_months")


# --- A realistic SQLite database, built through the services ---------------------------------------------------------


async def study_day(study: StudyService, guild: int, user: int, at: datetime, ratings: list[int]) -> None:
    screen = await study.open(DECK, guild_id=guild, user_id=user, display_name=NAMES[user], now=at, channel_id=5)
    for step, rating in enumerate(ratings):
        session = screen.session
        if session.item_id is None:
            return
        result = await study.rate(DECK, guild_id=guild, user_id=user, display_name=NAMES[user],
                                  item_id=session.item_id, token=session.token, rating=rating,
                                  now=at + timedelta(minutes=step), fuzz=False)
        assert result is not None
        screen = result.screen


async def quiz_round(quiz: QuizService, guild: int, at: datetime, answers: dict[int, str]) -> None:
    """A finished two-question round; `answers` gives each member's letters (A, B, …) for both questions."""
    record = await quiz.create_round(guild_id=guild, channel_id=9, deck_id=DECK.id, starter_id=ALICE,
                                     question_count=2, seconds=WINDOW.total_seconds(), started_at=at)
    core = QuizRound(2)
    for index, question in enumerate(DECK.quiz):
        opened = core.open_question(question, at + index * WINDOW, WINDOW)
        await quiz.save_question(record.id, opened, 7000 + index)
        found = [core.record(user, LETTERS["AB".index(letters[index])], opened.opened_at + timedelta(seconds=2 + n))
                 for n, (user, letters) in enumerate(answers.items())]
        core.close()
        await quiz.close_question(record, opened, [a for a in found if a], NAMES, opened.closes_at)
    await quiz.finish_round(record.id, "finished", at + 2 * WINDOW)


async def explain_once(explain: ExplainService, guild: int, user: int, at: datetime, text: str) -> None:
    shown = await explain.ask(guild, user, DECK, public=False, channel_id=9, at=at)
    await explain.submit(guild, user, shown.nonce, NAMES[user], text, at + timedelta(minutes=1))


async def build_source(path: Path) -> None:
    db = await Database.open(path)
    try:
        study = StudyService(db, LIBRARY)
        quiz = QuizService(db)
        explain = ExplainService(db, LIBRARY, fuzz=False)
        progress = ProgressService(db, on_settings_change=lambda guild_id: None)
        await progress.set_server_timezone(G1, "Europe/Berlin", now=T0)
        await progress.set_daily_minimum(G2, 2)
        for day in range(4):
            at = T0 + timedelta(days=day)
            await study_day(study, G1, ALICE, at, [3, 4, 1])
            await study_day(study, G2, ALICE, at + timedelta(hours=1), [3, 3])
            if day != 2:  # bob studies on three days (and answers quizzes on all four)
                await study_day(study, G1, BOB, at + timedelta(hours=2), [2, 3])
            await study_day(study, G3, CAROL, at + timedelta(hours=3), [4])
            await quiz_round(quiz, G1, at + timedelta(hours=4), {ALICE: "BA", BOB: "AA", CAROL: "BB"})
            await explain_once(explain, G2, BOB, at + timedelta(hours=5), "alpha and bravo" if day % 2 else "alpha")
            if day == 1:
                await progress.reset_boards(G3, at + timedelta(hours=6))  # baselines: G3 counts from here
        await quiz_round(quiz, G3, T0 + timedelta(days=3, hours=7), {CAROL: "BA", DAVE: "AB"})
        await progress.set_member_timezone(G1, BOB, "bob", "America/New_York", now=NOW)
        await progress.set_hide_streak(G1, CAROL, "carol", True)
        await progress.set_server_timezone(G3, "Asia/Tokyo", now=NOW)  # refiles months after the activity
        await db.atomic(lambda conn: save_server_deck(conn, StoredDeck(
            G2, "own", "Our deck", "id: own\ntitle: Our deck\ncards: []\n", "recall", "own.yaml", 0, ALICE, T0)))
        await set_meta(db, "commands_hash", "abc123")
        await study.open(DECK, guild_id=G2, user_id=DAVE, display_name="dave", now=NOW, channel_id=5)  # left open
        await explain.ask(G1, CAROL, DECK, public=True, channel_id=9, at=NOW)  # an open prompt
    finally:
        await db.close()


# --- Running the command ----------------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    """The `python -m bot` parser as bot/__main__.py builds it, with migrate-db registered the same way."""
    built = argparse.ArgumentParser(prog="python -m bot")
    add_migrate_parser(built.add_subparsers(dest="command"))
    return built


async def migrate(*argv: str) -> int:
    args = parser().parse_args(["migrate-db", *argv])
    assert args.command == "migrate-db"
    return await asyncio.to_thread(main_migrate, args)  # it runs its own event loop


@pytest.fixture
async def target() -> AsyncIterator[str]:
    async with postgres_schema() as url:
        yield url


@pytest.fixture
async def source(tmp_path: Path) -> Path:
    path = tmp_path / "recall.db"
    await build_source(path)
    return path


async def fetch(url: str, sql: str, *args: Any) -> list[tuple]:
    conn = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


async def target_tables(url: str) -> list[str]:
    rows = await fetch(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                            "ORDER BY table_name")
    return [name for (name,) in rows]


def source_tables(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: [c for (c,) in conn.execute("SELECT name FROM pragma_table_info(?)", (n,))] for n in names}


def source_rows(path: Path, table: str, columns: list[str]) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return sorted(conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall(), key=repr)


async def copied_rows(url: str, table: str, columns: list[str]) -> list[tuple]:
    return sorted(await fetch(url, f"SELECT {', '.join(columns)} FROM {table}"), key=repr)


async def assert_same_rows(path: Path, url: str) -> dict[str, int]:
    """Every table's rows, read independently of migrate-db's own checks, equal on both sides; their counts."""
    tables = source_tables(path)
    assert set(tables) <= set(await target_tables(url))
    counts = {}
    for table, columns in tables.items():
        expected = source_rows(path, table, columns)
        assert await copied_rows(url, table, columns) == expected, table
        counts[table] = len(expected)
    return counts


def table_lines(out: str) -> dict[str, list[str]]:
    """migrate-db's table: {table: [rows, checksum, ok]}."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:4] == ["table", "rows", "checksum", "ok"])
    found = {}
    for line in lines[start + 1:]:
        if line.startswith("Copied "):
            break
        name, *rest = line.split()
        found[name] = rest
    return found


# --- Copying ----------------------------------------------------------------------------------------------------------


async def test_every_table_and_row_is_copied_and_checked(source: Path, target: str, capsys) -> None:
    assert await migrate("--from", str(source), "--to", target) == 0
    out = capsys.readouterr().out
    counts = await assert_same_rows(source, target)
    shown = table_lines(out)
    assert set(shown) == set(counts)
    assert all(rest[-1] == "ok" and int(rest[0].replace(",", "")) == counts[name] for name, rest in shown.items())
    assert f"Copied {len(counts)} tables, {sum(counts.values()):,} rows" in out
    assert "session_replication_role = replica" in out  # the test server's user is a superuser
    # A realistic database: every kind of row is there (an empty table would prove nothing).
    for table in ("members", "reviews", "srs_state", "activity", "streaks", "quiz_rounds", "quiz_questions",
                  "quiz_answers", "explain_attempts", "explain_open", "study_sessions", "server_decks", "meta",
                  "guild_settings", "board_baselines", "board_month_starts", *TOTALS):
        assert counts[table] > 0, table
    (version,) = (await fetch(target, "SELECT version FROM recall_schema_version"))[0]
    assert version == len(_migrations("migrations_pg"))


async def test_the_totals_are_copied_as_they_are_not_counted_again(source: Path, target: str) -> None:
    assert await migrate("--from", str(source), "--to", target) == 0
    reviews, answers, points = (await fetch(
        target, "SELECT (SELECT count(*) FROM reviews), (SELECT count(*) FROM quiz_answers), "
                "(SELECT sum(points) FROM quiz_answers)"))[0]
    for table in TOTALS:
        totals = (await fetch(target, f"SELECT sum(reviews), sum(answers), sum(points) FROM {table}"))[0]
        assert totals == (reviews, answers, points), table


async def read_everything(db: Any) -> dict[str, Any]:
    """What members see: every board (each period, all decks and one) and every streak, in every server."""
    progress = ProgressService(db, on_settings_change=lambda guild_id: None)
    seen: dict[str, Any] = {}
    for guild in (G1, G2, G3):
        for board in Board:
            for period in Period:
                for deck in (None, DECK.id):
                    screen = await progress.board(guild, board, period, deck, now=NOW, viewer_id=CAROL)
                    seen[f"{guild} {board.value} {period.value} {deck}"] = (
                        [(r.rank, r.entry.user_id, r.entry.value) for r in screen.page.rows],
                        screen.page.total, screen.names, screen.viewer_hidden,
                    )
        for user in NAMES:
            seen[f"{guild} streak {user}"] = await streaks.current(db, guild, user, NOW)
    return seen


async def test_boards_and_streaks_read_the_same_on_postgresql(source: Path, target: str) -> None:
    assert await migrate("--from", str(source), "--to", target) == 0
    sqlite = await Database.open(source)
    postgres = await PostgresDatabase.open(target, pool_size=2)
    try:
        before, after = await read_everything(sqlite), await read_everything(postgres)
    finally:
        await sqlite.close()
        await postgres.close()
    assert after == before
    assert before[f"{G1} points all None"][0]  # boards with people on them
    assert before[f"{G1} streak {ALICE}"].current == 4 and before[f"{G3} streak {DAVE}"].current == 1


async def test_new_rows_after_the_move_take_new_ids_and_update_the_totals(source: Path, target: str) -> None:
    assert await migrate("--from", str(source), "--to", target) == 0
    top = {t: (await fetch(target, f"SELECT max(id) FROM {t}"))[0][0] for t in ("reviews", "activity", "quiz_rounds")}
    db = await PostgresDatabase.open(target, pool_size=2)
    try:
        later = NOW + timedelta(days=1)
        await study_day(StudyService(db, LIBRARY), G1, ALICE, later, [3])
        record = await QuizService(db).create_round(guild_id=G1, channel_id=9, deck_id=DECK.id, starter_id=ALICE,
                                                    question_count=1, seconds=20.0, started_at=later)
        assert record.id == top["quiz_rounds"] + 1
        for table in ("reviews", "activity"):
            assert await fetch(target, f"SELECT count(*) FROM {table} WHERE id > $1", top[table]) == [(1,)]
        # The triggers work again: the new review counted once.
        (reviews, totals), = await fetch(
            target, "SELECT (SELECT count(*) FROM reviews WHERE guild_id = $1 AND user_id = $2), "
                    "(SELECT reviews FROM board_member_totals WHERE guild_id = $1 AND user_id = $2)", G1, ALICE)
        assert totals == reviews
    finally:
        await db.close()


async def test_an_older_sqlite_file_is_upgraded_first_and_says_so(tmp_path: Path, target: str, capsys) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # a file Recall wrote before migration 0006
        for number, _name, sql in _migrations():
            if number <= 5:
                for statement in _statements(sql):
                    conn.execute(statement)
        conn.execute("PRAGMA user_version = 5")
        conn.execute("INSERT INTO reviews (guild_id, user_id, deck_id, item_id, kind, rating, reviewed_at, due_after) "
                     "VALUES (?, ?, 'lr', 'c0', 'card', 3, '2025-06-09T08:00:00.000000Z', '2025-06-10')", (G1, ALICE))
    assert await migrate("--from", str(path), "--to", target) == 0
    out = capsys.readouterr().out
    assert "upgraded from schema version 5 first" in out
    counts = await assert_same_rows(path, target)
    assert counts["board_months"] == 1 and counts["reviews"] == 1


async def test_without_superuser_the_triggers_are_disabled_per_table_and_enabled_again(source: Path, capsys) -> None:
    base = require_postgres()
    role, schema = f"recall_migrate_{secrets.token_hex(5)}", f"recall_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(base)
    try:
        try:
            await admin.execute(f"CREATE ROLE {role} LOGIN")
        except asyncpg.InsufficientPrivilegeError:  # then the test server's own user takes this path everywhere
            pytest.skip(f"the user of {base} may not create a role to test the non-superuser path")
        await admin.execute(f"CREATE SCHEMA {schema} AUTHORIZATION {role}")
        parts = urlsplit(base)
        url = with_search_path(urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.rpartition('@')[2]}")), schema)
        assert await migrate("--from", str(source), "--to", url) == 0
        assert "not a superuser" in capsys.readouterr().out
        await assert_same_rows(source, url)
        disabled = await fetch(url, "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
                                    "WHERE NOT tgisinternal AND tgenabled = 'D'")
        assert disabled == []
        reviews = (await fetch(url, "SELECT count(*) FROM reviews"))[0][0]
        assert (await fetch(url, "SELECT sum(reviews) FROM board_totals"))[0][0] == reviews
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()


async def test_values_sqlite_stored_loosely_are_converted_by_the_column_type(source: Path, target: str) -> None:
    with sqlite3.connect(source) as conn:  # a blob in a text column (valid UTF-8)
        conn.execute("UPDATE members SET display_name = CAST('bobby' AS BLOB) WHERE user_id = ?", (BOB,))
    assert await migrate("--from", str(source), "--to", target) == 0
    assert await fetch(target, "SELECT DISTINCT display_name FROM members WHERE user_id = $1", BOB) == [("bobby",)]


async def test_values_postgresql_cannot_hold_are_listed_and_nothing_is_written(source: Path, target: str,
                                                                               capsys) -> None:
    with sqlite3.connect(source) as conn:
        conn.execute("UPDATE members SET hide_streak = 'yes' WHERE guild_id = ? AND user_id = ?", (G1, CAROL))
        conn.execute("UPDATE streaks SET best = 2.5 WHERE guild_id = ? AND user_id = ?", (G2, ALICE))
        conn.execute("UPDATE meta SET value = X'FF00' WHERE key = 'commands_hash'")
    assert await migrate("--from", str(source), "--to", target) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("error: 3 values in the SQLite database cannot be stored")
    assert f"members (guild_id={G1}, user_id={CAROL}): hide_streak is text 'yes': not a whole number " \
           "(the PostgreSQL column is bigint)" in err
    assert f"streaks (guild_id={G2}, user_id={ALICE}): best is a real number 2.5: not a whole number" in err
    assert "meta (key='commands_hash'): value is a blob b'\\xff\\x00': bytes that are not UTF-8 text" in err
    assert await target_tables(target) == []


# --- Refusing ---------------------------------------------------------------------------------------------------------


async def test_a_target_with_recall_data_is_refused_and_left_as_it_was(source: Path, target: str, capsys) -> None:
    assert await migrate("--from", str(source), "--to", target) == 0
    before = await assert_same_rows(source, target)
    capsys.readouterr()
    assert await migrate("--from", str(source), "--to", target) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith(f"error: --to '{target}' already holds Recall data (schema version ")
    fullest = min(before, key=lambda table: (-before[table], table))
    assert f"version {len(_migrations('migrations_pg'))}; {before[fullest]:,} rows in {fullest}, " in line
    assert line.endswith("nothing was written. Point --to at an empty database.")
    assert "table" not in captured.out  # no copy was reported
    assert await assert_same_rows(source, target) == before


async def test_rows_in_a_table_named_like_recalls_are_refused(source: Path, target: str, capsys) -> None:
    conn = await asyncpg.connect(target)
    try:
        await conn.execute("CREATE TABLE members (guild_id bigint, user_id bigint, note text)")
        await conn.execute("INSERT INTO members VALUES (1, 2, 'someone else''s')")
    finally:
        await conn.close()
    assert await migrate("--from", str(source), "--to", target) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "already holds Recall data (1 row in members)" in line
    assert await target_tables(target) == ["members"]
    assert await fetch(target, "SELECT * FROM members") == [(1, 2, "someone else's")]


async def test_an_unreachable_server_is_one_line_without_the_password(source: Path, capsys) -> None:
    url = "postgresql://recall:s3cret-pw@127.0.0.1:1/recall"  # nothing listens on port 1
    assert await migrate("--from", str(source), "--to", url) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith("error: --to 'postgresql://recall:***@127.0.0.1:1/recall': cannot reach the server")
    assert "s3cret" not in captured.out + captured.err


async def test_a_search_path_naming_no_schema_is_refused(source: Path, capsys) -> None:
    url = with_search_path(require_postgres(), f"recall_absent_{secrets.token_hex(6)}")
    assert await migrate("--from", str(source), "--to", url) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == f"error: --to '{url}': no schema of its search_path exists here. Create it (CREATE SCHEMA …) or " \
                   "name an existing one; nothing was written."


async def test_usage_problems_are_one_line(tmp_path: Path, capsys) -> None:
    assert await migrate("--from", str(tmp_path / "none.db"), "--to", "postgresql://x@127.0.0.1:1/x") == 2
    assert capsys.readouterr().err == f"error: --from '{tmp_path / 'none.db'}': no such file, so there is nothing " \
                                      "to migrate.\n"
    assert await migrate("--from", str(tmp_path / "none.db"), "--to", "mysql://u:pw@h/db") == 2
    assert capsys.readouterr().err == "error: --to must start with postgresql://, got 'mysql://u:***@h/db'.\n"
    empty = tmp_path / "empty.db"
    empty.touch()
    assert await migrate("--from", str(empty), "--to", "postgresql://x@127.0.0.1:1/x") == 2
    assert capsys.readouterr().err.startswith(f"error: --from '{empty}' holds no Recall database")
    assert empty.stat().st_size == 0  # not made into a Recall database on the way


@pytest.mark.parametrize("failure", [asyncpg.DiskFullError("could not extend file"), RuntimeError("a bug")],
                         ids=["postgresql-error", "bug"])
async def test_a_failure_midway_leaves_the_target_empty(source: Path, target: str, monkeypatch, capsys,
                                                        failure: Exception) -> None:
    real = transfer.copy_table
    copied: list[str] = []

    async def failing(conn: Any, reader: Any, plan: Any, convert: Any) -> Any:
        tally = await real(conn, reader, plan, convert)  # the rows went in, then something breaks
        copied.append(plan.name)
        if plan.name == "reviews":
            raise failure
        return tally

    monkeypatch.setattr(transfer, "copy_table", failing)
    if isinstance(failure, RuntimeError):  # a bug keeps its traceback, and still writes nothing
        with pytest.raises(RuntimeError, match="a bug"):
            await migrate("--from", str(source), "--to", target)
    else:
        assert await migrate("--from", str(source), "--to", target) == 1
        (line,) = capsys.readouterr().err.splitlines()
        assert line == "error: copying reviews failed (PostgreSQL: could not extend file); nothing was written."
    assert "activity" in copied and "reviews" in copied  # it did fail midway
    assert await target_tables(target) == []  # not even the schema: a second run starts from scratch
    monkeypatch.setattr(transfer, "copy_table", real)
    assert await migrate("--from", str(source), "--to", target) == 0


async def test_a_checksum_that_differs_rolls_everything_back(source: Path, target: str, monkeypatch, capsys) -> None:
    real = transfer.target_tally

    async def off_by_one(conn: Any, plan: Any) -> Any:
        tally = await real(conn, plan)
        if plan.name == "streaks":
            tally.add([("an extra row",)])
        return tally

    monkeypatch.setattr(transfer, "target_tally", off_by_one)
    assert await migrate("--from", str(source), "--to", target) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the copy of streaks does not match the SQLite database")
    assert await target_tables(target) == []


# --- As its own process -----------------------------------------------------------------------------------------------


async def test_the_command_runs_as_a_process_with_the_path_from_the_settings(source: Path, target: str,
                                                                             tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DISCORD_", "SHARD_"))}
    env["DATABASE_PATH"] = str(source)
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "migrate-db", "--to", target],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Source: {source} (SQLite, schema version {len(_migrations())})")
    assert all(rest[-1] == "ok" for rest in table_lines(done.stdout).values())
    await assert_same_rows(source, target)
