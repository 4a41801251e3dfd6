"""bot.services.milestones on both backends: milestones kept per server, who qualifies read from stored streaks and
the points boards, and grants that follow what Discord accepted (a fake RoleChanger stands in for Discord)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from bot.core.clock import to_text
from bot.core.library import DeckLibrary
from bot.core.milestones import Kind, Milestone, Plan, Window
from bot.services import streaks
from bot.services.milestones import Applied, MilestoneService, Outcome
from bot.services.progress import ProgressService
from bot.store import milestones as store

UTC = timezone.utc
G, OTHER = 111, 222
ALICE, BOB, CAROL = 1, 2, 3
STREAK_ROLE, POINTS_ROLE, MONTH_ROLE = 70, 80, 90
NOW = datetime(2026, 3, 18, 15, tzinfo=UTC)  # a Wednesday
_answers = iter(range(1, 10**6))


@dataclass
class FakeDiscord:
    """Roles as Discord holds them; `answers` forces an outcome for a (user, role)."""

    roles: set[tuple[int, int]] = field(default_factory=set)
    answers: dict[tuple[int, int], Outcome] = field(default_factory=dict)
    calls: list[tuple[str, int, int]] = field(default_factory=list)

    async def give(self, guild_id: int, user_id: int, role_id: int) -> Outcome:
        self.calls.append(("give", user_id, role_id))
        outcome = self.answers.get((user_id, role_id), Outcome.DONE)
        if outcome is Outcome.DONE:
            self.roles.add((user_id, role_id))
        return outcome

    async def take(self, guild_id: int, user_id: int, role_id: int) -> Outcome:
        self.calls.append(("take", user_id, role_id))
        outcome = self.answers.get((user_id, role_id), Outcome.DONE)
        if outcome is Outcome.DONE:
            self.roles.discard((user_id, role_id))
        return outcome


@pytest.fixture
def service(db) -> MilestoneService:
    return MilestoneService(db, DeckLibrary({}))


async def study_days(db, user: int, days: range, guild: int = G) -> None:
    """One activity on each of these days before NOW (0 = NOW's day)."""
    for days_ago in sorted(days, reverse=True):
        at = NOW - timedelta(days=days_ago)
        await db.atomic(lambda conn, at=at: streaks.record_activity(conn, guild, user, "study", at))


async def give_points(db, user: int, points: int, at: datetime, guild: int = G) -> None:
    async def body(conn) -> None:
        await conn.execute(
            "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, question_id, "
            "letter, choice, correct, response_ms, points, answered_at) VALUES (?, 0, ?, 1, ?, 'd', 'q', 'A', 'x', 1, "
            "900, ?, ?)", (next(_answers), guild, user, points, to_text(at)),
        )

    await db.atomic(body)


async def test_milestones_are_kept_per_server_and_replaced_by_role(service: MilestoneService) -> None:
    await service.add(G, Milestone(STREAK_ROLE, Kind.STREAK, 7))
    await service.add(G, Milestone(POINTS_ROLE, Kind.POINTS, 500, Window.WEEK))
    await service.add(OTHER, Milestone(STREAK_ROLE, Kind.STREAK, 3))
    await service.add(G, Milestone(STREAK_ROLE, Kind.STREAK, 14))  # the same role again: its new milestone
    assert await service.milestones(G) == [
        Milestone(POINTS_ROLE, Kind.POINTS, 500, Window.WEEK), Milestone(STREAK_ROLE, Kind.STREAK, 14)
    ]
    assert await service.remove(G, POINTS_ROLE) == Milestone(POINTS_ROLE, Kind.POINTS, 500, Window.WEEK)
    assert await service.remove(G, POINTS_ROLE) is None
    assert await service.milestones(OTHER) == [Milestone(STREAK_ROLE, Kind.STREAK, 3)]
    assert await service.servers() == [G, OTHER]


async def test_streak_role_given_at_seven_days_and_taken_back_when_it_breaks(db, service: MilestoneService) -> None:
    await service.add(G, Milestone(STREAK_ROLE, Kind.STREAK, 7))
    await study_days(db, ALICE, range(7))  # 7 days up to today
    await study_days(db, BOB, range(6))  # 6 days
    discord = FakeDiscord()
    assert await service.reconcile(G, discord, NOW) == Applied(given=1)
    assert discord.roles == {(ALICE, STREAK_ROLE)}
    assert await store.load_grants(db, G) == {(ALICE, STREAK_ROLE)}
    assert await service.plan(G, NOW) == Plan((), ())  # nothing more to do
    # A day missed is covered by the freeze earned on day 7; two are not.
    assert await service.plan(G, NOW + timedelta(days=2)) == Plan((), ())
    assert await service.reconcile(G, discord, NOW + timedelta(days=3)) == Applied(taken=1)
    assert discord.roles == set() and await store.load_grants(db, G) == set()


async def test_streak_counted_on_the_members_own_day(db, service: MilestoneService) -> None:
    progress = ProgressService(db, on_settings_change=lambda g: None)
    await progress.set_member_timezone(G, ALICE, "alice", "Pacific/Auckland")
    await service.add(G, Milestone(STREAK_ROLE, Kind.STREAK, 2))
    await study_days(db, ALICE, range(2))
    await study_days(db, BOB, range(2))  # the same moments, counted in UTC
    # 10:00 UTC two days on: in UTC Bob missed a whole day (no freeze at 2 days), while in Auckland (UTC+13) Alice's
    # last activity fell on the day before her today.
    later = NOW + timedelta(days=1, hours=10)
    assert (await service.plan(G, later)).add == ((ALICE, STREAK_ROLE),)
    assert (await service.plan(G, later + timedelta(days=1))).add == ()


async def test_points_roles_count_their_window_as_the_boards_do(db, service: MilestoneService) -> None:
    await service.add(G, Milestone(POINTS_ROLE, Kind.POINTS, 500, Window.WEEK))
    await service.add(G, Milestone(MONTH_ROLE, Kind.POINTS, 1000, Window.ALL))
    await give_points(db, ALICE, 600, NOW - timedelta(hours=1))
    await give_points(db, BOB, 300, NOW - timedelta(hours=1))
    await give_points(db, BOB, 900, NOW - timedelta(days=20))  # long before this week
    plan = await service.plan(G, NOW)
    assert plan == Plan(add=((ALICE, POINTS_ROLE), (BOB, MONTH_ROLE)), remove=())
    discord = FakeDiscord()
    await service.apply(G, plan, discord, NOW)
    # Next week Alice's week points are gone: the role goes back; Bob keeps his all-time role.
    assert await service.plan(G, NOW + timedelta(days=7)) == Plan(add=(), remove=((ALICE, POINTS_ROLE),))
    # A board reset counts from zero, for roles too.
    await ProgressService(db, on_settings_change=lambda g: None).reset_boards(G, NOW)
    assert (await service.plan(G, NOW + timedelta(minutes=1))).remove == ((ALICE, POINTS_ROLE), (BOB, MONTH_ROLE))


async def test_reconcile_of_some_members_only(db, service: MilestoneService) -> None:
    await service.add(G, Milestone(STREAK_ROLE, Kind.STREAK, 1))
    await study_days(db, ALICE, range(1))
    await study_days(db, BOB, range(1))
    assert (await service.plan(G, NOW, users=[BOB])).add == ((BOB, STREAK_ROLE),)


async def test_removed_milestone_takes_back_only_what_recall_gave(db, service: MilestoneService) -> None:
    await service.add(G, Milestone(STREAK_ROLE, Kind.STREAK, 1))
    await study_days(db, ALICE, range(1))
    discord = FakeDiscord(roles={(BOB, STREAK_ROLE)})  # an admin gave Bob the role by hand
    await service.reconcile(G, discord, NOW)
    await service.remove(G, STREAK_ROLE)
    assert await service.servers() == [G]  # still visited: a grant is to be taken back
    assert await service.reconcile(G, discord, NOW) == Applied(taken=1)
    assert discord.roles == {(BOB, STREAK_ROLE)}
    assert await service.servers() == []


async def test_refused_changes_keep_grants_as_discord_has_them(db, service: MilestoneService) -> None:
    await service.add(G, Milestone(STREAK_ROLE, Kind.STREAK, 1))
    for user in (ALICE, BOB, CAROL):
        await study_days(db, user, range(1))
    discord = FakeDiscord(answers={(ALICE, STREAK_ROLE): Outcome.FORBIDDEN})
    assert await service.reconcile(G, discord, NOW) == Applied(refused=1)
    assert discord.calls == [("give", ALICE, STREAK_ROLE)]  # a refused role is left alone for the rest of the pass
    assert await store.load_grants(db, G) == set()
    discord.answers.clear()
    assert await service.reconcile(G, discord, NOW) == Applied(given=3)
    # Taking back refused: Bob's grant stays, since he still has the role; Carol's waits for the next pass.
    discord.answers[(BOB, STREAK_ROLE)] = Outcome.FORBIDDEN
    discord.calls.clear()
    assert await service.reconcile(G, discord, NOW + timedelta(days=5)) == Applied(taken=1, refused=1)
    assert discord.calls == [("take", ALICE, STREAK_ROLE), ("take", BOB, STREAK_ROLE)]
    assert await store.load_grants(db, G) == {(BOB, STREAK_ROLE), (CAROL, STREAK_ROLE)}


async def test_member_gone_drops_the_grant_and_is_not_asked_again(db, service: MilestoneService) -> None:
    await service.add(G, Milestone(STREAK_ROLE, Kind.STREAK, 1))
    await study_days(db, ALICE, range(1))
    discord = FakeDiscord(answers={(ALICE, STREAK_ROLE): Outcome.MEMBER_GONE})
    await service.reconcile(G, discord, NOW)
    assert await service.plan(G, NOW) == Plan((), ())
    assert await store.load_grants(db, G) == set()
    # Seen active again in the server: they are back, so they get the role.
    await study_days(db, ALICE, range(0, 1))
    assert await service.recently_active(NOW - timedelta(minutes=1)) == {G: {ALICE}}
    assert (await service.plan(G, NOW)).add == ((ALICE, STREAK_ROLE),)


async def test_deleted_role_is_forgotten(db, service: MilestoneService) -> None:
    await service.add(G, Milestone(STREAK_ROLE, Kind.STREAK, 1))
    await study_days(db, ALICE, range(1))
    await study_days(db, BOB, range(1))
    discord = FakeDiscord(answers={(ALICE, STREAK_ROLE): Outcome.ROLE_GONE})
    await service.reconcile(G, discord, NOW)
    assert discord.calls == [("give", ALICE, STREAK_ROLE)]
    assert await service.milestones(G) == [] and await service.servers() == []


async def test_recently_active_are_those_whose_streak_was_stored_since(db, service: MilestoneService) -> None:
    await service.add(G, Milestone(STREAK_ROLE, Kind.STREAK, 7))
    await study_days(db, ALICE, range(3, 4))
    await study_days(db, BOB, range(1))
    await study_days(db, CAROL, range(1), guild=OTHER)  # a server without milestone roles: not read
    assert await service.recently_active(NOW - timedelta(days=1)) == {G: {BOB}}
    await service.add(OTHER, Milestone(STREAK_ROLE, Kind.STREAK, 7))
    assert await service.recently_active(NOW - timedelta(days=1)) == {G: {BOB}, OTHER: {CAROL}}
