"""All leaderboard and /stats SQL: reads reviews, quiz_answers, explain_attempts, activity, srs_state, members, streaks.

A board is one grouped query per server (one row per member), ranked in SQL in the order bot.core.leaderboard
states (value, then who reached it first, then user id), so only the page shown and the caller's own row leave the
database, however many members a server has. All-time and this-month boards read totals that triggers keep
(migrations 0005, 0008); a server's months are refiled when its timezone is set (rebuild_board_months, in the
transaction bot.services.progress runs for it).

No rules run here: the window a board covers (a `BoardWindow`), a server's month starts and a member's local-day
bounds (`StatsBounds`) are worked out by bot.services.progress and passed in.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from bot.core.clock import from_text, to_text
from bot.core.leaderboard import ACCURACY_MIN_ANSWERS, PAGE_SIZE, Board, BoardPage, BoardWindow, Entry, Period, Ranked
from bot.core.stats import StatsBounds, StudyCounts
from bot.store.api import Connection, Store
from bot.store.sql import upsert

# Windows read the logs through covering indexes: a short window is a range of boards_*_window; a window covering most
# of a server's history is cheaper as one ordered walk of boards_*_member (no sort). Share of history above which
# the walk wins (measured: range+sort ≈ 0.35 ms per 1% of 100k rows, walk ≈ 13 ms flat).
WALK_SHARE = 0.35

_WINDOW_SQL = {
    # Points: the moment a total was reached is the last answer that added points.
    Board.POINTS: (
        "SELECT user_id, SUM(points) AS value, COUNT(*) AS answers, 0 AS correct, MAX(answered_at) AS reached_at "
        "FROM quiz_answers INDEXED BY {index} WHERE guild_id = ? AND answered_at >= ? AND points > 0 {deck} "
        "GROUP BY user_id"
    ),
    Board.ACCURACY: (
        "SELECT user_id, CAST(SUM(correct) AS DOUBLE PRECISION) / COUNT(*) AS value, COUNT(*) AS answers, "
        "SUM(correct) AS correct, MAX(answered_at) AS reached_at "
        "FROM quiz_answers INDEXED BY {index} WHERE guild_id = ? AND answered_at >= ? {deck} "
        "GROUP BY user_id HAVING COUNT(*) >= ?"
    ),
    Board.REVIEWS: (
        "SELECT user_id, COUNT(*) AS value, 0 AS answers, 0 AS correct, MAX(reviewed_at) AS reached_at "
        "FROM reviews INDEXED BY {index} WHERE guild_id = ? AND reviewed_at >= ? {deck} GROUP BY user_id"
    ),
}
_INDEXES = {
    Board.POINTS: ("quiz_answers", "answered_at", "boards_quiz_window", "boards_quiz_member"),
    Board.ACCURACY: ("quiz_answers", "answered_at", "boards_quiz_window", "boards_quiz_member"),
    Board.REVIEWS: ("reviews", "reviewed_at", "boards_reviews_window", "boards_reviews_member"),
}

# All time (since the last reset): trigger-kept totals, minus the snapshot taken at the reset when there was one.
# A deck's board groups the per-deck rows of its members; the all-deck board reads board_member_totals, one row per
# member, so it needs no grouping (per board: value, count columns, the condition to be listed, tie-break moment).
_TOTALS = {
    Board.POINTS: ("{points}", "{answers}", "{correct}", "{points} > 0", "last_point_at"),
    Board.ACCURACY: (
        "CAST({correct} AS DOUBLE PRECISION) / {answers}", "{answers}", "{correct}", "{answers} >= ?", "last_answer_at"
    ),
    Board.REVIEWS: ("{reviews}", "0", "0", "{reviews} > 0", "last_review_at"),
}
_DECK_TOTALS = (
    "SELECT t.user_id, {value} AS value, {answers} AS answers, {correct} AS correct, MAX(t.{reached}) AS reached_at "
    "FROM board_totals t {join} WHERE t.guild_id = ? AND t.deck_id = ? GROUP BY t.user_id HAVING {keep}"
)
_MEMBER_TOTALS = (
    "SELECT t.user_id, {value} AS value, {answers} AS answers, {correct} AS correct, t.{reached} AS reached_at "
    "FROM board_member_totals t {join} WHERE t.guild_id = ? AND {keep}"
)
_BASELINE_JOIN = {
    True: "LEFT JOIN board_baselines b ON b.guild_id = t.guild_id AND b.user_id = t.user_id AND b.deck_id = t.deck_id",
    False: "LEFT JOIN board_member_baselines b ON b.guild_id = t.guild_id AND b.user_id = t.user_id",
}

# This month, counted from the server's local month start: trigger-kept totals per month (migration 0008), one row
# per member (board_member_months) or per member and deck (board_months), so no board groups or sorts a month of
# logs. The same columns and keep rules as _WINDOW_SQL (per board: value, count columns, the condition to be listed,
# tie-break moment).
_MONTH = {
    Board.POINTS: ("points", "scored", "0", "scored > 0", "last_point_at"),
    Board.ACCURACY: ("CAST(correct AS DOUBLE PRECISION) / answers", "answers", "correct", "answers >= ?", "last_answer_at"),
    Board.REVIEWS: ("reviews", "0", "0", "reviews > 0", "last_review_at"),
}
_MONTH_SQL = (
    "SELECT user_id, {value} AS value, {answers} AS answers, {correct} AS correct, {reached} AS reached_at "
    "FROM {table} WHERE guild_id = ? AND month = ? {deck}AND {keep}"
)
# Which month of the totals holds exactly the rows from a moment on: the month that the server's month starts begin at
# that moment (labelled), or with no month starts at all (zoned = 0) the UTC month; and the latest month with rows,
# since a window has no end and rows filed under a later month would be missed.
_MONTH_CHECK = (
    "SELECT (SELECT month FROM board_month_starts WHERE guild_id = ? AND starts_at = ?) AS labelled, "
    "EXISTS (SELECT 1 FROM board_month_starts WHERE guild_id = ?) AS zoned, "
    "(SELECT month FROM board_months WHERE guild_id = ? ORDER BY month DESC LIMIT 1) AS latest"
)

# Refiling a server's logs under its months (after its month starts changed): the triggers' month of each row.
_MONTH_OF = (
    "COALESCE((SELECT s.month FROM board_month_starts s WHERE s.guild_id = {log}.guild_id "
    "AND s.starts_at <= {log}.{at} ORDER BY s.starts_at DESC LIMIT 1), substr({log}.{at}, 1, 7))"
)
_REFILE_ANSWERS = (
    "INSERT INTO board_months (guild_id, month, user_id, deck_id, points, scored, answers, correct, "
    "last_point_at, last_answer_at) "
    "SELECT a.guild_id, {month} AS month_key, a.user_id, a.deck_id, SUM(a.points), COUNT(*) FILTER (WHERE a.points > 0), COUNT(*), "
    "SUM(a.correct), MAX(CASE WHEN a.points > 0 THEN a.answered_at END), MAX(a.answered_at) "
    "FROM quiz_answers a WHERE a.guild_id = ? GROUP BY a.guild_id, month_key, a.user_id, a.deck_id"
).format(month=_MONTH_OF.format(log="a", at="answered_at"))
_REFILE_REVIEWS = (
    "INSERT INTO board_months (guild_id, month, user_id, deck_id, reviews, last_review_at) "
    "SELECT r.guild_id, {month} AS month_key, r.user_id, r.deck_id, COUNT(*), MAX(r.reviewed_at) "
    "FROM reviews r WHERE r.guild_id = ? GROUP BY r.guild_id, month_key, r.user_id, r.deck_id "
    "ON CONFLICT (guild_id, month, user_id, deck_id) DO UPDATE SET "
    "reviews = excluded.reviews, last_review_at = excluded.last_review_at"
).format(month=_MONTH_OF.format(log="r", at="reviewed_at"))
_REFILE_MEMBERS = (
    "INSERT INTO board_member_months (guild_id, month, user_id, points, scored, answers, correct, reviews, "
    "last_point_at, last_answer_at, last_review_at) "
    "SELECT guild_id, month, user_id, SUM(points), SUM(scored), SUM(answers), SUM(correct), SUM(reviews), "
    "MAX(last_point_at), MAX(last_answer_at), MAX(last_review_at) "
    "FROM board_months WHERE guild_id = ? GROUP BY guild_id, month, user_id"
)

# Current streaks: alive on each member's local today (given per zone), hidden ones left out. A streak survives at
# most MAX_FREEZES + 1 days without a counted day, so older last days are skipped through the filter on last_day.
_STREAK_SQL = (
    "SELECT s.user_id, s.current AS value, 0 AS answers, 0 AS correct, s.reached_at "
    "FROM streaks s LEFT JOIN members m ON m.guild_id = s.guild_id AND m.user_id = s.user_id "
    "WHERE s.guild_id = ? AND s.current > 0 AND s.last_day >= ? AND COALESCE(m.hide_streak, 0) = 0 "
    "AND julianday(CASE s.timezone {today} END) - julianday(s.last_day) - 1 <= s.freezes"
)

# One page in the ranking order of bot.core.leaderboard (top-k sort, no window function: ~2x faster on 10k members),
# then the caller's row with its rank counted as 1 + the members ahead of them. Every row carries the total.
_RANKED_SQL = (
    "WITH grouped AS MATERIALIZED ({grouped}), me AS (SELECT * FROM grouped WHERE user_id = ?) "
    "SELECT *, 0 AS rank, (SELECT COUNT(*) FROM grouped) AS total FROM ("
    "SELECT * FROM grouped ORDER BY value DESC, reached_at ASC NULLS FIRST, user_id ASC LIMIT ? OFFSET ?) AS page "
    "UNION ALL "
    "SELECT me.*, 1 + (SELECT COUNT(*) FROM grouped g WHERE g.value > me.value OR (g.value = me.value AND "
    "(g.reached_at < me.reached_at OR (g.reached_at = me.reached_at AND g.user_id < me.user_id)))) AS rank, "
    "(SELECT COUNT(*) FROM grouped) AS total FROM me"
)



def _totals_sql(board: Board, *, with_baseline: bool, by_deck: bool) -> str:
    total = "SUM({})" if by_deck else "{}"
    columns = {
        col: total.format(f"(t.{col} - COALESCE(b.{col}, 0))" if with_baseline else f"t.{col}")
        for col in ("points", "answers", "correct", "reviews")
    }
    value, answers, correct, keep, reached = (part.format(**columns) for part in _TOTALS[board])
    return (_DECK_TOTALS if by_deck else _MEMBER_TOTALS).format(
        value=value, answers=answers, correct=correct, keep=keep, reached=reached,
        join=_BASELINE_JOIN[by_deck] if with_baseline else "",
    )


def _month_sql(board: Board, *, by_deck: bool) -> str:
    value, answers, correct, keep, reached = _MONTH[board]
    return _MONTH_SQL.format(
        value=value, answers=answers, correct=correct, keep=keep, reached=reached,
        table="board_months" if by_deck else "board_member_months", deck="AND deck_id = ? " if by_deck else "",
    )


def _entry(row: Any) -> Entry:
    return Entry(row["user_id"], row["value"], from_text(row["reached_at"]), row["answers"], row["correct"] or 0)


async def _baseline_matches(db: Store, guild_id: int, reset_at: datetime) -> bool:
    row = await db.fetchone("SELECT reset_at FROM board_resets WHERE guild_id = ?", (guild_id,))
    return row is not None and row["reset_at"] == to_text(reset_at)


async def _counted_sql(
    db: Store, guild_id: int, board: Board, deck_id: str | None, window: BoardWindow
) -> tuple[str, list] | None:
    """The grouped query of a counted board (points, accuracy, reviews) over `window`; None when empty."""
    since, reset_at, now = window.since, window.reset_at, window.now
    tail: list = [deck_id] if deck_id else []
    if board is Board.ACCURACY:
        tail.append(ACCURACY_MIN_ANSWERS)
    if since is None or (reset_at is not None and since == reset_at and await _baseline_matches(db, guild_id, reset_at)):
        sql = _totals_sql(board, with_baseline=since is not None, by_deck=deck_id is not None)
        return sql, [guild_id, *tail]
    month = await _month_from(db, guild_id, window)
    if month is not None:
        return _month_sql(board, by_deck=deck_id is not None), [guild_id, month, *tail]
    table, column, range_index, walk_index = _INDEXES[board]
    first = await db.fetchone(f"SELECT MIN({column}) AS first FROM {table} WHERE guild_id = ?", (guild_id,))
    if first is None or first["first"] is None:
        return None
    history = (now - from_text(first["first"])).total_seconds()
    share = (now - since).total_seconds() / history if history > 0 else 1.0
    index = walk_index if share > WALK_SHARE else range_index
    sql = _WINDOW_SQL[board].format(index=index, deck="AND deck_id = ?" if deck_id else "")
    return sql, [guild_id, to_text(since), *tail]


async def _month_from(db: Store, guild_id: int, window: BoardWindow) -> str | None:
    """The month of the month totals that holds exactly the logged rows from `window.since` on, else None (read
    the logs).

    That is this month's board when nothing reset it later than its start. The answer comes from what is stored,
    not from the zone now set, so months filed in another zone (e.g. UTC months of a database that had a timezone
    before migration 0008) are never read as if they were this zone's.
    """
    if window.since is None or not (window.utc_month_start or window.local_month_start):
        return None  # a day, a week or a reset: no month starts there (the lookup is spared)
    at = to_text(window.since)
    row = await db.lookup(_MONTH_CHECK, (guild_id, at, guild_id, guild_id))
    month = row["labelled"]
    if month is None and not row["zoned"] and window.utc_month_start:
        month = at[:7]  # no month starts: rows are filed under the UTC month their text begins with
    if month is None or (row["latest"] is not None and row["latest"] > month):
        return None
    return month


async def rebuild_board_months(conn: Connection, guild_id: int, starts: Sequence[tuple[datetime, str]]) -> None:
    """Start the server's months at `starts` ((UTC instant, 'YYYY-MM'), see bot.core.leaderboard.month_starts) and
    refile its logs under them.

    Run inside the transaction that changes the server's timezone, so the month starts, the rows filed under them
    and the setting the windows follow never disagree. Reads all of the server's logs (about 1 s per 300,000 rows).
    """
    await conn.execute("DELETE FROM board_month_starts WHERE guild_id = ?", (guild_id,))
    await conn.executemany(
        "INSERT INTO board_month_starts (guild_id, starts_at, month) VALUES (?, ?, ?)",
        [(guild_id, to_text(start), month) for start, month in starts],
    )
    await conn.execute("DELETE FROM board_months WHERE guild_id = ?", (guild_id,))
    await conn.execute(_REFILE_ANSWERS, (guild_id,))
    await conn.execute(_REFILE_REVIEWS, (guild_id,))
    await conn.execute("DELETE FROM board_member_months WHERE guild_id = ?", (guild_id,))
    await conn.execute(_REFILE_MEMBERS, (guild_id,))


async def unfiled_servers(db: Store) -> list[tuple[int, str]]:
    """(server, timezone) of servers whose timezone was set before migration 0008: their rows sit in UTC months and
    they have no month starts yet, so their month boards read the logs until they are refiled."""
    rows = await db.fetchall(
        "SELECT g.guild_id, g.timezone FROM guild_settings g WHERE g.timezone IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM board_month_starts s WHERE s.guild_id = g.guild_id)"
    )
    return [(row["guild_id"], row["timezone"]) for row in rows]


async def streak_zones(db: Store, guild_id: int) -> list[str]:
    """The zones the server's current streaks are counted in (each needs its own local today)."""
    rows = await db.fetchall("SELECT DISTINCT timezone FROM streaks WHERE guild_id = ? AND current > 0", (guild_id,))
    return [row["timezone"] for row in rows]


def _streak_sql(guild_id: int, window: BoardWindow) -> tuple[str, list] | None:
    if not window.today_by_zone or window.oldest_alive is None:
        return None
    today: list = []
    for name, day in window.today_by_zone:
        today += [name, day.isoformat()]
    sql = _STREAK_SQL.format(today=" ".join("WHEN ? THEN ?" for _ in window.today_by_zone))
    return sql, [guild_id, window.oldest_alive.isoformat(), *today]


async def grouped_board(
    db: Store, guild_id: int, board: Board, deck_id: str | None, window: BoardWindow
) -> tuple[str, list] | None:
    """The board's grouped query (one row per member, unranked) and its parameters; None when nobody can be on it."""
    if board is Board.STREAK:
        # A streak is a member's own history: period, deck and board resets do not apply to it.
        return _streak_sql(guild_id, window)
    return await _counted_sql(db, guild_id, board, deck_id, window)


async def load_board(
    db: Store, guild_id: int, board: Board, period: Period, deck_id: str | None, window: BoardWindow,
    *, page: int = 0, viewer_id: int | None = None,
) -> BoardPage:
    """One page of this server's board over `window`, and the viewer's own row. A page past the end comes back
    empty with the board's total (the caller moves to a page that exists)."""
    deck_id = None if board is Board.STREAK else deck_id
    since = None if board is Board.STREAK else window.since
    grouped = await grouped_board(db, guild_id, board, deck_id, window)
    if grouped is None:
        return BoardPage(board, period, deck_id, since, 0, 0, [], None)
    page = max(page, 0)
    rows, viewer, total = await _ranked(db, grouped, page, viewer_id)
    if total is None:  # no row came back at all: the board is empty, or this page is past its end
        total = await _count(db, grouped) if page > 0 else 0
    return BoardPage(board, period, deck_id, since, page, total, rows, viewer)


async def _ranked(
    db: Store, grouped: tuple[str, list], page: int, viewer_id: int | None
) -> tuple[list[Ranked], Ranked | None, int | None]:
    """(rows of the page, the viewer's row, total) — total None when no row came back at all."""
    sql, params = grouped
    first = page * PAGE_SIZE
    result = await db.fetchall(
        _RANKED_SQL.format(grouped=sql), [*params, viewer_id if viewer_id else -1, PAGE_SIZE, first]
    )
    on_page = [row for row in result if row["rank"] == 0]
    rows = [Ranked(first + i + 1, _entry(row)) for i, row in enumerate(on_page)]
    mine = next((row for row in result if row["rank"] != 0), None)
    viewer = Ranked(mine["rank"], _entry(mine)) if mine else None
    return rows, viewer, result[0]["total"] if result else None


async def _count(db: Store, grouped: tuple[str, list]) -> int:
    sql, params = grouped
    row = await db.fetchone(f"SELECT COUNT(*) AS n FROM ({sql}) AS grouped", params)
    return row["n"] if row else 0


async def take_baselines(conn: Connection, guild_id: int, at: datetime) -> None:
    """Snapshot the server's totals as the baseline its boards count from after a reset at `at` (in the transaction
    that stores the reset in its settings). The logs (history) are kept."""
    await conn.execute("DELETE FROM board_baselines WHERE guild_id = ?", (guild_id,))
    await conn.execute(
        "INSERT INTO board_baselines (guild_id, user_id, deck_id, points, answers, correct, reviews) "
        "SELECT guild_id, user_id, deck_id, points, answers, correct, reviews FROM board_totals WHERE guild_id = ?",
        (guild_id,),
    )
    await conn.execute("DELETE FROM board_member_baselines WHERE guild_id = ?", (guild_id,))
    await conn.execute(
        "INSERT INTO board_member_baselines (guild_id, user_id, points, answers, correct, reviews) "
        "SELECT guild_id, user_id, points, answers, correct, reviews FROM board_member_totals WHERE guild_id = ?",
        (guild_id,),
    )
    await conn.execute(
        upsert("board_resets", ("guild_id", "reset_at"), ("guild_id",)), (guild_id, to_text(at))
    )


async def study_counts(db: Store, guild_id: int, user_id: int, bounds: StatsBounds) -> StudyCounts:
    """A member's review, due, quiz and explain counts, split at `bounds` (worked out in their zone)."""
    member = (guild_id, user_id)
    recent = to_text(bounds.recent)
    reviews = await db.fetchone(
        "SELECT COUNT(*) AS total, "
        "COUNT(*) FILTER (WHERE reviewed_at >= ?) AS today, COUNT(*) FILTER (WHERE reviewed_at >= ?) AS week, "
        "COUNT(*) FILTER (WHERE reviewed_at >= ?) AS recent, "
        "COUNT(*) FILTER (WHERE reviewed_at >= ? AND rating > 1) AS kept "
        "FROM reviews WHERE guild_id = ? AND user_id = ?",
        (to_text(bounds.today), to_text(bounds.week), recent, recent, *member),
    )
    due = await db.fetchone(
        "SELECT COUNT(*) FILTER (WHERE due <= ?) AS now, COUNT(*) AS today FROM srs_state "
        "WHERE guild_id = ? AND user_id = ? AND due < ?",
        (to_text(bounds.now), *member, to_text(bounds.tomorrow)),
    )
    quiz = await db.fetchone(
        "SELECT COUNT(*) AS answers, COALESCE(SUM(correct), 0) AS correct, COALESCE(SUM(points), 0) AS points "
        "FROM quiz_answers WHERE guild_id = ? AND user_id = ?",
        member,
    )
    explain = await db.fetchone(
        "SELECT COUNT(*) AS attempts, AVG(hit) AS hit, AVG(total) AS total FROM explain_attempts "
        "WHERE guild_id = ? AND user_id = ?",
        member,
    )
    assert reviews is not None and due is not None and quiz is not None and explain is not None  # aggregates
    return StudyCounts(
        reviews_today=reviews["today"],
        reviews_week=reviews["week"],
        reviews_all=reviews["total"],
        retention_reviews=reviews["recent"],
        retention_kept=reviews["kept"],
        due_now=due["now"],
        due_today=due["today"],
        quiz_answers=quiz["answers"],
        quiz_correct=quiz["correct"],
        quiz_points=quiz["points"],
        explain_attempts=explain["attempts"],
        explain_hit=explain["hit"] or 0.0,
        explain_total=explain["total"] or 0.0,
    )


async def activity_between(db: Store, guild_id: int, user_id: int, start: datetime, end: datetime) -> list[datetime]:
    """The moments of the member's activities from `start` to `end` (both included), for the heatmap."""
    rows = await db.fetchall(
        "SELECT at FROM activity WHERE guild_id = ? AND user_id = ? AND at >= ? AND at <= ?",
        (guild_id, user_id, to_text(start), to_text(end)),
    )
    return [from_text(row["at"]) for row in rows]
