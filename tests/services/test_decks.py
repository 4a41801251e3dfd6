"""DeckService: uploads stored for one server and loaded back at start-up, replacements held for their uploader
(15 minutes), removal, and the listing data."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from bot.core.decks import Card, Deck
from bot.core.errors import InvalidInput, NotAllowed
from bot.core.importers import ImportFailed
from bot.import_worker import ImportStopped, WorkerLimits
from bot.core.library import DeckLibrary
from bot.services import decks as decks_module
from bot.services.decks import BUSY, ONE_AT_A_TIME, PENDING_SECONDS, Added, DeckService, Expired, Kept, ReplaceAsked
from bot.settings import Settings
from bot.store.db import Database
from bot.store.server_decks import get_server_deck, list_server_decks
from tests.store.conftest import write

GUILD, OTHER, ADMIN, MOD = 1, 2, 42, 43
SHIPPED = Deck("shipped", "Shipped deck", cards=(Card("c1", "front", "back"),), source="decks/shipped.yaml")
GOOD = b"""title: Photosynthesis basics
cards:
  - id: what
    front: What is photosynthesis?
    back: Plants turning light into sugar.
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(db: Database, clock: Clock) -> DeckService:
    return DeckService(db, DeckLibrary({SHIPPED.id: SHIPPED}), Settings(max_upload_bytes=4096), clock=clock)


async def test_an_upload_is_stored_for_its_server_and_loaded_at_start_up(service: DeckService, db: Database) -> None:
    added = await service.upload(GUILD, ADMIN, GOOD, "photosynthesis.yaml")
    assert isinstance(added, Added) and added.result.deck.id == "photosynthesis"
    deck = service.decks.get(GUILD, "photosynthesis")
    assert deck is not None and deck.title == "Photosynthesis basics" and deck.source == "upload"
    assert service.decks.get(OTHER, "photosynthesis") is None
    stored = await get_server_deck(db, GUILD, "photosynthesis")
    assert stored == added.stored
    assert (stored.yaml_text, stored.source_format, stored.uploaded_by) == (GOOD.decode(), "recall", ADMIN)
    assert await service.stored_of(GUILD, deck) == stored
    assert await service.stored_of(GUILD, SHIPPED) is None

    restarted = DeckService(db, DeckLibrary({SHIPPED.id: SHIPPED}), service.settings)
    assert await restarted.load() == 1
    assert restarted.decks.get(GUILD, "photosynthesis") == deck


async def test_a_stored_deck_that_no_longer_loads_is_skipped(service: DeckService, db: Database) -> None:
    await service.upload(GUILD, ADMIN, GOOD, "photosynthesis.yaml")
    await write(db, "INSERT INTO server_decks SELECT guild_id, 'broken', title, 'title: [', source_format, "
                    "source_name, item_count, uploaded_by, uploaded_at FROM server_decks")
    restarted = DeckService(db, DeckLibrary(), service.settings)
    assert await restarted.load() == 1
    assert list(restarted.decks.server_decks(GUILD)) == ["photosynthesis"]


async def test_a_file_over_the_limit_is_refused_by_its_size(service: DeckService) -> None:
    service.check_upload(GUILD, "small.yaml", 4096)
    with pytest.raises(InvalidInput, match="`huge.yaml` is 5 KB; the limit is 4 KB per file"):
        service.check_upload(GUILD, "huge.yaml", 5000)


async def test_a_broken_file_changes_nothing(service: DeckService, db: Database) -> None:
    with pytest.raises(ImportFailed):
        await service.upload(GUILD, ADMIN, b"title: [", "broken.yaml")
    assert await list_server_decks(db) == []
    assert service.decks.server_decks(GUILD) == {}


async def test_a_taken_id_waits_for_its_uploader(service: DeckService, db: Database) -> None:
    await service.upload(GUILD, ADMIN, GOOD, "photosynthesis.yaml")
    asked = await service.upload(GUILD, ADMIN, GOOD.replace(b"basics", b"v2"), "photosynthesis.yaml")
    assert isinstance(asked, ReplaceAsked) and len(asked.token) == 16 and not asked.shipped
    assert (asked.new.title, asked.current.title) == ("Photosynthesis v2", "Photosynthesis basics")
    assert service.decks.get(GUILD, "photosynthesis").title == "Photosynthesis basics"

    with pytest.raises(NotAllowed) as refused:
        await service.decide(asked.token, MOD, True, guild_id=GUILD, manages_server=True)
    assert str(refused.value) == f"Only <@{ADMIN}>, who uploaded the file, can decide this."
    replaced = await service.decide(asked.token, ADMIN, True, guild_id=GUILD, manages_server=True)
    assert isinstance(replaced, Added)
    assert service.decks.get(GUILD, "photosynthesis").title == "Photosynthesis v2"
    assert (await get_server_deck(db, GUILD, "photosynthesis")).title == "Photosynthesis v2"
    again = await service.decide(asked.token, ADMIN, True, guild_id=GUILD, manages_server=True)  # a second click
    assert isinstance(again, Expired)


async def test_keeping_the_current_deck_discards_the_upload(service: DeckService, db: Database) -> None:
    await service.upload(GUILD, ADMIN, GOOD, "photosynthesis.yaml")
    asked = await service.upload(GUILD, ADMIN, GOOD.replace(b"basics", b"v2"), "photosynthesis.yaml")
    kept = await service.decide(asked.token, ADMIN, False, guild_id=GUILD, manages_server=True)
    assert kept == Kept("photosynthesis")
    assert (await get_server_deck(db, GUILD, "photosynthesis")).title == "Photosynthesis basics"
    assert service.pending == {}


async def test_a_waiting_upload_expires_after_15_minutes(service: DeckService, clock: Clock) -> None:
    await service.upload(GUILD, ADMIN, GOOD, "photosynthesis.yaml")
    asked = await service.upload(GUILD, ADMIN, GOOD, "photosynthesis.yaml")
    clock.now += PENDING_SECONDS + 1
    assert isinstance(await service.decide(asked.token, ADMIN, True, guild_id=GUILD, manages_server=True), Expired)
    assert isinstance(await service.decide("0" * 16, ADMIN, True, guild_id=GUILD, manages_server=True), Expired)


async def test_replacing_a_shipped_deck_and_removing_restores_it(service: DeckService, db: Database) -> None:
    asked = await service.upload(GUILD, ADMIN, GOOD, "shipped.yaml")
    assert isinstance(asked, ReplaceAsked) and asked.shipped and asked.current == SHIPPED
    await service.decide(asked.token, ADMIN, True, guild_id=GUILD, manages_server=True)
    assert service.decks.get(GUILD, "shipped").title == "Photosynthesis basics"
    assert service.decks.get(OTHER, "shipped") == SHIPPED

    removed = await service.remove(GUILD, "shipped")
    assert (removed.deck.title, removed.restored) == ("Photosynthesis basics", SHIPPED)
    assert service.decks.get(GUILD, "shipped") == SHIPPED
    assert await list_server_decks(db) == []
    with pytest.raises(InvalidInput, match="ships with Recall and cannot be removed"):
        await service.remove(GUILD, "shipped")


async def test_the_listing_marks_the_servers_own_decks(service: DeckService) -> None:
    await service.upload(GUILD, ADMIN, GOOD, "photosynthesis.yaml")
    listing = service.listing(GUILD)
    assert [d.id for d in listing.decks] == ["photosynthesis", "shipped"]  # by title
    assert listing.own == frozenset({"photosynthesis"})
    assert [d.id for d in service.listing(OTHER).decks] == ["shipped"]
    assert [d.id for d in service.own_decks(GUILD, "PHOTO")] == ["photosynthesis"]
    assert service.own_decks(GUILD, "shipped") == [] and service.own_decks(OTHER, "") == []


async def test_upload_times_are_stored(service: DeckService, db: Database) -> None:
    at = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
    imported = await service.read_upload(GUILD, GOOD, "photosynthesis.yaml", None)
    added = await service.store(GUILD, ADMIN, imported.result, imported.yaml_text, "photosynthesis.yaml", at)
    assert (await get_server_deck(db, GUILD, "photosynthesis")).uploaded_at == at == added.stored.uploaded_at


async def test_a_decision_needs_manage_server_still_and_the_uploads_own_server(service: DeckService) -> None:
    await service.upload(GUILD, ADMIN, GOOD, "photosynthesis.yaml")
    asked = await service.upload(GUILD, ADMIN, GOOD.replace(b"basics", b"v2"), "photosynthesis.yaml")
    assert isinstance(asked, ReplaceAsked)
    for replace_it in (True, False):
        with pytest.raises(NotAllowed, match="Manage Server"):  # taken away since the upload
            await service.decide(asked.token, ADMIN, replace_it, guild_id=GUILD, manages_server=False)
        with pytest.raises(NotAllowed, match="another server"):  # the token used from another server
            await service.decide(asked.token, ADMIN, replace_it, guild_id=OTHER, manages_server=True)
    assert service.decks.get(GUILD, "photosynthesis").title == "Photosynthesis basics"
    assert service.decks.get(OTHER, "photosynthesis") is None
    assert asked.token in service.pending  # refusals leave the upload waiting for a proper decision
    assert isinstance(await service.decide(asked.token, ADMIN, True, guild_id=GUILD, manages_server=True), Added)
    assert service.decks.get(GUILD, "photosynthesis").title == "Photosynthesis v2"


# --- Uploads are read in a limited worker: one per server, a few in all ------------------------------------------------

STUCK = "tests.test_import_worker:sleep"  # an importer that never finishes: the worker's wall-clock limit ends it


def stuck(service: DeckService, seconds: float = 1.0) -> DeckService:
    service.importer = STUCK
    service.worker = WorkerLimits(cpu_seconds=1, wall_seconds=seconds)
    return service


async def started(service: DeckService, guild_id: int, name: str = "slow.txt") -> asyncio.Task:
    task = asyncio.create_task(service.upload(guild_id, ADMIN, GOOD, name))
    await asyncio.sleep(0)  # it registers its server before its first await
    return task


async def test_a_file_that_takes_too_long_is_refused_and_nothing_is_stored(service: DeckService, db: Database) -> None:
    service.importer = "tests.test_import_worker:spin"
    service.worker = WorkerLimits(cpu_seconds=1)
    with pytest.raises(ImportStopped, match="`slow.txt` took too long to read"):
        await service.upload(GUILD, ADMIN, GOOD, "slow.txt")
    assert await list_server_decks(db) == [] and service.reading == set()


async def test_one_upload_per_server_at_a_time(service: DeckService) -> None:
    first = await started(stuck(service), GUILD)
    with pytest.raises(InvalidInput) as refused:
        await service.upload(GUILD, ADMIN, GOOD, "photosynthesis.yaml")
    assert str(refused.value) == ONE_AT_A_TIME
    with pytest.raises(InvalidInput, match=ONE_AT_A_TIME):  # refused from its metadata, before it is downloaded
        service.check_upload(GUILD, "photosynthesis.yaml", 4096)
    service.check_upload(OTHER, "photosynthesis.yaml", 4096)
    other = await started(service, OTHER)  # another server is not held up by it
    for task in (first, other):
        with pytest.raises(ImportStopped):
            await task
    service.importer = None
    assert isinstance(await service.upload(GUILD, ADMIN, GOOD, "photosynthesis.yaml"), Added)


async def test_uploads_past_the_limit_wait_their_turn_then_are_refused(
    db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(decks_module, "WAITING_PER_SLOT", 1)
    service = DeckService(db, DeckLibrary(), replace(Settings(), imports_at_once=1), clock=clock)
    reading = await started(stuck(service), GUILD)
    waiting = await started(service, OTHER)
    await asyncio.sleep(0.1)
    assert service.waiting == 1
    with pytest.raises(InvalidInput) as refused:
        await service.upload(3, ADMIN, GOOD, "photosynthesis.yaml")
    assert str(refused.value) == BUSY
    service.importer = None  # the waiting upload is read once the first is done, by the real importer
    with pytest.raises(ImportStopped):
        await reading
    assert isinstance(await waiting, Added)
    assert service.waiting == 0 and service.reading == set()
