"""LanguageService against a real migrated database: no choice by default (Discord's server language, else English),
an admin's choice stored and forgotten again, unknown languages refused, and the per-process copy kept in step."""
from __future__ import annotations

import pytest

from bot.core.errors import RecallError
from bot.core.translation import ENGLISH
from bot.services.languages import LanguageService
from bot.store.guilds import get_guild_settings, update_guild_settings

G, G2 = 111, 222


async def test_no_choice_follows_discords_server_language(db):
    service = LanguageService(db)
    assert await service.chosen(G) is None
    assert await service.of_server(G, "de") == "de"
    assert await service.of_server(G, "es-419") == "es"
    assert await service.of_server(G, "ko") == ENGLISH  # no catalog for it
    assert await service.of_server(G, None) == ENGLISH
    assert await service.of_server(None, "fr") == ENGLISH  # outside a server
    assert (await get_guild_settings(db, G)).language is None


async def test_choose_then_follow_discord_again(db):
    service = LanguageService(db)
    await service.choose(G, "ja")
    assert await service.chosen(G) == "ja"
    assert await service.of_server(G, "de") == "ja"  # the admin's choice wins over Discord's
    assert await service.chosen(G2) is None  # per server
    assert (await get_guild_settings(db, G)).language == "ja"
    assert await LanguageService(db).chosen(G) == "ja"  # stored: another process (or a restart) reads it

    await service.choose(G, ENGLISH)
    assert await service.of_server(G, "de") == ENGLISH

    await service.choose(G, None)
    assert await service.chosen(G) is None
    assert await service.of_server(G, "de") == "de"
    assert (await get_guild_settings(db, G)).language is None
    assert await LanguageService(db).chosen(G) is None


async def test_an_unknown_language_is_refused_and_nothing_changes(db):
    service = LanguageService(db)
    await service.choose(G, "fr")
    for unknown in ("xx", "de-DE", "pt-BR", ""):
        with pytest.raises(RecallError):
            await service.choose(G, unknown)
    assert await service.chosen(G) == "fr"
    assert (await get_guild_settings(db, G)).language == "fr"


async def test_the_copy_is_read_once_and_updated_by_choose(db):
    service = LanguageService(db)
    assert await service.chosen(G) is None
    # Written behind the service's back: its copy stands (every change goes through the one process's choose).
    await update_guild_settings(db, G, language="de")
    assert await service.chosen(G) is None
    await service.choose(G, "es")
    assert await service.chosen(G) == "es"
    assert (await get_guild_settings(db, G)).language == "es"


async def test_choosing_keeps_the_other_settings(db):
    await update_guild_settings(db, G, daily_minimum=3, desired_retention=0.85)
    await LanguageService(db).choose(G, "pt_BR")
    settings = await get_guild_settings(db, G)
    assert (settings.language, settings.daily_minimum, settings.desired_retention) == ("pt_BR", 3, 0.85)
