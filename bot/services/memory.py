"""Memory models as use cases: fit a scope's parameters in the background (or when an admin asks), adopt only a
better set, reschedule the cards it governs, roll back, recommend a retention, and tell a member how honest the model
is. Fitting and simulation run in worker threads (the Rust optimiser releases the GIL), never in an interaction's
transaction; writes go through bot.store.memory.

Scopes, as Anki's presets: a member with MIN_MEMBER_REVIEWS reviews gets their own set, the server's pooled set is
fitted once it has MIN_SERVER_REVIEWS, and everyone else is scheduled by the server's set or FSRS-6's defaults.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from fsrs import Card, Rating, State

from bot.core import memory as core
from bot.core import scheduling
from bot.core.clock import utcnow
from bot.core.memory import DEFAULT_PARAMETERS, FitOutcome, InvalidParameters
from bot.store import memory as store
from bot.store.api import Store
from bot.store.guilds import get_guild_settings
from bot.store.memory import SERVER_SCOPE, CardHistory, FitRow, ModelRow, RescheduledCard

log = logging.getLogger(__name__)

# Cards rescheduled per transaction: a member with thousands of cards never holds a long write.
RESCHEDULE_BATCH = 200


@lru_cache(maxsize=256)
def usable_parameters(text: str | None) -> tuple[float, ...] | None:
    """The stored set as numbers; None (FSRS-6's defaults) when there is none or it is corrupt, which is logged once
    per distinct text: a bad set never schedules a card."""
    if text is None:
        return None
    try:
        return core.parameters_from_text(text)
    except InvalidParameters as exc:
        log.warning("stored memory-model parameters are unusable (%s); scheduling with FSRS-6's defaults", exc)
        return None


class FitBusy(Exception):
    """A fit of this server is already running."""


@dataclass(frozen=True, slots=True)
class ScopeFit:
    user_id: int  # SERVER_SCOPE for the server's pooled set
    outcome: FitOutcome
    rescheduled: int


@dataclass(frozen=True, slots=True)
class ModelSummary:
    """What /recall-admin memory-model shows."""

    members_own: int  # members scheduled by their own set
    members_server: int  # by the server's set
    members_default: int  # by FSRS-6's defaults
    server_fitted: bool
    last_fit: FitRow | None
    last_adopted: FitRow | None
    reviews: int
    min_member_reviews: int
    min_server_reviews: int


@dataclass(frozen=True, slots=True)
class RetentionAdvice:
    current: float
    recommended: float
    scope: str  # whose parameters the recommendation was simulated with: 'server' or 'default'


@dataclass(frozen=True, slots=True)
class MemberMemory:
    """The memory section of /stats."""

    scope: str  # 'member', 'server' or 'default'
    since: datetime | None  # when the member's own set was adopted
    due_today: int
    predicted_today: float | None  # mean predicted recall of the cards due today, now
    calibration: store.Calibration  # the last 30 days


class MemoryService:
    def __init__(
        self, db: Store, *, on_reschedule: Callable[[int, int | None], None] = lambda guild, user: None,
        min_member_reviews: int = core.MIN_MEMBER_REVIEWS, min_server_reviews: int = core.MIN_SERVER_REVIEWS,
        refit_after_reviews: int = core.REFIT_AFTER_REVIEWS, refit_after: timedelta = core.REFIT_AFTER,
    ) -> None:
        self.db = db
        # Called after cards were rescheduled (guild, member or None for many): remembered schedules are stale.
        self.on_reschedule = on_reschedule
        self.min_member_reviews = min_member_reviews
        self.min_server_reviews = min_server_reviews
        self.refit_after_reviews = refit_after_reviews
        self.refit_after = refit_after
        self._running: set[int] = set()
        self._advice: dict[tuple[tuple[float, ...] | None, float], float] = {}

    # --- Fitting ---------------------------------------------------------------------------------------------------

    async def fit_server(self, guild_id: int, *, now: datetime | None = None, everyone: bool = True,
                         progress: Callable[[str], object] | None = None) -> list[ScopeFit]:
        """Fit the server's pooled set and (with `everyone`) each member's with enough reviews, one server at a time
        (FitBusy when a fit of it runs already). Only scopes that are due are fitted unless `everyone`."""
        if guild_id in self._running:
            raise FitBusy(guild_id)
        self._running.add(guild_id)
        try:
            now = now or utcnow()
            scopes = await self._scopes(guild_id, now, everyone=everyone)
            done = []
            for index, (user_id, reviews) in enumerate(scopes, 1):
                if progress is not None:
                    progress(f"fitting {index}/{len(scopes)}")
                done.append(await self._fit_scope(guild_id, user_id, reviews, now))
            return done
        finally:
            self._running.discard(guild_id)

    def fitting(self, guild_id: int) -> bool:
        return guild_id in self._running

    async def run_due(self, *, owns: Callable[[int], bool] = lambda guild_id: True, now: datetime | None = None) -> int:
        """The background pass: fit every due scope of the servers this process owns. Returns how many were fitted."""
        fitted = 0
        for guild_id in await store.servers_with_reviews(self.db):
            if not owns(guild_id) or guild_id in self._running:
                continue
            try:
                fitted += len(await self.fit_server(guild_id, now=now, everyone=False))
            except Exception:  # one server's failure must not stop the others' fits
                log.exception("memory-model fit failed for server %s", guild_id)
        return fitted

    async def _scopes(self, guild_id: int, now: datetime, *, everyone: bool) -> list[tuple[int, int]]:
        """(user id, review count) of the scopes to fit, the server's first (members' fits compare against it)."""
        counts = await store.review_counts(self.db, guild_id)
        fitted = await store.models(self.db, guild_id)
        candidates = [(SERVER_SCOPE, sum(counts.values()), self.min_server_reviews)]
        candidates += [(user, n, self.min_member_reviews) for user, n in sorted(counts.items())]
        return [
            (user, n) for user, n, needed in candidates
            if n >= needed and (everyone or self._due(fitted.get(user), n, now))
        ]

    def _due(self, model: ModelRow | None, reviews: int, now: datetime) -> bool:
        if model is None:
            return True
        fresh = reviews - model.last_fit_reviews
        return fresh >= self.refit_after_reviews or (fresh > 0 and now - model.last_fit_at >= self.refit_after)

    async def _fit_scope(self, guild_id: int, user_id: int, reviews_now: int, now: datetime) -> ScopeFit:
        scope_user = None if user_id == SERVER_SCOPE else user_id
        history = await store.review_history(self.db, guild_id, scope_user)
        current = await self._current(guild_id, user_id)
        needed = self.min_server_reviews if user_id == SERVER_SCOPE else self.min_member_reviews
        outcome = await asyncio.to_thread(core.judge, history, current or DEFAULT_PARAMETERS, min_reviews=needed)
        text = core.parameters_to_text(outcome.parameters) if outcome.parameters is not None else None
        await store.record_fit(self.db, guild_id, user_id, outcome, text=text, at=now, reviews_now=reviews_now)
        log.info("memory model of server %s scope %s: %s (%d reviews)", guild_id, user_id or "server",
                 outcome.reason, outcome.reviews)
        rescheduled = 0
        if outcome.adopted:
            members = [user_id] if user_id != SERVER_SCOPE else await store.members_on_server_model(self.db, guild_id)
            for member in members:
                rescheduled += await self.reschedule(guild_id, member, now=now)
        return ScopeFit(user_id, outcome, rescheduled)

    async def _current(self, guild_id: int, user_id: int) -> tuple[float, ...] | None:
        """The set scheduling a scope now: a member's own, else the server's; the server's own for the server."""
        if user_id == SERVER_SCOPE:
            server = (await store.models(self.db, guild_id)).get(SERVER_SCOPE)
            return usable_parameters(server.parameters if server else None)
        text, _scope = await store.model_text(self.db, guild_id, user_id)
        return usable_parameters(text)

    async def roll_back(self, guild_id: int, user_id: int = SERVER_SCOPE, *, now: datetime | None = None) -> bool:
        """The scope's previous set schedules it again (and its cards follow). False: nothing to roll back."""
        now = now or utcnow()
        if not await store.roll_back(self.db, guild_id, user_id, at=now):
            return False
        members = [user_id] if user_id != SERVER_SCOPE else await store.members_on_server_model(self.db, guild_id)
        for member in members:
            await self.reschedule(guild_id, member, now=now)
        return True

    # --- Rescheduling ----------------------------------------------------------------------------------------------

    async def reschedule(self, guild_id: int, user_id: int, *, now: datetime | None = None) -> int:
        """Replay every card of a member with the set that schedules them now, in batches. Returns cards rewritten."""
        now = now or utcnow()
        text, _scope = await store.model_text(self.db, guild_id, user_id)
        params = usable_parameters(text)
        retention = (await get_guild_settings(self.db, guild_id)).desired_retention
        histories = await store.card_histories(self.db, guild_id, user_id)
        written = 0
        for start in range(0, len(histories), RESCHEDULE_BATCH):
            batch = [_replayed(h, params, retention) for h in histories[start:start + RESCHEDULE_BATCH]]
            written += await store.write_rescheduled(self.db, guild_id, user_id, batch)
        if histories:
            self.on_reschedule(guild_id, user_id)
        return written

    # --- What admins and members see -------------------------------------------------------------------------------

    async def summary(self, guild_id: int) -> ModelSummary:
        counts = await store.review_counts(self.db, guild_id)
        models = await store.models(self.db, guild_id)
        server = models.get(SERVER_SCOPE)
        server_fitted = server is not None and usable_parameters(server.parameters) is not None
        own = sum(1 for user in counts if user in models and usable_parameters(models[user].parameters) is not None)
        rest = len(counts) - own
        fits = await store.recent_fits(self.db, guild_id, limit=50)
        return ModelSummary(
            members_own=own, members_server=rest if server_fitted else 0, members_default=0 if server_fitted else rest,
            server_fitted=server_fitted, last_fit=fits[0] if fits else None,
            last_adopted=next((f for f in fits if f.adopted), None), reviews=sum(counts.values()),
            min_member_reviews=self.min_member_reviews, min_server_reviews=self.min_server_reviews,
        )

    async def retention_advice(self, guild_id: int) -> RetentionAdvice:
        """The server's retention and the one FSRS's simulation recommends for its set (cached per set)."""
        settings = await get_guild_settings(self.db, guild_id)
        server = (await store.models(self.db, guild_id)).get(SERVER_SCOPE)
        params = usable_parameters(server.parameters if server else None)
        key = (params, settings.desired_retention)
        if key not in self._advice:
            self._advice[key] = await asyncio.to_thread(core.recommended_retention, params or DEFAULT_PARAMETERS)
        return RetentionAdvice(settings.desired_retention, self._advice[key], "server" if params else "default")

    async def member_memory(self, guild_id: int, user_id: int, *, now: datetime, day_end: datetime) -> MemberMemory:
        text, scope = await store.model_text(self.db, guild_id, user_id)
        params = usable_parameters(text)
        if params is None:
            scope = "default"
        own = (await store.models(self.db, guild_id)).get(user_id) if scope == "member" else None
        cards = [Card.from_json(j) for j in await store.due_cards(self.db, guild_id, user_id, day_end)]
        predicted = (
            sum(scheduling.retrievability(c, now, parameters=params) for c in cards) / len(cards) if cards else None
        )
        calibration = await store.calibration(self.db, guild_id, user_id, now - timedelta(days=30))
        return MemberMemory(scope, own.adopted_at if own else None, len(cards), predicted, calibration)


def _replayed(history: CardHistory, params: tuple[float, ...] | None, retention: float) -> RescheduledCard:
    """The card as the set would have scheduled it from its first rating on (no fuzz: a replay is not a new review)."""
    plain = scheduling.scheduler(retention, params)
    card = scheduling.new_card(history.ratings[0][1])
    for rating, at in history.ratings:
        card, _log = plain.review_card(card, Rating(rating), review_datetime=at)
    return RescheduledCard(history.deck_id, history.item_id, history.last_review, card.to_json(), int(card.state),
                           card.due)


def predicted_recall(card: Card, now: datetime, params: tuple[float, ...] | None) -> float | None:
    """What the model predicts for a review of `card` now, when it is a day or more after its last (the reviews
    calibration compares); None for new cards and same-day steps."""
    if card.last_review is None or card.state == State.Learning or (now - card.last_review).days < 1:
        return None
    return scheduling.retrievability(card, now, parameters=params)
