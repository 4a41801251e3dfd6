"""bot.services.streaks: record_activity keeps the stored streak equal to what the activity log implies and says
what changed (StreakUpdate, rendered by bot.ui.common.streak_line); recounts after a rules change; today's view."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from bot.core import streaks as rules
from bot.services import streaks
from bot.services.progress import ProgressService
from bot.store import streaks as store
from bot.store.db import Database
from bot.store.guilds import update_guild_settings
from bot.store.members import set_member_field
from bot.store.streaks import StoredStreak, StreakInputs
from bot.ui.common import streak_line

UTC = timezone.utc
G = 111
ALICE, BOB = 1, 2
START = datetime(2025, 3, 3, 12, tzinfo=UTC)


async def act(db: Database, at: datetime, user: int = ALICE, guild: int = G) -> rules.StreakUpdate:
    return await db.atomic(lambda conn: streaks.record_activity(conn, guild, user, "study", at))


async def line(db: Database, at: datetime, user: int = ALICE) -> str | None:
    return streak_line(await act(db, at, user))


async def assert_matches_log(db: Database, user: int = ALICE) -> rules.StreakState:
    async def read(conn):
        return await store.read_inputs(conn, G, user), await store.activity_times(conn, G, user)

    inputs, times = await db.atomic(read)
    context = streaks.context_of(inputs)
    assert context.stored is not None
    assert (context.stored.timezone, context.stored.daily_minimum) == (context.zone_name, context.minimum)
    assert context.stored.state == rules.recompute(times, rules.zone(context.zone_name), context.minimum)
    return context.stored.state


def test_context_zone_member_then_server_then_utc_and_a_minimum_of_at_least_one() -> None:
    assert streaks.context_of(StreakInputs(None, None, None, None)) == streaks.StreakContext("UTC", 1, None)
    assert streaks.context_of(StreakInputs(None, "Asia/Tokyo", 3, None)).zone_name == "Asia/Tokyo"
    stored = StoredStreak(rules.StreakState(current=2), "UTC", 1)
    context = streaks.context_of(StreakInputs("America/New_York", "Asia/Tokyo", 0, stored))
    assert (context.zone_name, context.minimum, context.stored) == ("America/New_York", 1, stored)
    assert streaks.context_of(StreakInputs("Mars/Olympus", None, None, None)).zone_name == "UTC"


async def test_updates_say_when_the_streak_grew(db: Database) -> None:
    first = await act(db, START)
    assert first.grew and first.state.current == 1
    assert streak_line(first) == "🔥 1-day streak"
    again = await act(db, START + timedelta(hours=1))
    assert not again.grew and again.state.current == 1 and streak_line(again) is None
    assert await line(db, START + timedelta(days=1)) == "🔥 2-day streak"
    await assert_matches_log(db)


async def test_a_freeze_earned_and_then_saving_the_streak(db: Database) -> None:
    for day in range(6):
        await act(db, START + timedelta(days=day))
    seventh = await act(db, START + timedelta(days=6))
    assert seventh.freeze_earned and seventh.state.freezes == 1
    saved = await act(db, START + timedelta(days=8))
    assert saved.freezes_used == 1 and saved.state.current == 8
    text = streak_line(saved)
    assert text is not None and text.startswith("🧊 a freeze saved your streak") and "🔥 8-day streak" in text
    await assert_matches_log(db)


async def test_daily_minimum_from_the_server(db: Database) -> None:
    await update_guild_settings(db, G, daily_minimum=3)
    updates = [await act(db, START + timedelta(minutes=i)) for i in range(4)]
    assert [u.grew for u in updates] == [False, False, True, False]
    assert updates[2].state.reached_at == START + timedelta(minutes=2)


async def test_inputs_read_by_the_caller_save_the_statement_and_give_the_same_result(db: Database) -> None:
    await act(db, START)

    async def body(conn):
        inputs = await store.read_inputs(conn, G, ALICE)
        return await streaks.record_activity(conn, G, ALICE, "quiz", START + timedelta(days=1), inputs)

    update = await db.atomic(body)
    assert update.grew and update.state.current == 2
    await assert_matches_log(db)


async def test_an_activity_older_than_the_latest_recounts(db: Database) -> None:
    # Two transactions may commit in the other order than their clocks read.
    await act(db, START + timedelta(days=1))
    await act(db, START + timedelta(days=1, hours=1))
    late = await act(db, START)
    # It made its own day count, though that day is not the last counted one (the old check missed this).
    assert late.grew and late.state.current == 2
    # Late again, on a day that had already counted by then: the streak did not grow.
    again = await act(db, START + timedelta(minutes=30))
    assert not again.grew and again.state.current == 2
    await assert_matches_log(db)


async def test_rules_changed_without_recount_are_caught_on_next_activity(db: Database) -> None:
    await act(db, START)
    await update_guild_settings(db, G, daily_minimum=2)  # no recount on purpose
    update = await act(db, START + timedelta(days=1))
    assert not update.grew  # the second day has one activity of the two it now needs
    state = await assert_matches_log(db)
    assert state.current == 0 and state.pending_count == 1


async def test_recompute_after_a_timezone_change_stays_equal_to_the_log(db: Database) -> None:
    # 02:00 UTC every day: consecutive in UTC; in New York they are 21:00/22:00 of the previous days — still daily.
    for day in range(5):
        await act(db, START.replace(hour=2) + timedelta(days=day))
    await act(db, START, user=BOB)
    await set_member_field(db, G, ALICE, "Alice", timezone="America/New_York")
    assert await streaks.recompute(db, G, ALICE) == 1
    state = await assert_matches_log(db)
    assert state.last_day == (START.replace(hour=2) + timedelta(days=3)).date()
    assert await streaks.recompute(db, G) == 2  # everyone with activity or a streak


@pytest.mark.parametrize("seed", range(6))
async def test_random_histories_stored_equals_recounted(db: Database, seed: int) -> None:
    rnd = random.Random(seed)
    zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
    progress = ProgressService(db, on_settings_change=lambda guild_id: None)
    await update_guild_settings(db, G, daily_minimum=rnd.randint(1, 2))
    moment = datetime(2025, 3, 25, tzinfo=UTC)  # across Europe's DST change
    for _ in range(80):
        moment += timedelta(minutes=rnd.choice([5, 90, 600, 1440, 2000, 3000]))
        jitter = timedelta(minutes=-rnd.choice([0, 0, 0, 2]))
        await act(db, moment + jitter)
        if rnd.random() < 0.08:
            await progress.set_member_timezone(G, ALICE, "Alice", rnd.choice(zones), now=moment)
    await assert_matches_log(db)


async def test_current_sees_a_streak_break_without_new_activity(db: Database) -> None:
    for day in range(3):
        await act(db, START + timedelta(days=day))
    assert (await streaks.current(db, G, ALICE, START + timedelta(days=3))).current == 3
    broken = await streaks.current(db, G, ALICE, START + timedelta(days=4))
    assert (broken.current, broken.best) == (0, 3)
    assert await streaks.current(db, G, 999, START) == rules.StreakView(0, 0, 0, False)


async def test_current_counts_today_in_the_stored_zone(db: Database) -> None:
    await set_member_field(db, G, ALICE, "Alice", timezone="Asia/Tokyo")
    await act(db, datetime(2025, 3, 3, 16, tzinfo=UTC))  # 01:00 on the 4th in Tokyo
    view = await streaks.current(db, G, ALICE, datetime(2025, 3, 3, 20, tzinfo=UTC))  # still the 4th there
    assert view.counted_today and view.current == 1
