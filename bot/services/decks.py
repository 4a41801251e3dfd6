"""/decks as a use case: a server's own uploaded decks, kept in the database and in the deck library.

Stored decks are loaded into the library at start-up; an upload is imported in a worker process with a CPU-time and
memory limit (bot.import_worker: a hostile file cannot stall or bloat the bot), one per server and a few in all,
then stored, or held in memory for 15 minutes while its uploader decides whether it replaces the deck that has its
id. Writes reach the library right after their COMMIT, so the two never disagree.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable


from bot.core.clock import utcnow
from bot.core.decks import Deck, DeckError, parse_deck
from bot.core.errors import InvalidInput, NotAllowed
from bot.core.importers import CsvOptions, ImportLimits, ImportResult
from bot.core.translation import N_, _, ngettext, number
from bot.import_worker import Imported, WorkerLimits, import_in_worker
from bot.core.library import DeckLibrary, StoredDeck
from bot.settings import Settings
from bot.store.api import Connection, Store
from bot.store.server_decks import delete_server_deck, get_server_deck, list_server_decks, save_server_deck

log = logging.getLogger("recall.decks")

SERVER_SOURCE = "upload"  # Deck.source of a server's own deck (see bot.core.decks.Deck)
PENDING_SECONDS = 15 * 60  # an interaction token lives 15 minutes; a confirmation cannot outlive it usefully
WAITING_PER_SLOT = 4  # uploads that may wait for a worker, per upload read at once; more are refused (memory)

ONE_AT_A_TIME = N_("Another upload is being read for this server; try again when it finishes.")
BUSY = N_("Recall is reading many uploads right now; try again in a minute.")


def size_text(size: int) -> str:
    """2.0 MB, 640 KB, 900 bytes (bot.core.importers.common.human_size) in the current language."""
    if size >= 1024 * 1024:
        megabytes = number(size / (1024 * 1024), 1, fixed=True)
        # Translators: a file size in megabytes
        return _("{size} MB").format(size=megabytes)
    if size >= 1024:
        # Translators: a file size in kilobytes
        return _("{size} KB").format(size=number(round(size / 1024)))
    return ngettext("{count} byte", "{count} bytes", size).format(count=number(size))


def too_large_text(filename: str, size: int, limit: int) -> str:
    return _("❌ `{file}` is {size}; the limit is {limit} per file. Split the deck or trim it.").format(
        file=filename[:80], size=size_text(size), limit=size_text(limit))


def not_uploader_text(uploader_id: int) -> str:
    return _("Only <@{user_id}>, who uploaded the file, can decide this.").format(user_id=uploader_id)


NEEDS_MANAGE_SERVER = N_("You need the **Manage Server** permission to decide about an uploaded deck.")
OTHER_SERVER = N_("This upload was made on another server; it can only be decided there.")


def shipped_text(deck: Deck) -> str:
    return _("**{title}** (`{deck_id}`) ships with Recall and cannot be removed; only decks uploaded to this server "
             "can.").format(title=deck.title, deck_id=deck.id)


def no_such_deck_text(deck_id: str) -> str:
    return _("This server has no deck `{deck_id}`.").format(deck_id=deck_id[:80])


@dataclass(frozen=True, slots=True)
class PendingUpload:
    """An upload whose deck id is taken, waiting for its uploader to confirm the replacement."""

    guild_id: int
    user_id: int
    result: ImportResult
    yaml_text: str
    filename: str
    created: float  # the service's clock (monotonic seconds)


@dataclass(frozen=True, slots=True)
class Added:
    """An upload stored for its server."""

    result: ImportResult
    stored: StoredDeck


@dataclass(frozen=True, slots=True)
class ReplaceAsked:
    """An upload whose id is taken: it waits under `token` for its uploader's decision."""

    token: str
    new: Deck
    current: Deck
    shipped: bool  # the deck it would replace ships with Recall (else it is the server's own)


@dataclass(frozen=True, slots=True)
class Kept:
    """The uploader kept the current deck; the upload was discarded."""

    deck_id: str


@dataclass(frozen=True, slots=True)
class Expired:
    """No upload waits under that token (over 15 minutes old, decided already, or Recall restarted)."""


@dataclass(frozen=True, slots=True)
class Removed:
    deck: Deck  # the server's deck that was removed
    restored: Deck | None  # the shipped deck of the same id, usable again


@dataclass(frozen=True, slots=True)
class DeckListing:
    """The decks a server can use (sorted by title) and which of them are its own uploads."""

    decks: list[Deck]
    own: frozenset[str]


class DeckService:
    def __init__(
        self, db: Store, decks: DeckLibrary, settings: Settings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.db = db
        self.decks = decks
        self.settings = settings
        self.clock = clock
        self.pending: dict[str, PendingUpload] = {}
        self.worker = WorkerLimits(cpu_seconds=settings.import_cpu_seconds, memory_mb=settings.import_memory_mb)
        self.importer: str | None = None  # module:function the worker runs instead of import_file (tests only)
        self.reading: set[int] = set()  # servers with an upload being read (or waiting for a worker)
        self.slots = asyncio.Semaphore(settings.imports_at_once)
        self.waiting = 0

    async def load(self, owns: Callable[[int], bool] = lambda guild_id: True) -> int:
        """Every server's uploads into the library (at start-up); a stored deck the loader now refuses is logged
        and skipped. Returns how many were loaded. `owns`: the servers whose decks this process serves (a sharded
        process: those of its shards; the others' decks would only take memory)."""
        loaded = 0
        for stored in await list_server_decks(self.db):
            if not owns(stored.guild_id):
                continue
            try:
                deck = parse_deck(stored.yaml_text, deck_id=stored.deck_id, source=SERVER_SOURCE)
            except DeckError as exc:
                log.error("server %s deck %s no longer loads: %s", stored.guild_id, stored.deck_id, exc)
                continue
            self.decks.set_server_deck(stored.guild_id, deck)
            loaded += 1
        return loaded

    # --- Reading ---------------------------------------------------------------------------------------------------

    def listing(self, guild_id: int | None) -> DeckListing:
        own = frozenset(self.decks.server_decks(guild_id)) if guild_id is not None else frozenset()
        return DeckListing(self.decks.for_guild(guild_id), own)

    async def stored_of(self, guild_id: int | None, deck: Deck) -> StoredDeck | None:
        """Where a server's own deck came from; None for a shipped deck."""
        if guild_id is None or deck.id not in self.decks.server_decks(guild_id):
            return None
        return await get_server_deck(self.db, guild_id, deck.id)

    def own_decks(self, guild_id: int | None, text: str, limit: int = 25) -> list[Deck]:
        """The server's own decks whose id or title contains `text`, by title."""
        needle = text.strip().casefold()
        own = sorted(self.decks.server_decks(guild_id or 0).values(), key=lambda d: d.title.casefold())
        return [d for d in own if needle in d.id or needle in d.title.casefold()][:limit]

    # --- Uploading -------------------------------------------------------------------------------------------------

    def check_upload(self, guild_id: int, filename: str, size: int) -> None:
        """Refuse, before the file is downloaded: one over the size limit, or a second one while this server's
        previous upload is still being read (read_upload checks that again, for two that arrive together)."""
        limit = self.settings.max_upload_bytes
        if size > limit:
            raise InvalidInput(too_large_text(filename, size, limit))
        if guild_id in self.reading:
            raise InvalidInput(_(ONE_AT_A_TIME))

    async def read_upload(self, guild_id: int, data: bytes, filename: str, fmt: str | None,
                          options: CsvOptions | None = None) -> Imported:
        """Parse an uploaded file into a deck in a limited worker process. One upload per server at a time
        (InvalidInput for a second), at most `imports_at_once` in all: the others wait their turn, up to
        WAITING_PER_SLOT each (then InvalidInput). Raises ImportFailed (ImportStopped past a limit)."""
        if guild_id in self.reading:
            raise InvalidInput(_(ONE_AT_A_TIME))
        if self.slots.locked() and self.waiting >= WAITING_PER_SLOT * self.settings.imports_at_once:
            raise InvalidInput(_(BUSY))
        limits = ImportLimits(max_bytes=self.settings.max_upload_bytes, max_items=self.settings.max_deck_items)
        self.reading.add(guild_id)
        try:
            self.waiting += 1
            try:
                await self.slots.acquire()
            finally:
                self.waiting -= 1
            try:
                return await import_in_worker(data, filename, fmt=fmt, limits=limits, worker=self.worker,
                                              importer=self.importer, options=options)
            finally:
                self.slots.release()
        finally:
            self.reading.discard(guild_id)

    async def upload(
        self, guild_id: int, user_id: int, data: bytes, filename: str, fmt: str | None = None,
        options: CsvOptions | None = None,
    ) -> Added | ReplaceAsked:
        """Import a file and store its deck; when its id is taken, hold it and ask first. Raises ImportFailed, or
        InvalidInput while this server's previous upload is still being read."""
        imported = await self.read_upload(guild_id, data, filename, fmt, options)
        result, yaml_text = imported.result, imported.yaml_text
        current = self.decks.get(guild_id, result.deck.id)
        if current is None:
            return await self.store(guild_id, user_id, result, yaml_text, filename)
        self.expire_pending()
        token = secrets.token_hex(8)
        self.pending[token] = PendingUpload(guild_id, user_id, result, yaml_text, filename, self.clock())
        shipped = result.deck.id not in self.decks.server_decks(guild_id)
        return ReplaceAsked(token, result.deck, current, shipped)

    def expire_pending(self) -> None:
        cutoff = self.clock() - PENDING_SECONDS
        for token in [t for t, p in self.pending.items() if p.created < cutoff]:
            del self.pending[token]

    async def decide(
        self, token: str, user_id: int, replace_it: bool, *, guild_id: int, manages_server: bool
    ) -> Added | Kept | Expired:
        """The uploader's answer to ReplaceAsked, given in the server it was uploaded to while they still have
        Manage Server (it may have been taken away since the upload); NotAllowed otherwise, and the upload keeps
        waiting."""
        self.expire_pending()
        pending = self.pending.get(token)
        if pending is None:
            return Expired()
        if pending.guild_id != guild_id:
            raise NotAllowed(_(OTHER_SERVER))
        if pending.user_id != user_id:
            raise NotAllowed(not_uploader_text(pending.user_id))
        if not manages_server:
            raise NotAllowed(_(NEEDS_MANAGE_SERVER))
        del self.pending[token]  # before any await: a second click finds it gone
        if not replace_it:
            return Kept(pending.result.deck.id)
        return await self.store(pending.guild_id, user_id, pending.result, pending.yaml_text, pending.filename)

    async def store(
        self, guild_id: int, user_id: int, result: ImportResult, yaml_text: str, filename: str,
        at: datetime | None = None,
    ) -> Added:
        deck = result.deck
        stored = StoredDeck(guild_id, deck.id, deck.title, yaml_text, result.format, filename, deck.item_count,
                            user_id, at or utcnow())

        async def body(conn: Connection) -> bool:
            return await save_server_deck(conn, stored)

        def into_library(_saved: bool) -> None:
            self.decks.set_server_deck(guild_id, replace(deck, source=SERVER_SOURCE))

        await self.db.atomic(body, into_library)
        log.info("server %s: %s uploaded deck %s (%s, %d items)", guild_id, user_id, deck.id, result.format,
                 deck.item_count)
        return Added(result, stored)

    # --- Removing --------------------------------------------------------------------------------------------------

    async def remove(self, guild_id: int, deck_id: str) -> Removed:
        """Remove a server's own deck (members' progress is kept); a shipped deck cannot be removed."""
        own = self.decks.server_decks(guild_id).get(deck_id)
        if own is None:
            shipped = self.decks.shipped.get(deck_id)
            raise InvalidInput(shipped_text(shipped) if shipped else no_such_deck_text(deck_id))

        async def body(conn: Connection) -> bool:
            return await delete_server_deck(conn, guild_id, deck_id)

        await self.db.atomic(body, lambda _removed: self.decks.remove_server_deck(guild_id, deck_id))
        return Removed(own, self.decks.shipped.get(deck_id))
