"""/explain as a use case: pick the most due prompt, show it, use its hint, grade and store an answer.

Grading and the rating are bot.core's rules; the answer, its review, the day's activity and the member's name are
stored in one transaction, so a double submit stores one attempt and the streak never disagrees with the log.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import utcnow
from bot.core.decks import Deck, ExplainPrompt
from bot.core.errors import DeckGone, InvalidInput, Stale
from bot.core.explain import ExplainGrade, SavedAttempt, grade, most_due
from bot.core.library import DeckLibrary
from bot.core.scheduling import new_card, rating_for_share, review
from bot.core.translation import N_, _
from bot.services.memory import predicted_recall, usable_parameters
from bot.services.streaks import record_activity
from bot.store import explain as store
from bot.store import memory as memory_store
from bot.store.api import Connection, Store
from bot.store.guilds import get_guild_settings
from bot.store.members import remember_member
from bot.store.srs import get_state, save_review

# Refusals are raised in the language of the member who acted (they are answered privately); the constants are
# English, translated where raised.
STALE = N_("This prompt was replaced by a newer one. Run `/explain` for another.")
ANSWERED = N_("You already answered this prompt; your answer is recorded. Run `/explain` for another.")
ALREADY_RECORDED = N_("Your answer was already recorded.")
NO_PROMPTS = N_("No deck on this server has explain prompts yet. An admin can add a deck with an `explain:` section.")


def no_prompts_in(deck: Deck) -> str:
    return _("**{deck}** has no explain prompts. Pick another deck, or leave `deck` empty "
             "for your most due prompt from any deck.").format(deck=deck.title)


def deck_changed(deck_id: str) -> str:
    return _("The prompt's deck `{deck_id}` changed and no longer has it. Run `/explain` for another.").format(
        deck_id=deck_id)


@dataclass(frozen=True, slots=True)
class Showing:
    """A prompt shown to a member: what to draw, and the nonce its buttons and modal carry."""

    deck: Deck
    prompt: ExplainPrompt
    nonce: str
    public: bool


@dataclass(frozen=True, slots=True)
class Answered:
    """A graded, stored answer: what the result shows."""

    prompt: ExplainPrompt
    grade: ExplainGrade
    saved: SavedAttempt
    public: bool


class ExplainService:
    def __init__(self, db: Store, decks: DeckLibrary, *, fuzz: bool = True) -> None:
        self.db = db
        self.decks = decks
        self.fuzz = fuzz  # fsrs' interval fuzz; tests turn it off for exact due times

    # --- Showing a prompt ----------------------------------------------------------------------------------------

    def candidates(self, guild_id: int, deck: Deck | None) -> list[tuple[Deck, ExplainPrompt]]:
        """Every prompt the member may get (from `deck`, or from every deck of the server); refuses when none."""
        if deck is not None and not deck.explain:
            raise InvalidInput(no_prompts_in(deck))
        decks = [deck] if deck is not None else self.decks.for_guild(guild_id)
        found = [(d, p) for d in decks for p in d.explain]
        if not found:
            raise InvalidInput(_(NO_PROMPTS))
        return found

    async def most_due_prompt(
        self, guild_id: int, user_id: int, candidates: list[tuple[Deck, ExplainPrompt]], now: datetime
    ) -> tuple[Deck, ExplainPrompt]:
        by_key = {(d.id, p.id): (d, p) for d, p in candidates}
        due = await store.explain_due(self.db, guild_id, user_id)
        key = most_due(list(by_key), due, now)
        assert key is not None  # candidates is never empty
        return by_key[key]

    async def ask(
        self, guild_id: int, user_id: int, deck: Deck | None, *, public: bool, channel_id: int | None,
        at: datetime | None = None,
    ) -> Showing:
        """Open the member's most due prompt (from `deck` or any deck); it replaces the one they had open."""
        at = at or utcnow()
        chosen_deck, prompt = await self.most_due_prompt(guild_id, user_id, self.candidates(guild_id, deck), at)
        shown = store.OpenPrompt(guild_id, user_id, chosen_deck.id, prompt.id, store.new_nonce(), False, public,
                                 channel_id, None, at, None)

        async def body(conn: Connection) -> None:
            await store.open_prompt(conn, shown)

        await self.db.atomic(body)
        return Showing(chosen_deck, prompt, shown.nonce, public)

    async def remember_message(self, guild_id: int, user_id: int, nonce: str, message_id: int) -> None:
        """Note which message shows the prompt (once Discord has created it)."""

        async def body(conn: Connection) -> None:
            await store.set_prompt_message(conn, guild_id, user_id, nonce, message_id)

        await self.db.atomic(body)

    # --- Hint and Answer -----------------------------------------------------------------------------------------

    def _showing(self, shown: store.OpenPrompt | None, nonce: str, answered_text: str) -> Showing:
        """The showing `nonce` names, with its deck and prompt; refuses when it was replaced, answered or is gone."""
        if shown is None or shown.nonce != nonce:
            raise Stale(_(STALE))
        if shown.answered:
            raise Stale(_(answered_text))
        deck = self.decks.get(shown.guild_id, shown.deck_id)
        prompt = deck.prompt(shown.prompt_id) if deck else None
        if deck is None or prompt is None:
            raise DeckGone(deck_changed(shown.deck_id))
        return Showing(deck, prompt, nonce, shown.public)

    async def showing(self, guild_id: int, user_id: int, nonce: str, answered_text: str = ANSWERED) -> Showing:
        """The member's open prompt if `nonce` is still it (for the Answer button)."""
        return self._showing(await store.get_open_prompt(self.db, guild_id, user_id), nonce, answered_text)

    async def use_hint(self, guild_id: int, user_id: int, nonce: str) -> Showing:
        """Mark the hint of this showing as used (it caps the rating at Hard) and return the showing."""

        async def body(conn: Connection) -> Showing:
            # Checked and marked in one transaction: an answer in another window cannot slip in between.
            found = self._showing(await store.fetch_open(conn, guild_id, user_id, nonce), nonce, ANSWERED)
            await store.mark_hint_used(conn, guild_id, user_id, nonce)
            return found

        return await self.db.atomic(body)

    # --- Submitting an answer ------------------------------------------------------------------------------------

    async def submit(
        self, guild_id: int, user_id: int, nonce: str, display_name: str, text: str, at: datetime | None = None
    ) -> Answered:
        """Grade and store an answer with its review, activity and streak, and the member's name.

        Refuses (Stale) when this showing was answered or replaced: a double submit stores one attempt.
        """
        at = at or utcnow()
        shown = await self.showing(guild_id, user_id, nonce, ALREADY_RECORDED)
        graded = grade(text, shown.prompt.concepts, shown.deck.language)  # before the transaction: no lock needed
        retention = (await get_guild_settings(self.db, guild_id)).desired_retention
        params = usable_parameters((await memory_store.model_text(self.db, guild_id, user_id))[0])

        async def body(conn: Connection) -> SavedAttempt | None:
            # Read again inside the transaction: the hint flag then matches what the member saw, and a racing
            # second submit finds the showing answered.
            prompt = await store.fetch_open(conn, guild_id, user_id, nonce)
            if prompt is None or prompt.answered:
                return None
            rating = rating_for_share(graded.hit, graded.total, hint_used=prompt.hint_used)
            attempt_id = await store.insert_attempt(conn, prompt, text, graded, rating, at)
            await store.mark_answered(conn, guild_id, user_id, nonce, at)
            state = await get_state(conn, guild_id, user_id, prompt.deck_id, prompt.prompt_id)
            before = state.card if state else new_card(at)
            card, _log = review(before, rating, at, desired_retention=retention, fuzz=self.fuzz, parameters=params)
            await save_review(conn, guild_id=guild_id, user_id=user_id, deck_id=prompt.deck_id,
                              item_id=prompt.prompt_id, kind="explain", card=card, rating=rating, at=at,
                              predicted_recall=predicted_recall(before, at, params))
            streak = await record_activity(conn, guild_id, user_id, "explain", at)
            await remember_member(conn, guild_id, user_id, display_name)
            return SavedAttempt(attempt_id, rating, prompt.hint_used, card.due, streak)

        saved = await self.db.atomic(body)
        if saved is None:  # a second submit that raced the first past the check above
            raise Stale(_(ALREADY_RECORDED))
        return Answered(shown.prompt, graded, saved, shown.public)
