"""Leaderboard: every board and period of the largest server, on a database seeded like a busy deployment.

Seeded through the real migrations (so the board indexes and the triggers that keep all-time totals are there):
members spread over servers (the largest holds 30%, the others less and less), quiz answers and reviews half and
half, spread evenly over the last 120 days, a few members far more active than the rest, each member mostly on one
deck; streaks for a fifth of the members.
Queries go through bot.services.progress.ProgressService.board_page (the server's settings, the window in its zone,
then bot.store.boards.load_board), exactly as /leaderboard runs them (less the names of the page's members).

On PostgreSQL the same rows are seeded with COPY (bench.pg_seed): the logs go in with the total-keeping triggers
off and their secondary indexes dropped, then the indexes are rebuilt from their own definitions and the totals
filled from the logs as the migrations fill them for existing logs, and checked against the logs.
"""
from __future__ import annotations

import random
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

from bot.core.clock import to_text
from bot.core.leaderboard import Board, Period
from bot.services.progress import ProgressService
from bot.store.db import Database
from bot.store.open import open_database

from bench.backends import Backend, Target
from bench.common import percentile

LARGEST_SHARE = 0.3
HISTORY_DAYS = 120
DECKS = ("pytorch-lr-schedulers", "python-asyncio", "sql-basics", "git-basics", "pytorch-optimizers")
ZONES = ("UTC", "UTC", "UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
CHUNK = 50_000


def server_sizes(members: int, servers: int) -> list[int]:
    """The largest server holds LARGEST_SHARE of the members; the others share the rest, each smaller."""
    if servers == 1:
        return [members]
    largest = round(members * LARGEST_SHARE)
    weights = [0.8 ** n for n in range(servers - 1)]
    rest = [round((members - largest) * w / sum(weights)) for w in weights]
    rest[-1] += members - largest - sum(rest)
    return [largest, *rest]


class Population:
    """Who is in which server, and a skewed pick of an active member (a few members do most of the answering)."""

    def __init__(self, members: int, servers: int) -> None:
        self.guilds: list[tuple[int, list[int]]] = []
        user = 10**15
        for number, size in enumerate(server_sizes(members, servers)):
            users = list(range(user, user + size))
            user += size
            self.guilds.append((10**14 + number, users))
        self.weights = [len(users) for _, users in self.guilds]

    def pick(self, rng: random.Random) -> tuple[int, int]:
        guild, users = rng.choices(self.guilds, self.weights)[0]
        return guild, users[int(len(users) * rng.random() ** 2)]


def _moments(now: datetime, rng: random.Random, count: int = 20_000) -> list[str]:
    """A pool of timestamps spread evenly over the history up to now."""
    span = HISTORY_DAYS * 86400
    return [to_text(now - timedelta(seconds=span * rng.random())) for _ in range(count)]


def _deck(user: int, rng: random.Random) -> str:
    """Each member mostly uses one deck of the server, now and then a second one."""
    return DECKS[(user + (rng.random() < 0.3)) % len(DECKS)]


def _answers(population: Population, count: int, moments: list[str], rng: random.Random) -> Iterator[tuple]:
    for n in range(count):
        guild, user = population.pick(rng)
        correct = rng.random() < 0.6
        points = rng.randint(500, 1100) if correct else 0
        yield (n + 1, 0, guild, guild + 1, user, _deck(user, rng), f"q-{n % 300}", "A", "choice",
               int(correct), rng.randint(400, 20_000), points, rng.choice(moments))


def _reviews(population: Population, count: int, moments: list[str], rng: random.Random) -> Iterator[tuple]:
    for n in range(count):
        guild, user = population.pick(rng)
        at = rng.choice(moments)
        yield (guild, user, _deck(user, rng), f"card-{n % 400}", "card", rng.choice((1, 3, 3, 3, 4)), at, at)


def _streaks(population: Population, now: datetime, rng: random.Random) -> Iterator[tuple]:
    stamp = to_text(now)
    for guild, users in population.guilds:
        for user in users[: max(1, len(users) // 5)]:
            current = rng.randint(1, 60)
            last_day = (now.date() - timedelta(days=rng.choice((0, 0, 1, 2, 5)))).isoformat()
            yield (guild, user, current, current + rng.randint(0, 20), rng.randint(0, 2), last_day, stamp, None, 0,
                   stamp, rng.choice(ZONES), 1, stamp)


MEMBER_COLUMNS = ("guild_id", "user_id", "display_name", "updated_at")
ANSWER_COLUMNS = ("round_id", "question_index", "guild_id", "channel_id", "user_id", "deck_id", "question_id", "letter",
                  "choice", "correct", "response_ms", "points", "answered_at")
REVIEW_COLUMNS = ("guild_id", "user_id", "deck_id", "item_id", "kind", "rating", "reviewed_at", "due_after")
STREAK_COLUMNS = ("guild_id", "user_id", "current", "best", "freezes", "last_day", "reached_at", "pending_day",
                  "pending_count", "last_at", "timezone", "daily_minimum", "updated_at")


def seed_rows(population: Population, rows: int, now: datetime, rng: random.Random) -> dict[str, Iterator[tuple]]:
    """Every seeded table's rows (generated lazily, in this order: the random draws must not be reordered)."""
    moments = _moments(now, rng)
    stamp = to_text(now)
    return {
        "members": ((g, u, f"member {u % 1_000_000}", stamp) for g, users in population.guilds for u in users),
        "quiz_answers": _answers(population, rows // 2, moments, rng),
        "reviews": _reviews(population, rows - rows // 2, moments, rng),
        "streaks": _streaks(population, now, rng),
    }


COLUMNS = {"members": MEMBER_COLUMNS, "quiz_answers": ANSWER_COLUMNS, "reviews": REVIEW_COLUMNS,
           "streaks": STREAK_COLUMNS}


def _insert(raw: sqlite3.Connection, sql: str, rows: Iterator[tuple]) -> None:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            raw.executemany(sql, batch)
            batch.clear()
    if batch:
        raw.executemany(sql, batch)


async def seed(path: Path, members: int, rows: int, servers: int, now: datetime, rng: random.Random) -> Population:
    db = await Database.open(path)  # every migration, with the board indexes and triggers
    await db.close()
    population = Population(members, servers)
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        # Seeding only: no journal and a big cache (a million rows through the log would take a minute).
        raw.execute("PRAGMA journal_mode=OFF")
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-400000")
        raw.execute("BEGIN")
        for table, generated in seed_rows(population, rows, now, rng).items():
            columns = COLUMNS[table]
            _insert(raw, f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    generated)
        raw.execute("COMMIT")
        raw.execute("ANALYZE")
        raw.execute("PRAGMA journal_mode=WAL")
    finally:
        raw.close()
    return population


async def seed_target(target: Target, members: int, rows: int, servers: int, now: datetime,
                      rng: random.Random) -> Population:
    """Seed the phase's database on its backend (the same rows on both)."""
    if target.url is None:
        return await seed(target.path, members, rows, servers, now, rng)
    from bench.pg_seed import seed_postgres

    population = Population(members, servers)
    await seed_postgres(target, {t: (COLUMNS[t], g) for t, g in seed_rows(population, rows, now, rng).items()})
    return population


def queries() -> list[tuple[Board, Period]]:
    counted = [(board, period) for board in (Board.POINTS, Board.ACCURACY, Board.REVIEWS) for period in Period]
    return [*counted, (Board.STREAK, Period.ALL)]


async def boards_phase(members: int, rows: int, servers: int, repeats: int, workdir: Path,
                       seed_number: int = 5, backend: Backend | None = None) -> dict[str, Any]:
    backend = backend or Backend.sqlite()
    rng = random.Random(seed_number)
    now = datetime.now(timezone.utc)
    async with backend.target(workdir, "boards") as target:
        started = time.perf_counter()
        population = await seed_target(target, members, rows, servers, now, rng)
        seeded = time.perf_counter() - started
        guild, users = population.guilds[0]
        results = []
        db = await open_database(target.settings())
        progress = ProgressService(db, on_settings_change=lambda guild_id: None)
        try:
            for board, period in queries():
                times: list[float] = []
                for _ in range(repeats):
                    viewer = rng.choice(users)
                    began = time.perf_counter()
                    page = await progress.board_page(guild, board, period, None, now, page=0, viewer_id=viewer)
                    times.append((time.perf_counter() - began) * 1000)
                name = board.value if board is Board.STREAK else f"{board.value} · {period.value}"
                results.append({"name": name, "p50_ms": round(percentile(times, 0.5), 2),
                                "p99_ms": round(percentile(times, 0.99), 2), "ranked": page.total})
        finally:
            await db.close()
        size = await database_mb(target)
    return {"backend": backend.name, "members": members, "rows": rows, "servers": servers,
            "largest_server_members": len(users), "seed_seconds": round(seeded, 1), "database_mb": size,
            "repeats": repeats, "queries": results}


async def database_mb(target: Target) -> float:
    """The database's size on disk: the SQLite file, or every relation of the phase's PostgreSQL schema."""
    if target.url is None:
        return round(target.path.stat().st_size / 2**20, 1)
    (size,), = await target.rows(
        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'")
    return round(int(size) / 2**20, 1)
