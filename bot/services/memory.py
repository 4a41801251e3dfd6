"""Memory models as use cases: fit a scope's parameters in the background (or when an admin asks), adopt only a
better set, reschedule the cards it governs, roll back, recommend a retention, and tell a member how honest the model
is. Fits run in a process of their own (the Rust optimiser holds the GIL), simulation and rescheduling's replay in
worker threads (that Rust code releases it), never in an interaction's transaction; writes go through
bot.store.memory.

Scopes, as Anki's presets: a member with MIN_MEMBER_REVIEWS reviews gets their own set, the server's pooled set is
fitted once it has MIN_SERVER_REVIEWS, and everyone else is scheduled by the server's set or FSRS-6's defaults.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timedelta
from functools import lru_cache

from fsrs import Card, State

from bot.core import memory as core
from bot.core import scheduling
from bot.core.clock import utcnow
from bot.core.memory import (
    DEFAULT_PARAMETERS, SERVER_SCOPE, FitOutcome, InvalidParameters, MemberMemory, ModelSummary, RetentionAdvice,
    ScopeFit,
)
from bot.store import memory as store
from bot.store.api import Store
from bot.store.guilds import get_guild_settings
from bot.store.memory import CardHistory, ModelRow, RescheduledCard, ReviewRow

log = logging.getLogger(__name__)

# Cards rescheduled per transaction (each runs in the event loop's thread, about 55 µs a card on SQLite): a member with
# thousands of cards never holds the loop or the write lock for more than a few milliseconds.
RESCHEDULE_BATCH = 50


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


@lru_cache(maxsize=1)
def fitting_process() -> ProcessPoolExecutor:
    """The process every fit runs in. The Rust optimiser holds the GIL for its whole run (tens of milliseconds per
    thousand reviews), so in a thread it would stall the event loop; in a process of its own nothing waits for it.
    Spawned, not forked: a fork would copy the bot's threads and database connections mid-use."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def _judged(
    rows: list[ReviewRow], current: tuple[float, ...], min_reviews: int, pooled_rows: list[ReviewRow] | None = None
) -> FitOutcome:
    """A scope's fit from its review rows (in the fitting process: the rows' mapping is Python work too).

    With `pooled_rows` (a member scheduled by the server's pooled set), the member's candidate is judged against the
    pooled set fitted on the server's reviews before the held-out ones: the stored pooled set has seen the member's
    held-out answers."""
    reviews = store.reviews_from_rows(rows)
    if pooled_rows is None:
        return core.judge(reviews, current, min_reviews=min_reviews)
    pooled = store.reviews_from_rows(pooled_rows)

    def pooled_then(cut: datetime) -> tuple[float, ...]:
        earlier = core.training_items([r for r in pooled if r.at < cut])
        return core.fit(earlier) if len(earlier) >= 2 else current

    return core.judge(reviews, pooled_then, min_reviews=min_reviews)


class FitBusy(Exception):
    """A fit of this server is already running."""


class MemoryService:
    def __init__(
        self, db: Store, *, on_reschedule: Callable[[int, int | None], None] = lambda guild, user: None,
        min_member_reviews: int = core.MIN_MEMBER_REVIEWS, min_server_reviews: int = core.MIN_SERVER_REVIEWS,
        refit_after_reviews: int = core.REFIT_AFTER_REVIEWS, refit_after: timedelta = core.REFIT_AFTER,
        fitter: Executor | None = None,
    ) -> None:
        self.db = db
        # Where fits run: fitting_process() unless given (a thread pool lets tests replace core.judge).
        self.fitter = fitter
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
                         progress: Callable[[int, int], object] | None = None) -> list[ScopeFit]:
        """Fit the server's pooled set and (with `everyone`) each member's with enough reviews, one server at a time
        (FitBusy when a fit of it runs already). Only scopes that are due are fitted unless `everyone`. `progress`
        hears (scope number, scopes) before each scope's fit; the words are the caller's, in its reader's language."""
        if guild_id in self._running:
            raise FitBusy(guild_id)
        self._running.add(guild_id)
        try:
            now = now or utcnow()
            scopes = await self._scopes(guild_id, now, everyone=everyone)
            done = []
            for index, (user_id, reviews) in enumerate(scopes, 1):
                if progress is not None:
                    progress(index, len(scopes))
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
        rows = await store.review_rows(self.db, guild_id, scope_user)
        current, scope = await self._current(guild_id, user_id)
        pooled = await store.review_rows(self.db, guild_id, None) if scope == "server" and user_id else None
        needed = self.min_server_reviews if user_id == SERVER_SCOPE else self.min_member_reviews
        outcome = await self._judge(rows, current or DEFAULT_PARAMETERS, needed, pooled)
        text = core.parameters_to_text(outcome.parameters) if outcome.parameters is not None else None
        await store.record_fit(self.db, guild_id, user_id, outcome, text=text, at=now, reviews_now=reviews_now)
        log.info("memory model of server %s scope %s: %s (%d reviews)", guild_id, user_id or "server",
                 outcome.reason, outcome.reviews)
        rescheduled = 0
        if outcome.adopted:
            members = [user_id] if user_id != SERVER_SCOPE else await store.members_on_server_model(self.db, guild_id)
            for member in members:
                rescheduled += await self.reschedule(guild_id, member)
        return ScopeFit(user_id, outcome, rescheduled)

    async def _judge(
        self, rows: list[ReviewRow], current: tuple[float, ...], min_reviews: int, pooled: list[ReviewRow] | None
    ) -> FitOutcome:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                self.fitter or fitting_process(), _judged, rows, current, min_reviews, pooled
            )
        except BrokenProcessPool:
            fitting_process.cache_clear()  # the process died (killed, out of memory): the next fit starts another
            raise

    async def _current(self, guild_id: int, user_id: int) -> tuple[tuple[float, ...] | None, str]:
        """The set scheduling a scope now (a member's own, else the server's; the server's own for the server) and
        whose it is: 'member', 'server' or 'default'."""
        if user_id == SERVER_SCOPE:
            server = (await store.models(self.db, guild_id)).get(SERVER_SCOPE)
            params = usable_parameters(server.parameters if server else None)
            return params, "server" if params is not None else "default"
        text, scope = await store.model_text(self.db, guild_id, user_id)
        params = usable_parameters(text)
        return params, scope if params is not None else "default"

    async def roll_back(self, guild_id: int, user_id: int = SERVER_SCOPE, *, now: datetime | None = None) -> bool:
        """The scope's previous set schedules it again (and its cards follow). False: nothing to roll back."""
        now = now or utcnow()
        if not await store.roll_back(self.db, guild_id, user_id, at=now):
            return False
        members = [user_id] if user_id != SERVER_SCOPE else await store.members_on_server_model(self.db, guild_id)
        for member in members:
            await self.reschedule(guild_id, member)
        return True

    # --- Rescheduling ----------------------------------------------------------------------------------------------

    async def reschedule(self, guild_id: int, user_id: int) -> int:
        """Give every card of a member the memory state the set that schedules them now works out from its ratings,
        and the cards in review their due date by it, in batches. Returns cards rewritten."""
        text, _scope = await store.model_text(self.db, guild_id, user_id)
        params = usable_parameters(text) or DEFAULT_PARAMETERS
        retention = (await get_guild_settings(self.db, guild_id)).desired_retention
        histories = await store.card_histories(self.db, guild_id, user_id)
        cards = await asyncio.to_thread(_rescheduled, histories, params, retention)
        written = 0
        for start in range(0, len(cards), RESCHEDULE_BATCH):
            written += await store.write_rescheduled(self.db, guild_id, user_id, cards[start:start + RESCHEDULE_BATCH])
        if cards:
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


def _rescheduled(histories: list[CardHistory], params: tuple[float, ...], retention: float) -> list[RescheduledCard]:
    """The cards as `params` would have them after the same ratings (in a worker thread: the replay is Rust's, the
    rest thousands of cards' worth of Python). As Anki reschedules: every card takes the new memory state, only cards
    in review move their due date (no fuzz: a reschedule is not a new review); learning and relearning cards keep
    their minute steps, and every card its last review."""
    states = core.memory_states([h.ratings for h in histories], params)
    cards = []
    for history, (stability, difficulty) in zip(histories, states):
        card = Card.from_json(history.card_json)
        card.stability, card.difficulty = stability, difficulty
        if card.state == State.Review and card.last_review is not None:
            days = core.interval_days(params, stability, retention, scheduling.MAXIMUM_INTERVAL)
            card.due = card.last_review + timedelta(days=days)
        cards.append(RescheduledCard(history.deck_id, history.item_id, history.last_review, card.to_json(),
                                     int(card.state), card.due))
    return cards


def predicted_recall(card: Card, now: datetime, params: tuple[float, ...] | None) -> float | None:
    """What the model predicts for a review of `card` now, when it is a day or more after its last (the reviews
    calibration compares); None for new cards and same-day steps."""
    if card.last_review is None or card.state == State.Learning or (now - card.last_review).days < 1:
        return None
    return scheduling.retrievability(card, now, parameters=params)
