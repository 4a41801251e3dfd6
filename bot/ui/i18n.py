"""Languages: gettext catalogs (bot/locales/<lang>/LC_MESSAGES/recall.po, compiled to .mo and shipped in the
package) and the app-commands Translator that fills Discord's localisation maps from them when commands are synced,
so each member sees Recall's command names, descriptions, options and choices in their client's language.

Command strings are not `_()` calls (they are decorator arguments, parameter names and choice lists, some built at
import), so `python -m bot.localise extract` reads them from the cogs' command definitions themselves and writes the
template (bot/locales/recall.pot); `pybabel update` and `pybabel compile` do the rest (see the README's "Languages"). Names (of commands, groups and options) carry the context "command-name": they follow
Discord's naming rules (lowercase, no spaces) and must be translated as such.
"""
from __future__ import annotations

import gettext
import hashlib
from functools import lru_cache
from pathlib import Path

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "recall"
NAME_CONTEXT = "command-name"
# Discord's locales with a shipped catalog: Discord locale -> catalog language.
LANGUAGES: dict[str, str] = {
    "de": "de", "es-ES": "es", "es-419": "es", "fr": "fr", "pt-BR": "pt_BR", "ja": "ja",
}
_NAMES = {Where.command_name, Where.group_name, Where.parameter_name}


@lru_cache(maxsize=None)
def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (an empty one, which translates nothing, when there is none)."""
    return gettext.translation(DOMAIN, LOCALES_DIR, [language], fallback=True)


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
