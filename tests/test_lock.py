"""Another program holding the database's write lock (a backup tool, a stray `sqlite3` shell) never freezes Recall.

Every interaction is answered within Discord's 3 seconds (the emulator fails any that is not, as Discord does);
reads answer while the lock is held; a rating waits off the event loop and is saved once the lock goes away, or the
member is told privately that it was not saved. The first test runs the bot as its own process (`python -m bot
run`), as a member meets it; the second runs it in this process to shorten how long Recall waits.
"""
from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import pytest

import bot.store.db as dbmod
from bench.procs import RECALL, BotProcess, bot_env
from bot.core.errors import NOT_SAVED
from bot.emulator import Emulator
from tests.conftest import SEED_DECK, SHIPPED_DECKS

DECK = "pytorch-lr-schedulers"
FIRST_FRONT = "What is a learning rate scheduler in PyTorch?"
SECOND_FRONT = "Why do we adjust the learning rate during training?"
HOLD = 7.0  # longer than SQLite's 5 s busy timeout Recall used to wait with, shorter than its BUSY_PATIENCE (12 s)


@pytest.fixture
def backend() -> str:
    """SQLite's write lock is what these tests are about."""
    return "sqlite"


@contextlib.contextmanager
def write_lock_held(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection holding the write lock (BEGIN IMMEDIATE) until the block ends."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
        other.execute("COMMIT")
    finally:
        other.close()


def button(message: Any, label_start: str) -> str:
    for item in message.buttons():
        if (item["label"] or "").startswith(label_start):
            return str(item["custom_id"])
    raise AssertionError(f"no {label_start!r} button: {[b['label'] for b in message.buttons()]}")


async def answered(ix: Any) -> Any:
    """The message an interaction produced; it failed if the bot did not acknowledge it within Discord's 3 s."""
    await ix.wait_ack(timeout=5)  # "did not hang": the emulator itself fails it after 3 s
    assert not ix.failed
    return await ix.wait_message(timeout=20)


@pytest.fixture
async def recall_process(tmp_path: Path) -> AsyncIterator[tuple[Emulator, Any, BotProcess, Path]]:
    decks = tmp_path / "decks"
    decks.mkdir()
    shutil.copy(SHIPPED_DECKS / SEED_DECK, decks / SEED_DECK)
    database = tmp_path / "recall.db"
    async with Emulator() as emu:
        guild = emu.add_guild("Study Hall")
        channel = emu.add_channel(guild, "general")
        members = [emu.add_member(guild, name) for name in ("alice", "bob", "carol")]
        env = bot_env(token=emu.token, api_base=emu.api_base, gateway_url=emu.gateway_url, database=database,
                      decks=decks, session_ratings=10)
        process = BotProcess(RECALL, env)
        await process.start(timeout=30)
        try:
            yield emu, (channel, *members), process, database
        finally:
            await process.stop()


async def test_a_held_write_lock_freezes_nothing_and_loses_no_rating(recall_process: Any) -> None:
    emu, (channel, alice, bob, carol), process, database = recall_process
    study = await answered(await emu.slash(alice, channel, "study", deck=DECK))
    await answered(await emu.click(alice, study, custom_id=button(study, "Reveal")))

    loop = asyncio.get_running_loop()
    with write_lock_held(database) as other:
        held_from = loop.time()
        rating = await emu.click(alice, study, custom_id=button(study, "Good"))
        listing = await emu.slash(bob, channel, "decks list")
        board = await emu.slash(carol, channel, "leaderboard")
        started = await emu.slash(bob, channel, "study", deck=DECK)  # a new session is a write too
        hidden = await emu.slash(carol, channel, "settings hide-streak", hidden=True)  # a command's write
        # Reads are answered in full while the lock is still held: they never waited for it.
        listed, ranked = await answered(listing), await answered(board)
        assert other.in_transaction
        assert listed.embeds[0]["title"] == "Decks on Study Hall" and "pytorch-lr-schedulers" in listed.text()
        assert not board.failed and ranked.embeds
        # The writes were acknowledged in time and are still waiting for the lock.
        for ix in (rating, started, hidden):
            await ix.wait_ack(timeout=5)
            assert not ix.failed
        assert hidden.ack_type == 5 and hidden.ephemeral  # "thinking…", privately
        assert study.embeds[0]["description"] != SECOND_FRONT
        await asyncio.sleep(max(0.0, held_from + HOLD - loop.time()))  # hold it HOLD seconds in all
    # The lock is gone: the rating is saved and shown, and the new session starts.
    note = await rating.wait_message(timeout=20)
    assert note.id == study.id and study.embeds[0]["description"] == SECOND_FRONT
    assert (await started.wait_message(timeout=20)).embeds[0]["description"] == FIRST_FRONT
    reply = await hidden.wait_message(timeout=20)
    assert reply.ephemeral and reply.visible_to == carol.user.id and "hidden" in reply.text()
    # Everything works afterwards, and every rating shown as saved is stored.
    await answered(await emu.click(alice, study, custom_id=button(study, "Reveal")))
    await answered(await emu.click(alice, study, custom_id=button(study, "Good")))
    with contextlib.closing(sqlite3.connect(database)) as reader:
        reviews = reader.execute("SELECT user_id, rating FROM reviews ORDER BY id").fetchall()
    assert reviews == [(alice.user.id, 3), (alice.user.id, 3)]
    assert not emu.failed_interactions
    assert process.errors == 0, process.tail()


async def test_a_rating_the_lock_kept_out_too_long_is_not_saved_and_the_member_is_told(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dbmod, "BUSY_PATIENCE", 2.0)
    study = await answered(await world.emu.slash(world.alice, world.channel, "study", deck=DECK))
    await answered(await world.emu.click(world.alice, study, custom_id=button(study, "Reveal")))
    with write_lock_held(world.settings.database_path):
        rating = await world.emu.click(world.alice, study, custom_id=button(study, "Good"))
        note = await answered(rating)  # acknowledged in time, then told after Recall gave up waiting
    assert note.ephemeral and note.visible_to == world.alice.user.id and note.text() == NOT_SAVED
    assert study.embeds[0]["description"].startswith(FIRST_FRONT) and "Good · 10m" in [b["label"] for b in study.buttons()]
    assert await world.bot.db.fetchall("SELECT id FROM reviews") == []
    # The same button, clicked again once the lock is free, saves the rating.
    await answered(await world.emu.click(world.alice, study, custom_id=button(study, "Good")))
    assert study.embeds[0]["description"] == SECOND_FRONT
    assert len(await world.bot.db.fetchall("SELECT id FROM reviews")) == 1
