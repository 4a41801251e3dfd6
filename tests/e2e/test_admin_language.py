"""/recall-admin language end to end: what everyone in a server sees follows Discord's server language until an admin
chooses one, the choice is stored (a restart keeps it), only Manage Server may make it, and the status names it.

Members and the server speak the pseudo-language (the `pseudo` fixture), so a public reply shows which language it
was written in: ⟦markers⟧ for the pseudo-language, none for English."""
from __future__ import annotations

from typing import Any

import pytest

from bot.emulator import CommandNotAvailable
from bot.emulator import driver as emulator_driver
from bot.store.guilds import get_guild_settings
from tests.pseudo import OPEN, leftovers

FOLLOW_DISCORD = "discord"


def plain(text: str) -> str:
    """`text` without the pseudo-language's fences around filled placeholders (‹English›)."""
    return text.replace("‹", "").replace("›", "")


async def run(world: Any, member: Any, command: str, **options: Any) -> Any:
    ix = await world.emu.slash(member, world.channel, command, **options)
    return await ix.wait_message()


async def board_text(world: Any) -> str:
    message = await run(world, world.bob, "leaderboard")
    assert not message.ephemeral  # a public reply: the server's language
    return message.text()


async def stored(world: Any) -> str | None:
    return (await get_guild_settings(world.bot.db, world.guild.id)).language


async def test_public_replies_follow_the_admins_choice_then_discord_again(world: Any, pseudo: Any) -> None:
    assert await stored(world) is None
    assert OPEN in await board_text(world)  # Discord's server language: the pseudo one

    reply = await run(world, world.admin, "recall-admin language", language="en")
    assert reply.ephemeral and reply.visible_to == world.admin.user.id
    assert OPEN in reply.text() and leftovers(reply.text(), ["English"]) == ""  # private: the admin's language
    assert "**English**" in plain(reply.text())
    assert await stored(world) == "en"
    english = await board_text(world)
    assert OPEN not in english, english  # members and the server speak pseudo, the admin chose English

    await world.restart_bot()  # stored, not remembered
    assert OPEN not in await board_text(world)

    reply = await run(world, world.admin, "recall-admin language", language=FOLLOW_DISCORD)
    assert reply.ephemeral and OPEN in reply.text()
    assert await stored(world) is None
    assert OPEN in await board_text(world)
    await world.restart_bot()
    assert OPEN in await board_text(world)


async def test_the_status_names_the_current_choice_and_where_it_comes_from(world: Any, pseudo: Any) -> None:
    status = await run(world, world.admin, "recall-admin language")
    # The pseudo-language's code: Discord's server language.
    assert status.ephemeral and "**qps**" in plain(status.text())
    assert "Deutsch" not in plain(status.text())

    await run(world, world.admin, "recall-admin language", language="de")
    status = await run(world, world.admin, "recall-admin language")
    assert "**Deutsch**" in plain(status.text()) and OPEN in status.text()
    assert leftovers(status.text(), ["Deutsch"]) == ""
    assert await stored(world) == "de"

    await run(world, world.admin, "recall-admin language", language=FOLLOW_DISCORD)
    world.guild.locale = "ko"  # a language Recall has no catalog for
    status = await run(world, world.admin, "recall-admin language")
    assert "**English**" in plain(status.text()) and "(ko)" in plain(status.text())


async def test_the_status_in_english(world: Any) -> None:
    status = await run(world, world.admin, "recall-admin language")
    assert status.text().startswith("What everyone in this server sees is in **English**: Discord's server language.")
    reply = await run(world, world.admin, "recall-admin language", language="fr")
    assert reply.text().startswith("Done: what everyone in this server sees is now in **Français**.")
    status = await run(world, world.admin, "recall-admin language")
    assert status.text().startswith("What everyone in this server sees is in **Français**, chosen by an admin.")
    world.guild.locale = "ko"
    reply = await run(world, world.admin, "recall-admin language", language=FOLLOW_DISCORD)
    assert reply.text().startswith("Done: what everyone in this server sees follows Discord's server language "
                                   "again. Recall has no translation for it (ko), so it is in **English**.")


async def test_members_without_manage_server_cannot_choose(world: Any, pseudo: Any, monkeypatch: Any) -> None:
    with pytest.raises(CommandNotAvailable):  # Discord hides it by the default permissions
        await world.emu.slash(world.alice, world.channel, "recall-admin language", language="en")
    monkeypatch.setattr(emulator_driver, "check_member_can_use", lambda *args: None)  # a server granted it
    for options in ({"language": "en"}, {}):
        refused = await run(world, world.alice, "recall-admin language", **options)
        assert refused.ephemeral and OPEN in refused.text() and leftovers(refused.text()) == ""
    assert await stored(world) is None
    assert OPEN in await board_text(world)
