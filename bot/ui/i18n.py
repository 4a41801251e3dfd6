"""Languages at Discord's edge: which language an interaction is answered in, and the app-commands Translator that
fills Discord's localisation maps from the gettext catalogs (bot.core.translation) when commands are synced, so each
member sees Recall's command names, descriptions, options and choices in their client's language.

Private replies speak the member's client language (`interaction.locale`); what everyone sees (public replies, quiz
rounds, public cards) speaks the server's (bot.services.languages). The command tree and the items' base set it
before any handler runs (`answer_in`); code that posts a public message from a private interaction wraps it in
`speaking(await server_language(interaction))`.

Command strings are not `_()` calls (they are decorator arguments, parameter names and choice lists, some built at
import), so `python -m bot.localise extract` reads them from the cogs' command definitions themselves and adds them to
the template (bot/locales/recall.pot) beside the `_()`/`N_()`/`ngettext()` strings of the code; `pybabel update` and
`pybabel compile` do the rest (see the README's "Languages"). Names (of commands, groups and options) carry the
context "command-name": they follow Discord's naming rules (lowercase, no spaces) and must be translated as such.
"""
from __future__ import annotations

import hashlib

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.core.translation import (
    DOMAIN, LANGUAGES, LOCALES_DIR, catalog, current_language, language_of, set_language,
)

NAME_CONTEXT = "command-name"
_NAMES = {Where.command_name, Where.group_name, Where.parameter_name}


def command_path(path: str) -> str:
    """A command as members of the current language see it in their client: "/decks list" → "/stapel liste"."""
    names = catalog(current_language())
    return "/" + " ".join(names.pgettext(NAME_CONTEXT, word) for word in path.removeprefix("/").split(" "))


def member_language(interaction: discord.Interaction) -> str:
    """The catalog language of the member's Discord client (English when Recall has none for it)."""
    return language_of(interaction.locale)


async def server_language(interaction: discord.Interaction) -> str:
    """The language of what everyone in the interaction's server sees: the admin's choice, else Discord's server
    language (English outside a server)."""
    languages = interaction.client.services.languages  # type: ignore[attr-defined]
    return await languages.of_server(interaction.guild_id, interaction.guild_locale)


async def shown_language(interaction: discord.Interaction, *, public: bool) -> str:
    """The language of a message a handler builds: the server's when everyone sees it, else the one spoken now (the
    member's: a button on a public message still answers its clicker's refusals in theirs)."""
    if public and interaction.guild_id is not None:
        return await server_language(interaction)
    return current_language()


async def language_for(interaction: discord.Interaction, *, public: bool) -> str:
    """The language to answer `interaction` in: the server's for a public answer, else the member's."""
    if public and interaction.guild_id is not None:
        return await server_language(interaction)
    return member_language(interaction)


async def answer_in(interaction: discord.Interaction, *, public: bool) -> str:
    """Speak the language `interaction` is answered in for the rest of its handling (its own asyncio task)."""
    language = await language_for(interaction, public=public)
    set_language(language)
    return language


def translate(message: str, locale: discord.Locale | str, *, name: bool = False) -> str | None:
    """`message` in the language of a Discord locale; None when that language has no translation of it."""
    language = LANGUAGES.get(str(locale))
    if language is None:
        return None
    found = catalog(language).pgettext(NAME_CONTEXT, message) if name else catalog(language).gettext(message)
    return found if found != message else None


class RecallTranslator(app_commands.Translator):
    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContext
    ) -> str | None:
        return translate(string.message, locale, name=context.location in _NAMES)


def catalogs_digest() -> str:
    """A digest of the compiled catalogs: a new translation changes what a command sync sends."""
    digest = hashlib.sha256()
    for path in sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")):
        digest.update(path.parent.parent.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
