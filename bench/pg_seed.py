"""Seeding the leaderboard phase's PostgreSQL schema fast: COPY, with the logs' triggers off and indexes rebuilt after.

Row by row, each log row runs the triggers that keep the board totals (four upserts), about 250 µs a row here: a
million rows would take minutes. Instead the logs are copied with their user triggers disabled and their secondary
indexes dropped, the indexes are rebuilt from the definitions PostgreSQL reports for them (so they are exactly the
migrations' indexes), and the totals are filled from the logs with the statements the migrations use to fill them
for logs that existed before them (0005_streaks, 0008_board_months; no server has a month start here, so months are
UTC months, as the triggers file them). A check then compares the totals with the logs, and the triggers are known by
name: a migration that adds one stops the seeding with a line saying so rather than seeding totals it does not keep.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Sequence

from bot.store.open import open_database

from bench.backends import Target

CHUNK = 20_000  # rows per COPY: big enough to be fast, small enough to keep the generated tuples few

# The triggers the fill below stands in for (the logs' user triggers after every migration).
KNOWN_TRIGGERS = {
    "quiz_answers": {"board_totals_answer_added", "board_totals_answer_removed", "board_totals_answer_changed",
                     "board_months_answer_added", "board_months_answer_removed", "board_months_answer_changed"},
    "reviews": {"board_totals_review_added", "board_totals_review_removed", "board_months_review_added",
                "board_months_review_removed"},
}

# As migrations_pg/0005_streaks.sql and 0008_board_months.sql fill the totals of the logs so far.
FILL_TOTALS = (
    """INSERT INTO board_totals (guild_id, user_id, deck_id, points, answers, correct, last_point_at, last_answer_at)
    SELECT guild_id, user_id, deck_id, SUM(points), COUNT(*), SUM(correct),
           MAX(CASE WHEN points > 0 THEN answered_at END), MAX(answered_at)
    FROM quiz_answers GROUP BY guild_id, user_id, deck_id""",
    """INSERT INTO board_totals (guild_id, user_id, deck_id, reviews, last_review_at)
    SELECT guild_id, user_id, deck_id, COUNT(*), MAX(reviewed_at) FROM reviews GROUP BY guild_id, user_id, deck_id
    ON CONFLICT (guild_id, user_id, deck_id) DO UPDATE SET reviews = excluded.reviews,
        last_review_at = excluded.last_review_at""",
    """INSERT INTO board_member_totals (guild_id, user_id, points, answers, correct, reviews,
                                     last_point_at, last_answer_at, last_review_at)
    SELECT guild_id, user_id, SUM(points), SUM(answers), SUM(correct), SUM(reviews),
           MAX(last_point_at), MAX(last_answer_at), MAX(last_review_at)
    FROM board_totals GROUP BY guild_id, user_id""",
    """INSERT INTO board_months (guild_id, month, user_id, deck_id, points, scored, answers, correct,
                              last_point_at, last_answer_at)
    SELECT guild_id, substr(answered_at, 1, 7), user_id, deck_id, SUM(points), COUNT(*) FILTER (WHERE points > 0),
           COUNT(*), SUM(correct), MAX(CASE WHEN points > 0 THEN answered_at END), MAX(answered_at)
    FROM quiz_answers GROUP BY guild_id, substr(answered_at, 1, 7), user_id, deck_id""",
    """INSERT INTO board_months (guild_id, month, user_id, deck_id, reviews, last_review_at)
    SELECT guild_id, substr(reviewed_at, 1, 7), user_id, deck_id, COUNT(*), MAX(reviewed_at)
    FROM reviews GROUP BY guild_id, substr(reviewed_at, 1, 7), user_id, deck_id
    ON CONFLICT (guild_id, month, user_id, deck_id) DO UPDATE SET
        reviews = excluded.reviews, last_review_at = excluded.last_review_at""",
    """INSERT INTO board_member_months (guild_id, month, user_id, points, scored, answers, correct, reviews,
                                     last_point_at, last_answer_at, last_review_at)
    SELECT guild_id, month, user_id, SUM(points), SUM(scored), SUM(answers), SUM(correct), SUM(reviews),
           MAX(last_point_at), MAX(last_answer_at), MAX(last_review_at)
    FROM board_months GROUP BY guild_id, month, user_id""",
)

# Each pair must be equal once the totals are filled (what the triggers would have kept).
TOTALS_CHECK = """SELECT
    (SELECT COALESCE(SUM(points), 0) FROM quiz_answers), (SELECT COALESCE(SUM(points), 0) FROM board_member_totals),
    (SELECT COUNT(*) FROM quiz_answers), (SELECT COALESCE(SUM(answers), 0) FROM board_member_months),
    (SELECT COUNT(*) FROM reviews), (SELECT COALESCE(SUM(reviews), 0) FROM board_totals),
    (SELECT COUNT(*) FROM reviews), (SELECT COALESCE(SUM(reviews), 0) FROM board_member_months)"""


class SeedError(Exception):
    """The schema is not the one this seeding knows how to fill consistently."""


def _chunks(rows: Iterable[tuple], size: int = CHUNK) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def seed_postgres(target: Target, tables: dict[str, tuple[Sequence[str], Iterable[tuple]]]) -> None:
    """Migrate the target's schema, then copy `tables` ({table: (columns, rows)}) into it with the totals filled."""
    db: Any = await open_database(target.settings())  # every migration: tables, indexes, triggers
    try:
        async with db.pool.acquire() as conn:
            await _check_triggers(conn)
            logs = [t for t in tables if t in KNOWN_TRIGGERS]
            indexes = await conn.fetch(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = ANY($1::text[]) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
                "AND c.connamespace = current_schema()::regnamespace)",
                logs,
            )
            async with conn.transaction():
                for table in logs:
                    await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
                for index in indexes:
                    await conn.execute(f"DROP INDEX {index['indexname']}")
                for table, (columns, rows) in tables.items():
                    for batch in _chunks(rows):
                        await conn.copy_records_to_table(table, records=batch, columns=list(columns))
                for index in indexes:
                    await conn.execute(index["indexdef"])
                for statement in FILL_TOTALS:
                    await conn.execute(statement)
                for table in logs:
                    await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                await _check_totals(conn)
            # Autovacuum would do this soon after such a load on a real server; without it the covering indexes
            # cannot answer alone (the visibility map is empty) and the first queries would pay for hint bits.
            tables_here = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
            for row in tables_here:
                await conn.execute(f"VACUUM (ANALYZE) {row['tablename']}")
    finally:
        await db.close()


async def _check_triggers(conn: Any) -> None:
    rows = await conn.fetch(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace")
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["relname"], set()).add(row["tgname"])
    if found != KNOWN_TRIGGERS:
        raise SeedError(
            f"the schema's triggers are {sorted((t, sorted(n)) for t, n in found.items())}, but the benchmark's "
            "PostgreSQL seeding fills the totals of these only: "
            f"{sorted((t, sorted(n)) for t, n in KNOWN_TRIGGERS.items())}; teach bench/pg_seed.py the new ones"
        )


async def _check_totals(conn: Any) -> None:
    values = list(await conn.fetchrow(TOTALS_CHECK))
    pairs = list(zip(values[0::2], values[1::2]))
    if any(int(log) != int(total) for log, total in pairs):
        raise SeedError(f"seeded totals do not match the logs (log, total): {pairs}")
