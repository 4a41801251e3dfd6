"""The streak SQL (bot.store.streaks): the activity log, the stored streak row, and the one statement that reads
what a streak step depends on. The rules and record_activity are tested in tests/services/test_streaks.py."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from bot.core.streaks import StreakState
from bot.store import streaks as store
from bot.store.db import Database
from bot.store.guilds import update_guild_settings
from bot.store.members import set_member_field
from bot.store.streaks import StoredStreak, StreakInputs
from tests.store.conftest import write

UTC = timezone.utc
G, G2 = 111, 222
ALICE, BOB = 1, 2
START = datetime(2025, 3, 3, 12, tzinfo=UTC)
STATE = StreakState(
    current=3, best=5, freezes=1, last_day=date(2025, 3, 3), reached_at=START, pending_day=date(2025, 3, 3),
    pending_count=2, last_at=START + timedelta(hours=1),
)


async def inputs(db: Database, user: int = ALICE, guild: int = G) -> StreakInputs:
    return await db.atomic(lambda conn: store.read_inputs(conn, guild, user))


async def test_inputs_of_someone_unknown_are_all_unset(db: Database) -> None:
    assert await inputs(db) == StreakInputs(None, None, None, None)


async def test_inputs_have_the_member_and_server_settings_and_the_stored_streak(db: Database) -> None:
    await update_guild_settings(db, G, daily_minimum=3)
    await set_member_field(db, G, ALICE, "Alice", timezone="America/New_York")
    await db.atomic(lambda conn: store.save_streak(conn, G, ALICE, STATE, "America/New_York", 3, START))
    assert await inputs(db) == StreakInputs(
        "America/New_York", None, 3, StoredStreak(STATE, "America/New_York", 3)
    )
    assert (await inputs(db, BOB)).stored is None
    assert await inputs(db, ALICE, G2) == StreakInputs(None, None, None, None)


async def test_inputs_of_reads_the_context_columns_of_any_query(db: Database) -> None:
    await db.atomic(lambda conn: store.save_streak(conn, G, ALICE, STATE, "UTC", 1, START))
    row = await db.fetchone(
        f"SELECT {store.CONTEXT_COLUMNS} FROM streaks sk LEFT JOIN guild_settings g ON g.guild_id = sk.guild_id "
        "LEFT JOIN members m ON m.guild_id = sk.guild_id AND m.user_id = sk.user_id WHERE sk.user_id = ?",
        (ALICE,),
    )
    assert store.inputs_of(row) == StreakInputs(None, None, None, StoredStreak(STATE, "UTC", 1))


async def test_a_saved_streak_is_updated_in_place_and_loaded_back(db: Database) -> None:
    empty = StreakState()
    await db.atomic(lambda conn: store.save_streak(conn, G, ALICE, empty, "UTC", 1, START))
    assert await store.load_streak(db, G, ALICE) == StoredStreak(empty, "UTC", 1)
    await db.atomic(lambda conn: store.save_streak(conn, G, ALICE, STATE, "Asia/Tokyo", 2, START))
    assert await store.load_streak(db, G, ALICE) == StoredStreak(STATE, "Asia/Tokyo", 2)
    rows = await db.fetchall("SELECT user_id FROM streaks")
    assert len(rows) == 1
    assert await store.load_streak(db, G, BOB) is None


async def test_activity_is_logged_in_time_order_per_member(db: Database) -> None:
    moments = [START + timedelta(hours=h) for h in (5, 1, 3)]

    async def body(conn) -> None:
        for at in moments:
            await store.insert_activity(conn, G, ALICE, "quiz", at)
        await store.insert_activity(conn, G, BOB, "explain", START)
        await store.insert_activity(conn, G2, ALICE, "study", START)

    await db.atomic(body)
    assert await db.atomic(lambda conn: store.activity_times(conn, G, ALICE)) == sorted(moments)


async def test_an_unknown_activity_kind_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="unknown activity kind"):
        await db.atomic(lambda conn: store.insert_activity(conn, G, ALICE, "dance", START))
    assert await db.fetchall("SELECT * FROM activity") == []


async def test_streak_members_have_activity_or_a_stored_streak(db: Database) -> None:
    await write(db, "INSERT INTO activity (guild_id, user_id, kind, at) VALUES (?, ?, 'study', '2025-03-03')",
                (G, ALICE), (G, ALICE), (G2, 7))
    await db.atomic(lambda conn: store.save_streak(conn, G, BOB, StreakState(), "UTC", 1, START))
    assert sorted(await store.streak_members(db, G)) == [ALICE, BOB]
    assert await store.streak_members(db, G2) == [7]
