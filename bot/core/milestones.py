"""Milestone roles: roles an admin ties to a streak or to quiz points, who qualifies for them, and what to change so
the roles Recall gave match who qualifies (the reconcile plan).

Rules:
- A streak role is for members whose current streak (bot.core.streaks, as of their own local today) is at least its
  threshold: a broken streak no longer qualifies, so the role is taken back.
- A points role is for members whose quiz points in its window (this week, this month, all time, counted as the
  leaderboards count them) are at least its threshold.
- Recall only ever takes back a role it gave (the grants), and gives nothing twice.
- A role can be given by Recall only when it is not @everyone or managed by an integration, the bot has Manage
  Roles, and the role is strictly below the bot's highest role (Discord's hierarchy: position, then the older role).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Iterable, Mapping

from bot.core import streaks as streak_rules
from bot.core.leaderboard import Period


class Kind(str, Enum):
    STREAK = "streak"
    POINTS = "points"


class Window(str, Enum):
    WEEK = "week"
    MONTH = "month"
    ALL = "all"

    @property
    def period(self) -> Period:
        return Period(self.value)


@dataclass(frozen=True, slots=True)
class Milestone:
    """One role an admin tied to a milestone; `window` is set for points roles only."""

    role_id: int
    kind: Kind
    threshold: int
    window: Window | None = None


class Refusal(Enum):
    """Why a role cannot be made a milestone role (bot.ui.milestones says it to the admin)."""

    NO_MILESTONE = "no milestone"
    TWO_MILESTONES = "two milestones"
    WINDOW_WITHOUT_POINTS = "window without points"
    EVERYONE = "@everyone"
    MANAGED = "managed"
    NO_MANAGE_ROLES = "no Manage Roles"
    NOT_BELOW_BOT = "not below the bot"


class MilestoneRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def milestone_of(role_id: int, streak: int | None, points: int | None, window: Window | None) -> Milestone:
    """The milestone an admin asked for: exactly one of a streak or points; a window only with points, all time
    when left out (a milestone reached for good, unless the boards are reset)."""
    if streak is None and points is None:
        raise MilestoneRefused(Refusal.NO_MILESTONE)
    if streak is not None and points is not None:
        raise MilestoneRefused(Refusal.TWO_MILESTONES)
    if streak is not None:
        if window is not None:
            raise MilestoneRefused(Refusal.WINDOW_WITHOUT_POINTS)
        return Milestone(role_id, Kind.STREAK, streak)
    assert points is not None
    return Milestone(role_id, Kind.POINTS, points, window or Window.ALL)


@dataclass(frozen=True, slots=True)
class RoleFacts:
    """What Discord says about one role."""

    id: int
    position: int
    managed: bool = False


def _order(role: RoleFacts) -> tuple[int, int]:
    # Discord's hierarchy: higher position is higher; at equal positions the older role (lower id) is higher.
    return (role.position, -role.id)


def check_assignable(role: RoleFacts, guild_id: int, can_manage_roles: bool, bot_top: RoleFacts) -> None:
    """Refuse (MilestoneRefused) a role the bot could not give and take: the first reason that applies."""
    if role.id == guild_id:
        raise MilestoneRefused(Refusal.EVERYONE)
    if role.managed:
        raise MilestoneRefused(Refusal.MANAGED)
    if not can_manage_roles:
        raise MilestoneRefused(Refusal.NO_MANAGE_ROLES)
    if _order(role) >= _order(bot_top):
        raise MilestoneRefused(Refusal.NOT_BELOW_BOT)


def top_role(roles: Iterable[RoleFacts]) -> RoleFacts:
    """The highest of a member's roles (include @everyone, so there is always one)."""
    return max(roles, key=_order)


@dataclass(frozen=True, slots=True)
class StreakRow:
    """A member's stored streak, as much of it as says whether it is alive today."""

    user_id: int
    current: int
    freezes: int
    last_day: date | None
    zone_name: str


def streak_today(row: StreakRow, today: date) -> int:
    """The member's current streak on their local `today` (0 once missed days outran the freezes)."""
    state = streak_rules.StreakState(current=row.current, freezes=row.freezes, last_day=row.last_day)
    return streak_rules.view(state, today).current


@dataclass(frozen=True, slots=True)
class Standing:
    """What the rules read per member: current streaks, and points per window (members absent have 0)."""

    streaks: Mapping[int, int]
    points: Mapping[Window, Mapping[int, int]]


def qualifies(milestone: Milestone, user_id: int, standing: Standing) -> bool:
    if milestone.kind is Kind.STREAK:
        return standing.streaks.get(user_id, 0) >= milestone.threshold
    assert milestone.window is not None
    return standing.points.get(milestone.window, {}).get(user_id, 0) >= milestone.threshold


Grant = tuple[int, int]  # (user_id, role_id)


@dataclass(frozen=True, slots=True)
class Plan:
    """Role changes that make the grants match who qualifies, in a stable order (member, then role)."""

    add: tuple[Grant, ...]
    remove: tuple[Grant, ...]


def desired(milestones: Iterable[Milestone], standing: Standing, users: Iterable[int]) -> set[Grant]:
    """Which of `users` should hold which milestone role."""
    chosen = list(milestones)
    return {(user, m.role_id) for user in users for m in chosen if qualifies(m, user, standing)}


def reconcile(milestones: Iterable[Milestone], standing: Standing, granted: Iterable[Grant],
              users: Iterable[int] | None = None) -> Plan:
    """The roles to give and to take back. `users`: reconcile only these members (None: everyone the standing or
    the grants know). A grant of a role that is no milestone any more is taken back."""
    granted = set(granted)
    if users is None:
        scope = set(standing.streaks) | {u for by_user in standing.points.values() for u in by_user}
        scope |= {user for user, _ in granted}
    else:
        scope = set(users)
        granted = {g for g in granted if g[0] in scope}
    wanted = desired(milestones, standing, scope)
    return Plan(tuple(sorted(wanted - granted)), tuple(sorted(granted - wanted)))
