"""record_activity keeps the stored streak equal to what the activity log implies, with the right reply lines."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import AsyncIterator

import pytest

from bot.core import streaks as rules
from bot.store.activity import record_activity
from bot.store.db import Database
from bot.store.guilds import update_guild_settings
from bot.store.members import set_member_field
from bot.store.streaks import activity_times, effective_rules, get_streak, load_streak, recompute_guild

UTC = timezone.utc
G = 111
ALICE = 1
START = datetime(2025, 3, 3, 12, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "streaks.db")
    try:
        yield database
    finally:
        await database.close()


async def act(db: Database, at: datetime, user: int = ALICE, guild: int = G) -> str | None:
    async with db.transaction() as conn:
        return await record_activity(conn, guild, user, "study", at)


async def assert_matches_log(db: Database, user: int = ALICE) -> rules.StreakState:
    async with db.transaction() as conn:
        stored = await load_streak(conn, G, user)
        zone_name, minimum = await effective_rules(conn, G, user)
        times = await activity_times(conn, G, user)
    assert stored is not None
    assert (stored.timezone, stored.daily_minimum) == (zone_name, minimum)
    assert stored.state == rules.recompute(times, rules.zone(zone_name), minimum)
    return stored.state


async def test_reply_lines(db: Database) -> None:
    assert await act(db, START) == "🔥 1-day streak"
    assert await act(db, START + timedelta(hours=1)) is None
    assert await act(db, START + timedelta(days=1)) == "🔥 2-day streak"


async def test_freeze_line_when_a_freeze_saves_the_streak(db: Database) -> None:
    for day in range(7):
        await act(db, START + timedelta(days=day))
    line = await act(db, START + timedelta(days=8))
    assert line is not None and line.startswith("🧊 a freeze saved your streak")
    assert "🔥 8-day streak" in line


async def test_daily_minimum_from_the_server(db: Database) -> None:
    await update_guild_settings(db, G, daily_minimum=3)
    assert [await act(db, START + timedelta(minutes=i)) for i in range(4)] == [None, None, "🔥 1-day streak", None]


async def test_zone_member_then_server_then_utc(db: Database) -> None:
    await act(db, START)
    async with db.transaction() as conn:
        assert await effective_rules(conn, G, ALICE) == ("UTC", 1)
    await update_guild_settings(db, G, timezone="Asia/Tokyo")
    async with db.transaction() as conn:
        assert (await effective_rules(conn, G, ALICE))[0] == "Asia/Tokyo"
    await set_member_field(db, G, ALICE, "Alice", timezone="America/New_York")
    async with db.transaction() as conn:
        assert (await effective_rules(conn, G, ALICE))[0] == "America/New_York"


async def test_timezone_change_recounts_and_stays_equal_to_the_log(db: Database) -> None:
    # 02:00 UTC every day: consecutive in UTC; in New York they are 21:00/22:00 of the previous days — still daily.
    for day in range(5):
        await act(db, START.replace(hour=2) + timedelta(days=day))
    await set_member_field(db, G, ALICE, "Alice", timezone="America/New_York")
    await recompute_guild(db, G, ALICE)
    state = await assert_matches_log(db)
    assert state.last_day == (START.replace(hour=2) + timedelta(days=3)).date()


async def test_rules_changed_without_recount_are_caught_on_next_activity(db: Database) -> None:
    await act(db, START)
    await update_guild_settings(db, G, timezone="Pacific/Kiritimati")  # no recount on purpose
    await act(db, START + timedelta(days=1))
    await assert_matches_log(db)


@pytest.mark.parametrize("seed", range(6))
async def test_random_histories_stored_equals_recounted(db: Database, seed: int) -> None:
    rnd = random.Random(seed)
    zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
    await update_guild_settings(db, G, daily_minimum=rnd.randint(1, 2))
    moment = datetime(2025, 3, 25, tzinfo=UTC)  # across Europe's DST change
    for _ in range(80):
        moment += timedelta(minutes=rnd.choice([5, 90, 600, 1440, 2000, 3000]))
        jitter = timedelta(minutes=-rnd.choice([0, 0, 0, 2]))
        await act(db, moment + jitter)
        if rnd.random() < 0.08:
            await set_member_field(db, G, ALICE, "Alice", timezone=rnd.choice(zones))
            await recompute_guild(db, G)
    await assert_matches_log(db)


async def test_get_streak_sees_a_streak_break_without_new_activity(db: Database) -> None:
    for day in range(3):
        await act(db, START + timedelta(days=day))
    assert (await get_streak(db, G, ALICE, START + timedelta(days=3))).current == 3
    broken = await get_streak(db, G, ALICE, START + timedelta(days=4))
    assert (broken.current, broken.best) == (0, 3)
    assert (await get_streak(db, G, 999, START)).current == 0
