"""ProgressService against a real migrated database: boards in the server's zone, paging past the end, names and
hidden streaks, /stats in the member's zone, /settings, and the admin settings (refile, recounts, reset, the
study service told to forget after each committed change)."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pytest
from PIL import Image

from bot.core import heatmap
from bot.core.clock import to_text
from bot.core.leaderboard import PAGE_SIZE, Board, Period
from bot.core.scheduling import DEFAULT_RETENTION
from bot.services.progress import ProgressService, refile_upgraded_servers
from bot.services.streaks import record_activity
from bot.store.db import Database
from bot.store.guilds import get_guild_settings, update_guild_settings
from bot.store.members import get_member, remember_member
from tests.backends import committed_row
from tests.store.conftest import write
from tests.store.test_boards import answer, review, seed_stats

UTC = timezone.utc
G, G2 = 111, 222
ALICE, BOB, CAROL = 1, 2, 3
NOW = datetime(2025, 6, 11, 12, tzinfo=UTC)  # a Wednesday


class Recorder:
    """Stands in for StudyService.forget: the servers it was told about, and what was committed when it was."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.calls: list[int] = []
        self.seen: list[tuple] = []

    def __call__(self, guild_id: int) -> None:
        self.calls.append(guild_id)
        # Read from another connection: only what is committed is visible there.
        self.seen.append(committed_row(
            self.db, "SELECT timezone, daily_minimum, desired_retention, new_card_limit, board_reset_at "
            "FROM guild_settings WHERE guild_id = ?", (guild_id,)
        ))


@pytest.fixture
def told(db: Database) -> Recorder:
    return Recorder(db)


@pytest.fixture
def service(db: Database, told: Recorder) -> ProgressService:
    return ProgressService(db, on_settings_change=told)


async def act(db: Database, user: int, at: datetime, guild: int = G, name: str | None = None) -> None:
    async def body(conn) -> None:
        if name:
            await remember_member(conn, guild, user, name)
        await record_activity(conn, guild, user, "study", at)

    await db.atomic(body)


# --- boards -----------------------------------------------------------------------------------------------------------


async def test_the_week_follows_the_server_zone(db: Database, service: ProgressService) -> None:
    sunday_night = datetime(2025, 6, 8, 20, tzinfo=UTC)  # Monday 05:00 in Tokyo
    await answer(db, G, ALICE, sunday_night, points=300)
    await answer(db, G, BOB, NOW - timedelta(hours=1), points=100)
    page = await service.board_page(G, Board.POINTS, Period.WEEK, None, NOW)
    assert [r.entry.user_id for r in page.rows] == [BOB]
    assert page.since == datetime(2025, 6, 9, tzinfo=UTC)
    await service.set_server_timezone(G, "Asia/Tokyo", NOW)
    page = await service.board_page(G, Board.POINTS, Period.WEEK, None, NOW, viewer_id=BOB)
    assert [r.entry.user_id for r in page.rows] == [ALICE, BOB]
    assert page.since == datetime(2025, 6, 8, 15, tzinfo=UTC) and page.viewer is not None and page.viewer.rank == 2


async def test_a_page_past_the_end_shows_the_last_page(db: Database, service: ProgressService) -> None:
    for user in range(100, 100 + 2 * PAGE_SIZE + 3):
        await answer(db, G, user, NOW - timedelta(minutes=user), points=user)
    for asked in (2, 3, 999_999):
        page = await service.board_page(G, Board.POINTS, Period.ALL, None, NOW, page=asked, viewer_id=100)
        assert (page.page, page.total, len(page.rows)) == (2, 2 * PAGE_SIZE + 3, 3)
        assert page.viewer is not None and page.viewer.rank == 2 * PAGE_SIZE + 3
    empty = await service.board_page(G, Board.REVIEWS, Period.ALL, None, NOW, page=5)
    assert (empty.page, empty.total, empty.rows) == (0, 0, [])


async def test_the_streak_board_counts_today_in_each_members_zone(db: Database, service: ProgressService) -> None:
    # Alice's last day is yesterday in UTC: alive (no freezes needed yet). Bob's, in Tokyo, was three days ago.
    await act(db, ALICE, NOW - timedelta(days=1))
    await service.set_member_timezone(G, BOB, "bob", "Asia/Tokyo", NOW)
    await act(db, BOB, NOW - timedelta(days=3))
    await act(db, CAROL, NOW)
    page = await service.board_page(G, Board.STREAK, Period.MONTH, "deck-a", NOW)
    assert [(r.entry.user_id, r.entry.value) for r in page.rows] == [(ALICE, 1), (CAROL, 1)]
    assert (page.deck_id, page.since, page.period) == (None, None, Period.MONTH)


async def test_the_board_screen_has_names_and_says_when_the_viewer_hid_their_streak(
    db: Database, service: ProgressService
) -> None:
    await act(db, ALICE, NOW, name="Alice")
    await act(db, BOB, NOW, name="Bob")
    screen = await service.board(G, Board.STREAK, Period.WEEK, None, viewer_id=BOB, now=NOW)
    assert screen.names == {ALICE: "Alice", BOB: "Bob"} and not screen.viewer_hidden and screen.now == NOW
    await service.set_hide_streak(G, BOB, "Bob", True)
    screen = await service.board(G, Board.STREAK, Period.WEEK, None, viewer_id=BOB, now=NOW)
    assert [r.entry.user_id for r in screen.page.rows] == [ALICE]
    assert screen.page.viewer is None and screen.viewer_hidden
    points = await service.board(G, Board.POINTS, Period.WEEK, None, viewer_id=BOB, now=NOW)
    assert not points.viewer_hidden  # only the streak board is hidden
    await service.set_hide_streak(G, BOB, "Bob", False)
    assert (await get_member(db, G, BOB)).hide_streak is False  # type: ignore[union-attr]


async def test_reset_counts_from_now_and_writes_every_setting(
    db: Database, service: ProgressService, told: Recorder
) -> None:
    await answer(db, G, ALICE, NOW - timedelta(days=2), points=900)
    at = await service.reset_boards(G, NOW - timedelta(days=1))
    assert at == NOW - timedelta(days=1)
    await answer(db, G, BOB, NOW - timedelta(hours=1), points=100)
    page = await service.board_page(G, Board.POINTS, Period.ALL, None, NOW)
    assert [(r.entry.user_id, r.entry.value) for r in page.rows] == [(BOB, 100)] and page.since == at
    # No column was left to the schema's default: the insert named the default retention itself.
    assert told.calls == [G]
    assert told.seen == [(None, 1, DEFAULT_RETENTION, 20, to_text(at))]
    assert (await get_guild_settings(db, G)).board_reset_at == at


# --- /stats -----------------------------------------------------------------------------------------------------------


async def test_stats_in_the_members_zone_with_a_heatmap(db: Database, service: ProgressService) -> None:
    await service.set_server_timezone(G, "Europe/Berlin", NOW)
    await seed_stats(db)
    await act(db, ALICE, NOW - timedelta(days=1))
    await act(db, ALICE, NOW)
    stats = await service.stats(G, ALICE, NOW)
    assert stats.zone == "Europe/Berlin"
    counts = stats.counts
    assert (counts.reviews_today, counts.reviews_week, counts.reviews_all) == (2, 3, 4)
    assert (counts.quiz_answers, counts.quiz_points, counts.explain_attempts) == (4, 1000, 2)
    assert (stats.streak.current, stats.streak.best, stats.streak.counted_today) == (2, 2, True)
    image = Image.open(io.BytesIO(stats.heatmap_png))
    assert image.format == "PNG" and image.size == heatmap.SIZE
    await service.set_member_timezone(G, ALICE, "Alice", "Asia/Tokyo", NOW)
    assert (await service.stats(G, ALICE, NOW)).zone == "Asia/Tokyo"


async def test_activity_by_day_in_the_members_zone(db: Database, service: ProgressService) -> None:
    await act(db, ALICE, datetime(2025, 6, 10, 23, 30, tzinfo=UTC))
    await act(db, ALICE, datetime(2025, 6, 11, 0, 30, tzinfo=UTC))
    await act(db, ALICE, datetime(2025, 5, 31, 12, tzinfo=UTC))  # before the first day asked for
    since = date(2025, 6, 1)
    assert await service.activity_by_day(G, ALICE, "UTC", since, NOW) == {date(2025, 6, 10): 1, date(2025, 6, 11): 1}
    assert await service.activity_by_day(G, ALICE, "Asia/Tokyo", since, NOW) == {date(2025, 6, 11): 2}


# --- /settings --------------------------------------------------------------------------------------------------------


async def test_a_member_timezone_recounts_their_streak_and_tells_the_study_service(
    db: Database, service: ProgressService, told: Recorder
) -> None:
    # 23:30 and 00:30 UTC: two days in UTC, one in New York.
    await act(db, ALICE, NOW.replace(hour=0, minute=30) - timedelta(hours=1))
    await act(db, ALICE, NOW.replace(hour=0, minute=30))
    assert (await service.stats(G, ALICE, NOW)).streak.current == 2
    result = await service.set_member_timezone(G, ALICE, "Alice", "America/New_York", NOW)
    assert (result.zone, result.server_default, result.streak.current, result.now) == (
        "America/New_York", False, 1, NOW
    )
    assert told.calls == [G]
    back = await service.set_member_timezone(G, ALICE, "Alice", None, NOW)
    assert (back.zone, back.server_default, back.streak.current) == ("UTC", True, 2)
    assert (await get_member(db, G, ALICE)).timezone is None  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        await service.set_member_timezone(G, ALICE, "Alice", "Mars/Olympus", NOW)
    assert told.calls == [G, G]


# --- /recall-admin ----------------------------------------------------------------------------------------------------


async def test_the_server_timezone_refiles_months_recounts_and_tells_after_the_commit(
    db: Database, service: ProgressService, told: Recorder
) -> None:
    await act(db, BOB, NOW.replace(hour=0, minute=30) - timedelta(hours=1))
    await act(db, BOB, NOW.replace(hour=0, minute=30))
    await act(db, ALICE, NOW)
    await review(db, G, ALICE, datetime(2025, 5, 31, 20, tzinfo=UTC))  # June already in Tokyo
    result = await service.set_server_timezone(G, "Asia/Tokyo", NOW)
    assert (result.zone, result.recounted, result.now) == ("Asia/Tokyo", 2, NOW)
    assert told.calls == [G] and told.seen[0][0] == "Asia/Tokyo"  # committed before the study service was told
    month = await db.fetchone(
        "SELECT month FROM board_month_starts WHERE guild_id = ? AND starts_at = ?",
        (G, to_text(datetime(2025, 5, 31, 15, tzinfo=UTC))),
    )
    assert month["month"] == "2025-06"
    june = await service.board_page(G, Board.REVIEWS, Period.MONTH, None, NOW)
    assert [(r.entry.user_id, r.entry.value) for r in june.rows] == [(ALICE, 1)]
    bob = await db.fetchone("SELECT current, timezone FROM streaks WHERE user_id = ?", (BOB,))
    assert (bob["current"], bob["timezone"]) == (1, "Asia/Tokyo")  # 09:30 and 10:30 on the same Tokyo day
    with pytest.raises(ValueError):
        await service.set_server_timezone(G, "Atlantis/Capital", NOW)
    assert told.calls == [G] and (await get_guild_settings(db, G)).timezone == "Asia/Tokyo"


async def test_daily_minimum_recounts_and_retention_and_new_cards_are_stored(
    db: Database, service: ProgressService, told: Recorder
) -> None:
    await act(db, ALICE, NOW)
    assert await service.set_daily_minimum(G, 2) == 1
    streak = await db.fetchone("SELECT current, daily_minimum FROM streaks WHERE user_id = ?", (ALICE,))
    assert (streak["current"], streak["daily_minimum"]) == (0, 2)
    await service.set_retention(G, 0.85)
    await service.set_new_card_limit(G, 7)
    stored = await get_guild_settings(db, G)
    assert (stored.daily_minimum, stored.desired_retention, stored.new_card_limit) == (2, 0.85, 7)
    assert told.calls == [G, G, G]
    assert told.seen[-1] == (None, 2, 0.85, 7, None)


async def test_the_store_refuses_a_timezone_without_its_refile(db: Database) -> None:
    with pytest.raises(ValueError):
        await update_guild_settings(db, G, timezone="Asia/Tokyo")
    with pytest.raises(ValueError):
        await update_guild_settings(db, G, colour="blue")
    assert await db.fetchall("SELECT * FROM guild_settings") == []


async def test_start_up_refiles_servers_whose_zone_predates_month_totals(db: Database) -> None:
    await write(db, "INSERT INTO guild_settings (guild_id, timezone, daily_minimum, desired_retention, new_card_limit) "
                "VALUES (?, ?, 1, 0.9, 20)", (G, "Asia/Tokyo"), (G2, None))
    await review(db, G, ALICE, datetime(2025, 5, 31, 20, tzinfo=UTC))  # filed in UTC's May until refiled
    assert await refile_upgraded_servers(db) == [G]
    assert await refile_upgraded_servers(db) == []
    row = await db.fetchone("SELECT month FROM board_months WHERE guild_id = ?", (G,))
    assert row["month"] == "2025-06"
