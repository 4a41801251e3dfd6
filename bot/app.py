"""The Bot subclass: opens the store, loads decks and cogs, registers restart-proof buttons, syncs commands.

With SHARD_COUNT set, `RecallBot(settings)` is a `ShardedRecallBot`: discord.py's AutoShardedBot running this
process's shards (SHARD_IDS, or all of them), and work no member triggered limited to their guilds (`owns_guild`).
"""
from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import pkgutil
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

import bot.cogs
from bot.core.decks import load_deck_dir
from bot.core.errors import RecallError
from bot.core.library import DeckLibrary
from bot.core.shards import AUTO, Owns, Shards, every_guild
from bot.core.translation import _, set_language
from bot.services import Services
from bot.services.progress import refile_upgraded_servers
from bot.settings import Settings, SettingsError
from bot.store.api import Store
from bot.store.open import open_database
from bot.store.meta import get_meta, set_meta
from bot.ui.i18n import RecallTranslator, answer_in, catalogs_digest, member_language
from bot.ui.items import RecallSubmit, route_submit
from bot.ui.replies import OPTION, OWN, PUBLIC, failure_text, reply_kind, send_private, start_ack_timer

log = logging.getLogger("recall")

COMMAND_HASH_KEY = "global_command_hash"
# Discord allows one IDENTIFY per 5 s (per max_concurrency bucket), and discord.py waits this long before each one
# but a process's first; tests against the emulator, which sets no such limit, pass a shorter pause.
IDENTIFY_PAUSE = 5.0


def point_at_endpoints(settings: Settings) -> None:
    """Send REST and gateway traffic where the settings say (a proxy or a local emulator); defaults are Discord's."""
    if settings.api_base:
        discord.http.Route.BASE = settings.api_base
    if settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def intents() -> discord.Intents:
    # Slash commands, buttons and modals arrive without any intent; guilds gives channels and roles (for permission
    # checks), guild_reactions gives quiz answers. No privileged intent is needed.
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.guild_reactions = True
    return chosen


class RecallTree(app_commands.CommandTree):
    """Every slash command acknowledged in time when its work is slow (`interaction_check`), and every slash
    command's errors answered in one place: Recall's refusals with their text, discord.py's checks with what to do,
    anything else logged and answered privately."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        # Runs before every command (and autocomplete) is parsed and invoked; it never refuses.
        if interaction.type is discord.InteractionType.application_command:
            kind = reply_kind(interaction.command)
            asked_public = getattr(interaction.namespace, "public", None) is True
            public = kind == PUBLIC or (kind in (OPTION, OWN) and asked_public)
            if kind != OWN:
                start_ack_timer(interaction, thinking=True, ephemeral=not public)
            # The reply is in the server's language when everyone sees it, else in the member's.
            await answer_in(interaction, public=public)
        else:
            await answer_in(interaction, public=False)
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        # Every answer here is private: in the member's language, even when the command answers in the server's.
        set_language(member_language(interaction))
        original = getattr(error, "original", error)
        if isinstance(original, RecallError):
            text = str(original)
        elif isinstance(error, app_commands.MissingPermissions):
            text = _("You need the **Manage Server** permission to use this command.")
        elif isinstance(error, app_commands.NoPrivateMessage):
            text = _("This command works in a server channel, not in direct messages.")
        elif isinstance(error, app_commands.CheckFailure):
            text = str(error) or _("You can't use this command here.")
        else:
            log.exception("command %s failed", interaction.command and interaction.command.qualified_name, exc_info=error)
            text = failure_text(interaction)
        await send_private(interaction, text)


class RecallBot(commands.Bot):
    db: Store
    decks: DeckLibrary
    services: Services

    def __new__(cls, settings: Settings, **options: Any) -> RecallBot:
        # The class follows the settings, so every caller (python -m bot, tests, the benchmark) keeps writing
        # RecallBot(settings): unsharded, a plain commands.Bot as before; with SHARD_COUNT, an AutoShardedBot.
        if cls is RecallBot and settings.sharded:
            cls = ShardedRecallBot
        return super().__new__(cls)

    def __init__(
        self, settings: Settings, *, guild_ready_timeout: float = 2.0, sync_commands: bool = True,
        identify_pause: float = IDENTIFY_PAUSE,
    ) -> None:
        point_at_endpoints(settings)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            tree_cls=RecallTree,
            # Deck text and member names must never ping anyone.
            allowed_mentions=discord.AllowedMentions.none(),
            max_messages=1000,
            chunk_guilds_at_startup=False,
            guild_ready_timeout=guild_ready_timeout,
            **self.shard_options(settings),
        )
        self.settings = settings
        self.identify_pause = identify_pause
        # Whether a guild's work (quiz recovery, refiles, loading its decks) is this process's: every guild unless
        # sharded, then the guilds of its shards (known once the count is, in setup_hook).
        self.owns_guild: Owns = every_guild
        self.shards_run: Shards | None = None
        self.sync_on_start = sync_commands
        self.deck_problems: list = []
        self.submit_routes: list[type[RecallSubmit]] = []  # modal submits by custom id (RecallCog registers them)

    async def open_store(self) -> None:
        """Open the database (once). `python -m bot` calls it before logging in, so a file Recall cannot use is
        refused with its one line (UnusableDatabase) before Discord sees a login, even when Discord is unreachable."""
        if not hasattr(self, "db"):
            self.db = await open_database(self.settings)

    def shard_options(self, settings: Settings) -> dict[str, Any]:
        """discord.py's options for the shards this process runs (none for an unsharded bot)."""
        return {}

    async def resolve_shards(self) -> None:
        """Learn which guilds are this process's before any start-up work touches one (sharded bots only)."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if not initial:
            await asyncio.sleep(self.identify_pause)

    async def setup_hook(self) -> None:
        await self.open_store()
        await self.resolve_shards()
        # Once, after the upgrade that added month totals; each process refiles the servers of its own shards.
        refiled = await refile_upgraded_servers(self.db, owns=self.owns_guild)
        if refiled:
            log.info("month board totals refiled for %d servers in their timezones", len(refiled))
        self.reload_decks()
        self.services = Services.build(self.db, self.decks, self.settings)
        for module in pkgutil.iter_modules(bot.cogs.__path__):
            if not module.name.startswith("_"):
                await self.load_extension(f"bot.cogs.{module.name}")
        # Command names, descriptions and choices in each member's language, filled in from the catalogs at sync.
        await self.tree.set_translator(RecallTranslator())
        if self.sync_on_start:
            await self.sync_commands()
        # Everything loaded so far (modules, decks, cogs) lives as long as the bot: move it out of the cyclic
        # collector's reach, so a full collection under load scans only what interactions create (measured: the
        # longest pause fell from ~60 ms to ~18 ms, collector time by two thirds).
        gc.collect()
        gc.freeze()

    def reload_decks(self) -> None:
        result = load_deck_dir(self.settings.decks_dir)
        for problem in result.problems:
            log.error("deck problem: %s", problem)
        self.deck_problems = list(result.problems)
        if hasattr(self, "decks"):
            self.decks.replace_shipped(result.decks)
        else:
            self.decks = DeckLibrary(result.decks)

    def command_hash(self) -> str:
        payload = [c.to_dict(self.tree) for c in self.tree.get_commands()]
        # The translations are sent with the commands: a changed catalog needs a sync as a changed command does.
        payload.append(catalogs_digest())
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    async def sync_commands(self, *, force: bool = False) -> str:
        """Sync to DEV_GUILD_ID every start; globally only when the command set changed (or forced)."""
        if self.settings.dev_guild_id:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            try:
                synced = await self.tree.sync(guild=guild)
            except (discord.Forbidden, discord.NotFound) as exc:  # 403 Missing Access: the bot is not in it
                raise SettingsError(
                    f"DEV_GUILD_ID={self.settings.dev_guild_id}: Discord refused to register commands in that server "
                    f"({exc.status} {exc.text or exc.response.reason}); the bot is not in it. Invite the bot there "
                    "(see README 'Create the Discord application') or unset DEV_GUILD_ID."
                ) from None
            return f"synced {len(synced)} commands to server {self.settings.dev_guild_id}"
        digest = self.command_hash()
        if not force and await get_meta(self.db, COMMAND_HASH_KEY) == digest:
            return "commands unchanged; no sync needed"
        synced = await self.tree.sync()
        await set_meta(self.db, COMMAND_HASH_KEY, digest)
        return f"synced {len(synced)} global commands"

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Modal submits arrive here rather than through a stored Modal, so an answer typed across a restart counts.
        if interaction.type is discord.InteractionType.modal_submit:
            await route_submit(interaction, self.submit_routes)

    async def on_ready(self) -> None:
        log.info(
            "Recall ready as %s%s: %d decks, %d items, %d servers",
            self.user,
            f" ({self.shards_run})" if self.shards_run else "",
            len(self.decks.shipped),
            self.decks.item_count,
            len(self.guilds),
        )

    async def close(self) -> None:
        gc.unfreeze()  # what setup_hook froze may become garbage now (a process can start another bot: tests do)
        await super().close()
        if hasattr(self, "db"):
            await self.db.close()
            del self.db


class ShardedRecallBot(RecallBot, commands.AutoShardedBot):
    """Recall on discord.py's AutoShardedBot: one gateway connection per shard of SHARD_IDS (all shards when left
    out) out of SHARD_COUNT; with SHARD_COUNT=auto, the count Discord recommends (GET /gateway/bot)."""

    def shard_options(self, settings: Settings) -> dict[str, Any]:
        count = None if settings.shard_count == AUTO else settings.shard_count
        ids = list(settings.shard_ids) if settings.shard_ids is not None else None
        return {"shard_count": count, "shard_ids": ids}

    async def resolve_shards(self) -> None:
        if self.shard_count is None:
            # AutoShardedBot would ask only when connecting, after setup_hook; the start-up work needs the count
            # first. Once it is set, discord.py connects to the configured gateway like an unsharded bot.
            self.shard_count, _url, _limits = await self.http.get_bot_gateway()
            log.info("SHARD_COUNT=auto: Discord recommends %d shards", self.shard_count)
        ids = tuple(self.shard_ids) if self.shard_ids else tuple(range(self.shard_count))
        self.shards_run = Shards(self.shard_count, ids)
        self.owns_guild = self.shards_run.owns
        log.info("Recall runs %s in this process", self.shards_run)

    def servers_on(self, shard_id: int) -> int:
        return sum(1 for guild in self.guilds if guild.shard_id == shard_id)

    async def on_shard_connect(self, shard_id: int) -> None:
        log.info("shard %d of %s: connected", shard_id, self.shard_count)

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("shard %d of %s: ready, %d servers", shard_id, self.shard_count, self.servers_on(shard_id))

    async def on_shard_resumed(self, shard_id: int) -> None:
        log.info("shard %d of %s: resumed", shard_id, self.shard_count)

    async def on_shard_disconnect(self, shard_id: int) -> None:
        log.info("shard %d of %s: disconnected", shard_id, self.shard_count)
