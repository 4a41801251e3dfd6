"""/decks export and /stats export_missed end to end: the real bot against the emulator."""
from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from typing import Any

from bot.core.clock import to_text, utcnow
from tests.e2e.test_progress import fetch
from tests.store.conftest import write

SHIPPED = "pytorch-lr-schedulers"


async def test_any_member_exports_a_shipped_deck_privately_as_an_anki_package(world: Any) -> None:
    ix = await world.emu.slash(world.alice, world.channel, "decks export", deck=SHIPPED, format="anki")
    message = await ix.wait_message()
    assert message.ephemeral and message.visible_to == world.alice.user.id
    assert "as Anki package (.apkg)" in message.text()
    (attachment,) = message.attachments
    assert attachment["filename"] == f"{SHIPPED}.apkg"
    with zipfile.ZipFile(io.BytesIO(await fetch(attachment["url"]))) as zf:
        conn = sqlite3.connect(":memory:")
        conn.deserialize(zf.read("collection.anki2"))
    assert conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 12
    missing = await (await world.emu.slash(world.alice, world.channel, "decks export", deck="nope",
                                           format="csv")).wait_message()
    assert "There is no deck `nope`" in missing.text() and not missing.attachments


async def test_stats_sends_my_missed_questions_as_csv(world: Any) -> None:
    await write(world.bot.db, "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, "
                "deck_id, question_id, letter, choice, correct, response_ms, points, answered_at) "
                "VALUES (1, 0, ?, 9, ?, ?, ?, 'A', 'x', 0, 1000, 0, ?)",
                (world.guild.id, world.alice.user.id, SHIPPED,
                 world.bot.decks.get(world.guild.id, SHIPPED).quiz[0].id, to_text(utcnow())))
    ix = await world.emu.slash(world.alice, world.channel, "stats", export_missed=True)
    message = await ix.wait_message()
    assert message.ephemeral and "Your 1 missed quiz question" in message.text()
    names = [a["filename"] for a in message.attachments]
    assert names == ["activity.png", "missed-questions.csv"]
    rows = list(csv.DictReader(io.StringIO((await fetch(message.attachments[1]["url"])).decode(), newline="")))
    assert [r["deck"] for r in rows] == [SHIPPED]
    other = await (await world.emu.slash(world.alice, world.channel, "stats", member=world.bob,
                                         export_missed=True)).wait_message()
    assert "Only your own missed questions" in other.text()
