"""Board and stats SQL against a real migrated database: windows, resets, decks, servers, names, hidden streaks.

The windows are worked out as bot.services.progress does (its board_page is a thin wrapper over boards.load_board);
`entries` reads a board's grouped query unranked, to check the SQL ranking against the plain rule in Python.
"""
from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.core import leaderboard as lb
from bot.core.clock import to_text
from bot.core.leaderboard import Board, BoardWindow, Entry, Period
from bot.core.paging import page_count
from bot.core.stats import StatsBounds
from bot.core.streaks import zone
from bot.services.progress import ProgressService
from bot.services.streaks import record_activity
from bot.store import boards
from bot.store.db import Database, _migrations, _statements
from bot.store.members import member_names, remember_member, set_member_field
from tests.core.test_leaderboard import rank
from tests.store.conftest import write

UTC = timezone.utc
G, G2 = 111, 222
ALICE, BOB, CAROL = 1, 2, 3
NOW = datetime(2025, 6, 11, 12, tzinfo=UTC)  # a Wednesday

_answer_ids = iter(range(1, 10**6))


def progress(db: Database) -> ProgressService:
    return ProgressService(db, on_settings_change=lambda guild_id: None)


async def answer(db: Database, guild: int, user: int, at: datetime, *, points: int = 0, correct: bool | None = None,
                 deck: str = "deck-a") -> None:
    correct = points > 0 if correct is None else correct
    await write(
        db,
        "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, question_id, "
        "letter, choice, correct, response_ms, points, answered_at) VALUES (?, 0, ?, 9, ?, ?, 'q', 'A', 'x', ?, 1000, ?, ?)",
        (next(_answer_ids), guild, user, deck, int(correct), points, to_text(at)),
    )


async def review(db: Database, guild: int, user: int, at: datetime, *, rating: int = 3, deck: str = "deck-a") -> None:
    await write(
        db,
        "INSERT INTO reviews (guild_id, user_id, deck_id, item_id, kind, rating, reviewed_at, due_after) "
        "VALUES (?, ?, ?, 'c', 'card', ?, ?, ?)",
        (guild, user, deck, rating, to_text(at), to_text(at + timedelta(days=1))),
    )


async def name(db: Database, guild: int, user: int, display: str) -> None:
    await db.atomic(lambda conn: remember_member(conn, guild, user, display))


async def board(db: Database, kind: Board, period: Period, deck: str | None = None, guild: int = G) -> list[tuple]:
    page = await progress(db).board_page(guild, kind, period, deck, NOW)
    return [(r.rank, r.entry.user_id, r.entry.value) for r in page.rows]


async def entries(db: Database, guild: int, kind: Board, window: BoardWindow, deck: str | None = None) -> list[Entry]:
    """Every member's value on a board, unranked: the grouped query the ranking query orders."""
    grouped = await boards.grouped_board(db, guild, kind, deck, window)
    return [boards._entry(row) for row in await db.fetchall(*grouped)] if grouped else []


def since(moment: datetime | None, reset_at: datetime | None = None) -> BoardWindow:
    """A window from `moment` on (None: all time since the last reset) that no month totals serve."""
    return BoardWindow(NOW, moment, reset_at)


async def test_points_board_ranks_and_breaks_ties_by_who_got_there_first(db: Database) -> None:
    await answer(db, G, ALICE, NOW - timedelta(hours=3), points=500)
    await answer(db, G, BOB, NOW - timedelta(hours=2), points=800)
    await answer(db, G, CAROL, NOW - timedelta(hours=1), points=300)
    await answer(db, G, CAROL, NOW - timedelta(minutes=30), points=200)  # reaches 500 after Alice
    await answer(db, G, ALICE, NOW - timedelta(minutes=10), points=0)  # a wrong answer later changes nothing
    assert await board(db, Board.POINTS, Period.WEEK) == [(1, BOB, 800), (2, ALICE, 500), (3, CAROL, 500)]
    assert await board(db, Board.POINTS, Period.ALL) == [(1, BOB, 800), (2, ALICE, 500), (3, CAROL, 500)]


async def test_windows_follow_the_server_timezone(db: Database) -> None:
    # 23:30 UTC on Tuesday is already Wednesday 08:30 in Tokyo.
    late_tuesday = datetime(2025, 6, 10, 23, 30, tzinfo=UTC)
    await answer(db, G, ALICE, late_tuesday, points=100)
    await answer(db, G, BOB, datetime(2025, 6, 1, 12, tzinfo=UTC), points=100)  # last month's Sunday, this June
    assert await board(db, Board.POINTS, Period.TODAY) == []
    await progress(db).set_server_timezone(G, "Asia/Tokyo")
    assert await board(db, Board.POINTS, Period.TODAY) == [(1, ALICE, 100)]
    assert [u for _, u, _ in await board(db, Board.POINTS, Period.WEEK)] == [ALICE]
    assert [u for _, u, _ in await board(db, Board.POINTS, Period.MONTH)] == [BOB, ALICE]


async def test_deck_filter_and_other_servers_do_not_leak(db: Database) -> None:
    await answer(db, G, ALICE, NOW - timedelta(hours=1), points=100, deck="deck-a")
    await answer(db, G, BOB, NOW - timedelta(hours=1), points=900, deck="deck-b")
    await answer(db, G2, ALICE, NOW - timedelta(hours=1), points=5000, deck="deck-a")
    for period in (Period.WEEK, Period.ALL):
        assert await board(db, Board.POINTS, period, "deck-a") == [(1, ALICE, 100)]
        assert await board(db, Board.POINTS, period) == [(1, BOB, 900), (2, ALICE, 100)]
        assert await board(db, Board.POINTS, period, guild=G2) == [(1, ALICE, 5000)]


async def test_accuracy_needs_ten_answers(db: Database) -> None:
    for i in range(10):
        await answer(db, G, ALICE, NOW - timedelta(minutes=60 - i), points=100 if i < 7 else 0)
    for i in range(9):
        await answer(db, G, BOB, NOW - timedelta(minutes=30 - i), points=100)
    for period in (Period.TODAY, Period.ALL):
        assert await board(db, Board.ACCURACY, period) == [(1, ALICE, pytest.approx(0.7))]
    await answer(db, G, BOB, NOW - timedelta(minutes=5), points=100)
    assert [u for _, u, _ in await board(db, Board.ACCURACY, Period.ALL)] == [BOB, ALICE]


async def test_reviews_board_counts_reviews(db: Database) -> None:
    for i in range(3):
        await review(db, G, BOB, NOW - timedelta(minutes=i + 1))
    await review(db, G, ALICE, NOW - timedelta(days=40))
    assert await board(db, Board.REVIEWS, Period.WEEK) == [(1, BOB, 3)]
    assert await board(db, Board.REVIEWS, Period.ALL) == [(1, BOB, 3), (2, ALICE, 1)]


async def test_reset_counts_from_the_reset_and_keeps_history(db: Database) -> None:
    await answer(db, G, ALICE, NOW - timedelta(days=2), points=900)
    await review(db, G, ALICE, NOW - timedelta(days=2))
    await progress(db).reset_boards(G, NOW - timedelta(days=1))
    await answer(db, G, BOB, NOW - timedelta(hours=1), points=100)
    await review(db, G, BOB, NOW - timedelta(hours=1))
    for period in (Period.WEEK, Period.ALL):
        assert await board(db, Board.POINTS, period) == [(1, BOB, 100)]
        assert await board(db, Board.REVIEWS, period) == [(1, BOB, 1)]
    rows = await db.fetchall("SELECT user_id FROM quiz_answers WHERE guild_id = ?", (G,))
    assert {r["user_id"] for r in rows} == {ALICE, BOB}
    # Another server is not reset.
    await answer(db, G2, ALICE, NOW - timedelta(days=2), points=10)
    assert await board(db, Board.POINTS, Period.ALL, guild=G2) == [(1, ALICE, 10)]


async def test_all_time_totals_agree_with_the_logs(db: Database) -> None:
    """The trigger-kept totals (all time) must give what a scan of the logs gives, before and after a reset."""
    rnd = random.Random(7)
    reset_at = NOW - timedelta(days=10)
    moments = sorted(NOW - timedelta(minutes=rnd.randrange(60 * 24 * 20)) for _ in range(300))
    for at in moments:
        if at > reset_at and not await db.fetchone("SELECT 1 FROM board_resets"):
            await compare_totals_with_scan(db, None)
            await progress(db).reset_boards(G, reset_at)
        user, deck = rnd.choice([ALICE, BOB, CAROL]), rnd.choice(["deck-a", "deck-b"])
        if rnd.random() < 0.5:
            await answer(db, G, user, at, points=rnd.choice([0, 0, 400, 900]), deck=deck)
        else:
            await review(db, G, user, at, rating=rnd.randint(1, 4), deck=deck)
    await compare_totals_with_scan(db, reset_at)


async def compare_totals_with_scan(db: Database, moment: datetime | None) -> None:
    """All time from the totals must equal a plain count of the logs (an oracle written here, in Python)."""
    answers = await db.fetchall("SELECT user_id, deck_id, points, correct, answered_at AS at FROM quiz_answers")
    reviews = await db.fetchall("SELECT user_id, deck_id, reviewed_at AS at FROM reviews")
    for deck in (None, "deck-a"):
        def rows(log):
            return [r for r in log if (deck is None or r["deck_id"] == deck) and (moment is None or r["at"] >= to_text(moment))]

        expected = {Board.POINTS: {}, Board.ACCURACY: {}, Board.REVIEWS: {}}
        for user in {r["user_id"] for r in rows(answers)}:
            mine = [r for r in rows(answers) if r["user_id"] == user]
            scored = [r for r in mine if r["points"] > 0]
            if scored:
                expected[Board.POINTS][user] = (sum(r["points"] for r in mine), max(r["at"] for r in scored))
            if len(mine) >= 10:
                expected[Board.ACCURACY][user] = (sum(r["correct"] for r in mine) / len(mine), max(r["at"] for r in mine))
        for user in {r["user_id"] for r in rows(reviews)}:
            mine = [r for r in rows(reviews) if r["user_id"] == user]
            expected[Board.REVIEWS][user] = (len(mine), max(r["at"] for r in mine))
        for kind, want in expected.items():
            got = await entries(db, G, kind, since(moment, reset_at=moment), deck)
            assert want, "the random history should fill every board"
            assert {e.user_id: (pytest.approx(e.value), to_text(e.reached_at)) for e in got} == want


async def test_member_totals_stay_the_sum_of_deck_totals_through_edits_and_deletes(db: Database) -> None:
    """All-deck boards read board_member_totals: the triggers must keep it equal to board_totals grouped by member."""
    rnd = random.Random(5)
    for _ in range(60):
        user, deck = rnd.choice([ALICE, BOB, CAROL]), rnd.choice(["deck-a", "deck-b"])
        at = NOW - timedelta(minutes=rnd.randrange(60 * 24 * 5))
        await answer(db, G, user, at, points=rnd.choice([0, 300, 900]), deck=deck)
        await review(db, G, user, at, deck=deck)
    async def edit(conn) -> None:
        await conn.execute("UPDATE quiz_answers SET deck_id = 'deck-b', points = points + 5 WHERE user_id = ?", (ALICE,))
        await conn.execute("UPDATE quiz_answers SET user_id = ? WHERE id % 3 = 0", (CAROL,))
        await conn.execute("DELETE FROM quiz_answers WHERE id % 4 = 0")
        await conn.execute("DELETE FROM reviews WHERE id % 5 = 0")

    await db.atomic(edit)
    grouped = await db.fetchall(
        "SELECT guild_id, user_id, SUM(points) AS points, SUM(answers) AS answers, SUM(correct) AS correct, "
        "SUM(reviews) AS reviews, MAX(last_point_at) AS last_point_at, MAX(last_answer_at) AS last_answer_at, "
        "MAX(last_review_at) AS last_review_at FROM board_totals GROUP BY guild_id, user_id ORDER BY user_id"
    )
    members = await db.fetchall(
        "SELECT guild_id, user_id, points, answers, correct, reviews, last_point_at, last_answer_at, last_review_at "
        "FROM board_member_totals ORDER BY user_id"
    )
    assert len(grouped) == 3
    assert [tuple(r) for r in members] == [tuple(r) for r in grouped]


async def test_short_and_long_windows_take_either_index_and_agree(db: Database) -> None:
    for days in (300, 100, 0):
        await answer(db, G, ALICE, NOW - timedelta(days=days), points=100)
    short = await entries(db, G, Board.POINTS, since(NOW - timedelta(days=1)))  # range scan
    long = await entries(db, G, Board.POINTS, since(NOW - timedelta(days=250)))  # index walk
    assert [e.value for e in short] == [100]
    assert [e.value for e in long] == [200]


async def test_names_are_last_known_even_after_leaving(db: Database) -> None:
    await name(db, G, ALICE, "Alice")
    await name(db, G, ALICE, "Alice B.")
    await name(db, G2, ALICE, "Ally")
    assert await member_names(db, G, [ALICE, BOB]) == {ALICE: "Alice B."}
    assert await member_names(db, G2, [ALICE]) == {ALICE: "Ally"}
    assert await member_names(db, G, []) == {}


async def _study_days(db: Database, guild: int, user: int, days: int, end: datetime = NOW) -> None:
    for offset in range(days - 1, -1, -1):
        await db.atomic(lambda conn, at=end - timedelta(days=offset): record_activity(conn, guild, user, "study", at))


async def test_streak_board_hides_hidden_streaks_and_broken_ones(db: Database) -> None:
    await _study_days(db, G, ALICE, 3)
    await _study_days(db, G, BOB, 5)
    await _study_days(db, G, CAROL, 4, end=NOW - timedelta(days=3))  # broken by now (no freezes)
    assert await board(db, Board.STREAK, Period.WEEK) == [(1, BOB, 5), (2, ALICE, 3)]
    await set_member_field(db, G, BOB, "Bob", hide_streak=True)
    assert await board(db, Board.STREAK, Period.WEEK) == [(1, ALICE, 3)]
    assert await board(db, Board.STREAK, Period.WEEK, guild=G2) == []


async def seed_stats(db: Database) -> None:
    """Reviews, answers, due cards and explain attempts of Alice (and one review in another server)."""
    await review(db, G, ALICE, NOW - timedelta(hours=1), rating=1)
    await review(db, G, ALICE, NOW - timedelta(hours=2), rating=3)
    await review(db, G, ALICE, NOW - timedelta(days=3), rating=4)
    await review(db, G, ALICE, NOW - timedelta(days=60), rating=1)
    await review(db, G2, ALICE, NOW, rating=3)
    for i in range(4):
        await answer(db, G, ALICE, NOW - timedelta(minutes=i), points=500 if i % 2 else 0)
    await write(
        db,
        "INSERT INTO srs_state (guild_id, user_id, deck_id, item_id, kind, card_json, due, first_seen) "
        "VALUES (?, ?, 'deck-a', ?, 'card', '{}', ?, ?)",
        *[(G, ALICE, to_text(due), to_text(due), to_text(NOW))
          for due in (NOW - timedelta(hours=1), NOW + timedelta(hours=3), NOW + timedelta(days=3))],
    )
    await write(
        db,
        "INSERT INTO explain_attempts (guild_id, user_id, deck_id, prompt_id, text, hit, total, concepts_json, "
        "hint_used, rating, nonce, created_at) VALUES (?, ?, 'deck-a', 'p', 't', 3, 4, '[]', 0, 3, 'n1', ?), "
        "(?, ?, 'deck-a', 'p', 't', 1, 4, '[]', 1, 2, 'n2', ?)",
        (G, ALICE, to_text(NOW), G, ALICE, to_text(NOW)),
    )


async def test_study_counts_split_at_the_bounds(db: Database) -> None:
    await seed_stats(db)
    counts = await boards.study_counts(db, G, ALICE, StatsBounds.of(NOW, zone("Europe/Berlin")))
    assert (counts.reviews_today, counts.reviews_week, counts.reviews_all) == (2, 3, 4)
    assert counts.retention == pytest.approx(2 / 3)
    assert (counts.due_now, counts.due_today) == (1, 2)
    assert (counts.quiz_answers, counts.quiz_correct, counts.quiz_points) == (4, 2, 1000)
    assert counts.accuracy == 0.5
    assert (counts.explain_attempts, counts.explain_hit, counts.explain_total) == (2, 2.0, 4.0)
    # A member with nothing yet: zeros, and no retention or accuracy to show.
    nobody = await boards.study_counts(db, G, BOB, StatsBounds.of(NOW, zone("UTC")))
    assert (nobody.reviews_all, nobody.retention, nobody.accuracy, nobody.explain_hit) == (0, None, None, 0.0)


async def test_activity_between_is_inclusive_and_per_server(db: Database) -> None:
    moments = [datetime(2025, 6, 10, 23, 30, tzinfo=UTC), datetime(2025, 6, 11, 0, 30, tzinfo=UTC), NOW]

    async def body(conn) -> None:
        for at in moments:
            await record_activity(conn, G, ALICE, "quiz", at)
        await record_activity(conn, G2, ALICE, "quiz", NOW)

    await db.atomic(body)
    assert await boards.activity_between(db, G, ALICE, moments[0], NOW) == moments
    assert await boards.activity_between(db, G, ALICE, moments[1], NOW - timedelta(microseconds=1)) == moments[1:2]


async def test_upgrading_a_database_with_history_fills_the_totals(tmp_path: Path) -> None:
    """A database at schema 4 (answers and reviews already logged) gets correct all-time boards after 0005."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for version, _name, sql in _migrations():
        if version <= 4:
            for statement in _statements(sql):
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    at = to_text(NOW - timedelta(days=3))
    conn.executemany(
        "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, question_id, "
        "letter, choice, correct, response_ms, points, answered_at) VALUES (?, 0, ?, 9, ?, 'deck-a', 'q', 'A', 'x', ?, 1, ?, ?)",
        [(1, G, ALICE, 1, 700, at), (2, G, ALICE, 0, 0, at), (3, G, BOB, 1, 300, at)],
    )
    conn.executemany(
        "INSERT INTO reviews (guild_id, user_id, deck_id, item_id, kind, rating, reviewed_at, due_after) "
        "VALUES (?, ?, 'deck-a', 'c', 'card', 3, ?, ?)",
        [(G, BOB, at, at), (G, BOB, at, at), (G, ALICE, at, at)],
    )
    conn.close()
    upgraded = await Database.open(path)
    try:
        all_time = since(None)
        assert [(r.entry.user_id, r.entry.value) for r in (await boards.load_board(
            upgraded, G, Board.POINTS, Period.ALL, None, all_time)).rows] == [(ALICE, 700), (BOB, 300)]
        assert [(r.entry.user_id, r.entry.value) for r in (await boards.load_board(
            upgraded, G, Board.REVIEWS, Period.ALL, None, all_time)).rows] == [(BOB, 2), (ALICE, 1)]
    finally:
        await upgraded.close()


async def test_sql_ranking_matches_the_core_rule_on_every_page(db: Database) -> None:
    rnd = random.Random(11)
    for user in range(100, 135):
        for _ in range(rnd.randint(1, 12)):
            # Few distinct values and times, so ties (same value, even same moment) are common.
            at = NOW - timedelta(hours=rnd.choice([1, 2, 3]))
            await answer(db, G, user, at, points=rnd.choice([0, 100, 200]), correct=rnd.random() < 0.5)
    week = lb.counted_window(Period.WEEK, NOW, zone("UTC"))
    service = progress(db)
    for kind in (Board.POINTS, Board.ACCURACY):
        expected = rank(await entries(db, G, kind, week), kind)
        assert len(expected) > lb.PAGE_SIZE or kind is Board.ACCURACY
        pages = page_count(len(expected), lb.PAGE_SIZE)
        seen = []
        for number in range(pages):
            page = await boards.load_board(
                db, G, kind, Period.WEEK, None, week, page=number, viewer_id=expected[-1].entry.user_id
            )
            assert page.total == len(expected) and page.page == number
            assert page.viewer == expected[-1]
            seen += page.rows
        assert seen == expected
        # Past the end, the store gives an empty page with the total; the service shows the last page instead.
        beyond = await boards.load_board(db, G, kind, Period.WEEK, None, week, page=99)
        assert (beyond.page, beyond.total, beyond.rows, beyond.viewer) == (99, len(expected), [], None)
        past_the_end = await service.board_page(G, kind, Period.WEEK, None, NOW, page=99)
        assert past_the_end.page == pages - 1 and past_the_end.rows == expected[(pages - 1) * lb.PAGE_SIZE:]


async def test_an_empty_board_has_one_empty_page(db: Database) -> None:
    for kind in Board:
        window = lb.streak_window([], NOW) if kind is Board.STREAK else since(NOW - timedelta(days=1))
        page = await boards.load_board(db, G, kind, Period.WEEK, "deck-a", window, page=3, viewer_id=ALICE)
        assert (page.total, page.rows, page.viewer) == (0, [], None)
        assert page.deck_id == (None if kind is Board.STREAK else "deck-a")
    await answer(db, G, ALICE, NOW - timedelta(days=3), points=100)  # outside the window
    page = await boards.load_board(db, G, Board.POINTS, Period.TODAY, None, since(NOW - timedelta(hours=1)), page=2)
    assert (page.total, page.rows) == (0, [])


async def test_month_starts_and_unfiled_servers(db: Database) -> None:
    await write(db, "INSERT INTO guild_settings (guild_id, timezone, daily_minimum, desired_retention, new_card_limit) "
                "VALUES (?, ?, 1, 0.9, 20)", (G, "Asia/Tokyo"), (G2, None))
    assert await boards.unfiled_servers(db) == [(G, "Asia/Tokyo")]
    starts = [(datetime(2025, 5, 31, 15, tzinfo=UTC), "2025-06"), (datetime(2025, 6, 30, 15, tzinfo=UTC), "2025-07")]
    await db.atomic(lambda conn: boards.rebuild_board_months(conn, G, starts))
    assert await boards.unfiled_servers(db) == []
    rows = await db.fetchall("SELECT starts_at, month FROM board_month_starts WHERE guild_id = ? ORDER BY 1", (G,))
    assert [(r["starts_at"], r["month"]) for r in rows] == [(to_text(s), m) for s, m in starts]
