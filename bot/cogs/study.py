"""/study: flashcards with Reveal and Again/Hard/Good/Easy, scheduled by FSRS. A thin adapter: the interaction in,
bot.services.study's use case, bot.ui.study's message out. Refusals are bot.core.errors (answered privately by the
items' error boundary, or by the tree's on_error for /study); the buttons' owner check is the items' own."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable

import discord
from discord import app_commands

from bot.cogs._base import RecallCog, deck_autocomplete, require_deck
from bot.core.clock import utcnow
from bot.core.decks import Deck
from bot.core.errors import DeckGone, InvalidInput, Stale
from bot.core.study_queue import StudyScreen
from bot.core.translation import _, speaking
from bot.services.study import StudyService
from bot.ui import replies
from bot.ui.i18n import shown_language
from bot.ui.replies import mark_saved
from bot.ui.study import (
    DYNAMIC_ITEMS,
    NO_DECKS,
    NOTHING_DUE,
    RESUMED,
    STALE,
    TUNING,
    CardRef,
    back_view,
    card_embed,
    deck_gone,
    item_gone,
    picker_embed,
    picker_view,
    progress_text,
    rating_note,
    resolve_ref,
    screen_message,
)

if TYPE_CHECKING:
    from bot.app import RecallBot


@dataclass(frozen=True, slots=True)
class Screen:
    """What the study message shows next."""

    embed: discord.Embed
    view: discord.ui.View | None
    token: str | None = None  # the session token shown, to remember the message it went to


class StudyCog(RecallCog, name="Study"):
    """Implements bot.ui.study.StudyActions for the study buttons."""

    dynamic_items = tuple(DYNAMIC_ITEMS)

    @property
    def service(self) -> StudyService:
        return self.bot.services.study

    # --- /study ----------------------------------------------------------------------------------------------------

    @app_commands.command(name="study", description="Study flashcards; Recall brings each card back when it is due",
                          extras=replies.OWN_ACK)
    @app_commands.describe(
        deck="Deck to study (default: your last deck)",
        public="Post the session in the channel instead of only for you",
    )
    @app_commands.autocomplete(deck=deck_autocomplete)
    @app_commands.guild_only()
    async def study(self, interaction: discord.Interaction, deck: str | None = None, public: bool = False) -> None:
        await self.answer(interaction, self.start(interaction, deck, public), new_message=True, ephemeral=not public)

    async def start(self, interaction: discord.Interaction, deck_id: str | None, public: bool) -> Screen:
        assert interaction.guild_id is not None
        if deck_id:
            deck = require_deck(interaction, deck_id)
        else:
            found = await self.service.default_deck(interaction.guild_id, interaction.user.id)
            if found is None:
                return self.picker(interaction, public)
            deck = found
        return await self.open(interaction, deck, public=public)

    def picker(self, interaction: discord.Interaction, public: bool) -> Screen:
        decks = self.bot.decks.for_guild(interaction.guild_id)
        if not decks:
            raise InvalidInput(_(NO_DECKS))
        return Screen(picker_embed(decks), picker_view(interaction.user.id, public, decks))

    async def open(self, interaction: discord.Interaction, deck: Deck, *, public: bool) -> Screen:
        assert interaction.guild_id is not None
        name = interaction.user.display_name
        screen = await self.service.open(
            deck, guild_id=interaction.guild_id, user_id=interaction.user.id, display_name=name, now=utcnow(),
            channel_id=interaction.channel_id,
        )
        with speaking(await self.card_language(interaction)):  # a public deck menu becomes a public card
            return self.screen(deck, screen, owner=name if public else None,
                               note=_(RESUMED) if screen.resumed else None)

    # --- Buttons (StudyActions) ------------------------------------------------------------------------------------

    async def reveal(self, interaction: discord.Interaction, ref: CardRef) -> None:
        await self.answer(interaction, self.revealed(interaction, ref), new_message=False)

    async def rate(self, interaction: discord.Interaction, ref: CardRef, rating: int) -> None:
        await self.answer(interaction, self.rated(interaction, ref, rating), new_message=False)

    async def stop(self, interaction: discord.Interaction, ref: CardRef) -> None:
        await self.answer(interaction, self.stopped(interaction, ref), new_message=False)

    async def choose_deck(self, interaction: discord.Interaction, public: bool, deck_id: str) -> None:
        await self.answer(interaction, self.open(interaction, require_deck(interaction, deck_id), public=public),
                          new_message=False)

    async def study_now(self, interaction: discord.Interaction, guild_id: int) -> None:
        """A reminder's Study now: the server's first due card, in the direct message."""
        await self.answer(interaction, self.opened_in_dm(interaction, guild_id), new_message=True, ephemeral=False)

    async def opened_in_dm(self, interaction: discord.Interaction, guild_id: int) -> Screen:
        now = utcnow()
        user_id = interaction.user.id
        deck = await self.bot.services.reminders.first_due_deck(guild_id, user_id, now)
        if deck is None:
            raise InvalidInput(_(NOTHING_DUE))
        screen = await self.service.open(
            deck, guild_id=guild_id, user_id=user_id, display_name=await self.name_in(interaction, guild_id), now=now,
            channel_id=interaction.channel_id,
        )
        return self.screen(deck, screen, owner=None, note=_(RESUMED) if screen.resumed else None, dm_guild=guild_id)

    async def revealed(self, interaction: discord.Interaction, ref: CardRef) -> Screen:
        guild_id = self.guild_of(interaction, ref)
        deck = self.deck_of(guild_id, ref)
        shown = await self.service.reveal(deck, guild_id=guild_id, user_id=ref.user_id, token=ref.token, now=utcnow())
        if shown is None:
            raise Stale(_(STALE))
        if shown.item is None:
            raise DeckGone(item_gone(deck))
        session = shown.session
        with speaking(await self.card_language(interaction)):
            embed = card_embed(
                deck, shown.item, progress=progress_text(session.reviewed, session.available), revealed=True,
                owner=self.owner_label(interaction),
            )
            return Screen(embed, back_view(ref, shown.intervals))

    async def rated(self, interaction: discord.Interaction, ref: CardRef, rating: int) -> Screen:
        guild_id = self.guild_of(interaction, ref)
        deck = self.deck_of(guild_id, ref)
        known = deck.card(ref.item) or deck.question(ref.item)  # the id itself, unless it had to be shortened
        item_id = ref.item if known else resolve_ref(ref.item, [c.id for c in deck.cards] + [q.id for q in deck.quiz])
        if item_id is None:
            raise DeckGone(item_gone(deck))
        now = utcnow()
        result = await self.service.rate(
            deck, guild_id=guild_id, user_id=ref.user_id, display_name=await self.name_in(interaction, guild_id),
            item_id=item_id, token=ref.token, rating=rating, now=now, fuzz=TUNING.fuzz,
        )
        if result is None:
            raise Stale(_(STALE))
        mark_saved(interaction)  # a failure from here on tells the member their rating was kept
        with speaking(await self.card_language(interaction)):
            note = rating_note(rating, result.rated.due - now, result.streak)
            return self.screen(deck, result.screen, owner=self.owner_label(interaction), note=note,
                               dm_guild=self.dm_guild(interaction, ref))

    async def stopped(self, interaction: discord.Interaction, ref: CardRef) -> Screen:
        guild_id = self.guild_of(interaction, ref)
        deck = self.deck_of(guild_id, ref)
        screen = await self.service.stop(deck, guild_id=guild_id, user_id=ref.user_id, token=ref.token, now=utcnow())
        if screen is None:
            raise Stale(_(STALE))
        with speaking(await self.card_language(interaction)):
            return self.screen(deck, screen, owner=self.owner_label(interaction), stopped=True)

    # --- Helpers ---------------------------------------------------------------------------------------------------

    @staticmethod
    def screen(
        deck: Deck, screen: StudyScreen, *, owner: str | None, note: str | None = None, stopped: bool = False,
        dm_guild: int | None = None,
    ) -> Screen:
        embed, view = screen_message(deck, screen, owner=owner, note=note, stopped=stopped, dm_guild=dm_guild)
        return Screen(embed, view, screen.session.token if view is not None else None)

    @staticmethod
    def guild_of(interaction: discord.Interaction, ref: CardRef) -> int:
        """The server a card counts for: the one it is shown in, or for a card in a DM the one its buttons name."""
        guild_id = interaction.guild_id if interaction.guild_id is not None else ref.guild_id
        if guild_id is None:
            raise DeckGone(deck_gone(ref.deck))
        return guild_id

    @staticmethod
    def dm_guild(interaction: discord.Interaction, ref: CardRef) -> int | None:
        """The server a card in a DM counts for, carried on to the next card's buttons (None on a server)."""
        return ref.guild_id if interaction.guild_id is None else None

    async def name_in(self, interaction: discord.Interaction, guild_id: int) -> str:
        """The member's name for the server's boards: in a DM, the one the server last showed (a DM has only the
        global name)."""
        if interaction.guild_id is not None:
            return interaction.user.display_name
        known = await self.bot.services.reminders.member_name(guild_id, interaction.user.id)
        return known or interaction.user.display_name

    def deck_of(self, guild_id: int, ref: CardRef) -> Deck:
        """The deck a button names (by id, or by its short_ref); DeckGone when the server no longer has it."""
        deck = self.bot.decks.get(guild_id, ref.deck)
        if deck is None and ref.deck.startswith("~"):
            deck_id = resolve_ref(ref.deck, (d.id for d in self.bot.decks.for_guild(guild_id)))
            deck = self.bot.decks.get(guild_id, deck_id) if deck_id else None
        if deck is None:
            raise DeckGone(deck_gone(ref.deck))
        return deck

    @staticmethod
    def on_public_message(interaction: discord.Interaction) -> bool:
        """Whether the button is on a message the channel sees (a public session, or its deck menu)."""
        message = interaction.message
        return message is not None and not message.flags.ephemeral and interaction.guild_id is not None

    def owner_label(self, interaction: discord.Interaction) -> str | None:
        """Name the member on a public session, so the channel sees whose it is (a DM is theirs alone)."""
        return interaction.user.display_name if self.on_public_message(interaction) else None

    async def card_language(self, interaction: discord.Interaction) -> str:
        """The language of the message a button edits: the server's on a public card or deck menu."""
        return await shown_language(interaction, public=self.on_public_message(interaction))

    async def answer(
        self, interaction: discord.Interaction, work: Awaitable[Screen], *, new_message: bool, ephemeral: bool = True
    ) -> None:
        """Run `work` and show its screen; when it is slow, acknowledge first so Discord's deadline is never missed.

        The work runs in this task and a timer starts the acknowledgement only if the budget runs out: most answers
        need no extra task, and the reply is sent only after a started acknowledgement finished (never both at once).
        A refusal or failure propagates to the items' error boundary (or the tree's on_error), which answers it
        privately whether or not the acknowledgement went out.
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
            reply = await work
        finally:
            if timer is not None:
                timer.cancel()
            if deferral is not None:
                await deferral
        await self.deliver(interaction, reply, new_message=new_message, ephemeral=ephemeral)

    @staticmethod
    async def acknowledge(interaction: discord.Interaction, *, new_message: bool, ephemeral: bool) -> None:
        if new_message:
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        else:
            await interaction.response.defer()

    async def deliver(self, interaction: discord.Interaction, reply: Screen, *, new_message: bool, ephemeral: bool) -> None:
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
            await self.service.set_message(interaction.guild_id, interaction.user.id, reply.token,
                                           interaction.channel_id, message_id)


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(StudyCog(bot))
