"""/leaderboard, /stats, /settings and the leaderboard reset in the pseudo-language (tests/pseudo.py), end to end:
every board and window, paging, empty boards, stats with and without activity, the settings' confirmations and
refusals, and the admin's reset prompt all went through the catalogs. Also: the heatmap's names follow the language
and are drawn without boxes."""
from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from PIL import Image

from bot.core import heatmap, translation
from bot.services.progress import heatmap_labels
from tests.e2e.test_progress import DECK, give_points, seed_many, who
from tests.pseudo import PSEUDO_LOCALE
from tests.pseudo import pseudo as pseudo_text

SEEDED = [f"member{rank:02d}" for rank in range(1, 24)]


def names(world: Any) -> list[str]:
    return [who(m) for m in (world.alice, world.bob, world.carol, world.admin)] + ["alice", "bob", "carol"]


async def answer(world: Any, runner: Any, command: str, /, **options: Any) -> Any:
    return await (await world.emu.slash(runner, world.channel, command, **options)).wait_message()


async def test_every_board_window_page_and_empty_board(world: Any, pseudo: Any) -> None:
    await seed_many(world)
    for days_ago in (1, 0):
        await give_points(world, world.guild.id, world.bob.user.id, "bob", 100, minutes_ago=60 * 24 * days_ago)

    board = await answer(world, world.alice, "leaderboard")
    assert not board.ephemeral and board.embeds[0]["title"].startswith("🏆 " + pseudo_text("Quiz points"))
    # Anyone turns the page, forth and back: the public board keeps the server's language, whatever the clicker's.
    world.bob.user.locale = "en-US"
    for button in (1, 0):
        await (await world.emu.click(world.bob, board, custom_id=board.buttons()[button]["custom_id"])).wait_message()
    world.bob.user.locale = PSEUDO_LOCALE
    assert pseudo_text("this week") in board.embeds[0]["title"]

    for period in ("today", "week", "month", "all"):
        await answer(world, world.carol, "leaderboard", period=period)
    for board_name in ("streak", "reviews", "accuracy"):
        await answer(world, world.carol, "leaderboard", board=board_name)  # reviews: empty; accuracy: not ranked
    for board_name in ("points", "reviews", "accuracy"):  # points: a full board; reviews, accuracy: empty ones
        await answer(world, world.carol, "leaderboard", board=board_name, deck=DECK)

    await answer(world, world.bob, "settings hide-streak", hidden=True)
    hidden = await answer(world, world.bob, "leaderboard", board="streak")
    assert "/settings hide-streak" in hidden.text()
    refused = await answer(world, world.bob, "leaderboard", deck="no-such-deck")
    assert refused.ephemeral

    prompt = await answer(world, world.admin, "recall-admin reset-leaderboard")
    await (await world.emu.click(world.admin, prompt, label=pseudo_text("Reset the leaderboard"))).wait_message()
    after = await answer(world, world.carol, "leaderboard", period="all")  # "since the last reset"
    assert pseudo_text("since the last reset") in after.embeds[0]["footer"]["text"]
    emptied = await answer(world, world.carol, "leaderboard", deck=DECK)
    assert f"`/quiz deck:{DECK}`" in emptied.text()

    pseudo.check(allowed=names(world) + SEEDED + [DECK, "no-such-deck"])
    assert not world.emu.failed_interactions


async def test_stats_with_and_without_activity(world: Any, pseudo: Any) -> None:
    for days_ago in (1, 0):
        await give_points(world, world.guild.id, world.alice.user.id, "alice", 600, minutes_ago=60 * 24 * days_ago)
    mine = await answer(world, world.alice, "stats")
    assert pseudo_text("Streak") in [field["name"] for field in mine.embeds[0]["fields"]]
    await answer(world, world.bob, "stats")  # nothing done yet
    shown = await answer(world, world.bob, "stats", member=world.alice, public=True)
    assert not shown.ephemeral

    # A refusal is private: in the member's language even when the stats were asked for everyone.
    helper = world.emu.add_member(world.guild, "helperbot", bot=True)
    world.guild.locale = "en-US"
    refused = await answer(world, world.alice, "stats", member=helper, public=True)
    world.guild.locale = PSEUDO_LOCALE
    assert refused.ephemeral and refused.text() == pseudo_text("Bots don't study, so they have no stats.")

    pseudo.check(allowed=names(world) + ["UTC"])


async def test_settings_and_the_reset_prompt(world: Any, pseudo: Any) -> None:
    choices = await world.emu.autocomplete(world.alice, world.channel, "settings timezone", "zone", "")
    assert choices[0] == {"name": pseudo_text("Use the server's timezone"), "value": "server"}

    zone = await answer(world, world.alice, "settings timezone", zone="Europe/Berlin")
    assert zone.ephemeral and "Europe/Berlin" in zone.text()
    await answer(world, world.alice, "settings timezone", zone="Mars/Olympus")
    await answer(world, world.alice, "settings timezone", zone="server")
    for hidden in (True, False):
        await answer(world, world.alice, "settings hide-streak", hidden=hidden)

    await give_points(world, world.guild.id, world.bob.user.id, "bob", 100)
    await answer(world, world.admin, "recall-admin timezone", zone="Asia/Tokyo")
    for count in (1, 3):
        await answer(world, world.admin, "recall-admin daily-minimum", count=count)
    await answer(world, world.admin, "recall-admin new-cards", count=1500 // 3)
    await answer(world, world.admin, "recall-admin retention", value=0.85)

    prompt = await answer(world, world.admin, "recall-admin reset-leaderboard")
    await (await world.emu.click(world.admin, prompt, label=pseudo_text("Cancel"))).wait_message()
    assert prompt.text() == pseudo_text("Nothing was reset.")
    prompt = await answer(world, world.admin, "recall-admin reset-leaderboard")
    await (await world.emu.click(world.admin, prompt, label=pseudo_text("Reset the leaderboard"))).wait_message()
    assert prompt.buttons() == []
    again = await answer(world, world.admin, "recall-admin reset-leaderboard")  # "they count from … now"
    assert "<t:" in again.text()

    pseudo.check(allowed=names(world) + ["Europe/Berlin", "Asia/Tokyo", "UTC", "Mars/Olympus"])
    assert not world.emu.failed_interactions


# --- The heatmap's names -----------------------------------------------------------------------------------------


def label_strip(png: bytes) -> bytes:
    """The pixels of the weekday and month labels (the margins above and left of the cells)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    top = image.crop((0, 0, heatmap.WIDTH, heatmap.TOP)).tobytes()
    left = image.crop((0, 0, heatmap.LEFT, heatmap.HEIGHT)).tobytes()
    return top + left


@pytest.mark.parametrize("language", ["de", "es", "fr", "pt_BR", "ja"])
def test_heatmap_names_follow_the_language_without_boxes(language: str) -> None:
    with translation.speaking(language):
        labels = heatmap_labels()
    assert labels != heatmap.ENGLISH
    font = heatmap.font_for([*labels.weekdays, *labels.months])
    drawn = heatmap.drawable_names(labels.weekdays, font) + heatmap.drawable_names(labels.months, font)
    assert all(heatmap.drawable(name, font) for name in drawn)
    today = date(2025, 6, 11)
    assert label_strip(heatmap.render({}, today, labels)) != label_strip(heatmap.render({}, today))


def test_heatmap_names_use_an_installed_font_that_has_their_letters(monkeypatch: pytest.MonkeyPatch) -> None:
    japanese = ["6月", "7月"]
    installed = [name for name in heatmap.SYSTEM_FONTS if heatmap.drawable("".join(japanese), name)]
    if not installed:
        pytest.skip(f"none of {heatmap.SYSTEM_FONTS} with Japanese letters is installed")
    assert heatmap.font_for(japanese) == installed[0]
    assert heatmap.drawable_names(japanese, installed[0]) == japanese
    monkeypatch.setattr(heatmap, "SYSTEM_FONTS", ())  # a machine without them: numbers, never boxes
    assert heatmap.font_for(japanese) == heatmap.DEFAULT_FONT
    assert heatmap.drawable_names(japanese, heatmap.font_for(japanese)) == ["1", "2"]


def test_heatmap_names_the_default_font_cannot_draw_fall_back() -> None:
    assert heatmap.drawable("Mon") and not heatmap.drawable("月")
    assert heatmap.drawable_names(["6月", "7月"]) == ["1", "2"]
    assert heatmap.drawable_names(["Mo.", "Mi."]) == ["Mo.", "Mi."]
    accented = heatmap.drawable_names(["févr.", "mars"])
    assert accented == (["févr.", "mars"] if heatmap.drawable("é") else ["fevr.", "mars"])
    assert heatmap_labels() == heatmap.ENGLISH
