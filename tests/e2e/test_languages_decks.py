"""/decks in the member's language, end to end: every text of the list, a deck's details, uploads (good, replacing,
refused), removal and export goes through the catalogs. The deck files' own diagnostics stay as the importers wrote
them, and deck content (titles, ids, tags, descriptions) is never translated."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.core.decks import parse_deck
from bot.core.exporting import EXPORT_FORMATS
from bot.core.importers import FORMATS
from bot.core.importers.common import ImportResult
from bot.services.decks import SERVER_SOURCE, size_text
from bot.ui.decks import FORMAT_NAMES, import_summary
from bot.ui.export import EXPORT_FORMAT_NAMES
from tests.e2e.test_decks import GOOD, SHIPPED, broken_deck, upload
from tests.pseudo import leftovers
from tests.pseudo import pseudo as pseudo_text

# A Red trivia list with one question that cannot become an item: the summary lists it as skipped.
CAPITALS = b"""What is the capital of France?:
- Paris
What is the capital of Spain?:
- Madrid
Empty question?:
What is 2+2?:
- 4
"""


def deck_texts(world: Any, *deck_ids: str) -> list[str]:
    """What members see of these decks' content (ids, titles, descriptions, tags), as the server has them now."""
    texts = []
    for deck_id in deck_ids:
        deck = world.bot.decks.get(world.guild.id, deck_id)
        if deck is not None:
            texts += [deck.id, deck.title, deck.description, *deck.tags]
    return texts


async def ask(world: Any, member: Any, command: str, **options: Any) -> Any:
    return await (await world.emu.slash(member, world.channel, command, **options)).wait_message()


async def click(world: Any, member: Any, message: Any, prefix: str, suffix: str = "") -> Any:
    button = next(b for b in message.buttons() if b["custom_id"].startswith(prefix) and b["custom_id"].endswith(suffix))
    return await (await world.emu.click(member, message, custom_id=button["custom_id"])).wait_message()


def assert_translated(message: Any, allowed: list[str] = ()) -> None:
    assert leftovers(message.text(), allowed) == "", message.text()


async def test_decks_list_info_and_export_in_the_members_language(world: Any, pseudo: Any) -> None:
    # Enough of the server's own decks for two pages (straight into the library: their upload is tested below).
    titles = [f"Deck {i}" for i in range(9)]
    for i, title in enumerate(titles):
        world.bot.decks.set_server_deck(world.guild.id, parse_deck(
            GOOD.decode().replace("Photosynthesis basics", title), deck_id=f"deck-{i}", source=SERVER_SOURCE))
    allowed = [world.guild.name, *deck_texts(world, SHIPPED, *(f"deck-{i}" for i in range(9)))]

    first = await ask(world, world.alice, "decks list")
    assert_translated(first, allowed)
    assert [b["label"] for b in first.buttons()] == [pseudo_text("Previous"), pseudo_text("Next")]
    await click(world, world.alice, first, "decks:page:1:n")
    await click(world, world.alice, first, "decks:page:0:p")

    for deck in (SHIPPED, "deck-0", "nope"):
        await ask(world, world.alice, "decks info", deck=deck)

    for fmt in EXPORT_FORMATS:
        exported = await ask(world, world.alice, "decks export", deck=SHIPPED, format=fmt)
        assert exported.attachments and exported.ephemeral
    posted = await ask(world, world.bob, "decks export", deck=SHIPPED, format="csv", public=True)
    assert not posted.ephemeral and posted.attachments
    await ask(world, world.alice, "decks export", deck="nope", format="csv")

    pseudo.check(allowed=allowed)


async def test_uploads_replacing_and_removing_in_the_members_language(world: Any, pseudo: Any) -> None:
    admin = world.admin
    allowed = deck_texts(world, SHIPPED)
    added = await upload(world, admin, "photosynthesis.yaml", GOOD)
    assert added.ephemeral and "✅" in added.content
    allowed += deck_texts(world, "photosynthesis")

    # A question that cannot become an item: its reason is the importer's, shown verbatim.
    skipped = await upload(world, admin, "capitals.txt", CAPITALS, format="red")
    diagnostics = ["Empty question?: it has no answers"]
    assert diagnostics[0] in skipped.content
    allowed += [*diagnostics, *deck_texts(world, "capitals")]
    assert_translated(skipped, allowed)

    # Replacing the server's own deck: kept, then replaced; then a shipped deck's id, and a restart in between.
    changed = GOOD.replace(b"Photosynthesis basics", b"Photosynthesis, revised")
    question = await upload(world, admin, "photosynthesis.yaml", changed)
    assert [b["label"] for b in question.buttons()] == [pseudo_text("Replace it"), pseudo_text("Keep the current deck")]
    await click(world, admin, question, "decks:replace:", ":no")
    question = await upload(world, admin, "photosynthesis.yaml", changed)
    await click(world, admin, question, "decks:replace:", ":yes")
    allowed += deck_texts(world, "photosynthesis")
    shipped_question = await upload(world, admin, f"{SHIPPED}.yaml", GOOD)
    await world.restart_bot()
    expired = await click(world, admin, shipped_question, "decks:replace:", ":yes")
    assert expired.content == pseudo_text("This upload is no longer waiting (it is over 15 minutes old, or Recall "
                                     "restarted). Upload the file again.")
    shipped_question = await upload(world, admin, f"{SHIPPED}.yaml", GOOD)
    await click(world, admin, shipped_question, "decks:replace:", ":yes")
    await ask(world, admin, "decks info", deck=SHIPPED)  # an uploaded deck's origin

    # Removing: the server's own deck (the shipped one comes back), then a shipped deck, which cannot be.
    await ask(world, admin, "decks remove", deck=SHIPPED)
    await ask(world, admin, "decks remove", deck=SHIPPED)

    # Refusals: a broken file (its problems verbatim), a file over the limit, a member without Manage Server.
    broken = await upload(world, admin, "broken.yaml", broken_deck(25))
    problems = [line[2:] for line in broken.content.splitlines() if line.startswith("• ")]
    assert len(problems) == 20
    service = world.bot.services.decks
    service.settings = replace(service.settings, max_upload_bytes=2048)
    too_large = await upload(world, admin, "huge.yaml", GOOD + b"#" * 3000)
    assert "`huge.yaml`" in too_large.content
    await upload(world, world.alice, "photosynthesis.yaml", GOOD)

    pseudo.check(allowed=[*allowed, *problems, "The deck has 25 problems."])


def test_format_names_follow_the_formats_they_translate() -> None:
    # Members read these instead of the importers' and exporters' own tables: same formats, same English.
    assert FORMAT_NAMES == FORMATS
    assert EXPORT_FORMAT_NAMES == EXPORT_FORMATS


def test_the_import_summary_keeps_its_english() -> None:
    deck = parse_deck(GOOD.decode(), deck_id="photosynthesis", source=SERVER_SOURCE)
    for skipped in ([], [("line 3", "it has no answers")], [(f"line {i}", "no answers") for i in range(12)]):
        result = ImportResult(deck, 3 + len(skipped), skipped, "recall")
        assert import_summary(result) == result.summary()
    assert [size_text(size) for size in (900, 1, 5 * 1024, 1536, 2 * 1024 * 1024)] == [
        "900 bytes", "1 byte", "5 KB", "2 KB", "2.0 MB"]
