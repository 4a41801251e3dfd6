"""Month boards from the per-month totals (migration 0008) against the raw-log query they replace.

Same entries (values, counts, tie-break moments) and the same order, for servers in UTC and in zones east and west
of it, with rows a moment either side of local and UTC month boundaries; after a timezone change, after a reset,
after an upgrade from schema 7 with rows already logged. Where the totals cannot give the window's rows exactly, the
board must read the logs instead.
"""
from __future__ import annotations

import asyncio
import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import leaderboard as lb
from bot.core.clock import to_text
from bot.core.leaderboard import Board, BoardWindow, Entry, Period
from bot.core.streaks import effective_zone_name, zone
from bot.services import progress as progress_service
from bot.services.progress import ProgressService, refile_upgraded_servers
from bot.store import boards
from bot.store.db import Database, _migrations, _statements
from bot.store.guilds import change_guild_settings, get_guild_settings
from tests.core.test_leaderboard import rank
from tests.store.test_boards import entries

UTC = timezone.utc
G, G2 = 111, 222
NOW = datetime(2025, 6, 11, 12, tzinfo=UTC)
USERS = (1, 2, 3, 4, 5, 6)
DECKS = ("deck-a", "deck-b")
COUNTED = (Board.POINTS, Board.ACCURACY, Board.REVIEWS)
EAST, WEST = "Asia/Tokyo", "America/Los_Angeles"  # June: UTC+9 and UTC-7

Row = tuple[str, int, int, str, datetime, int, int]  # (log, guild, user, deck, at, points, correct)

_ids = iter(range(1, 10**9))


async def log(db: Database, rows: list[Row]) -> None:
    async def body(conn) -> None:
        for kind, guild, user, deck, at, points, correct in rows:
            if kind == "answer":
                await conn.execute(
                    "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, "
                    "question_id, correct, points, answered_at) VALUES (?, 0, ?, 9, ?, ?, 'q', ?, ?, ?)",
                    (next(_ids), guild, user, deck, correct, points, to_text(at)),
                )
            else:
                await conn.execute(
                    "INSERT INTO reviews (guild_id, user_id, deck_id, item_id, kind, rating, reviewed_at, due_after) "
                    "VALUES (?, ?, ?, 'c', 'card', 3, ?, ?)",
                    (guild, user, deck, to_text(at), to_text(at)),
                )

    await db.atomic(body)


def progress(db: Database) -> ProgressService:
    return ProgressService(db, on_settings_change=lambda guild_id: None)


async def set_zone(db: Database, guild: int, name: str | None) -> None:
    """What /recall-admin timezone does; None (no command sets it: a server as before any zone was set) is written
    the same way: the setting and the refile in one transaction."""
    if name is not None:
        await progress(db).set_server_timezone(guild, name)
        return

    async def body(conn) -> None:
        await change_guild_settings(conn, guild, timezone=None)
        await progress_service._refile(conn, guild, None)

    await db.atomic(body)


def month_edges(*zone_names: str) -> list[datetime]:
    """Moments on and a hair either side of the starts of May and June 2025, locally and in UTC."""
    edges = []
    for name in ("UTC", *zone_names):
        for month in (5, 6):
            start = lb.month_start(2025, month, zone(name))
            for delta in (timedelta(0), timedelta(microseconds=1), timedelta(seconds=1), timedelta(hours=1)):
                edges += [start - delta, start + delta] if delta else [start]
    return edges


def history(rnd: random.Random, moments: list[datetime], guild: int = G, per_moment: int = 3) -> list[Row]:
    """Answers and reviews at the given moments plus a spread over May and June: ties, zero-point answers, 2 decks."""
    spread = [NOW - timedelta(minutes=rnd.randrange(60 * 24 * 40)) for _ in range(400)]
    rows = []
    for at in moments + spread:
        for _ in range(rnd.randint(1, per_moment)):
            user, deck = rnd.choice(USERS), rnd.choice(DECKS)
            if rnd.random() < 0.6:
                correct = int(rnd.random() < 0.6)
                rows.append(("answer", guild, user, deck, at, rnd.choice((300, 500, 900)) if correct else 0, correct))
            else:
                rows.append(("review", guild, user, deck, at, 0, 0))
    return rows


async def raw_entries(db: Database, guild: int, board: Board, since: datetime, deck: str | None) -> list[Entry]:
    """The raw-log window query the month boards read before 0008 (the reference), by user id."""
    _table, _column, range_index, _walk = boards._INDEXES[board]
    sql = boards._WINDOW_SQL[board].format(index=range_index, deck="AND deck_id = ?" if deck else "")
    params = [guild, to_text(since), *([deck] if deck else [])]
    params += [lb.ACCURACY_MIN_ANSWERS] if board is Board.ACCURACY else []
    return sorted((boards._entry(row) for row in await db.fetchall(sql, params)), key=lambda e: e.user_id)


async def month_window(db: Database, guild: int) -> tuple[BoardWindow, str | None]:
    """This month's window and the month of totals it reads (None: it reads the logs)."""
    current = await get_guild_settings(db, guild)
    tz = zone(effective_zone_name(None, current.timezone))
    window = lb.counted_window(Period.MONTH, NOW, tz, current.board_reset_at)
    assert window.since is not None
    return window, await boards._month_from(db, guild, window)


async def assert_month_boards_match_the_logs(db: Database, guild: int = G, *, from_totals: bool = True) -> None:
    """Every counted month board, all decks and each deck: what the board reads equals the raw-log query, entry for
    entry, ranked and paged the same."""
    window, month = await month_window(db, guild)
    since = window.since
    assert since is not None and (month is not None) is from_totals
    for board in COUNTED:
        for deck in (None, *DECKS):
            want = await raw_entries(db, guild, board, since, deck)
            got = await entries(db, guild, board, window, deck)
            assert sorted(got, key=lambda e: e.user_id) == want, (board, deck)
            ranked = rank(want, board)
            viewer = ranked[-1].entry.user_id if ranked else None
            page = await progress(db).board_page(guild, board, Period.MONTH, deck, NOW, viewer_id=viewer)
            assert (page.since, page.total, page.rows) == (since, len(ranked), ranked[: lb.PAGE_SIZE]), (board, deck)
            assert page.viewer == (ranked[-1] if ranked else None)
        assert await raw_entries(db, guild, board, since, None), "the history should put someone on every board"


async def test_month_boards_match_the_logs_in_utc(db: Database) -> None:
    await log(db, history(random.Random(1), month_edges(EAST, WEST)))
    await assert_month_boards_match_the_logs(db)


@pytest.mark.parametrize("name", [EAST, WEST, "Pacific/Kiritimati", "Pacific/Pago_Pago"])
@pytest.mark.parametrize("zone_first", [True, False], ids=["zone-then-rows", "rows-then-zone"])
async def test_month_boards_match_the_logs_east_and_west_of_utc(db: Database, name: str, zone_first: bool) -> None:
    rows = history(random.Random(2), month_edges(name))
    if zone_first:  # the triggers file each row under the server's month
        await set_zone(db, G, name)
        await log(db, rows)
    else:  # setting the zone refiles the rows already logged
        await log(db, rows)
        await set_zone(db, G, name)
    await assert_month_boards_match_the_logs(db)


async def test_a_timezone_change_refiles_the_months(db: Database) -> None:
    rnd = random.Random(3)
    await log(db, history(rnd, month_edges(EAST, WEST)))
    await assert_month_boards_match_the_logs(db)
    for name in (EAST, WEST, "UTC", None, EAST):
        await set_zone(db, G, name)
        await assert_month_boards_match_the_logs(db)
        await log(db, history(rnd, month_edges(EAST, WEST), per_moment=1))  # and rows logged after the change
        await assert_month_boards_match_the_logs(db)


async def test_other_servers_keep_their_own_months(db: Database) -> None:
    rnd = random.Random(4)
    await log(db, history(rnd, month_edges(EAST, WEST)) + history(rnd, month_edges(EAST, WEST), guild=G2))
    await set_zone(db, G, EAST)
    await set_zone(db, G2, WEST)
    edges = month_edges(EAST, WEST)
    await log(db, history(rnd, edges, per_moment=1) + history(rnd, edges, guild=G2))
    await assert_month_boards_match_the_logs(db, G)
    await assert_month_boards_match_the_logs(db, G2)


async def test_a_reset_inside_the_month_reads_the_logs_and_one_before_it_does_not(db: Database) -> None:
    await set_zone(db, G, EAST)
    rows = history(random.Random(5), month_edges(EAST))
    earlier, inside = datetime(2025, 5, 20, tzinfo=UTC), datetime(2025, 6, 5, 8, tzinfo=UTC)
    # A reset snapshots the totals when it happens: log what came before it, reset, then what came after.
    await log(db, [r for r in rows if r[4] < earlier])
    await progress(db).reset_boards(G, earlier)  # before this month: the month still counts whole
    await log(db, [r for r in rows if earlier <= r[4] < inside])
    await assert_month_boards_match_the_logs(db)
    await progress(db).reset_boards(G, inside)
    await log(db, [r for r in rows if r[4] >= inside])
    window, month = await month_window(db, G)
    since = window.since
    assert (since, month) == (inside, None)
    for board in COUNTED:
        # The window is all time since the reset (totals minus the reset's snapshot): same members, values, moments.
        got = await entries(db, G, board, window)
        want = await raw_entries(db, G, board, since, None)
        assert want
        assert sorted((e.user_id, e.value, e.reached_at) for e in got) == [
            (e.user_id, e.value, e.reached_at) for e in want
        ]


async def test_rows_filed_under_a_later_month_send_the_board_to_the_logs(db: Database) -> None:
    await set_zone(db, G, WEST)
    await log(db, history(random.Random(6), month_edges(WEST)))
    await assert_month_boards_match_the_logs(db)
    # A row after this month (a clock ahead, an import): the window has no end, so it counts; June's totals lack it.
    await log(db, [("review", G, 1, "deck-a", datetime(2025, 7, 2, tzinfo=UTC), 0, 0)])
    await assert_month_boards_match_the_logs(db, from_totals=False)


def _schema_7(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for version, _name, sql in _migrations():
        if version <= 7:
            for statement in _statements(sql):
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 7")
    return conn


def _insert_raw(conn: sqlite3.Connection, rows: list[Row]) -> None:
    for kind, guild, user, deck, at, points, correct in rows:
        if kind == "answer":
            conn.execute(
                "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, "
                "question_id, correct, points, answered_at) VALUES (?, 0, ?, 9, ?, ?, 'q', ?, ?, ?)",
                (next(_ids), guild, user, deck, correct, points, to_text(at)),
            )
        else:
            conn.execute(
                "INSERT INTO reviews (guild_id, user_id, deck_id, item_id, kind, rating, reviewed_at, due_after) "
                "VALUES (?, ?, ?, 'c', 'card', 3, ?, ?)",
                (guild, user, deck, to_text(at), to_text(at)),
            )


async def test_upgrading_from_schema_7_files_the_logged_rows(tmp_path: Path) -> None:
    """Rows logged before 0008 are filed in UTC months: right for a UTC server at once; a server that had a timezone
    reads the logs (its months do not start where its window does) until it is refiled."""
    path = tmp_path / "old.db"
    conn = _schema_7(path)
    rnd = random.Random(7)
    _insert_raw(conn, history(rnd, month_edges(EAST)) + history(rnd, month_edges(EAST), guild=G2))
    conn.execute("INSERT INTO guild_settings (guild_id, timezone) VALUES (?, ?)", (G2, EAST))
    conn.close()
    db = await Database.open(path)
    try:
        assert await db.schema_version() == len(_migrations())
        await assert_month_boards_match_the_logs(db, G)
        await assert_month_boards_match_the_logs(db, G2, from_totals=False)
        assert await refile_upgraded_servers(db) == [G2]  # at start-up: refiled in its months
        await assert_month_boards_match_the_logs(db, G2)
        assert await refile_upgraded_servers(db) == []
        await set_zone(db, G2, EAST)  # setting the same zone again refiles too
        await assert_month_boards_match_the_logs(db, G2)
        await log(db, history(rnd, month_edges(EAST), per_moment=1) + history(rnd, month_edges(EAST), guild=G2))
        await assert_month_boards_match_the_logs(db, G)
        await assert_month_boards_match_the_logs(db, G2)
    finally:
        await db.close()


_COUNTS = "guild_id, month, user_id, {deck}points, scored, answers, correct, reviews"
_MOMENTS = "last_point_at, last_answer_at, last_review_at"


async def _month_tables(db: Database, *, moments: bool) -> tuple[list[tuple], list[tuple]]:
    columns = _COUNTS + (", " + _MOMENTS if moments else "")
    by_deck = await db.fetchall(f"SELECT {columns.format(deck='deck_id, ')} FROM board_months ORDER BY 1, 2, 3, 4")
    by_member = await db.fetchall(f"SELECT {columns.format(deck='')} FROM board_member_months ORDER BY 1, 2, 3")
    return [tuple(r) for r in by_deck], [tuple(r) for r in by_member]


async def test_triggers_keep_the_totals_a_refile_from_the_logs_gives(db: Database) -> None:
    """What the triggers keep must equal refiling the logs (rebuild_board_months), per deck and per member; after
    edits and deletes the counts still do (the last_*_at moments do not move back, as in board_totals)."""
    rnd = random.Random(8)
    await set_zone(db, G, EAST)
    await log(db, history(rnd, month_edges(EAST)))
    kept = await _month_tables(db, moments=True)
    await set_zone(db, G, EAST)
    assert await _month_tables(db, moments=True) == kept
    assert kept[0] and kept[1]
    async def edit(conn) -> None:
        await conn.execute("UPDATE quiz_answers SET deck_id = 'deck-b', points = points + 5 WHERE user_id = 1")
        await conn.execute("UPDATE quiz_answers SET user_id = 3 WHERE id % 3 = 0")
        # Across the month boundary in Tokyo, both ways.
        await conn.execute("UPDATE quiz_answers SET answered_at = ? WHERE id % 7 = 0", (to_text(NOW),))
        may = datetime(2025, 5, 31, 14, tzinfo=UTC)  # 23:00 in Tokyo
        await conn.execute("UPDATE quiz_answers SET answered_at = ? WHERE id % 7 = 1", (to_text(may),))
        await conn.execute("DELETE FROM quiz_answers WHERE id % 4 = 0")
        await conn.execute("DELETE FROM reviews WHERE id % 5 = 0")

    await db.atomic(edit)
    kept = await _month_tables(db, moments=False)
    await set_zone(db, G, EAST)
    refiled = await _month_tables(db, moments=False)
    # Refiling drops members left with nothing; the triggers leave their rows at zero.
    assert [r for r in kept[0] if any(r[4:])] == refiled[0]
    assert [r for r in kept[1] if any(r[3:])] == refiled[1]


async def test_month_queries_read_in_key_order_without_a_sort(sqlite_db: Database) -> None:
    db = sqlite_db  # SQLite's plan; PostgreSQL plans by its statistics
    for board in COUNTED:
        for by_deck in (False, True):
            params = [G, "2025-06", *(["deck-a"] if by_deck else []), *([10] if board is Board.ACCURACY else [])]
            sql = boards._month_sql(board, by_deck=by_deck)
            plan = [row[3] for row in await db.fetchall("EXPLAIN QUERY PLAN " + sql, params)]
            table = "board_months" if by_deck else "board_member_months"
            assert plan == [f"SEARCH {table} USING PRIMARY KEY (guild_id=? AND month=?)"]  # no TEMP B-TREE


ZONES = (None, "UTC", EAST, WEST, "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Kiritimati")
_JUNE = datetime(2025, 6, 1, tzinfo=UTC)
_offsets = st.integers(-3 * 86400, 10 * 86400).map(lambda s: timedelta(seconds=s))
_rows = st.lists(
    st.tuples(st.sampled_from(("answer", "review")), st.sampled_from(USERS[:4]), st.sampled_from(DECKS), _offsets,
              st.sampled_from((0, 0, 300, 700)), st.integers(0, 1)),
    min_size=1, max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(_rows, st.sampled_from(ZONES), st.sampled_from(ZONES), st.booleans())
def test_month_totals_agree_with_the_logs_for_any_rows_and_zones(
    drawn: list[tuple], before: str | None, after: str | None, edges: bool
) -> None:
    """Random rows near the start of June, logged in one zone; then the zone may change and more rows come."""

    async def check() -> None:
        db = await Database.open(":memory:")
        try:
            rows: list[Row] = [
                (kind, G, user, deck, _JUNE + offset, points if correct else 0, correct)
                for kind, user, deck, offset, points, correct in drawn
            ]
            if edges:  # every row on or a microsecond beside a month start of either zone
                starts = [lb.month_start(2025, 6, zone(effective_zone_name(None, name))) for name in (before, after)]
                rows = [(*r[:4], starts[i % 2] + timedelta(microseconds=i % 3 - 1), *r[5:]) for i, r in enumerate(rows)]
            await set_zone(db, G, before)
            await log(db, rows[: len(rows) // 2])
            await set_zone(db, G, after)
            await log(db, rows[len(rows) // 2 :])
            window, month = await month_window(db, G)
            assert month is not None and window.since is not None
            for board in COUNTED:
                for deck in (None, *DECKS):
                    got = await entries(db, G, board, window, deck)
                    assert sorted(got, key=lambda e: e.user_id) == await raw_entries(db, G, board, window.since, deck)
        finally:
            await db.close()

    asyncio.run(check())
