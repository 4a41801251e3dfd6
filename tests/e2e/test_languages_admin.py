"""/recall-admin in the pseudo-language (tests/pseudo.py): every subcommand of the admin cog with and without values,
its refusals, the recommended-retention button, the memory model's Fit now and Roll back with their progress and
results, and the Memory field of /stats all went through the catalogs."""
from __future__ import annotations

from typing import Any

import pytest

from bot.core import translation
from bot.core.memory import SERVER_SCOPE
from bot.emulator import driver as emulator_driver
from bot.store import memory as memory_store
from bot.store.guilds import get_guild_settings
from bot.ui.memory import reason_text
from tests.e2e.test_memory import MIN_REVIEWS, NEVER, study_history, until
from tests.pseudo import OPEN, leftovers, pseudo as pseudo_text

ZONES = ["America/New_York", "Atlantis/Capital"]


def plain(text: str) -> str:
    """`text` without the pseudo-language's fences around filled placeholders (‹1›/‹2›)."""
    return text.replace("‹", "").replace("›", "")


async def run(world: Any, member: Any, command: str, **options: Any) -> Any:
    ix = await world.emu.slash(member, world.channel, command, **options)
    return await ix.wait_message(timeout=60)  # the retention recommendation simulates a year: seconds when busy


def button(message: Any, prefix: str) -> str:
    return next(b["custom_id"] for b in message.buttons() if b["custom_id"].startswith(prefix))


def allowed(world: Any) -> list[str]:
    # The server's name (in the memory model's title), timezone names, and languages named in themselves or by
    # their codes.
    return [world.guild.name, *ZONES, "qps", "ko", "Deutsch", "English", "Alice", "Bob", "Carol", "Teacher"]


async def test_the_settings_subcommands_speak_the_admins_language(world: Any, pseudo: Any, monkeypatch: Any) -> None:
    assert OPEN in (await run(world, world.admin, "recall-admin timezone", zone="America/New_York")).text()
    await run(world, world.admin, "recall-admin timezone", zone="Atlantis/Capital")
    await run(world, world.admin, "recall-admin daily-minimum", count=3)
    await run(world, world.admin, "recall-admin daily-minimum", count=1)
    await run(world, world.admin, "recall-admin new-cards", count=5)
    await run(world, world.admin, "recall-admin new-cards", count=0)
    await run(world, world.admin, "recall-admin retention", value=0.85)

    advice = await run(world, world.admin, "recall-admin retention")
    use = await (await world.emu.click(world.admin, advice, custom_id=button(advice, "memory:retention"))).wait_ack()
    assert use and advice.buttons() == []
    assert (await get_guild_settings(world.bot.db, world.guild.id)).desired_retention != 0.85

    prompt = await run(world, world.admin, "recall-admin reset-leaderboard")
    await (await world.emu.click(world.admin, prompt, label=pseudo_text("Cancel"))).wait_ack()
    prompt = await run(world, world.admin, "recall-admin reset-leaderboard")
    await (await world.emu.click(world.admin, prompt, label=pseudo_text("Reset the leaderboard"))).wait_ack()
    assert prompt.buttons() == []
    prompt = await run(world, world.admin, "recall-admin reset-leaderboard")  # now with the last reset's date

    await run(world, world.admin, "recall-admin language")
    await run(world, world.admin, "recall-admin language", language="de")
    await run(world, world.admin, "recall-admin language")
    await run(world, world.admin, "recall-admin language", language="discord")
    world.guild.locale = "ko"  # Discord's server language has no catalog: English, and why
    await run(world, world.admin, "recall-admin language")
    await run(world, world.admin, "recall-admin language", language="discord")
    world.guild.locale = "en-US"
    await run(world, world.admin, "recall-admin language", language="discord")

    # Refusals: a server granted the command to everyone, the bot still checks; a button after losing the right.
    monkeypatch.setattr(emulator_driver, "check_member_can_use", lambda *args: None)
    await run(world, world.alice, "recall-admin new-cards", count=5)
    prompt = await run(world, world.admin, "recall-admin reset-leaderboard")
    advice = await run(world, world.admin, "recall-admin retention")
    world.emu.set_channel_permissions(world.channel, world.admin, deny=["manage_guild"])
    await (await world.emu.click(world.admin, prompt, label=pseudo_text("Reset the leaderboard"))).wait_message()
    await (await world.emu.click(world.admin, advice, custom_id=button(advice, "memory:retention"))).wait_message()
    pseudo.check(allowed=allowed(world))


async def test_the_memory_model_and_its_buttons_speak_the_admins_language(world: Any, pseudo: Any) -> None:
    service = world.bot.services.memory
    service.min_member_reviews, service.min_server_reviews = MIN_REVIEWS, NEVER
    await study_history(world, world.bob.user.id, cards=60, days=60, seed=3)
    await study_history(world, world.carol.user.id, cards=8, days=3, seed=4)

    message = await run(world, world.admin, "recall-admin memory-model")
    assert OPEN in message.text()
    back = await world.emu.click(world.admin, message, custom_id=button(message, "memory:back"))
    nothing = await back.wait_message()
    assert nothing.ephemeral and leftovers(nothing.text()) == ""

    ix = await world.emu.click(world.admin, message, custom_id=button(message, "memory:fit"))
    await ix.wait_ack()
    await until(lambda: message.buttons() != [] and len(message.embeds[0]["fields"]) == 5, "the fit's result")
    steps = [body for body in pseudo.bodies
             if any("1/" in plain(embed.get("description") or "") for embed in body["embeds"] or [])]
    assert steps, "no progress step was shown"

    service.min_server_reviews = MIN_REVIEWS
    await service.fit_server(world.guild.id)
    assert (await memory_store.models(world.bot.db, world.guild.id))[SERVER_SCOPE].parameters is not None
    ix = await world.emu.click(world.admin, message, custom_id=button(message, "memory:back"))
    await ix.wait_ack()
    await until(lambda: message.buttons() != [] and OPEN + "↩️" in message.text(), "the rollback note")
    await run(world, world.admin, "recall-admin memory-model")  # the fit log with adopted and kept sets

    for member in (world.alice, world.bob, world.carol):  # defaults, his own set, the server's
        await run(world, member, "stats")

    world.emu.set_channel_permissions(world.channel, world.admin, deny=["manage_guild"])
    for prefix in ("memory:fit", "memory:back"):
        await (await world.emu.click(world.admin, message, custom_id=button(message, prefix))).wait_message()
    pseudo.check(allowed=allowed(world))


def test_every_reason_a_fit_is_logged_with_is_translated(pseudo: Any) -> None:
    reasons = ["better on the latest reviews", "too few reviews spaced a day or more apart",
               "the fitted parameters did not predict the latest reviews better", "rolled back to the previous set",
               "120 reviews; 400 needed", "1 reviews; 400 needed"]
    with translation.speaking("qps"):
        for reason in reasons:
            assert leftovers(reason_text(reason)) == "", reason
    assert reason_text("120 reviews; 400 needed") == "120 reviews; 400 needed"
    assert reason_text("1 reviews; 400 needed") == "1 review; 400 needed"
    assert reason_text("a reason of an older version") == "a reason of an older version"
