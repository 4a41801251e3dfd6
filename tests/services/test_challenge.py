"""The daily challenge use case on both databases: turning it on in the server's zone, one claim per day's run
(however many passes or processes race for it), skips after downtime, questions logged without repeats, and the
admins' note after the bot turned it off, told once."""
from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime, time, timedelta, timezone

import pytest

from bot.core.challenge import OFF_CHANNEL, Challenge
from bot.core.decks import Deck, QuizQuestion
from bot.core.library import DeckLibrary
from bot.services.challenge import ChallengeService
from bot.store.api import Store
from bot.store.guilds import change_guild_settings

UTC = timezone.utc
GUILD, OTHER, CHANNEL = 1, 2, 10
QUESTIONS = tuple(QuizQuestion(f"q{i}", f"Question {i}?", ("yes", "no"), "yes") for i in range(5))
DECK = Deck("lr", "Learning rates", quiz=QUESTIONS)
NOON = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
SIX_PM = time(18, 0)


@pytest.fixture
def service(db: Store) -> ChallengeService:
    return ChallengeService(db, DeckLibrary({DECK.id: DECK}))


async def turn_on(service: ChallengeService, guild: int = GUILD, now: datetime = NOON, questions: int = 2) -> Challenge:
    return await service.turn_on(guild, channel_id=CHANNEL, local_time=SIX_PM, deck_id=DECK.id,
                                 questions=questions, seconds=20, now=now)


async def test_turned_on_it_runs_next_at_the_servers_local_time(db: Store, service: ChallengeService) -> None:
    await db.atomic(lambda conn: change_guild_settings(conn, GUILD, timezone="America/New_York"))
    challenge = await turn_on(service)
    assert challenge.next_run_at == datetime(2025, 1, 10, 23, 0, tzinfo=UTC)  # 18:00 EST
    assert await service.status(GUILD) == challenge
    assert await service.zone_name(GUILD) == "America/New_York"
    assert await service.zone_name(OTHER) == "UTC"


async def test_one_claim_per_run_however_many_race_for_it(service: ChallengeService) -> None:
    await turn_on(service)
    at = datetime(2025, 1, 10, 18, 0, 5, tzinfo=UTC)
    (due,) = await service.due(at, lambda guild: True)
    picks = await asyncio.gather(*(service.claim_round(due, DECK, at) for _ in range(4)))
    won = [p for p in picks if p is not None]
    assert len(won) == 1 and len(won[0]) == 2
    after = await service.status(GUILD)
    assert after is not None
    assert (after.next_run_at, after.last_run_at) == (datetime(2025, 1, 11, 18, 0, tzinfo=UTC), at)
    # A second pass the same day finds nothing due.
    assert await service.due(at + timedelta(hours=5), lambda guild: True) == []


async def test_due_is_only_this_processs_servers(service: ChallengeService) -> None:
    await turn_on(service, GUILD)
    await turn_on(service, OTHER)
    due = await service.due(datetime(2025, 1, 10, 18, 1, tzinfo=UTC), lambda guild: guild == OTHER)
    assert [c.guild_id for c in due] == [OTHER]


async def test_questions_do_not_repeat_across_days_until_all_were_asked(service: ChallengeService) -> None:
    await turn_on(service)
    asked: list[list[str]] = []
    for day in range(3):
        at = datetime(2025, 1, 10 + day, 18, 0, 1, tzinfo=UTC)
        (due,) = await service.due(at, lambda guild: True)
        picked = await service.claim_round(due, DECK, at, random.Random(day))
        assert picked is not None
        asked.append([q.id for q in picked])
    assert len(set(asked[0] + asked[1])) == 4  # 4 of the 5, none twice
    leftover = {q.id for q in QUESTIONS} - set(asked[0] + asked[1])
    assert leftover <= set(asked[2]) and len(set(asked[2])) == 2  # the last one, then a new cycle


async def test_a_run_found_more_than_an_hour_late_is_skipped_to_the_next_day(
    service: ChallengeService, caplog: pytest.LogCaptureFixture
) -> None:
    await turn_on(service)
    back = datetime(2025, 1, 12, 9, 0, tzinfo=UTC)  # down for a day and a half: one skip, no backlog
    (due,) = await service.due(back, lambda guild: True)
    with caplog.at_level(logging.INFO, logger="recall.challenge"):
        assert await service.skip(due, back)
        assert not await service.skip(due, back)  # the same stale row again: already moved
    assert [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()] == [
        f"daily challenge of server {GUILD} due at 2025-01-10 18:00:00+00:00 skipped: the bot was down until "
        f"{back} (more than an hour)"
    ]
    after = await service.status(GUILD)
    assert after is not None and after.next_run_at == datetime(2025, 1, 12, 18, 0, tzinfo=UTC)
    assert after.last_run_at is None


async def test_set_again_the_day_it_ran_it_waits_for_the_next_day(service: ChallengeService) -> None:
    await turn_on(service)
    at = datetime(2025, 1, 10, 18, 0, tzinfo=UTC)
    (due,) = await service.due(at, lambda guild: True)
    assert await service.claim_round(due, DECK, at) is not None
    # An admin moves it to 20:00 the same evening: today's challenge was held, so the next is tomorrow's.
    again = await service.turn_on(GUILD, channel_id=CHANNEL, local_time=time(20, 0), deck_id=DECK.id, questions=1,
                                  seconds=30, now=at + timedelta(minutes=10))
    assert again.next_run_at == datetime(2025, 1, 11, 20, 0, tzinfo=UTC)
    assert again.last_run_at == at


async def test_turned_off_by_the_bot_the_admins_are_told_once(service: ChallengeService) -> None:
    challenge = await turn_on(service)
    await service.disable(challenge, OFF_CHANNEL)
    off = await service.status(GUILD)
    assert off is not None and (off.enabled, off.next_run_at, off.off_reason) == (False, None, OFF_CHANNEL)
    assert await service.due(datetime(2025, 1, 20, tzinfo=UTC), lambda guild: True) == []
    assert await service.take_note(GUILD) == OFF_CHANNEL
    assert await service.take_note(GUILD) is None
    # Turned on again and off by an admin: nothing to tell.
    await turn_on(service)
    assert await service.turn_off(GUILD)
    assert not await service.turn_off(GUILD)
    assert await service.take_note(GUILD) is None
    assert (await service.status(GUILD)).off_reason is None  # type: ignore[union-attr]


def test_a_deck_without_quiz_questions_or_gone_is_no_deck(service: ChallengeService) -> None:
    challenge = Challenge(GUILD, CHANNEL, SIX_PM, DECK.id, 2, 20, True, NOON)
    assert service.deck_of(challenge) == DECK
    service.decks.set_server_deck(GUILD, Deck(DECK.id, "Emptied"))
    assert service.deck_of(challenge) is None
    assert service.deck_of(Challenge(OTHER, CHANNEL, SIX_PM, "gone", 2, 20, True, NOON)) is None
