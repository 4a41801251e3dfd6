"""bot.services.reminders: switching on (in the member's zone, moved between servers), claiming due reminders once
(across processes too), skipping late ones, what a reminder says, and the note after closed DMs."""
from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta, timezone
from typing import Any

import pytest

from bot.core.library import DeckLibrary
from bot.core.reminders import DeckDue, StreakRisk
from bot.services.reminders import ReminderService
from bot.services.study import StudyService
from bot.store.db import Database
from bot.store.members import set_member_field
from tests.services.test_study import DECK, G, T0, U, rate, start
from tests.store.conftest import write

OTHER_GUILD = 11
UTC = timezone.utc
# T0 is 2025-03-10 12:00 UTC: 13:00 in Berlin, where 19:00 is 18:00 UTC.
BERLIN_SEVEN = datetime(2025, 3, 10, 18, tzinfo=UTC)


@pytest.fixture
def reminders(db: Database) -> ReminderService:
    return ReminderService(db, DeckLibrary({DECK.id: DECK}))


async def in_berlin(db: Database, user_id: int = U) -> None:
    await set_member_field(db, G, user_id, "alice", timezone="Europe/Berlin")


async def test_on_sends_next_at_the_members_local_time(db: Database, reminders: ReminderService) -> None:
    await in_berlin(db)
    turned = await reminders.turn_on(G, U, "alice", time(19), T0)
    assert (turned.zone_name, turned.moved_from) == ("Europe/Berlin", None)
    assert (turned.reminder.guild_id, turned.reminder.local_time) == (G, "19:00")
    assert turned.reminder.next_send_at == BERLIN_SEVEN and turned.reminder.enabled


async def test_on_in_another_server_moves_the_one_reminder_there(db: Database, reminders: ReminderService) -> None:
    await reminders.turn_on(G, U, "alice", time(19), T0)
    await write(db, "INSERT INTO guild_settings (guild_id, timezone) VALUES (?, ?)", (OTHER_GUILD, "Asia/Tokyo"))
    moved = await reminders.turn_on(OTHER_GUILD, U, "alice", time(8), T0)
    assert (moved.moved_from, moved.zone_name) == (G, "Asia/Tokyo")
    # 08:00 in Tokyo is 23:00 UTC; 21:00 Tokyo (T0) is past it, so the next day's.
    assert moved.reminder.next_send_at == datetime(2025, 3, 10, 23, tzinfo=UTC)
    rows = await db.fetchall("SELECT user_id, guild_id FROM reminders")
    assert [(row["user_id"], row["guild_id"]) for row in rows] == [(U, OTHER_GUILD)]


async def test_a_due_reminder_is_claimed_once_and_moves_to_the_next_day(
    db: Database, reminders: ReminderService
) -> None:
    await in_berlin(db)
    await reminders.turn_on(G, U, "alice", time(19), T0)
    assert await reminders.claim_due(BERLIN_SEVEN - timedelta(seconds=1)) == []
    claims = await reminders.claim_due(BERLIN_SEVEN + timedelta(seconds=5))
    assert [(c.user_id, c.guild_id, c.due_at, c.skipped) for c in claims] == [(U, G, BERLIN_SEVEN, False)]
    assert await reminders.claim_due(BERLIN_SEVEN + timedelta(minutes=30)) == []
    status = await reminders.status(U)
    assert status is not None and status.next_send_at == BERLIN_SEVEN + timedelta(days=1)


async def test_a_reminder_more_than_an_hour_late_is_claimed_but_skipped(
    db: Database, reminders: ReminderService
) -> None:
    await reminders.turn_on(G, U, "alice", time(19), T0)  # UTC: 19:00 UTC
    due = datetime(2025, 3, 10, 19, tzinfo=UTC)
    claims = await reminders.claim_due(due + timedelta(hours=3))
    assert [(c.due_at, c.skipped) for c in claims] == [(due, True)]
    status = await reminders.status(U)
    assert status is not None and status.next_send_at == due + timedelta(days=1)


async def test_claims_come_in_due_order_and_batches(db: Database, reminders: ReminderService) -> None:
    for user, hour in ((1, 19), (2, 17), (3, 18)):
        await reminders.turn_on(G, user, f"m{user}", time(hour), T0)
    now = datetime(2025, 3, 10, 19, 30, tzinfo=UTC)
    assert [c.user_id for c in await reminders.claim_due(now, limit=2)] == [2, 3]
    assert [c.user_id for c in await reminders.claim_due(now, limit=2)] == [1]


async def test_switched_off_reminders_are_not_claimed(db: Database, reminders: ReminderService) -> None:
    await reminders.turn_on(G, U, "alice", time(19), T0)
    assert await reminders.turn_off(U) is True
    assert await reminders.turn_off(U) is False
    assert await reminders.claim_due(T0 + timedelta(days=2)) == []
    status = await reminders.status(U)
    assert status is not None and (status.enabled, status.off_reason) == (False, "user")


async def test_nothing_due_and_no_streak_says_nothing(reminders: ReminderService) -> None:
    assert await reminders.content(G, U, T0) is None


async def test_due_cards_and_a_streak_at_risk_are_what_a_reminder_says(
    db: Database, reminders: ReminderService
) -> None:
    study = StudyService(db, DeckLibrary({DECK.id: DECK}))
    screen = await start(study)
    for _ in range(3):
        screen = (await rate(study, screen, 1, T0)).screen  # Again: due again a minute later
    # The next day (UTC), 20:00: three cards due, yesterday's 1-day streak ends in 4 hours.
    next_evening = T0 + timedelta(days=1, hours=8)
    content = await reminders.content(G, U, next_evening)
    assert content is not None
    assert content.decks == (DeckDue("Deck", 3),)
    assert content.risk == StreakRisk(1, timedelta(hours=4), 1)
    # The same day, after studying: the streak is safe, the cards are still due.
    same_day = await reminders.content(G, U, T0 + timedelta(hours=1))
    assert same_day is not None and same_day.decks == (DeckDue("Deck", 3),) and same_day.risk is None
    assert await reminders.first_due_deck(G, U, next_evening) == DECK
    assert await reminders.first_due_deck(OTHER_GUILD, U, next_evening) is None


async def test_closed_dms_switch_off_with_one_note(db: Database, reminders: ReminderService) -> None:
    await reminders.turn_on(G, U, "alice", time(19), T0)
    await reminders.dms_closed(U)
    assert reminders.notes == {U}
    status = await reminders.status(U)
    assert status is not None and (status.enabled, status.off_reason, status.note_pending) == (False, "dms_closed", True)
    restarted = ReminderService(db, DeckLibrary({}))
    await restarted.load_notes()
    assert restarted.notes == {U}
    assert await restarted.take_note(U) == "dms_closed"
    assert await restarted.take_note(U) is None
    await reminders.load_notes()
    assert reminders.notes == set()
    # Switching on again clears everything.
    await reminders.dms_closed(U)  # already off: no new note
    assert reminders.notes == set()
    turned = await reminders.turn_on(G, U, "alice", time(19), T0)
    assert (turned.reminder.enabled, turned.reminder.off_reason) == (True, None)


async def test_on_again_after_todays_reminder_waits_for_tomorrow(db: Database, reminders: ReminderService) -> None:
    await reminders.turn_on(G, U, "alice", time(19), T0)
    sent_at = datetime(2025, 3, 10, 19, tzinfo=UTC)
    await reminders.claim_due(sent_at)
    await reminders.sent(U, sent_at, 777)
    [tomorrow] = await reminders.claim_due(sent_at + timedelta(days=1))
    assert tomorrow.dm_channel_id == 777  # kept with the reminder: the next one opens no DM
    later = await reminders.turn_on(G, U, "alice", time(21), sent_at + timedelta(minutes=10))
    assert later.reminder.next_send_at == datetime(2025, 3, 11, 21, tzinfo=UTC)


async def test_two_processes_claim_each_reminder_once(two: tuple[Any, Any]) -> None:
    services = [ReminderService(db, DeckLibrary({})) for db in two]
    members = range(100, 160)
    for user in members:
        await services[0].turn_on(G, user, f"m{user}", time(19), T0)
    due = datetime(2025, 3, 10, 19, 0, 30, tzinfo=UTC)
    rounds = await asyncio.gather(*(services[i % 2].claim_due(due, limit=25) for i in range(8)))
    claimed = [claim.user_id for batch in rounds for claim in batch]
    assert sorted(claimed) == list(members)
