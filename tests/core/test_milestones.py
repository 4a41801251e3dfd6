"""Milestone role rules: what an admin may ask for, which roles the bot can give, who qualifies, the reconcile plan."""
from __future__ import annotations

from datetime import date

import pytest

from bot.core.milestones import (
    Kind,
    Milestone,
    MilestoneRefused,
    Plan,
    Refusal,
    RoleFacts,
    Standing,
    StreakRow,
    Window,
    check_assignable,
    milestone_of,
    qualifies,
    reconcile,
    streak_today,
    top_role,
)

GUILD = 1000
STREAK7 = Milestone(10, Kind.STREAK, 7)
WEEK500 = Milestone(20, Kind.POINTS, 500, Window.WEEK)
ALL5000 = Milestone(30, Kind.POINTS, 5000, Window.ALL)


def refusal(call, *args) -> Refusal:
    with pytest.raises(MilestoneRefused) as caught:
        call(*args)
    return caught.value.refusal


def test_exactly_one_milestone_and_the_window_goes_with_points() -> None:
    assert milestone_of(10, 7, None, None) == STREAK7
    assert milestone_of(20, None, 500, Window.WEEK) == WEEK500
    assert milestone_of(30, None, 5000, None) == ALL5000  # all time when the window is left out
    assert refusal(milestone_of, 10, None, None, None) is Refusal.NO_MILESTONE
    assert refusal(milestone_of, 10, 7, 500, None) is Refusal.TWO_MILESTONES
    assert refusal(milestone_of, 10, 7, None, Window.MONTH) is Refusal.WINDOW_WITHOUT_POINTS


def test_window_is_the_boards_period() -> None:
    assert [w.period.value for w in Window] == ["week", "month", "all"]


def test_assignable_roles_follow_discords_hierarchy() -> None:
    bot_top = RoleFacts(id=50, position=3)
    check_assignable(RoleFacts(id=60, position=2), GUILD, True, bot_top)  # below: fine
    assert refusal(check_assignable, RoleFacts(GUILD, 0), GUILD, True, bot_top) is Refusal.EVERYONE
    assert refusal(check_assignable, RoleFacts(61, 1, managed=True), GUILD, True, bot_top) is Refusal.MANAGED
    assert refusal(check_assignable, RoleFacts(60, 2), GUILD, False, bot_top) is Refusal.NO_MANAGE_ROLES
    assert refusal(check_assignable, RoleFacts(60, 4), GUILD, True, bot_top) is Refusal.NOT_BELOW_BOT
    assert refusal(check_assignable, bot_top, GUILD, True, bot_top) is Refusal.NOT_BELOW_BOT
    # At the same position the older role (lower id) is the higher one.
    check_assignable(RoleFacts(id=70, position=3), GUILD, True, bot_top)
    assert refusal(check_assignable, RoleFacts(id=40, position=3), GUILD, True, bot_top) is Refusal.NOT_BELOW_BOT


def test_top_role_is_highest_position_then_oldest() -> None:
    everyone, low, twin_old, twin_new = RoleFacts(GUILD, 0), RoleFacts(5, 1), RoleFacts(6, 2), RoleFacts(9, 2)
    assert top_role([everyone, low, twin_new, twin_old]) == twin_old
    assert top_role([everyone]) == everyone


def test_streak_today_counts_freezes_and_breaks() -> None:
    row = StreakRow(user_id=1, current=7, freezes=1, last_day=date(2026, 3, 10), zone_name="UTC")
    assert streak_today(row, date(2026, 3, 10)) == 7
    assert streak_today(row, date(2026, 3, 11)) == 7  # today not counted yet: still alive
    assert streak_today(row, date(2026, 3, 12)) == 7  # one missed day, covered by the freeze
    assert streak_today(row, date(2026, 3, 13)) == 0  # two missed days, one freeze: broken
    assert streak_today(StreakRow(2, 0, 0, None, "UTC"), date(2026, 3, 10)) == 0


def test_qualifies_at_the_threshold_and_not_below() -> None:
    standing = Standing(streaks={1: 7, 2: 6}, points={Window.WEEK: {1: 499, 2: 500}})
    assert qualifies(STREAK7, 1, standing) and not qualifies(STREAK7, 2, standing)
    assert qualifies(WEEK500, 2, standing) and not qualifies(WEEK500, 1, standing)
    assert not qualifies(ALL5000, 1, standing)  # no points read for that window: nobody has any
    assert not qualifies(STREAK7, 3, standing)


def test_reconcile_gives_missing_and_takes_back_only_what_was_given() -> None:
    standing = Standing(streaks={1: 7, 2: 3}, points={Window.WEEK: {2: 800}, Window.ALL: {}})
    granted = {(1, 10), (2, 10), (3, 20), (4, 99)}  # 2's streak fell; 3 lost the week; 99 is no milestone now
    plan = reconcile([STREAK7, WEEK500, ALL5000], standing, granted)
    assert plan == Plan(add=((2, 20),), remove=((2, 10), (3, 20), (4, 99)))


def test_reconcile_of_some_members_leaves_the_others_alone() -> None:
    standing = Standing(streaks={1: 9, 2: 8}, points={})
    plan = reconcile([STREAK7], standing, {(5, 10)}, users=[1])
    assert plan == Plan(add=((1, 10),), remove=())


def test_nothing_to_do_when_grants_match() -> None:
    standing = Standing(streaks={1: 9}, points={})
    assert reconcile([STREAK7], standing, {(1, 10)}) == Plan((), ())
