"""/decks end to end: the real bot against the emulator (list, info, upload, replace, remove, limits)."""
from __future__ import annotations

import asyncio
import io
import zipfile
from dataclasses import replace
from typing import Any

import discord
import pytest

from bot.ui.items import MALFORMED
from bot.ui.replies import FAILED
from tests.conftest import fail_once

SHIPPED = "pytorch-lr-schedulers"

GOOD = b"""title: Photosynthesis basics
description: How plants make sugar from light
tags: [biology]
cards:
  - id: what-is-photosynthesis
    front: What is photosynthesis?
    back: Plants turning light, water and CO2 into sugar and oxygen.
  - id: where
    front: Where in the cell does photosynthesis happen?
    back: In the chloroplasts.
    level: intermediate
quiz:
  - id: gas
    question: Which gas do plants take in for photosynthesis?
    choices: [Carbon dioxide, Oxygen, Nitrogen, Helium]
    answer: Carbon dioxide
"""

RED_LIST = b"""AUTHOR: Trivia Team
What is the capital of France?:
- Paris
What is the capital of Spain?:
- Madrid
What is the capital of Italy?:
- Rome
Is the sun a star?:
- yes
"""


def broken_deck(problems: int) -> bytes:
    """A deck with exactly `problems` wrong answers (each answer is not among its choices)."""
    items = "".join(
        f"  - id: q{i}\n    question: Question {i}?\n    choices: [a, b]\n    answer: c\n" for i in range(problems)
    )
    return f"title: Broken\nquiz:\n{items}".encode()


async def upload(world: Any, member: Any, filename: str, data: bytes, **options: Any) -> Any:
    ix = await world.emu.slash(member, world.channel, "decks upload", file=(filename, data), **options)
    return await ix.wait_message()


async def stored_rows(world: Any, guild_id: int | None = None) -> list[Any]:
    gid = world.guild.id if guild_id is None else guild_id
    return await world.bot.db.fetchall("SELECT deck_id, title, source_format, source_name, uploaded_by "
                                       "FROM server_decks WHERE guild_id = ?", (gid,))


async def test_list_shows_shipped_decks_with_counts(world: Any) -> None:
    ix = await world.emu.slash(world.alice, world.channel, "decks list")
    message = await ix.wait_message()
    assert message.ephemeral
    text = message.text()
    assert "Learning rate schedulers in PyTorch" in text
    assert f"`{SHIPPED}` · 5 cards · 5 quiz questions · 2 explain prompts" in text


async def test_info_shows_levels_author_and_origin(world: Any) -> None:
    ix = await world.emu.slash(world.alice, world.channel, "decks info", deck=SHIPPED)
    text = (await ix.wait_message()).text()
    assert "Items by level" in text
    assert "beginner" in text and "intermediate" in text
    assert f"Ships with Recall (`{SHIPPED}.yaml`)" in text
    missing = await (await world.emu.slash(world.alice, world.channel, "decks info", deck="nope")).wait_message()
    assert "There is no deck `nope`" in missing.text()


async def test_upload_valid_deck_is_stored_for_this_server_only(world: Any) -> None:
    reply = await upload(world, world.admin, "photosynthesis.yaml", GOOD)
    assert reply.ephemeral
    assert "✅" in reply.content and "2 cards, 1 quiz question" in reply.content
    deck = world.bot.decks.get(world.guild.id, "photosynthesis")
    assert deck is not None and deck.title == "Photosynthesis basics" and deck.source == "upload"
    rows = await stored_rows(world)
    assert [tuple(r) for r in rows] == [("photosynthesis", "Photosynthesis basics", "recall", "photosynthesis.yaml",
                                         world.admin.user.id)]

    listed = await (await world.emu.slash(world.alice, world.channel, "decks list")).wait_message()
    assert "🏫 Photosynthesis basics" in listed.text()
    info = await (await world.emu.slash(world.alice, world.channel, "decks info", deck="photosynthesis")).wait_message()
    assert f"Uploaded to this server by <@{world.admin.user.id}>" in info.text()
    assert "photosynthesis.yaml" in info.text()

    # Another server never sees it: not in its list, not in autocomplete, not by id.
    other = world.emu.add_guild("Other School")
    other_channel = world.emu.add_channel(other, "general")
    other_member = world.emu.add_member(other, "dora")
    await wait_for_guild(world, other.id)
    assert world.bot.decks.get(other.id, "photosynthesis") is None
    other_list = await (await world.emu.slash(other_member, other_channel, "decks list")).wait_message()
    assert "Photosynthesis" not in other_list.text() and "Learning rate schedulers" in other_list.text()
    choices = await world.emu.autocomplete(other_member, other_channel, "decks info", "deck", "photo")
    assert choices == []
    choices = await world.emu.autocomplete(world.alice, world.channel, "decks info", "deck", "photo")
    assert [c["value"] for c in choices] == ["photosynthesis"]

    # And it survives a restart.
    await world.restart_bot()
    assert world.bot.decks.get(world.guild.id, "photosynthesis").title == "Photosynthesis basics"
    assert world.bot.decks.get(other.id, "photosynthesis") is None


async def wait_for_guild(world: Any, guild_id: int) -> None:
    for _ in range(100):
        if world.bot.get_guild(guild_id) is not None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the bot never saw guild {guild_id}")


async def test_invalid_deck_lists_first_20_problems_privately(world: Any) -> None:
    reply = await upload(world, world.admin, "broken.yaml", broken_deck(25))
    assert reply.ephemeral and reply.visible_to == world.admin.user.id
    lines = reply.content.splitlines()
    assert lines[0] == "❌ `broken.yaml` was not added: The deck has 25 problems."
    bullets = [line for line in lines if line.startswith("• ")]
    assert len(bullets) == 20
    assert bullets[0] == '• broken.yaml:6: quiz[0].answer: "c" is not one of the choices'
    assert lines[-1] == "… and 5 more."
    assert await stored_rows(world) == []
    assert world.bot.decks.get(world.guild.id, "broken") is None


async def test_oversized_file_is_refused_without_downloading(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    world.settings = replace(world.settings, max_upload_bytes=2048)
    await world.restart_bot()
    downloads: list[str] = []
    real_read = discord.Attachment.read

    async def counting_read(self: discord.Attachment, **kwargs: Any) -> bytes:
        downloads.append(self.filename)
        return await real_read(self, **kwargs)

    monkeypatch.setattr(discord.Attachment, "read", counting_read)
    reply = await upload(world, world.admin, "huge.yaml", GOOD + b"#" * 3000)
    assert "`huge.yaml` is 3 KB; the limit is 2 KB per file" in reply.content
    assert downloads == []
    assert await stored_rows(world) == []
    ok = await upload(world, world.admin, "small.yaml", GOOD)
    assert "✅" in ok.content and downloads == ["small.yaml"]


async def test_upload_and_remove_need_manage_server(world: Any) -> None:
    reply = await upload(world, world.alice, "photosynthesis.yaml", GOOD)
    assert "You need the **Manage Server** permission" in reply.content
    await upload(world, world.admin, "photosynthesis.yaml", GOOD)
    ix = await world.emu.slash(world.alice, world.channel, "decks remove", deck="photosynthesis")
    assert "Manage Server" in (await ix.wait_message()).content
    assert world.bot.decks.get(world.guild.id, "photosynthesis") is not None


async def test_replacing_a_deck_asks_first(world: Any) -> None:
    await upload(world, world.admin, "photosynthesis.yaml", GOOD)
    changed = GOOD.replace(b"Photosynthesis basics", b"Photosynthesis, revised")

    question = await upload(world, world.admin, "photosynthesis.yaml", changed)
    assert "already used by this server's deck **Photosynthesis basics**" in question.content
    assert [b["label"] for b in question.buttons()] == ["Replace it", "Keep the current deck"]
    keep = await world.emu.click(world.admin, question, label="Keep the current deck")
    kept = await keep.wait_message()
    assert "Kept the current `photosynthesis` deck" in kept.content and kept.buttons() == []
    assert world.bot.decks.get(world.guild.id, "photosynthesis").title == "Photosynthesis basics"

    question = await upload(world, world.admin, "photosynthesis.yaml", changed)
    confirm = await world.emu.click(world.admin, question, label="Replace it")
    done = await confirm.wait_message()
    assert "✅" in done.content and done.buttons() == []
    assert world.bot.decks.get(world.guild.id, "photosynthesis").title == "Photosynthesis, revised"
    assert [r["title"] for r in await stored_rows(world)] == ["Photosynthesis, revised"]


async def test_replacing_a_shipped_deck_and_removing_restores_it(world: Any) -> None:
    question = await upload(world, world.admin, f"{SHIPPED}.yaml", GOOD)
    assert "a deck that ships with Recall" in question.content
    await (await world.emu.click(world.admin, question, label="Replace it")).wait_message()
    assert world.bot.decks.get(world.guild.id, SHIPPED).title == "Photosynthesis basics"

    ix = await world.emu.slash(world.admin, world.channel, "decks remove", deck=SHIPPED)
    removed = (await ix.wait_message()).content
    assert "Removed **Photosynthesis basics**" in removed and "available again" in removed
    assert world.bot.decks.get(world.guild.id, SHIPPED).title == "Learning rate schedulers in PyTorch"
    assert await stored_rows(world) == []

    ix = await world.emu.slash(world.admin, world.channel, "decks remove", deck=SHIPPED)
    assert "ships with Recall and cannot be removed" in (await ix.wait_message()).content


async def test_confirmation_after_a_restart_asks_for_the_file_again(world: Any) -> None:
    await upload(world, world.admin, "photosynthesis.yaml", GOOD)
    question = await upload(world, world.admin, "photosynthesis.yaml", GOOD.replace(b"basics", b"v2"))
    await world.restart_bot()
    ix = await world.emu.click(world.admin, question, label="Replace it")
    assert "no longer waiting" in (await ix.wait_message()).content
    assert world.bot.decks.get(world.guild.id, "photosynthesis").title == "Photosynthesis basics"


async def test_red_trivia_upload_with_format_option(world: Any) -> None:
    reply = await upload(world, world.admin, "capitals.txt", RED_LIST, format="red")
    assert "✅" in reply.content and "4 cards, 4 quiz questions" in reply.content
    deck = world.bot.decks.get(world.guild.id, "capitals")
    sun = next(q for q in deck.quiz if q.question == "Is the sun a star?")
    assert sun.answer == "yes" and set(sun.choices) == {"yes", "no"}
    assert (await stored_rows(world))[0]["source_format"] == "red"


async def test_anki_package_upload(world: Any) -> None:
    from tests.core.test_importers import make_apkg

    reply = await upload(world, world.admin, "Languages.apkg", make_apkg("anki21b"))
    assert "Imported 4 entries" in reply.content and "5 cards" in reply.content
    assert "media: 1 media file in the package and 2 image/sound references in notes left out" in reply.content
    deck = world.bot.decks.get(world.guild.id, "languages")
    assert deck.title == "Languages / Test deck"
    assert (await stored_rows(world))[0]["source_format"] == "anki"


async def test_broken_package_changes_nothing(world: Any) -> None:
    reply = await upload(world, world.admin, "deck.apkg", b"PK\x03\x04 this is not really a zip")
    assert "not a readable zip" in reply.content
    empty = await upload(world, world.admin, "empty.csv", b"")
    assert "empty" in empty.content
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("collection.anki2", b"\x00" * (70 * 1024 * 1024))  # deflates to ~70 KB, unpacks past 64 MB
    bomb = await upload(world, world.admin, "bomb.apkg", buffer.getvalue())
    assert "would unpack to more than" in bomb.content
    assert await stored_rows(world) == []
    assert world.bot.decks.server_decks(world.guild.id) == {}


async def test_list_pages(world: Any) -> None:
    for i in range(9):
        await upload(world, world.admin, f"deck-{i}.yaml", GOOD.replace(b"Photosynthesis basics", f"Deck {i}".encode()))
    first = await (await world.emu.slash(world.alice, world.channel, "decks list")).wait_message()
    assert "Page 1 of 2" in first.text()
    assert [(b["label"], b["disabled"]) for b in first.buttons()] == [("Previous", True), ("Next", False)]
    second = await (await world.emu.click(world.alice, first, label="Next")).wait_message()
    assert "Page 2 of 2" in second.text() and second.id == first.id
    assert [(b["label"], b["disabled"]) for b in second.buttons()] == [("Previous", False), ("Next", True)]
    back = await (await world.emu.click(world.alice, second, label="Previous")).wait_message()
    assert "Page 1 of 2" in back.text()


# --- Failures and forged ids: always a private reply, and the bot keeps serving ---------------------------------------


def forge(message: Any, label: str, custom_id: str) -> None:
    """Change the custom id Discord stored for a button, as a modified client could send any id."""
    from bot.emulator.state import walk_components

    buttons = [c for c in walk_components(message.components) if c.get("type") == 2 and c.get("label") == label]
    assert buttons, f"no {label} button"
    for button in buttons:
        button["custom_id"] = custom_id


async def two_pages(world: Any) -> Any:
    for i in range(9):
        await upload(world, world.admin, f"deck-{i}.yaml", GOOD.replace(b"Photosynthesis basics", f"Deck {i}".encode()))
    return await (await world.emu.slash(world.alice, world.channel, "decks list")).wait_message()


async def test_a_failure_while_paging_answers_privately_and_the_next_click_works(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await two_pages(world)
    service = world.bot.services.decks
    monkeypatch.setattr(service, "listing", fail_once(service.listing))
    failed = await (await world.emu.click(world.alice, first, label="Next")).wait_message()
    assert failed.ephemeral and failed.visible_to == world.alice.user.id and failed.text() == FAILED
    assert "Page 1 of 2" in first.text()  # unchanged

    second = await (await world.emu.click(world.alice, first, label="Next")).wait_message()
    assert second.id == first.id and "Page 2 of 2" in second.text()
    assert world.emu.failed_interactions == []


async def test_a_failure_while_replacing_answers_privately_and_the_next_click_works(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await upload(world, world.admin, "photosynthesis.yaml", GOOD)
    question = await upload(world, world.admin, "photosynthesis.yaml", GOOD.replace(b"basics", b"v2"))
    service = world.bot.services.decks
    monkeypatch.setattr(service, "decide", fail_once(service.decide))
    failed = await (await world.emu.click(world.admin, question, label="Replace it")).wait_message()
    assert failed.ephemeral and failed.visible_to == world.admin.user.id and failed.text() == FAILED
    assert world.bot.decks.get(world.guild.id, "photosynthesis").title == "Photosynthesis basics"

    done = await (await world.emu.click(world.admin, question, label="Replace it")).wait_message()
    assert "✅" in done.content and done.buttons() == []
    assert world.bot.decks.get(world.guild.id, "photosynthesis").title == "Photosynthesis v2"
    assert world.emu.failed_interactions == []


async def test_forged_deck_ids_are_refused_privately(world: Any) -> None:
    first = await two_pages(world)
    for custom_id in ("decks:page:-1:n", "decks:page:9999999999:n", "decks:page:1:x", "decks:page:1",
                      "decks:page:1:n:extra", "decks:page"):
        forge(first, "Next", custom_id)
        note = await (await world.emu.click(world.alice, first, label="Next")).wait_message()
        assert note.ephemeral and note.visible_to == world.alice.user.id and note.text() == MALFORMED, custom_id
    assert "Page 1 of 2" in first.text()

    await upload(world, world.admin, "photosynthesis.yaml", GOOD)
    question = await upload(world, world.admin, "photosynthesis.yaml", GOOD.replace(b"basics", b"v2"))
    genuine = question.buttons()[0]["custom_id"]
    for custom_id in ("decks:replace:zz:yes", f"{genuine[:-4]}:maybe", "decks:replace:" + "F" * 16 + ":yes",
                      "decks:replace"):
        forge(question, "Replace it", custom_id)
        note = await (await world.emu.click(world.admin, question, label="Replace it")).wait_message()
        assert note.ephemeral and note.text() == MALFORMED, custom_id
    assert world.bot.decks.get(world.guild.id, "photosynthesis").title == "Photosynthesis basics"

    # The genuine ids still work afterwards.
    forge(first, "Next", "decks:page:1:n")
    assert "Page 2 of 2" in (await (await world.emu.click(world.alice, first, label="Next")).wait_message()).text()
    forge(question, "Replace it", genuine)
    assert "✅" in (await (await world.emu.click(world.admin, question, label="Replace it")).wait_message()).content
    assert world.emu.failed_interactions == []


async def test_a_replace_confirmed_after_losing_manage_server_is_refused_and_keeps_waiting(world: Any) -> None:
    await upload(world, world.admin, "photosynthesis.yaml", GOOD)
    question = await upload(world, world.admin, "photosynthesis.yaml", GOOD.replace(b"basics", b"v2"))
    world.emu.set_channel_permissions(world.channel, world.admin, deny=["manage_guild"])
    for label in ("Replace it", "Keep the current deck"):
        note = await (await world.emu.click(world.admin, question, label=label)).wait_message()
        assert note.ephemeral and "You need the **Manage Server** permission" in note.text(), label
    assert world.bot.decks.get(world.guild.id, "photosynthesis").title == "Photosynthesis basics"
    world.emu.set_channel_permissions(world.channel, world.admin)  # given back: the upload still waits
    done = await (await world.emu.click(world.admin, question, label="Replace it")).wait_message()
    assert "✅" in done.content
    assert world.bot.decks.get(world.guild.id, "photosynthesis").title == "Photosynthesis v2"


async def test_a_replace_token_used_from_another_server_is_refused(world: Any) -> None:
    await upload(world, world.admin, "photosynthesis.yaml", GOOD)
    question = await upload(world, world.admin, "photosynthesis.yaml", GOOD.replace(b"basics", b"v2"))
    genuine = question.buttons()[0]["custom_id"]
    # The same admin manages a second server; a question asked there carries this server's token instead.
    other = world.emu.add_guild("Other Hall")
    room = world.emu.add_channel(other, "general")
    world.emu.add_member(other, "teacher", manage_guild=True, user=world.admin.user)
    asked = await (await world.emu.slash(world.admin, room, "decks upload",
                                         file=(f"{SHIPPED}.yaml", GOOD))).wait_message()
    forge(asked, "Replace it", genuine)
    note = await (await world.emu.click(world.admin, asked, label="Replace it")).wait_message()
    assert note.ephemeral and "another server" in note.text()
    assert world.bot.decks.get(world.guild.id, "photosynthesis").title == "Photosynthesis basics"
    assert world.bot.decks.get(other.id, "photosynthesis") is None
    done = await (await world.emu.click(world.admin, question, label="Replace it")).wait_message()
    assert "✅" in done.content  # still waiting for its own server


# --- Uploads are read in a limited worker process: one slow file never stalls another server -------------------------


def slow_worker(world: Any) -> None:
    """Every upload now reads like a pathological file: busy until the worker's 1 s CPU limit stops it."""
    from bot.import_worker import WorkerLimits

    service = world.bot.services.decks
    service.importer = "tests.test_import_worker:spin"
    service.worker = WorkerLimits(cpu_seconds=1, memory_mb=256)


async def test_an_upload_that_takes_too_long_is_refused_while_other_servers_study(world: Any) -> None:
    slow_worker(world)
    other = world.emu.add_guild("Other School")
    other_channel = world.emu.add_channel(other, "general")
    student = world.emu.add_member(other, "dora")
    await wait_for_guild(world, other.id)

    async def study_meanwhile() -> list[Any]:
        """Dora studies in the other server while the upload is read: Reveal, Good, Reveal, … ."""
        answered = []
        message = await (await world.emu.slash(student, other_channel, "study", deck=SHIPPED)).wait_message(timeout=5)
        answered.append(message)
        while len(answered) < 6:
            label = "Reveal" if any(b["label"] == "Reveal" for b in message.buttons()) else "Good"
            button = next(b for b in message.buttons() if (b["label"] or "").startswith(label))
            ix = await world.emu.click(student, message, custom_id=button["custom_id"])
            message = await ix.wait_message(timeout=5)  # answered promptly, never stuck behind the import
            answered.append(message)
        return answered

    upload_task = asyncio.create_task(upload(world, world.admin, "slow.txt", b"front\tback\n" * 10))
    await asyncio.sleep(0.3)  # the worker is reading it
    assert not upload_task.done()
    studied = await study_meanwhile()
    assert not upload_task.done()  # all of Dora's answers came while the file was still being read
    assert len(studied) == 6 and studied[-1].embeds

    reply = await asyncio.wait_for(upload_task, 30)
    assert reply.ephemeral and reply.visible_to == world.admin.user.id
    assert reply.content.startswith("❌ `slow.txt` was not added: `slow.txt` took too long to read (over 1 s)")
    assert await stored_rows(world) == []
    assert world.emu.failed_interactions == []


async def test_a_second_upload_in_the_same_server_is_refused_while_the_first_is_read(world: Any) -> None:
    slow_worker(world)
    first = asyncio.create_task(upload(world, world.admin, "slow.txt", b"front\tback\n"))
    await asyncio.sleep(0.3)
    second = await upload(world, world.admin, "photosynthesis.yaml", GOOD)
    assert second.ephemeral and second.visible_to == world.admin.user.id
    assert "Another upload is being read for this server; try again when it finishes." in second.content
    assert "took too long" in (await asyncio.wait_for(first, 30)).content

    world.bot.services.decks.importer = None  # the real importer again: the next upload goes through
    assert "✅" in (await upload(world, world.admin, "photosynthesis.yaml", GOOD)).content
    assert world.emu.failed_interactions == []
