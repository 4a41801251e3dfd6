"""All leaderboard and /stats SQL: reads reviews, quiz_answers, explain_attempts, activity, srs_state, members, streaks.

A board is one grouped query per server (one row per member), ranked in SQL with the order of
bot.core.leaderboard.rank (value, then who reached it first, then user id), so only the page shown and the
caller's own row leave the database, however many members a server has. All-time and this-month boards read totals
that triggers keep (migrations 0005, 0008); a server's months are refiled when its timezone is set
(rebuild_board_months, called by bot.store.guilds.update_guild_settings).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable
from zoneinfo import ZoneInfo

import aiosqlite

from bot.core import leaderboard as lb
from bot.core import streaks as rules
from bot.core.clock import from_text, to_text
from bot.core.leaderboard import Board, Entry, Period
from bot.store.db import Connection, Database
from bot.store.guilds import GuildSettings, get_guild_settings

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
        "SELECT user_id, CAST(SUM(correct) AS REAL) / COUNT(*) AS value, COUNT(*) AS answers, "
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
        "CAST({correct} AS REAL) / {answers}", "{answers}", "{correct}", "{answers} >= ?", "last_answer_at"
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
    Board.ACCURACY: ("CAST(correct AS REAL) / answers", "answers", "correct", "answers >= ?", "last_answer_at"),
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
    "SELECT a.guild_id, {month} AS month_key, a.user_id, a.deck_id, SUM(a.points), SUM(a.points > 0), COUNT(*), "
    "SUM(a.correct), MAX(CASE WHEN a.points > 0 THEN a.answered_at END), MAX(a.answered_at) "
    "FROM quiz_answers a WHERE a.guild_id = ? GROUP BY month_key, a.user_id, a.deck_id"
).format(month=_MONTH_OF.format(log="a", at="answered_at"))
_REFILE_REVIEWS = (
    "INSERT INTO board_months (guild_id, month, user_id, deck_id, reviews, last_review_at) "
    "SELECT r.guild_id, {month} AS month_key, r.user_id, r.deck_id, COUNT(*), MAX(r.reviewed_at) "
    "FROM reviews r WHERE r.guild_id = ? GROUP BY month_key, r.user_id, r.deck_id "
    "ON CONFLICT (guild_id, month, user_id, deck_id) DO UPDATE SET "
    "reviews = excluded.reviews, last_review_at = excluded.last_review_at"
).format(month=_MONTH_OF.format(log="r", at="reviewed_at"))
_REFILE_MEMBERS = (
    "INSERT INTO board_member_months (guild_id, month, user_id, points, scored, answers, correct, reviews, "
    "last_point_at, last_answer_at, last_review_at) "
    "SELECT guild_id, month, user_id, SUM(points), SUM(scored), SUM(answers), SUM(correct), SUM(reviews), "
    "MAX(last_point_at), MAX(last_answer_at), MAX(last_review_at) "
    "FROM board_months WHERE guild_id = ? GROUP BY month, user_id"
)

# Current streaks: alive on each member's local today (given per zone), hidden ones left out. A streak survives at
# most MAX_FREEZES + 1 days without a counted day, so older last days are skipped through the filter on last_day.
_STREAK_SQL = (
    "SELECT s.user_id, s.current AS value, 0 AS answers, 0 AS correct, s.reached_at "
    "FROM streaks s LEFT JOIN members m ON m.guild_id = s.guild_id AND m.user_id = s.user_id "
    "WHERE s.guild_id = ? AND s.current > 0 AND s.last_day >= ? AND COALESCE(m.hide_streak, 0) = 0 "
    "AND julianday(CASE s.timezone {today} END) - julianday(s.last_day) - 1 <= s.freezes"
)

# One page in the order of bot.core.leaderboard.rank (top-k sort, no window function: ~2x faster on 10k members),
# then the caller's row with its rank counted as 1 + the members ahead of them. Every row carries the total.
_RANKED_SQL = (
    "WITH grouped AS MATERIALIZED ({grouped}), me AS (SELECT * FROM grouped WHERE user_id = ?) "
    "SELECT *, 0 AS rank, (SELECT COUNT(*) FROM grouped) AS total FROM ("
    "SELECT * FROM grouped ORDER BY value DESC, reached_at ASC, user_id ASC LIMIT ? OFFSET ?) "
    "UNION ALL "
    "SELECT me.*, 1 + (SELECT COUNT(*) FROM grouped g WHERE g.value > me.value OR (g.value = me.value AND "
    "(g.reached_at < me.reached_at OR (g.reached_at = me.reached_at AND g.user_id < me.user_id)))) AS rank, "
    "(SELECT COUNT(*) FROM grouped) AS total FROM me"
)


@dataclass(frozen=True, slots=True)
class BoardPage:
    """One page of a ranked board, with the caller's own row wherever it is."""

    board: Board
    period: Period
    deck_id: str | None
    since: datetime | None
    page: int
    total: int
    rows: list[lb.Ranked]
    viewer: lb.Ranked | None


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


async def server_zone(db: Database, guild_id: int) -> str:
    settings = await get_guild_settings(db, guild_id)
    return rules.effective_zone_name(None, settings.timezone)


async def member_zone(db: Database, guild_id: int, user_id: int) -> str:
    """The zone a member's days are shown in: theirs, else the server's, else UTC."""
    row = await db.fetchone("SELECT timezone FROM members WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    settings = await get_guild_settings(db, guild_id)
    return rules.effective_zone_name(row["timezone"] if row else None, settings.timezone)


def _entry(row: Any) -> Entry:
    return Entry(row["user_id"], row["value"], from_text(row["reached_at"]), row["answers"], row["correct"] or 0)


async def _baseline_matches(db: Database, guild_id: int, reset_at: datetime) -> bool:
    row = await db.fetchone("SELECT reset_at FROM board_resets WHERE guild_id = ?", (guild_id,))
    return row is not None and row["reset_at"] == to_text(reset_at)


async def _counted_sql(
    db: Database, guild_id: int, board: Board, since: datetime | None, deck_id: str | None, now: datetime,
    settings: GuildSettings,
) -> tuple[str, list] | None:
    """The grouped query of a counted board (points, accuracy, reviews) from `since` on; None when empty."""
    reset_at = settings.board_reset_at
    tail: list = [deck_id] if deck_id else []
    if board is Board.ACCURACY:
        tail.append(lb.ACCURACY_MIN_ANSWERS)
    if since is None or (reset_at is not None and since == reset_at and await _baseline_matches(db, guild_id, reset_at)):
        sql = _totals_sql(board, with_baseline=since is not None, by_deck=deck_id is not None)
        return sql, [guild_id, *tail]
    month = await _month_from(db, guild_id, since, rules.zone(rules.effective_zone_name(None, settings.timezone)))
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


async def _month_from(db: Database, guild_id: int, since: datetime, tz: ZoneInfo) -> str | None:
    """The month of the month totals that holds exactly the logged rows from `since` on, else None (read the logs).

    That is this month's board when nothing reset it later than its start. The answer comes from what is stored,
    not from the zone now set, so months filed in another zone (e.g. UTC months of a database that had a timezone
    before migration 0008) are never read as if they were this zone's.
    """
    utc_month_start = lb.is_month_start(since, timezone.utc)
    if not (utc_month_start or lb.is_month_start(since, tz)):
        return None  # a day, a week or a reset: no month starts there (the lookup is spared)
    at = to_text(since)
    row = await db.lookup(_MONTH_CHECK, (guild_id, at, guild_id, guild_id))
    month = row["labelled"]
    if month is None and not row["zoned"] and utc_month_start:
        month = at[:7]  # no month starts: rows are filed under the UTC month their text begins with
    if month is None or (row["latest"] is not None and row["latest"] > month):
        return None
    return month


async def rebuild_board_months(conn: aiosqlite.Connection, guild_id: int, server_zone_setting: str | None) -> None:
    """Start the server's months at local midnight of the 1st in its zone and refile its logs under them.

    Run inside the transaction that changes the server's timezone, so the month starts, the rows filed under them
    and the setting the windows follow never disagree. Reads all of the server's logs (about 1 s per 300,000 rows).
    """
    starts = lb.month_starts(rules.zone(rules.effective_zone_name(None, server_zone_setting)))
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


async def refile_upgraded_servers(db: Database) -> list[int]:
    """Refile the months of servers whose timezone was set before migration 0008 (their rows sit in UTC months, so
    their month boards read the logs until then); the servers done. Meant for start-up; later runs find none."""
    rows = await db.fetchall(
        "SELECT g.guild_id, g.timezone FROM guild_settings g WHERE g.timezone IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM board_month_starts s WHERE s.guild_id = g.guild_id)"
    )
    for row in rows:
        # One server per transaction: writers wait for one refile at most.
        await db.atomic(lambda conn, r=row: rebuild_board_months(conn, r["guild_id"], r["timezone"]), offload=True)
    return [row["guild_id"] for row in rows]


async def _streak_sql(db: Database, guild_id: int, now: datetime) -> tuple[str, list] | None:
    zones = [row["timezone"] for row in await db.fetchall(
        "SELECT DISTINCT timezone FROM streaks WHERE guild_id = ? AND current > 0", (guild_id,)
    )]
    if not zones:
        return None
    today: list = []
    for name in zones:
        today += [name, rules.today_in(rules.zone(name), now).isoformat()]
    oldest_alive = (now.date() - timedelta(days=rules.MAX_FREEZES + 2)).isoformat()
    sql = _STREAK_SQL.format(today=" ".join("WHEN ? THEN ?" for _ in zones))
    return sql, [guild_id, oldest_alive, *today]


async def _grouped(
    db: Database, guild_id: int, board: Board, period: Period, deck_id: str | None, now: datetime
) -> tuple[tuple[str, list] | None, datetime | None]:
    if board is Board.STREAK:
        # A streak is a member's own history: period, deck and board resets do not apply to it.
        return await _streak_sql(db, guild_id, now), None
    settings = await get_guild_settings(db, guild_id)
    tz = rules.zone(rules.effective_zone_name(None, settings.timezone))
    since = lb.window_start(period, now, tz, settings.board_reset_at)
    return await _counted_sql(db, guild_id, board, since, deck_id, now, settings), since


async def board_entries(
    db: Database, guild_id: int, board: Board, period: Period, deck_id: str | None, now: datetime
) -> list[Entry]:
    """Every member's value on a board, unranked (what the ranking query orders)."""
    grouped, _since = await _grouped(db, guild_id, board, period, deck_id, now)
    if grouped is None:
        return []
    return [_entry(row) for row in await db.fetchall(*grouped)]


async def counted_entries(
    db: Database, guild_id: int, board: Board, since: datetime | None, deck_id: str | None, now: datetime
) -> list[Entry]:
    """Every member's value on a counted board from `since` on (None: all time since the last reset)."""
    settings = await get_guild_settings(db, guild_id)
    grouped = await _counted_sql(db, guild_id, board, since, deck_id, now, settings)
    return [_entry(row) for row in await db.fetchall(*grouped)] if grouped else []


async def load_board(
    db: Database, guild_id: int, board: Board, period: Period, deck_id: str | None, now: datetime,
    *, page: int = 0, viewer_id: int | None = None,
) -> BoardPage:
    """One page of this server's board (windows in the server's zone, counted from the last reset)."""
    deck_id = None if board is Board.STREAK else deck_id
    grouped, since = await _grouped(db, guild_id, board, period, deck_id, now)
    if grouped is None:
        return BoardPage(board, period, deck_id, since, 0, 0, [], None)
    page = max(page, 0)
    rows, viewer, total = await _ranked(db, grouped, page, viewer_id)
    if not rows and page > 0:  # past the end: the board shrank since this page was shown
        total = total if total is not None else await _count(db, grouped)
        page = lb.clamp_page(page, total)
        rows, viewer, total = await _ranked(db, grouped, page, viewer_id)
    return BoardPage(board, period, deck_id, since, page, total or 0, rows, viewer)


async def _ranked(
    db: Database, grouped: tuple[str, list], page: int, viewer_id: int | None
) -> tuple[list[lb.Ranked], lb.Ranked | None, int | None]:
    """(rows of the page, the viewer's row, total) — total None when no row came back at all."""
    sql, params = grouped
    first = page * lb.PAGE_SIZE
    result = await db.fetchall(
        _RANKED_SQL.format(grouped=sql), [*params, viewer_id if viewer_id else -1, lb.PAGE_SIZE, first]
    )
    on_page = [row for row in result if row["rank"] == 0]
    rows = [lb.Ranked(first + i + 1, _entry(row)) for i, row in enumerate(on_page)]
    mine = next((row for row in result if row["rank"] != 0), None)
    viewer = lb.Ranked(mine["rank"], _entry(mine)) if mine else None
    return rows, viewer, result[0]["total"] if result else None


async def _count(db: Database, grouped: tuple[str, list]) -> int:
    sql, params = grouped
    row = await db.fetchone(f"SELECT COUNT(*) AS n FROM ({sql})", params)
    return row["n"] if row else 0


async def reset_boards(db: Database, guild_id: int, at: datetime) -> None:
    """Make the server's boards count from `at`; the logs (history) are kept, only a snapshot of totals is taken."""
    async def body(conn: Connection) -> None:
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
        await conn.execute("INSERT OR REPLACE INTO board_resets (guild_id, reset_at) VALUES (?, ?)", (guild_id, to_text(at)))
        await conn.execute(
            "INSERT INTO guild_settings (guild_id, board_reset_at) VALUES (?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET board_reset_at = excluded.board_reset_at",
            (guild_id, to_text(at)),
        )

    await db.atomic(body, offload=True)


async def member_names(db: Database, guild_id: int, user_ids: Iterable[int]) -> dict[int, str]:
    """Last known display names (members who left keep theirs)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = await db.fetchall(
        f"SELECT user_id, display_name FROM members WHERE guild_id = ? AND user_id IN ({marks})", (guild_id, *ids)
    )
    return {row["user_id"]: row["display_name"] for row in rows}


@dataclass(frozen=True, slots=True)
class MemberStats:
    zone: str
    streak: rules.StreakView
    reviews_today: int
    reviews_week: int
    reviews_all: int
    retention_reviews: int  # reviews in the last 30 days
    retention_kept: int  # of which not rated Again
    due_now: int
    due_today: int
    quiz_answers: int
    quiz_correct: int
    quiz_points: int
    explain_attempts: int
    explain_hit: float  # average concepts found per attempt
    explain_total: float  # average concepts asked per attempt

    @property
    def retention(self) -> float | None:
        return self.retention_kept / self.retention_reviews if self.retention_reviews else None

    @property
    def accuracy(self) -> float | None:
        return self.quiz_correct / self.quiz_answers if self.quiz_answers else None


def _local_midnight(day: date, tz) -> datetime:
    return datetime.combine(day, datetime.min.time()).replace(tzinfo=tz)


async def member_stats(db: Database, guild_id: int, user_id: int, now: datetime) -> MemberStats:
    zone_name = await member_zone(db, guild_id, user_id)
    tz = rules.zone(zone_name)
    today = rules.today_in(tz, now)
    start_today = to_text(_local_midnight(today, tz))
    start_week = to_text(_local_midnight(today - timedelta(days=6), tz))
    start_tomorrow = to_text(_local_midnight(today + timedelta(days=1), tz))
    month_ago = to_text(now - timedelta(days=30))
    member = (guild_id, user_id)
    reviews = await db.fetchone(
        "SELECT COUNT(*) AS total, "
        "COALESCE(SUM(reviewed_at >= ?), 0) AS today, COALESCE(SUM(reviewed_at >= ?), 0) AS week, "
        "COALESCE(SUM(reviewed_at >= ?), 0) AS recent, COALESCE(SUM(reviewed_at >= ? AND rating > 1), 0) AS kept "
        "FROM reviews WHERE guild_id = ? AND user_id = ?",
        (start_today, start_week, month_ago, month_ago, *member),
    )
    due = await db.fetchone(
        "SELECT COALESCE(SUM(due <= ?), 0) AS now, COUNT(*) AS today FROM srs_state "
        "WHERE guild_id = ? AND user_id = ? AND due < ?",
        (to_text(now), *member, start_tomorrow),
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
    streak = await _current_streak(db, guild_id, user_id, now)
    return MemberStats(
        zone=zone_name,
        streak=streak,
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


async def activity_by_day(db: Database, guild_id: int, user_id: int, zone_name: str, since: date, now: datetime) -> dict[date, int]:
    """Activities per local day from `since` (a local day) up to now, for the heatmap."""
    tz = rules.zone(zone_name)
    rows = await db.fetchall(
        "SELECT at FROM activity WHERE guild_id = ? AND user_id = ? AND at >= ? AND at <= ?",
        (guild_id, user_id, to_text(_local_midnight(since, tz)), to_text(now)),
    )
    counts: dict[date, int] = {}
    for row in rows:
        day = rules.local_day(from_text(row["at"]), tz)
        counts[day] = counts.get(day, 0) + 1
    return counts


async def _current_streak(db: Database, guild_id: int, user_id: int, now: datetime):  # interim
    from bot.services.streaks import current
    return await current(db, guild_id, user_id, now)
