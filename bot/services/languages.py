"""Each server's language: what everyone there sees (quiz rounds, public study cards, boards posted in a channel)
is written in it. An admin's choice (/recall-admin language), else Discord's server language (`guild_locale`) when
Recall has a catalog for it, else English.

Kept in memory per process after the first read: every interaction of a server reaches the one process that runs
its shard, and that process is where an admin changes it, so the copy never goes stale.
"""
from __future__ import annotations

from bot.core.errors import RecallError
from bot.core.translation import ENGLISH, LANGUAGE_NAMES, _, language_of
from bot.store.api import Store
from bot.store.guilds import get_guild_settings, update_guild_settings


class LanguageService:
    def __init__(self, db: Store) -> None:
        self.db = db
        self._chosen: dict[int, str | None] = {}

    async def chosen(self, guild_id: int) -> str | None:
        """The language an admin chose for the server; None when it follows Discord's server language."""
        if guild_id not in self._chosen:
            self._chosen[guild_id] = (await get_guild_settings(self.db, guild_id)).language
        return self._chosen[guild_id]

    async def of_server(self, guild_id: int | None, guild_locale: object = None) -> str:
        """The language of what everyone in the server sees (English outside a server)."""
        if guild_id is None:
            return ENGLISH
        chosen = await self.chosen(guild_id)
        return chosen if chosen is not None else language_of(guild_locale)

    async def choose(self, guild_id: int, language: str | None) -> None:
        """Set the server's language (None: follow Discord's server language again)."""
        if language is not None and language not in LANGUAGE_NAMES:
            raise RecallError(_("Recall has no translation for the language {language}.").format(language=language))
        await update_guild_settings(self.db, guild_id, language=language)
        self._chosen[guild_id] = language

