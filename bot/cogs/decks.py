"""/decks list|info|upload|remove: which decks a server can use, and its own uploaded decks."""
from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.cogs._base import RecallCog

from bot.ui.replies import send_private
from bot.core.clock import utcnow
from bot.core.decks import DeckError, parse_deck
from bot.core.importers import FORMATS, ImportFailed, ImportLimits, ImportResult, deck_to_yaml, import_file
from bot.core.importers.common import human_size
from bot.store.server_decks import StoredDeck, delete_server_deck, get_server_deck, list_server_decks, save_server_deck
from bot.cogs._base import deck_autocomplete, find_deck
from bot.ui.common import unknown_deck_text
from bot.ui.decks import (
    DeckPageButton,
    ReplaceButton,
    info_embed,
    list_embed,
    list_view,
    page_count,
    problems_text,
    replace_question,
    replace_view,
)

if TYPE_CHECKING:
    from bot.app import RecallBot

log = logging.getLogger("recall.decks")

SERVER_SOURCE = "upload"  # Deck.source of a server's own deck (see bot.core.decks.Deck)
PENDING_SECONDS = 15 * 60  # an interaction token lives 15 minutes; a confirmation cannot outlive it usefully
EXPIRED = "This upload is no longer waiting (it is over 15 minutes old, or Recall restarted). Upload the file again."
FORMAT_CHOICES = [app_commands.Choice(name=f"{key}: {text}"[:100], value=key) for key, text in FORMATS.items()]


@dataclass(frozen=True)
class PendingUpload:
    """An upload whose deck id is taken, waiting for its uploader to confirm the replacement."""

    guild_id: int
    user_id: int
    result: ImportResult
    yaml_text: str
    filename: str
    created: float


class DecksCog(RecallCog, name="Decks"):
    decks = app_commands.Group(name="decks", description="See, add and remove the decks this server studies",
                               guild_only=True)

    dynamic_items = (DeckPageButton, ReplaceButton)

    def __init__(self, bot: RecallBot) -> None:
        super().__init__(bot)
        self.pending: dict[str, PendingUpload] = {}

    async def cog_load(self) -> None:
        await super().cog_load()
        await self.load_server_decks()

    async def load_server_decks(self) -> None:
        """Every server's uploads into the library; a stored deck the loader now refuses is logged and skipped."""
        for stored in await list_server_decks(self.bot.db):
            try:
                deck = parse_deck(stored.yaml_text, deck_id=stored.deck_id, source=SERVER_SOURCE)
            except DeckError as exc:
                log.error("server %s deck %s no longer loads: %s", stored.guild_id, stored.deck_id, exc)
                continue
            self.bot.decks.set_server_deck(stored.guild_id, deck)

    # --- /decks list ------------------------------------------------------------------------------------------------

    def listing(self, interaction: discord.Interaction, page: int) -> tuple[discord.Embed, discord.ui.View | None]:
        decks = self.bot.decks.for_guild(interaction.guild_id)
        own = set(self.bot.decks.server_decks(interaction.guild_id or 0))
        page = min(max(page, 0), page_count(len(decks)) - 1)
        name = interaction.guild.name if interaction.guild else "this server"
        return list_embed(decks, own, page, name), list_view(page, len(decks))

    @decks.command(name="list", description="Decks this server can use, with their counts of items")
    @app_commands.describe(page="Page to open (8 decks per page)")
    async def list_decks(self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 1000] = 1) -> None:
        embed, view = self.listing(interaction, page - 1)
        await interaction.response.send_message(embed=embed, view=view or discord.utils.MISSING, ephemeral=True)

    async def show_page(self, interaction: discord.Interaction, page: int) -> None:
        embed, view = self.listing(interaction, page)
        await interaction.response.edit_message(embed=embed, view=view)

    # --- /decks info ------------------------------------------------------------------------------------------------

    @decks.command(name="info", description="A deck's description, items by level, author and origin")
    @app_commands.describe(deck="The deck to describe")
    @app_commands.autocomplete(deck=deck_autocomplete)
    async def info(self, interaction: discord.Interaction, deck: str) -> None:
        found = find_deck(interaction, deck)
        if found is None:
            await send_private(interaction, unknown_deck_text(deck))
            return
        stored = None
        if found.id in self.bot.decks.server_decks(interaction.guild_id or 0):
            stored = await get_server_deck(self.bot.db, interaction.guild_id or 0, found.id)
        await interaction.response.send_message(embed=info_embed(found, stored), ephemeral=True)

    # --- /decks upload ----------------------------------------------------------------------------------------------
    # default_permissions cannot be set on a subcommand (Discord applies it per top-level command, and list/info
    # are for everyone), so the permission is checked when the command runs.

    @decks.command(name="upload",
                   description="Add a deck for this server: Recall YAML, Red trivia, Anki, Quizlet or CSV")
    @app_commands.describe(file="The deck file (at most 2 MB)", fmt="The file's format (detected when left out)")
    @app_commands.rename(fmt="format")
    @app_commands.choices(fmt=FORMAT_CHOICES)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def upload(self, interaction: discord.Interaction, file: discord.Attachment,
                     fmt: app_commands.Choice[str] | None = None) -> None:
        assert interaction.guild_id is not None  # guild_only
        limit = self.bot.settings.max_upload_bytes
        if file.size > limit:  # refused from the attachment's metadata: the file is never downloaded
            await send_private(interaction, f"❌ `{file.filename[:80]}` is {human_size(file.size)}; the limit is "
                                            f"{human_size(limit)} per file. Split the deck or trim it.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await file.read()
        except discord.HTTPException as exc:
            await send_private(interaction, f"❌ Could not download `{file.filename[:80]}` ({exc.status}). Try again.")
            return
        try:
            result = await asyncio.to_thread(self.import_upload, data, file.filename, fmt.value if fmt else None)
        except ImportFailed as exc:
            await send_private(interaction, problems_text(file.filename, exc.message, exc.problems))
            return
        yaml_text = data.decode("utf-8-sig") if result.format == "recall" else deck_to_yaml(result.deck)
        current = self.bot.decks.get(interaction.guild_id, result.deck.id)
        if current is None:
            await send_private(interaction, await self.store(interaction, result, yaml_text, file.filename))
            return
        self.expire_pending()
        token = secrets.token_hex(8)
        self.pending[token] = PendingUpload(interaction.guild_id, interaction.user.id, result, yaml_text,
                                            file.filename, time.monotonic())
        shipped = result.deck.id not in self.bot.decks.server_decks(interaction.guild_id)
        await interaction.followup.send(replace_question(result.deck, current, shipped), view=replace_view(token),
                                        ephemeral=True)

    def import_upload(self, data: bytes, filename: str, fmt: str | None) -> ImportResult:
        limits = ImportLimits(max_bytes=self.bot.settings.max_upload_bytes,
                              max_items=self.bot.settings.max_deck_items)
        return import_file(data, filename, fmt=fmt, limits=limits)

    def expire_pending(self) -> None:
        cutoff = time.monotonic() - PENDING_SECONDS
        for token in [t for t, p in self.pending.items() if p.created < cutoff]:
            del self.pending[token]

    async def confirm_replace(self, interaction: discord.Interaction, token: str, replace: bool) -> None:
        self.expire_pending()
        pending = self.pending.get(token)
        if pending is None:
            await interaction.response.edit_message(content=EXPIRED, view=None)
            return
        if pending.user_id != interaction.user.id:
            await send_private(interaction, f"Only <@{pending.user_id}>, who uploaded the file, can decide this.")
            return
        del self.pending[token]
        if not replace:
            kept = f"Kept the current `{pending.result.deck.id}` deck; the uploaded file was discarded."
            await interaction.response.edit_message(content=kept, view=None)
            return
        text = await self.store(interaction, pending.result, pending.yaml_text, pending.filename)
        await interaction.response.edit_message(content=text, view=None)

    async def store(self, interaction: discord.Interaction, result: ImportResult, yaml_text: str,
                    filename: str) -> str:
        assert interaction.guild_id is not None
        deck = result.deck
        stored = StoredDeck(interaction.guild_id, deck.id, deck.title, yaml_text, result.format, filename,
                            deck.item_count, interaction.user.id, utcnow())
        await save_server_deck(self.bot.db, stored)
        self.bot.decks.set_server_deck(interaction.guild_id, replace(deck, source=SERVER_SOURCE))
        log.info("server %s: %s uploaded deck %s (%s, %d items)", interaction.guild_id, interaction.user.id, deck.id,
                 result.format, deck.item_count)
        text = f"✅ {result.summary()}\nStudy it with `/study deck:{deck.id}`; only this server can see it."
        return text if len(text) <= 2000 else text[:1990] + "…"

    # --- /decks remove ----------------------------------------------------------------------------------------------

    @decks.command(name="remove", description="Remove a deck this server uploaded")
    @app_commands.describe(deck="One of this server's own decks")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def remove(self, interaction: discord.Interaction, deck: str) -> None:
        assert interaction.guild_id is not None  # guild_only
        deck_id = deck.strip()
        own = self.bot.decks.server_decks(interaction.guild_id).get(deck_id)
        if own is None:
            shipped = self.bot.decks.shipped.get(deck_id)
            text = (f"**{shipped.title}** (`{deck_id}`) ships with Recall and cannot be removed; only decks uploaded "
                    "to this server can." if shipped else unknown_deck_text(deck_id))
            await send_private(interaction, text)
            return
        await delete_server_deck(self.bot.db, interaction.guild_id, deck_id)
        self.bot.decks.remove_server_deck(interaction.guild_id, deck_id)
        back = self.bot.decks.shipped.get(deck_id)
        text = (f"🗑️ Removed **{own.title}** (`{deck_id}`) from this server. "
                "Members' progress is kept in case it comes back.")
        if back is not None:
            text += f"\nThe deck of the same id that ships with Recall, **{back.title}**, is available again."
        await send_private(interaction, text)

    @remove.autocomplete("deck")
    async def own_deck_autocomplete(self, interaction: discord.Interaction,
                                    current: str) -> list[app_commands.Choice[str]]:
        needle = current.strip().casefold()
        own = sorted(self.bot.decks.server_decks(interaction.guild_id or 0).values(), key=lambda d: d.title.casefold())
        hits = [d for d in own if needle in d.id or needle in d.title.casefold()]
        return [app_commands.Choice(name=f"{d.title} ({d.id})"[:100], value=d.id) for d in hits[:25]]


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(DecksCog(bot))
