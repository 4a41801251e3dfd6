"""Languages: gettext catalogs (bot/locales/<lang>/LC_MESSAGES/recall.po, compiled to .mo and shipped in the
package) and the app-commands Translator that fills Discord's localisation maps from them when commands are synced,
so each member sees Recall's command names, descriptions, options and choices in their client's language.

Command strings are not `_()` calls (they are decorator arguments, parameter names and choice lists, some built at
import), so `python -m bot.ui.i18n extract` reads them from the cogs' command definitions themselves and writes them
to the template (bot/locales/recall.pot) with Babel's catalog API; `pybabel update` and `pybabel compile` do the rest
(see the README's "Languages"). Names (of commands, groups and options) carry the context "command-name": they follow
Discord's naming rules (lowercase, no spaces) and must be translated as such.
"""
from __future__ import annotations

import gettext
import hashlib
import importlib
import inspect
import pkgutil
import sys
from collections.abc import Iterator
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


# --- Extraction ------------------------------------------------------------------------------------------------------


def command_strings() -> Iterator[tuple[str | None, str, str]]:
    """(context, message, where) of every command string the cogs define: names with NAME_CONTEXT, descriptions and
    choice names without. Read from the cog classes (no bot is needed)."""
    import bot.cogs
    from discord.ext import commands

    for module in pkgutil.iter_modules(bot.cogs.__path__):
        cogs = importlib.import_module(f"bot.cogs.{module.name}")
        for cls in vars(cogs).values():
            if not (inspect.isclass(cls) and issubclass(cls, commands.Cog) and cls.__module__ == cogs.__name__):
                continue
            where = cogs.__name__
            if cls.__cog_is_app_commands_group__:
                yield NAME_CONTEXT, cls.__cog_group_name__, where
                yield None, cls.__cog_group_description__, where
            for command in cls.__cog_app_commands__:
                yield from _strings_of(command, where)


def _strings_of(command: app_commands.Command | app_commands.Group, where: str) -> Iterator[tuple[str | None, str, str]]:
    yield NAME_CONTEXT, command.name, where
    yield None, command.description, where
    if isinstance(command, app_commands.Group):
        for child in command.commands:
            yield from _strings_of(child, where)
        return
    for parameter in command.parameters:
        yield NAME_CONTEXT, parameter.display_name, where
        yield None, parameter.description, where
        for choice in parameter.choices:
            yield None, choice.name, where


def write_template(path: Path = LOCALES_DIR / f"{DOMAIN}.pot") -> int:
    """Write the catalog template; returns how many messages it has."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    template = Catalog(project="Recall", domain=DOMAIN, charset="utf-8")
    for context, message, where in command_strings():
        if message and message != "…":  # "…" is discord.py's placeholder for a parameter without a description
            template.add(message, locations=[(where.replace(".", "/") + ".py", 0)], context=context)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(out, template, width=120, omit_header=False, sort_output=True, include_lineno=False)
    return len(template)


if __name__ == "__main__":
    if sys.argv[1:] != ["extract"]:
        sys.exit("usage: python -m bot.ui.i18n extract")
    print(f"{write_template()} messages written to {LOCALES_DIR / (DOMAIN + '.pot')}")
