"""/study: flashcards with Reveal and Again/Hard/Good/Easy, scheduled by FSRS. A thin adapter over the study store."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable

import discord
from discord import app_commands

from bot.ui.replies import FAILED, send_private
from bot.cogs._base import RecallCog
from bot.core.clock import utcnow
from bot.core.decks import Deck
from bot.core.scheduling import new_card, preview_intervals
from bot.core.study_queue import find_item
from bot.store.members import get_member, set_member_field
from bot.store.study import (
    StudyScreen,
    close_session,
    get_session,
    get_shown,
    open_session,
    rate_current,
    set_message,
)
from bot.cogs._base import deck_autocomplete, find_deck
from bot.ui.common import unknown_deck_text
from bot.ui.study import (
    DYNAMIC_ITEMS,
    TUNING,
    CardRef,
    back_view,
    card_embed,
    front_view,
    picker_embed,
    picker_view,
    progress_text,
    rating_note,
    resolve_ref,
    summary_embed,
)

if TYPE_CHECKING:
    from bot.app import RecallBot

log = logging.getLogger("recall.study")

STALE = "That card was already rated or replaced; the session has moved on. Run `/study` to see where you are."
RESUMED = "Your open card, shown again."
NO_DECKS = "There are no decks on this server yet. An admin can add one with `/decks`."


def deck_gone(deck_ref: str) -> str:
    return (f"The deck `{deck_ref[:80]}` of this card is no longer on this server (it was removed or renamed). "
            "Run `/study` to pick a deck.")


def item_gone(deck: Deck) -> str:
    return f"This card is no longer in **{deck.title}** (the deck was changed). Run `/study` to continue with the rest."


@dataclass(frozen=True, slots=True)
class Screen:
    """What the study message shows next."""

    embed: discord.Embed
    view: discord.ui.View | None
    token: str | None = None  # the session token shown, to remember the message it went to


@dataclass(frozen=True, slots=True)
class Refusal:
    """A private note instead (the study message stays as it is)."""

    text: str


Reply = Screen | Refusal


class StudyCog(RecallCog, name="Study"):
    dynamic_items = tuple(DYNAMIC_ITEMS)

    # --- /study ----------------------------------------------------------------------------------------------------

    @app_commands.command(name="study", description="Study flashcards; Recall brings each card back when it is due")
    @app_commands.describe(
        deck="Deck to study (default: your last deck)",
        public="Post the session in the channel instead of only for you",
    )
    @app_commands.autocomplete(deck=deck_autocomplete)
    @app_commands.guild_only()
    async def study(self, interaction: discord.Interaction, deck: str | None = None, public: bool = False) -> None:
        await self.answer(interaction, self.start(interaction, deck, public), new_message=True, ephemeral=not public)

    async def start(self, interaction: discord.Interaction, deck_id: str | None, public: bool) -> Reply:
        if deck_id:
            deck = find_deck(interaction, deck_id)
            if deck is None:
                return Refusal(unknown_deck_text(deck_id))
        else:
            deck = await self.default_deck(interaction)
            if deck is None:
                return self.picker(interaction, public)
        return await self.open(interaction, deck, public=public)

    async def default_deck(self, interaction: discord.Interaction) -> Deck | None:
        """The deck of the open session, else the member's last deck (if the server still has them)."""
        assert interaction.guild_id is not None
        session = await get_session(self.bot.db, interaction.guild_id, interaction.user.id)
        if session is not None and session.is_open:
            deck = self.bot.decks.get(interaction.guild_id, session.deck_id)
            if deck is not None:
                return deck
        member = await get_member(self.bot.db, interaction.guild_id, interaction.user.id)
        if member is not None and member.last_deck:
            return self.bot.decks.get(interaction.guild_id, member.last_deck)
        return None

    def picker(self, interaction: discord.Interaction, public: bool) -> Reply:
        decks = self.bot.decks.for_guild(interaction.guild_id)
        if not decks:
            return Refusal(NO_DECKS)
        return Screen(picker_embed(decks), picker_view(interaction.user.id, public, decks))

    async def open(self, interaction: discord.Interaction, deck: Deck, *, public: bool) -> Screen:
        assert interaction.guild_id is not None
        name = interaction.user.display_name
        screen = await open_session(
            self.bot.db, deck, guild_id=interaction.guild_id, user_id=interaction.user.id, display_name=name,
            now=utcnow(), channel_id=interaction.channel_id,
        )
        await set_member_field(self.bot.db, interaction.guild_id, interaction.user.id, name, last_deck=deck.id)
        note = RESUMED if screen.resumed else None
        return self.screen(deck, screen, owner=name if public else None, note=note)

    # --- Buttons ---------------------------------------------------------------------------------------------------

    async def reveal(self, interaction: discord.Interaction, ref: CardRef) -> None:
        if await self.is_owner(interaction, ref.user_id):
            await self.answer(interaction, self.revealed(interaction, ref), new_message=False)

    async def rate(self, interaction: discord.Interaction, ref: CardRef, rating: int) -> None:
        if await self.is_owner(interaction, ref.user_id):
            await self.answer(interaction, self.rated(interaction, ref, rating), new_message=False)

    async def stop(self, interaction: discord.Interaction, ref: CardRef) -> None:
        if await self.is_owner(interaction, ref.user_id):
            await self.answer(interaction, self.stopped(interaction, ref), new_message=False)

    async def choose_deck(self, interaction: discord.Interaction, owner_id: int, public: bool, deck_id: str) -> None:
        if await self.is_owner(interaction, owner_id):
            await self.answer(interaction, self.chosen(interaction, deck_id, public), new_message=False)

    async def revealed(self, interaction: discord.Interaction, ref: CardRef) -> Reply:
        assert interaction.guild_id is not None
        deck = self.deck_of(interaction, ref)
        if deck is None:
            return Refusal(deck_gone(ref.deck))
        shown = await get_shown(self.bot.db, interaction.guild_id, ref.user_id)
        if shown is None or shown[0].token != ref.token or shown[0].item_id is None:
            return Refusal(STALE)
        session, card, retention = shown
        item = find_item(deck, session.item_id, session.item_kind)
        if item is None:
            return Refusal(item_gone(deck))
        now = utcnow()
        intervals = preview_intervals(card or new_card(now), now, desired_retention=retention)
        embed = card_embed(
            deck, item, progress=progress_text(session.reviewed, session.available), revealed=True,
            owner=self.owner_label(interaction),
        )
        return Screen(embed, back_view(ref, intervals))

    async def rated(self, interaction: discord.Interaction, ref: CardRef, rating: int) -> Reply:
        assert interaction.guild_id is not None
        deck = self.deck_of(interaction, ref)
        if deck is None:
            return Refusal(deck_gone(ref.deck))
        known = deck.card(ref.item) or deck.question(ref.item)  # the id itself, unless it had to be shortened
        item_id = ref.item if known else resolve_ref(ref.item, [c.id for c in deck.cards] + [q.id for q in deck.quiz])
        if item_id is None:
            return Refusal(item_gone(deck))
        now = utcnow()
        result = await rate_current(
            self.bot.db, deck, guild_id=interaction.guild_id, user_id=ref.user_id,
            display_name=interaction.user.display_name, item_id=item_id, token=ref.token, rating=rating, now=now,
            fuzz=TUNING.fuzz,
        )
        if result.screen is None or result.rated is None:
            return Refusal(STALE)
        note = rating_note(rating, result.rated.due - now, result.screen.streak)
        return self.screen(deck, result.screen, owner=self.owner_label(interaction), note=note)

    async def stopped(self, interaction: discord.Interaction, ref: CardRef) -> Reply:
        assert interaction.guild_id is not None
        deck = self.deck_of(interaction, ref)
        if deck is None:
            return Refusal(deck_gone(ref.deck))
        screen = await close_session(
            self.bot.db, deck, guild_id=interaction.guild_id, user_id=ref.user_id, token=ref.token, now=utcnow()
        )
        if screen is None:
            return Refusal(STALE)
        return self.screen(deck, screen, owner=self.owner_label(interaction), stopped=True)

    async def chosen(self, interaction: discord.Interaction, deck_id: str, public: bool) -> Reply:
        deck = find_deck(interaction, deck_id)
        if deck is None:
            return Refusal(unknown_deck_text(deck_id))
        return await self.open(interaction, deck, public=public)

    # --- Helpers ---------------------------------------------------------------------------------------------------

    def screen(
        self, deck: Deck, screen: StudyScreen, *, owner: str | None, note: str | None = None, stopped: bool = False
    ) -> Screen:
        session, pick = screen.session, screen.pick
        if pick.item is None:
            embed = summary_embed(
                deck, reviewed=session.reviewed, again=session.again, next_due=pick.next_due,
                new_waiting=pick.new_waiting, still_due=pick.available if stopped else 0, stopped=stopped,
                owner=owner, note=note,
            )
            return Screen(embed, None)
        ref = CardRef.of(session.user_id, deck.id, pick.item.item_id, session.token)
        embed = card_embed(
            deck, pick.item, progress=progress_text(session.reviewed, pick.available), owner=owner, note=note
        )
        return Screen(embed, front_view(ref), session.token)

    def deck_of(self, interaction: discord.Interaction, ref: CardRef) -> Deck | None:
        deck = self.bot.decks.get(interaction.guild_id, ref.deck)
        if deck is None and ref.deck.startswith("~"):
            deck_id = resolve_ref(ref.deck, (d.id for d in self.bot.decks.for_guild(interaction.guild_id)))
            deck = self.bot.decks.get(interaction.guild_id, deck_id) if deck_id else None
        return deck

    @staticmethod
    def owner_label(interaction: discord.Interaction) -> str | None:
        """Name the member on a public session, so the channel sees whose it is."""
        message = interaction.message
        if message is None or message.flags.ephemeral:
            return None
        return interaction.user.display_name

    async def is_owner(self, interaction: discord.Interaction, owner_id: int) -> bool:
        if interaction.user.id == owner_id:
            return True
        name = None
        if interaction.guild_id is not None:
            member = await get_member(self.bot.db, interaction.guild_id, owner_id)
            name = member.display_name if member else None
        await send_private(interaction, f"This is {name or 'another member'}'s session — start your own with `/study`.")
        return False

    async def answer(
        self, interaction: discord.Interaction, work: Awaitable[Reply], *, new_message: bool, ephemeral: bool = True
    ) -> None:
        """Run `work` and show its reply; when it is slow, acknowledge first so Discord's deadline is never missed.

        The work runs in this task and a timer starts the acknowledgement only if the budget runs out: most answers
        need no extra task, and the reply is sent only after a started acknowledgement finished (never both at once).
        """
        deferral: asyncio.Future[None] | None = None

        def acknowledge() -> None:
            nonlocal deferral
            deferral = asyncio.ensure_future(
                self.acknowledge(interaction, new_message=new_message, ephemeral=ephemeral)
            )

        if TUNING.answer_budget > 0:
            timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(TUNING.answer_budget, acknowledge)
        else:  # a zero budget acknowledges every answer first
            timer = None
            acknowledge()
        try:
            try:
                reply = await work
            finally:
                if timer is not None:
                    timer.cancel()
                if deferral is not None:
                    await deferral
            await self.deliver(interaction, reply, new_message=new_message, ephemeral=ephemeral)
        except Exception:
            log.exception("study interaction failed")
            await send_private(interaction, FAILED)

    @staticmethod
    async def acknowledge(interaction: discord.Interaction, *, new_message: bool, ephemeral: bool) -> None:
        if new_message:
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        else:
            await interaction.response.defer()

    async def deliver(self, interaction: discord.Interaction, reply: Reply, *, new_message: bool, ephemeral: bool) -> None:
        if isinstance(reply, Refusal):
            await send_private(interaction, reply.text)
            return
        extra = {"view": reply.view} if reply.view is not None else {}
        if not new_message:
            if interaction.response.is_done():
                await interaction.edit_original_response(embed=reply.embed, view=reply.view)
            else:
                await interaction.response.edit_message(embed=reply.embed, view=reply.view)
            return
        if interaction.response.is_done():
            message = await interaction.followup.send(embed=reply.embed, wait=True, **extra)
            message_id: int | None = message.id
        else:
            response = await interaction.response.send_message(embed=reply.embed, ephemeral=ephemeral, **extra)
            message_id = response.message_id
        if reply.token and message_id and interaction.guild_id and interaction.channel_id:
            await set_message(self.bot.db, interaction.guild_id, interaction.user.id, reply.token,
                              interaction.channel_id, message_id)


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(StudyCog(bot))
