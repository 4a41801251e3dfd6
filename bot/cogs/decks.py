"""/decks list|info|upload|remove: which decks a server can use, and its own uploaded decks.

A thin adapter: the use cases are bot.services.decks', the texts and views bot.ui.decks'. Refusals are
bot.core.errors, answered privately by the tree's on_error or the item base's error boundary.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.cogs._base import RecallCog, deck_autocomplete, require_deck
from bot.core.errors import InvalidInput
from bot.core.importers import FORMATS, CsvOptions, ImportFailed
from bot.core.translation import _
from bot.services.decks import Added, DeckService, Expired, Kept
from bot.ui.decks import (
    EXPIRED,
    DeckPageButton,
    ReplaceButton,
    added_text,
    download_failed_text,
    info_embed,
    kept_text,
    list_message,
    problems_text,
    removed_text,
    replace_question,
    replace_view,
)
from bot.ui import replies
from bot.ui.export import EXPORT_FORMAT_CHOICES, export_file, exported_text
from bot.ui.replies import send_private

if TYPE_CHECKING:
    from bot.app import RecallBot

FORMAT_CHOICES = [app_commands.Choice(name=f"{key}: {text}"[:100], value=key) for key, text in FORMATS.items()]


class DecksCog(RecallCog, name="Decks"):
    """Implements bot.ui.decks.DeckActions for the list's paging and the replace confirmation."""

    decks = app_commands.Group(name="decks", description="See, add and remove the decks this server studies",
                               guild_only=True)

    dynamic_items = (DeckPageButton, ReplaceButton)

    @property
    def service(self) -> DeckService:
        return self.bot.services.decks

    async def cog_load(self) -> None:
        await super().cog_load()
        await self.service.load(owns=self.bot.owns_guild)

    # --- /decks list ------------------------------------------------------------------------------------------------

    def listing(self, interaction: discord.Interaction, page: int) -> tuple[discord.Embed, discord.ui.View | None]:
        found = self.service.listing(interaction.guild_id)
        name = interaction.guild.name if interaction.guild else None
        return list_message(found.decks, found.own, page, name)

    @decks.command(name="list", description="Decks this server can use, with their counts of items")
    @app_commands.describe(page="Page to open (8 decks per page)")
    async def list_decks(self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 1000] = 1) -> None:
        embed, view = self.listing(interaction, page - 1)
        await replies.send(interaction, embed=embed, view=view or discord.utils.MISSING, ephemeral=True)

    async def show_page(self, interaction: discord.Interaction, page: int) -> None:
        embed, view = self.listing(interaction, page)
        await replies.edit(interaction, embed=embed, view=view)

    # --- /decks info ------------------------------------------------------------------------------------------------

    @decks.command(name="info", description="A deck's description, items by level, author and origin")
    @app_commands.describe(deck="The deck to describe")
    @app_commands.autocomplete(deck=deck_autocomplete)
    async def info(self, interaction: discord.Interaction, deck: str) -> None:
        found = require_deck(interaction, deck)
        stored = await self.service.stored_of(interaction.guild_id, found)
        await replies.send(interaction, embed=info_embed(found, stored), ephemeral=True)

    # --- /decks export ----------------------------------------------------------------------------------------------
    # Any member: the decks offered and accepted are the ones this server can use (shipped and its own), and the
    # file goes only to the member who asked unless they choose to post it.

    @decks.command(name="export", description="Download a deck as an Anki package, a CSV file or a Recall deck file",
                   extras=replies.OWN_ACK)
    @app_commands.describe(deck="The deck to export", fmt="The file format",
                           public="Post the file in the channel instead of only for you")
    @app_commands.rename(fmt="format")
    @app_commands.choices(fmt=EXPORT_FORMAT_CHOICES)
    @app_commands.autocomplete(deck=deck_autocomplete)
    async def export(self, interaction: discord.Interaction, deck: str, fmt: app_commands.Choice[str],
                     public: bool = False) -> None:
        found = require_deck(interaction, deck)
        await interaction.response.defer(ephemeral=not public, thinking=True)  # an Anki package takes a moment
        exported = await self.bot.services.export.deck_file(found, fmt.value)
        await replies.send(interaction, exported_text(found, exported), file=export_file(exported),
                           ephemeral=not public)

    # --- /decks upload ----------------------------------------------------------------------------------------------
    # default_permissions cannot be set on a subcommand (Discord applies it per top-level command, and list/info
    # are for everyone), so the permission is checked when the command runs.

    @decks.command(name="upload",
                   description="Add a deck for this server: Recall YAML, Red trivia, Anki, Quizlet or CSV",
                   extras=replies.OWN_ACK)
    @app_commands.describe(file="The deck file (2 MB at most, unless the bot's host set another limit)",
                           fmt="The file's format (detected when left out)",
                           front="CSV: the front's column, by header name or number from 1",
                           back="CSV: the back's column by name or number; 2,3 joins those columns into the back",
                           no_header="CSV: the first row is a card, not column names")
    @app_commands.rename(fmt="format")
    @app_commands.choices(fmt=FORMAT_CHOICES)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def upload(self, interaction: discord.Interaction, file: discord.Attachment,
                     fmt: app_commands.Choice[str] | None = None,
                     front: app_commands.Range[str, 1, 100] | None = None,
                     back: app_commands.Range[str, 1, 100] | None = None, no_header: bool = False) -> None:
        assert interaction.guild_id is not None  # guild_only
        # From the attachment's metadata: a file that would be refused is never downloaded.
        self.service.check_upload(interaction.guild_id, file.filename, file.size)
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await file.read()
        except discord.HTTPException as exc:
            raise InvalidInput(download_failed_text(file.filename, exc.status)) from exc
        try:
            outcome = await self.service.upload(interaction.guild_id, interaction.user.id, data, file.filename,
                                                fmt.value if fmt else None,
                                                CsvOptions(front=front, back=back, no_header=no_header) or None)
        except ImportFailed as exc:
            raise InvalidInput(problems_text(file.filename, exc.message, exc.problems)) from exc
        if isinstance(outcome, Added):
            await send_private(interaction, added_text(outcome.result))
            return
        await replies.send(interaction, replace_question(outcome.new, outcome.current, outcome.shipped),
                           view=replace_view(outcome.token), ephemeral=True)

    async def confirm_replace(self, interaction: discord.Interaction, token: str, replace: bool) -> None:
        # Checked again here: Manage Server may have been taken away since the upload (it was checked then).
        outcome = await self.service.decide(token, interaction.user.id, replace, guild_id=interaction.guild_id or 0,
                                            manages_server=interaction.permissions.manage_guild)
        if isinstance(outcome, Expired):
            text = _(EXPIRED)
        elif isinstance(outcome, Kept):
            text = kept_text(outcome.deck_id)
        else:
            text = added_text(outcome.result)
        await replies.edit(interaction, content=text, view=None)

    # --- /decks remove ----------------------------------------------------------------------------------------------

    @decks.command(name="remove", description="Remove a deck this server uploaded")
    @app_commands.describe(deck="One of this server's own decks")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def remove(self, interaction: discord.Interaction, deck: str) -> None:
        assert interaction.guild_id is not None  # guild_only
        found = require_deck(interaction, deck)
        removed = await self.service.remove(interaction.guild_id, found.id)
        await send_private(interaction, removed_text(removed.deck, removed.restored))

    @remove.autocomplete("deck")
    async def own_deck_autocomplete(self, interaction: discord.Interaction,
                                    current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f"{d.title} ({d.id})"[:100], value=d.id)
                for d in self.service.own_decks(interaction.guild_id, current)]


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(DecksCog(bot))
