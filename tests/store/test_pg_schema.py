"""The PostgreSQL migrations (bot/store/migrations_pg) against SQLite's (bot/store/migrations): the same tables,
columns, keys, indexes and triggers; the same trigger-kept totals for the same writes; the same data after an upgrade.

SQLite is the reference: every test builds an in-memory SQLite database from its migrations and a PostgreSQL schema
of its own from the PostgreSQL ones, does the same to both and compares.
"""
from __future__ import annotations

import asyncio
import random
import re
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from typing import Any, AsyncIterator, Callable, Iterator, Sequence

import asyncpg
import pytest

from bot.store.db import _migrations, _statements
from tests.backends import postgres_url, require_postgres

URL = postgres_url()
LATEST = len(_migrations())


# --- Fixtures and helpers -----------------------------------------------------------------------------------------


@dataclass
class Schema:
    """A PostgreSQL schema of one test's own; `conn`'s search_path points at it."""

    name: str
    conn: asyncpg.Connection
    others: list[asyncpg.Connection] = field(default_factory=list)

    async def connect(self) -> asyncpg.Connection:
        """Another connection to the same schema (closed by the fixture)."""
        conn = await asyncpg.connect(URL, server_settings={"search_path": self.name})
        self.others.append(conn)
        return conn


@pytest.fixture
async def pg() -> AsyncIterator[Schema]:
    conn = await asyncpg.connect(require_postgres(), timeout=10)
    name = f"recall_pg_schema_{uuid.uuid4().hex[:12]}"
    schema = Schema(name, conn)
    try:
        await conn.execute(f"CREATE SCHEMA {name}")
        await conn.execute(f"SET search_path TO {name}")
        yield schema
    finally:
        for other in schema.others:
            await other.close()
        await conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        await conn.close()


def pg_migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every PostgreSQL migration, in order."""
    found = [
        (int(entry.name[:4]), entry.name, entry.read_text(encoding="utf-8"))
        for entry in resources.files("bot.store").joinpath("migrations_pg").iterdir()
        if entry.name.endswith(".sql")
    ]
    return sorted(found)


async def pg_migrate(conn: asyncpg.Connection, *, after: int = 0, upto: int = LATEST) -> None:
    """Apply PostgreSQL migrations after..upto, each file as one script in its own transaction (as the runner does)."""
    for version, _name, sql in pg_migrations():
        if after < version <= upto:
            async with conn.transaction():
                await conn.execute(sql)


def sqlite_migrate(conn: sqlite3.Connection, *, after: int = 0, upto: int = LATEST) -> None:
    """Apply SQLite migrations after..upto, each file in its own transaction (statements split as bot.store.db does)."""
    for version, _name, sql in _migrations():
        if after < version <= upto:
            conn.execute("BEGIN")
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("COMMIT")


Opener = Callable[..., sqlite3.Connection]


@pytest.fixture
def sqlite_at() -> Iterator[Opener]:
    """Opens in-memory SQLite databases at a schema version (the reference), closed after the test."""
    opened: list[sqlite3.Connection] = []

    def open_at(version: int = LATEST) -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:", isolation_level=None)
        opened.append(conn)
        conn.execute("PRAGMA foreign_keys=ON")
        sqlite_migrate(conn, upto=version)
        return conn

    yield open_at
    for conn in opened:
        conn.close()


def dollars(sql: str) -> str:
    """`?` placeholders as asyncpg's $1, $2, … (the statements here have no ? inside literals)."""
    count = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(count)}", sql)


def ordered(rows: Sequence[Sequence[Any]]) -> list[tuple]:
    """Rows as tuples, sorted with NULLs first in every column."""
    return sorted((tuple(row) for row in rows), key=lambda row: tuple((x is not None, x) for x in row))


def sqlite_rows(conn: sqlite3.Connection, table: str, columns: Sequence[str]) -> list[tuple]:
    return ordered(conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall())


async def pg_rows(conn: asyncpg.Connection, table: str, columns: Sequence[str]) -> list[tuple]:
    return ordered(await conn.fetch(f"SELECT {', '.join(columns)} FROM {table}"))


def sqlite_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute("SELECT * FROM pragma_table_info(?) ORDER BY cid", (table,))]


# --- The schema ---------------------------------------------------------------------------------------------------


def test_the_migrations_have_the_same_names() -> None:
    assert [name for _, name, _ in pg_migrations()] == [name for _, name, _ in _migrations()]


async def test_every_migration_applies_in_order(pg: Schema) -> None:
    for version, name, sql in pg_migrations():
        async with pg.conn.transaction():
            await pg.conn.execute(sql)
        tables = await pg.conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        assert tables > 0, name
    # The runner keeps the version; no file writes it.
    assert await pg.conn.fetchval("SELECT to_regclass('recall_schema_version')") is None


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # PostgreSQL's data_type, and for text its collation
    not_null: bool
    default: str | None
    identity: bool


# SQLite's declared type -> what the PostgreSQL column must be (see the header of migrations_pg/0001_initial.sql).
PG_TYPE = {"INTEGER": "bigint", "REAL": "double precision", "TEXT": "text C"}


def _sqlite_schema(conn: sqlite3.Connection) -> dict[str, Any]:
    tables = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    )]
    columns, keys, uniques, foreign = {}, {}, {}, {}
    for table in tables:
        info = conn.execute("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid",
                            (table,)).fetchall()
        key = [name for name, *_rest, pk in sorted(info, key=lambda r: r[4]) if pk]
        # A lone INTEGER PRIMARY KEY is SQLite's rowid: generated when not given. The log rows' and rounds' ids are
        # identity columns on PostgreSQL; a guild id that is a whole key is always given, never generated.
        rowid = key[0] if len(key) == 1 and next(r[1] for r in info if r[0] == key[0]) == "INTEGER" else None
        columns[table] = [
            # SQLite lets a non-integer primary key column hold NULL (a quirk); PostgreSQL's never do.
            Column(name, PG_TYPE[type_], bool(notnull) or bool(pk), default, name == rowid and name == "id")
            for name, type_, notnull, default, pk in info
        ]
        keys[table] = key
        uniques[table] = sorted(
            [row[0] for row in conn.execute("SELECT name FROM pragma_index_info(?) ORDER BY seqno", (index,))]
            for index, origin in conn.execute("SELECT name, origin FROM pragma_index_list(?)", (table,))
            if origin == "u"
        )
        foreign[table] = sorted(
            (row[0], row[1], row[2], row[3])
            for row in conn.execute('SELECT "from", "table", "to", on_delete FROM pragma_foreign_key_list(?)', (table,))
        )
    indexes = {}
    for name, table, sql in conn.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' "
                                         "AND sql IS NOT NULL"):
        cols = [row[0] for row in conn.execute("SELECT name FROM pragma_index_info(?) ORDER BY seqno", (name,))]
        where = sql.split(" WHERE ", 1)[1] if " WHERE " in sql else None
        indexes[name] = (table, cols, _predicate(where))
    triggers = {}
    for name, table, sql in conn.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"):
        match = re.search(r"\b(BEFORE|AFTER)\s+(INSERT|DELETE|UPDATE)(?:\s+OF\s+(.*?))?\s+ON\s", sql, re.S)
        assert match, sql
        updated = [col.strip() for col in match.group(3).split(",")] if match.group(3) else []
        triggers[name] = (table, match.group(1), match.group(2), updated)
    return {"columns": columns, "keys": keys, "uniques": uniques, "foreign": foreign, "indexes": indexes,
            "triggers": triggers}


def _predicate(text: str | None) -> str | None:
    """A partial index's condition, written the same way for both (no casts, brackets or spacing)."""
    if text is None:
        return None
    return re.sub(r"\s+", " ", re.sub(r"::[a-z ]+|[()]", "", text)).strip()


def _default(text: str | None) -> str | None:
    return None if text is None else re.sub(r"::(text|bigint|double precision|numeric)$", "", text)


async def _pg_schema(conn: asyncpg.Connection) -> dict[str, Any]:
    tables = [row[0] for row in await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    )]
    columns, keys, uniques, foreign = {}, {}, {}, {}
    for table in tables:
        columns[table] = [
            Column(row["column_name"], " ".join(filter(None, (row["data_type"], row["collation_name"]))),
                   row["is_nullable"] == "NO", _default(row["column_default"]), row["is_identity"] == "YES")
            for row in await conn.fetch(
                "SELECT column_name, data_type, collation_name, is_nullable, column_default, is_identity "
                "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 "
                "ORDER BY ordinal_position", table,
            )
        ]
        constraints = await conn.fetch(
            "SELECT c.contype::text AS contype, c.confdeltype::text AS confdeltype, f.relname AS target, "
            "ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i) "
            "      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS cols, "
            "ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i) "
            "      JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) AS target_cols "
            "FROM pg_constraint c LEFT JOIN pg_class f ON f.oid = c.confrelid "
            "WHERE c.conrelid = (SELECT oid FROM pg_class WHERE relname = $1 "
            "                    AND relnamespace = current_schema()::regnamespace)",
            table,
        )
        keys[table] = next((list(row["cols"]) for row in constraints if row["contype"] == "p"), [])
        uniques[table] = sorted(list(row["cols"]) for row in constraints if row["contype"] == "u")
        actions = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
        foreign[table] = sorted(
            (col, row["target"], target_col, actions[row["confdeltype"]])
            for row in constraints if row["contype"] == "f"
            for col, target_col in zip(row["cols"], row["target_cols"])
        )
    indexes = {
        row["name"]: (row["tbl"], list(row["cols"]), _predicate(row["predicate"]))
        for row in await conn.fetch(
            "SELECT i.relname AS name, t.relname AS tbl, pg_get_expr(x.indpred, x.indrelid) AS predicate, "
            "ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o) "
            "      JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o) AS cols "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relnamespace = current_schema()::regnamespace "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"  # keys' own indexes
        )
    }
    triggers = {
        row["name"]: (row["tbl"], row["timing"], row["event"], list(row["cols"]))
        for row in await conn.fetch(
            "SELECT t.tgname AS name, c.relname AS tbl, "
            "CASE WHEN t.tgtype & 2 <> 0 THEN 'BEFORE' ELSE 'AFTER' END AS timing, "
            "CASE WHEN t.tgtype & 4 <> 0 THEN 'INSERT' WHEN t.tgtype & 8 <> 0 THEN 'DELETE' ELSE 'UPDATE' END "
            "AS event, "
            "t.tgtype & 1 <> 0 AS per_row, "
            "ARRAY(SELECT a.attname FROM unnest(t.tgattr) WITH ORDINALITY k(n, o) "
            "      JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.n ORDER BY k.o) AS cols "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
        )
        if row["per_row"]  # SQLite only has FOR EACH ROW triggers
    }
    return {"columns": columns, "keys": keys, "uniques": uniques, "foreign": foreign, "indexes": indexes,
            "triggers": triggers}


async def test_the_schema_after_every_migration_is_sqlites(pg: Schema, sqlite_at: Opener) -> None:
    expected = _sqlite_schema(sqlite_at())
    await pg_migrate(pg.conn)
    actual = await _pg_schema(pg.conn)
    assert sorted(actual["columns"]) == sorted(expected["columns"])
    for table, columns in expected["columns"].items():
        assert [c.name for c in actual["columns"][table]] == [c.name for c in columns], table
        assert actual["columns"][table] == columns, table
    for part in ("keys", "uniques", "foreign", "indexes"):
        assert actual[part] == expected[part], part
    # Triggers: the same names on the same tables and events; the UPDATE OF column lists in any order.
    assert {name: (t, w, e, sorted(c)) for name, (t, w, e, c) in actual["triggers"].items()} == {
        name: (t, w, e, sorted(c)) for name, (t, w, e, c) in expected["triggers"].items()
    }
    assert actual["indexes"]["quiz_rounds_running"] == ("quiz_rounds", ["status"], "status = 'running'")  # partial


async def test_the_schema_is_sqlites_at_every_version(pg: Schema, sqlite_at: Opener) -> None:
    """Tables and column order after each migration, not only the last (a runner may stop at any version)."""
    reference = sqlite_at(0)
    for version in range(1, LATEST + 1):
        sqlite_migrate(reference, after=version - 1, upto=version)
        await pg_migrate(pg.conn, after=version - 1, upto=version)
        expected = _sqlite_schema(reference)
        actual = await _pg_schema(pg.conn)
        assert {t: [c.name for c in cols] for t, cols in actual["columns"].items()} == {
            t: [c.name for c in cols] for t, cols in expected["columns"].items()
        }, version
        assert sorted(actual["indexes"]) == sorted(expected["indexes"]), version
        assert sorted(actual["triggers"]) == sorted(expected["triggers"]), version


async def test_the_checks_refuse_what_sqlites_refuse(pg: Schema, sqlite_at: Opener) -> None:
    await pg_migrate(pg.conn)
    reference = sqlite_at()
    bad = [
        "INSERT INTO activity (guild_id, user_id, kind, at) VALUES (1, 2, 'dance', 't')",
        "INSERT INTO reviews (guild_id, user_id, deck_id, item_id, kind, rating, reviewed_at, due_after) "
        "VALUES (1, 2, 'd', 'i', 'card', 5, 't', 't')",
        "INSERT INTO quiz_rounds (guild_id, channel_id, deck_id, starter_id, question_count, seconds, started_at) "
        "VALUES (1, 2, 'd', 3, 0, 10, 't')",
        "INSERT INTO quiz_rounds (guild_id, channel_id, deck_id, starter_id, question_count, seconds, status, "
        "started_at) VALUES (1, 2, 'd', 3, 1, 10, 'paused', 't')",
        "INSERT INTO quiz_questions (round_id, question_index, question_id, snapshot_json, opened_at, closes_at) "
        "VALUES (999, 0, 'q', '{}', 't', 't')",
        "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, question_id, "
        "correct, answered_at) VALUES (1, 0, 1, 2, 3, 'd', 'q', 2, 't')",
        "INSERT INTO explain_open (guild_id, user_id, deck_id, prompt_id, nonce, public, opened_at) "
        "VALUES (1, 2, 'd', 'p', 'n', 3, 't')",
        "INSERT INTO study_sessions (guild_id, user_id, deck_id, item_kind, token, shown_at, started_at) "
        "VALUES (1, 2, 'd', 'explain', 't', 't', 't')",
        "INSERT INTO srs_state (guild_id, user_id, deck_id, item_id, kind, card_json, due, first_seen) "
        "VALUES (1, 2, 'd', 'i', 'note', '{}', 't', 't')",
        "INSERT INTO quiz_rounds (guild_id, channel_id, deck_id, starter_id, question_count, seconds, started_at) "
        "VALUES (1, 2, 'd', 3, 1, 0, 't')",
        "INSERT INTO explain_attempts (guild_id, user_id, deck_id, prompt_id, text, hit, total, concepts_json, "
        "hint_used, rating, nonce, created_at) VALUES (1, 2, 'd', 'p', 'x', 1, 2, '[]', 0, 0, 'n', 't')",
        "INSERT INTO explain_attempts (guild_id, user_id, deck_id, prompt_id, text, hit, total, concepts_json, "
        "hint_used, rating, nonce, created_at) VALUES (1, 2, 'd', 'p', 'x', 1, 2, '[]', 2, 1, 'n', 't')",
        "INSERT INTO explain_open (guild_id, user_id, deck_id, prompt_id, nonce, hint_used, opened_at) "
        "VALUES (1, 2, 'd', 'p', 'n', -1, 't')",
        "INSERT INTO members (guild_id, user_id, display_name, updated_at) VALUES (1, 2, NULL, 't')",
    ]
    for sql in bad:
        with pytest.raises(sqlite3.IntegrityError):
            reference.execute(sql)
        with pytest.raises(asyncpg.IntegrityConstraintViolationError):
            await pg.conn.execute(sql)


async def test_deleting_a_round_deletes_its_questions(pg: Schema) -> None:
    await pg_migrate(pg.conn)
    round_id = await pg.conn.fetchval(
        "INSERT INTO quiz_rounds (guild_id, channel_id, deck_id, starter_id, question_count, seconds, started_at) "
        "VALUES (1, 2, 'd', 3, 2, 10, 't') RETURNING id"
    )
    await pg.conn.execute(
        "INSERT INTO quiz_questions (round_id, question_index, question_id, snapshot_json, opened_at, closes_at) "
        "VALUES ($1, 0, 'q', '{}', 't', 't')", round_id,
    )
    await pg.conn.execute("DELETE FROM quiz_rounds WHERE id = $1", round_id)
    assert await pg.conn.fetchval("SELECT count(*) FROM quiz_questions") == 0


# --- The triggers ---------------------------------------------------------------------------------------------------

# Everything a trigger writes (0005 and 0008).
TOTALS = ("board_totals", "board_member_totals", "board_months", "board_member_months")
G1, G2, G3 = 111111111111111111, 222222222222222222, 333333333333333333  # snowflakes: more than 32 bits
USERS = (900000000000000001, 900000000000000002, 900000000000000003, 900000000000000004)
DECKS = ("bio", "chem", "geo")

# Log times around month ends (the same text shape as bot.core.clock.to_text), so the local and UTC months differ.
TIMES = [
    f"2025-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00.000000+00:00"
    for month, day in ((1, 31), (2, 1), (2, 28), (3, 1), (3, 15), (5, 31), (6, 1))
    for hour, minute in ((0, 30), (4, 59), (5, 0), (12, 0), (21, 59), (22, 0), (23, 30))
]


def month_starts() -> list[tuple[int, str, str]]:
    """G1 counts months in UTC+2 (they start at 22:00 UTC on the day before the 1st), G2 in UTC-5 (05:00 UTC on
    the 1st); G3 has none (UTC months)."""
    rows = []
    before = "2024-11"
    for label in ("2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07"):
        year, month = int(label[:4]), int(label[5:])
        last_day = (date(year, month, 1) - timedelta(days=1)).day
        rows.append((G1, f"{before[:4]}-{before[5:]}-{last_day:02d}T22:00:00.000000+00:00", label))
        rows.append((G2, f"{label}-01T05:00:00.000000+00:00", label))
        before = label
    return rows


ANSWER_SQL = (
    "INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, question_id, letter, "
    "choice, correct, response_ms, points, answered_at) VALUES (?, ?, ?, 7, ?, ?, 'q', 'A', 'x', ?, 900, ?, ?)"
)
REVIEW_SQL = (
    "INSERT INTO reviews (guild_id, user_id, deck_id, item_id, kind, rating, reviewed_at, due_after) "
    "VALUES (?, ?, ?, ?, 'card', ?, ?, ?)"
)


@dataclass(frozen=True)
class Step:
    """One statement for both databases (`pg` when PostgreSQL spells it differently)."""

    sql: str
    params: tuple = ()
    pg: str | None = None


def insert_answer(key: tuple[int, int, int], guild: int, deck: str, correct: int, points: int, at: str) -> Step:
    round_id, index, user = key
    params = (round_id, index, guild, user, deck, correct, points, at)
    return Step("INSERT OR IGNORE " + ANSWER_SQL, params, "INSERT " + ANSWER_SQL + " ON CONFLICT DO NOTHING")


def trigger_steps(rnd: random.Random) -> list[Step]:
    """A varied history: answers and reviews added, edited (watched and unwatched columns), deleted, one by one and
    many at once, some replayed, and a server whose month starts change midway."""
    steps: list[Step] = [
        Step("INSERT INTO board_month_starts (guild_id, starts_at, month) VALUES (?, ?, ?)", row)
        for row in month_starts()
    ]
    answers: list[tuple[int, int, int]] = []  # (round_id, question_index, user_id): the answers' unique key
    reviews: list[str] = []  # item ids (unique per review here)
    for n in range(160):
        key = (1 + n // 10, n % 10, rnd.choice(USERS))
        if key in answers:
            continue
        answers.append(key)
        correct = rnd.randint(0, 1)
        points = rnd.choice((0, 0, 100, 250, 700)) * correct
        guild, deck, at = rnd.choice((G1, G2, G3)), rnd.choice(DECKS), rnd.choice(TIMES)
        steps.append(insert_answer(key, guild, deck, correct, points, at))
        if rnd.random() < 0.6:
            item = f"card-{n}"
            reviews.append(item)
            at = rnd.choice(TIMES)
            steps.append(Step(REVIEW_SQL, (rnd.choice((G1, G2, G3)), rnd.choice(USERS), rnd.choice(DECKS), item,
                                           rnd.randint(1, 4), at, at)))
    # A replayed answer (a restart grading the same reactions again) changes nothing.
    for key in answers[:5]:
        steps.append(insert_answer(key, G1, "bio", 1, 999, TIMES[-1]))
    where = " WHERE round_id = ? AND question_index = ? AND user_id = ?"
    edits = [
        ("points = ?", lambda: (rnd.choice((0, 50, 400)),)),
        ("correct = 1 - correct", tuple),
        ("points = 0, correct = 0", tuple),
        ("deck_id = ?", lambda: (rnd.choice(DECKS),)),
        ("guild_id = ?", lambda: (rnd.choice((G1, G2, G3)),)),
        ("answered_at = ?", lambda: (rnd.choice(TIMES),)),  # may move to another month (0008 watches it)
        ("answered_at = ?, points = ?", lambda: (rnd.choice(TIMES), rnd.choice((0, 300)))),
        ("letter = 'B', response_ms = 5", tuple),  # no watched column: no trigger
        ("points = points", tuple),  # set to the same value: the trigger fires all the same
    ]
    for _ in range(60):
        assignment, values = rnd.choice(edits)
        steps.append(Step(f"UPDATE quiz_answers SET {assignment}{where}", (*values(), *rnd.choice(answers))))
    # An answer moved to another member (one who has no other row), and one statement editing many rows (the
    # triggers fire for each).
    steps.append(Step(f"UPDATE quiz_answers SET user_id = ?{where}", (990000000000000009, *rnd.choice(answers))))
    steps.append(Step("UPDATE quiz_answers SET points = points + 25 WHERE guild_id = ? AND deck_id = ? AND correct = 1",
                      (G2, "bio")))
    # Reviews have no update trigger (on SQLite either): an edited review's totals stay where they were.
    for item in rnd.sample(reviews, 5):
        steps.append(Step("UPDATE reviews SET deck_id = 'geo', reviewed_at = ? WHERE item_id = ?", (TIMES[0], item)))
    # G3 gets month starts now (as rebuild_board_months writes them, without its refile): rows logged before are
    # taken out of the months the trigger finds now.
    steps.append(Step("INSERT INTO board_month_starts (guild_id, starts_at, month) VALUES (?, ?, ?)",
                      (G3, "2025-02-28T12:00:00.000000+00:00", "2025-03")))
    for key in rnd.sample(answers, 30):
        steps.append(Step("DELETE FROM quiz_answers" + where, key))
    for item in rnd.sample(reviews, 20):
        steps.append(Step("DELETE FROM reviews WHERE item_id = ?", (item,)))
    steps.append(Step("DELETE FROM quiz_answers WHERE guild_id = ? AND user_id = ?", (G1, USERS[0])))
    steps.append(Step("DELETE FROM reviews WHERE guild_id = ? AND user_id = ?", (G2, USERS[1])))
    # Then more of everything, on top of the deleted and edited totals.
    for n in range(40):
        key = (100 + n, 0, rnd.choice(USERS))
        answers.append(key)
        steps.append(insert_answer(key, rnd.choice((G1, G2, G3)), rnd.choice(DECKS), 1, rnd.choice((0, 80)),
                                   rnd.choice(TIMES)))
        at = rnd.choice(TIMES)
        steps.append(Step(REVIEW_SQL, (rnd.choice((G1, G2, G3)), rnd.choice(USERS), rnd.choice(DECKS), f"late-{n}",
                                       3, at, at)))
    return steps


async def run_steps(steps: Sequence[Step], sqlite: sqlite3.Connection, conn: asyncpg.Connection) -> None:
    for step in steps:
        sqlite.execute(step.sql, step.params)
        await conn.execute(dollars(step.pg or step.sql), *step.params)


async def test_the_triggers_keep_the_same_totals_as_sqlites(pg: Schema, sqlite_at: Opener) -> None:
    await pg_migrate(pg.conn)
    reference = sqlite_at()
    await run_steps(trigger_steps(random.Random(16)), reference, pg.conn)
    for table in TOTALS:
        columns = sqlite_columns(reference, table)
        expected = sqlite_rows(reference, table, columns)
        assert len(expected) > 10, table  # the history reached every table
        assert await pg_rows(pg.conn, table, columns) == expected, table
    # The history had every kind of row the triggers tell apart.
    months = sqlite_rows(reference, "board_months", ["guild_id", "month"])
    assert {g for g, _ in months} == {G1, G2, G3} and len({m for _, m in months}) >= 5
    # And the totals are right, not only equal: per member they are the sums of the logs (no review changed its
    # server or member, so even the review counts agree with the log).
    logged = await pg.conn.fetch(
        "SELECT guild_id, user_id, SUM(points) AS points, COUNT(*) AS answers, SUM(correct) AS correct "
        "FROM quiz_answers GROUP BY guild_id, user_id"
    )
    totals = {(r["guild_id"], r["user_id"]): r for r in await pg.conn.fetch("SELECT * FROM board_member_totals")}
    for row in logged:
        total = totals[(row["guild_id"], row["user_id"])]
        assert (total["points"], total["answers"], total["correct"]) == (row["points"], row["answers"], row["correct"])
    for row in await pg.conn.fetch("SELECT guild_id, user_id, COUNT(*) AS n FROM reviews GROUP BY guild_id, user_id"):
        assert totals[(row["guild_id"], row["user_id"])]["reviews"] == row["n"]


async def _wait_until_blocked(observer: asyncpg.Connection, blocked: asyncpg.Connection) -> None:
    """Return once `blocked` waits for a lock (bounded, so a mistake fails instead of hanging)."""
    pid = blocked.get_server_pid()
    for _ in range(2000):
        if await observer.fetchval("SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid) == "Lock":
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the second transaction never waited for the first one's row")


# The two trigger functions of each log, by the tables they keep.
FAMILIES = {
    "board_totals": ("board_totals", "board_member_totals"),
    "board_months": ("board_months", "board_member_months"),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("log", ["answer", "review"])
@pytest.mark.parametrize("decks", [("bio", "bio"), ("bio", "chem")], ids=["one deck", "two decks"])
async def test_two_transactions_adding_for_one_member_at_once_are_both_counted(
    pg: Schema, sqlite_at: Opener, family: str, log: str, decks: tuple[str, str]
) -> None:
    """The second transaction waits for the first one's totals row and then adds to what it committed, both when
    neither finds the row yet (round 1) and when both update it (round 2). One trigger function at a time (the other
    family's triggers disabled, so their row locks cannot line the two up first): with one deck the two meet at the
    member's deck row, with two decks at the member's all-deck row, so a read-then-write at either would lose a count.
    """
    await pg_migrate(pg.conn)
    for name, table in await pg.conn.fetch(
        "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal AND t.tgname NOT LIKE $1",
        family + "\\_%",
    ):
        await pg.conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
    reference = sqlite_at()
    first, second = await pg.connect(), await pg.connect()
    at = TIMES[3]

    def write(round_id: int, deck: str, points: int) -> Step:
        if log == "answer":
            return Step("INSERT " + ANSWER_SQL, (round_id, 0, G1, USERS[0], deck, 1, points, at))
        return Step(REVIEW_SQL, (G1, USERS[0], deck, f"card-{round_id}", 3, at, at))

    for round_id in (10, 20):
        one, other = write(round_id, decks[0], 100), write(round_id + 1, decks[1], 30)
        for step in (one, other):
            reference.execute(step.sql, step.params)
        first_tx, second_tx = first.transaction(), second.transaction()
        await first_tx.start()
        await first.execute(dollars(one.sql), *one.params)
        await second_tx.start()
        blocked = asyncio.create_task(second.execute(dollars(other.sql), *other.params))
        await _wait_until_blocked(pg.conn, second)
        await first_tx.commit()
        await blocked
        await second_tx.commit()
    for table in FAMILIES[family]:
        columns = sqlite_columns(reference, table)
        expected = sqlite_rows(reference, table, columns)
        assert len(expected) == (len(set(decks)) if table in ("board_totals", "board_months") else 1)
        assert await pg_rows(pg.conn, table, columns) == expected, table


# --- Upgrades -----------------------------------------------------------------------------------------------------


def _card(state: int | None) -> str:
    return '{"card_id": 1, "step": 0, "due": "2025-03-01T00:00:00.000000+00:00"' + (
        f', "state": {state}}}' if state is not None else "}"
    )


# Rows a database at some version may hold: (the version that created the table, the statement, its rows).
HISTORY: list[tuple[int, str, list[tuple]]] = [
    (1, "INSERT INTO meta (key, value) VALUES (?, ?)", [("started", "2025-01-01"), ("note", "ü €")]),
    (1, "INSERT INTO guild_settings (guild_id, timezone, daily_minimum, new_card_limit) VALUES (?, ?, ?, ?)",
     [(G1, "Europe/Helsinki", 2, 10), (G2, None, 1, 20)]),
    (1, "INSERT INTO members (guild_id, user_id, display_name, updated_at) VALUES (?, ?, ?, ?)",
     [(G1, USERS[0], "Ada", TIMES[0]), (G2, USERS[1], "Bo", TIMES[1])]),
    (1, "INSERT INTO activity (guild_id, user_id, kind, at) VALUES (?, ?, ?, ?)",
     [(G1, USERS[0], "study", t) for t in TIMES[::5]] + [(G2, USERS[1], "quiz", TIMES[7])]),
    (1, "INSERT INTO srs_state (guild_id, user_id, deck_id, item_id, kind, card_json, due, reps, lapses, first_seen) "
        "VALUES (?, ?, ?, ?, 'card', ?, ?, 1, 0, ?)",
     [(G1, USERS[0], "bio", f"c{i}", _card(state), TIMES[i], TIMES[0]) for i, state in enumerate((1, 2, 3, None, 2))]),
    (1, REVIEW_SQL, [(g, u, d, f"c{i}", 1 + i % 4, t, t) for i, (g, u, d, t) in enumerate(
        (g, u, d, t) for g in (G1, G2) for u in USERS[:2] for d in DECKS[:2] for t in TIMES[::6])]),
    (2, "INSERT INTO study_sessions (guild_id, user_id, deck_id, item_id, item_kind, token, shown_at, started_at) "
        "VALUES (?, ?, 'bio', 'c1', 'card', 'tok', ?, ?)", [(G1, USERS[0], TIMES[2], TIMES[2])]),
    (3, "INSERT INTO quiz_rounds (guild_id, channel_id, deck_id, starter_id, question_count, seconds, status, "
        "started_at) VALUES (?, 7, 'bio', ?, 3, 12.5, ?, ?)",
     [(G1, USERS[0], "finished", TIMES[3]), (G2, USERS[1], "running", TIMES[20])]),
    (3, "INSERT INTO quiz_questions (round_id, question_index, question_id, snapshot_json, opened_at, closes_at) "
        "VALUES (?, ?, 'q', '{}', ?, ?)", [(1, 0, TIMES[3], TIMES[4]), (1, 1, TIMES[4], TIMES[5])]),
    (3, "INSERT " + ANSWER_SQL, [(r, q, g, u, d, c, c * p, t) for r, (q, g, u, d, c, p, t) in enumerate(
        ((q, g, u, d, c, p, t) for q, (g, u) in enumerate(((G1, USERS[0]), (G1, USERS[1]), (G2, USERS[0])))
         for d in DECKS[:2] for c, p in ((1, 300), (0, 0), (1, 0)) for t in TIMES[::9]), start=1)]),
    (4, "INSERT INTO explain_open (guild_id, user_id, deck_id, prompt_id, nonce, opened_at) "
        "VALUES (?, ?, 'bio', 'p', 'n1', ?)", [(G1, USERS[0], TIMES[6])]),
    (4, "INSERT INTO explain_attempts (guild_id, user_id, deck_id, prompt_id, text, hit, total, concepts_json, "
        "hint_used, rating, nonce, created_at) VALUES (?, ?, 'bio', 'p', 'text', 2, 3, '[]', 0, 3, ?, ?)",
     [(G1, USERS[0], "n0", TIMES[5])]),
    (5, "INSERT INTO streaks (guild_id, user_id, current, best, last_day, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
     [(G1, USERS[0], 3, 5, "2025-03-01", TIMES[21])]),
    (5, "INSERT INTO board_resets (guild_id, reset_at) VALUES (?, ?)", [(G2, TIMES[10])]),
    (5, "INSERT INTO board_member_baselines (guild_id, user_id, points, answers, correct, reviews) "
        "SELECT guild_id, user_id, points, answers, correct, reviews FROM board_member_totals WHERE guild_id = ?",
     [(G2,)]),
    (6, "INSERT INTO server_decks (guild_id, deck_id, title, yaml_text, source_format, source_name, item_count, "
        "uploaded_by, uploaded_at) VALUES (?, 'mine', 'Mine', 'title: Mine', 'yaml', 'mine.yaml', 4, ?, ?)",
     [(G1, USERS[0], TIMES[8])]),
]


@pytest.mark.parametrize("version", range(1, LATEST))
async def test_upgrading_a_database_with_rows_gives_sqlites_data(
    pg: Schema, sqlite_at: Opener, version: int
) -> None:
    """A database that stopped at `version` with rows in it, upgraded to the latest, holds what SQLite's holds."""
    reference = sqlite_at(version)
    await pg_migrate(pg.conn, upto=version)
    for since, sql, rows in HISTORY:
        if since <= version:
            for params in rows:
                reference.execute(sql, params)
                await pg.conn.execute(dollars(sql), *params)
    sqlite_migrate(reference, after=version)
    await pg_migrate(pg.conn, after=version)
    tables = [row[0] for row in reference.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    )]
    for table in tables:
        columns = sqlite_columns(reference, table)
        assert await pg_rows(pg.conn, table, columns) == sqlite_rows(reference, table, columns), table
    # The data moves had something to move.
    if version < 8:
        assert reference.execute("SELECT count(*) FROM board_member_months").fetchone()[0] > 3
    if version < 7:
        states = [row[0] for row in reference.execute("SELECT state FROM srs_state ORDER BY item_id")]
        assert states == [1, 2, 3, None, 2]
    # Triggers made by the upgrade keep counting on both.
    step = insert_answer((500, 0, USERS[3]), G1, "geo", 1, 40, TIMES[12])
    await run_steps([step, Step("DELETE FROM reviews WHERE item_id = 'c0'")], reference, pg.conn)
    for table in TOTALS:
        columns = sqlite_columns(reference, table)
        assert await pg_rows(pg.conn, table, columns) == sqlite_rows(reference, table, columns), table
