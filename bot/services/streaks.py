"""Daily streaks as a use case: log an activity and fold it into the stored streak (inside the caller's
transaction), recount after a rules change, read a streak as of today. The rules are bot.core.streaks'."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core import streaks as rules
from bot.core.clock import utcnow
from bot.store import streaks as store
from bot.store.api import Connection, Store
from bot.store.streaks import StoredStreak, StreakInputs


@dataclass(frozen=True, slots=True)
class StreakContext:
    """The rules one member's days are counted with, and their stored streak."""

    zone_name: str
    minimum: int
    stored: StoredStreak | None


def context_of(inputs: StreakInputs) -> StreakContext:
    """Member zone → server zone → UTC; the server's daily minimum (at least 1)."""
    zone_name = rules.effective_zone_name(inputs.member_zone, inputs.server_zone)
    minimum = max(int(inputs.server_minimum), 1) if inputs.server_minimum is not None else 1
    return StreakContext(zone_name, minimum, inputs.stored)


async def record_activity(
    conn: Connection, guild_id: int, user_id: int, kind: str, at: datetime, inputs: StreakInputs | None = None
) -> rules.StreakUpdate:
    """Log one activity and fold it into the stored streak; call inside the transaction that stores the rating,
    answer or attempt, so the stored streak can never disagree with the log it is derived from.

    `inputs`: the member's StreakInputs when the caller already read them in this transaction.
    """
    await store.insert_activity(conn, guild_id, user_id, kind, at)
    context = context_of(inputs if inputs is not None else await store.read_inputs(conn, guild_id, user_id))
    stored = context.stored
    update = None
    if stored is None or (stored.timezone == context.zone_name and stored.daily_minimum == context.minimum):
        previous = stored.state if stored else rules.StreakState()
        update = rules.apply_activity(previous, rules.local_day(at, rules.zone(context.zone_name)), at, context.minimum)
    if update is None:
        # Rules changed since the state was stored, or this activity is older than the latest one: recount.
        state, times, context = await _recount(conn, guild_id, user_id)
        # This activity grew the streak exactly when it is the one that made its day count (that day need not be
        # the last counted one: an activity that arrives late can fill an earlier day).
        grew = made_its_day_count(times, at, rules.zone(context.zone_name), context.minimum)
        return rules.StreakUpdate(state, grew=grew)
    await store.save_streak(conn, guild_id, user_id, update.state, context.zone_name, context.minimum, at)
    return update


def made_its_day_count(times: list[datetime], at: datetime, tz: ZoneInfo, minimum: int) -> bool:
    """Whether the activity at `at` is the `minimum`-th of its local day in the ordered log `times`."""
    day = rules.local_day(at, tz)
    same_day = [moment for moment in times if rules.local_day(moment, tz) == day]
    return len(same_day) >= minimum and same_day[minimum - 1] == at


async def _recount(
    conn: Connection, guild_id: int, user_id: int
) -> tuple[rules.StreakState, list[datetime], StreakContext]:
    """Recount from the whole log with the current rules and store it; the state, the log and the rules used."""
    context = context_of(await store.read_inputs(conn, guild_id, user_id))
    times = await store.activity_times(conn, guild_id, user_id)
    state = rules.recompute(times, rules.zone(context.zone_name), context.minimum)
    await store.save_streak(conn, guild_id, user_id, state, context.zone_name, context.minimum, utcnow())
    return state, times, context


async def recompute_member(conn: Connection, guild_id: int, user_id: int) -> rules.StreakState:
    """Derive the member's streak from the whole log with the current rules, store it and return it."""
    state, _times, _context = await _recount(conn, guild_id, user_id)
    return state


async def recompute(db: Store, guild_id: int, user_id: int | None = None) -> int:
    """Recount streaks after a timezone or daily-minimum change (one member, or everyone in the server)."""
    users = [user_id] if user_id is not None else await store.streak_members(db, guild_id)

    async def body(conn: Connection) -> None:
        for user in users:
            await recompute_member(conn, guild_id, user)

    await db.atomic(body, offload=True)
    return len(users)


async def current(db: Store, guild_id: int, user_id: int, now: datetime | None = None) -> rules.StreakView:
    """The member's streak as of their local today."""
    stored = await store.load_streak(db, guild_id, user_id)
    if stored is None:
        return rules.StreakView(0, 0, 0, False)
    return rules.view(stored.state, rules.today_in(rules.zone(stored.timezone), now))
