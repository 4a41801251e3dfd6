"""The language Recall speaks right now, and its words, numbers and durations in it.

Every text a member reads goes through `_()` (or `ngettext()` when it counts something): the message is looked up in
the gettext catalog (bot/locales/<language>/LC_MESSAGES/recall.mo) of the *current language*, a context variable set
once per interaction (bot.ui.i18n: the member's client language for private replies, the server's language for
messages everyone sees) and by background work (quiz rounds, reminders, the daily challenge) with `speaking()`.
A context variable, not an argument, because a message is built many calls below the interaction that decides its
language, and each interaction runs in its own asyncio task (so one member's language never leaks into another's).

Strings defined at import time (constants, tables) are marked with `N_()` for extraction and translated with `_()`
where they are shown. Placeholders are named (`{count}`) and filled after translation, so a translation may move them.
Numbers follow the language's conventions through Babel (1,234 / 1.234 / 1 234; 90 % in French).
Discord's own timestamps (`<t:…:R>`) are left alone: the member's client shows them in its language.
"""
from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal, format_percent

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "recall"
ENGLISH = "en"
# Discord's locales that have a shipped catalog: Discord locale -> catalog language.
LANGUAGES: dict[str, str] = {
    "de": "de", "es-ES": "es", "es-419": "es", "fr": "fr", "pt-BR": "pt_BR", "ja": "ja",
}
# Each catalog language as members see it named (in itself), for the server-language setting.
LANGUAGE_NAMES: dict[str, str] = {
    ENGLISH: "English", "de": "Deutsch", "es": "Español", "fr": "Français", "pt_BR": "Português (Brasil)",
    "ja": "日本語",
}
# Catalogs that are not files, and the Discord locales that pick them: the tests' pseudo-language. They answer
# interactions only; the command Translator (bot.ui.i18n) sends Discord the shipped LANGUAGES alone.
_REGISTERED: dict[str, gettext.NullTranslations] = {}
_REGISTERED_LOCALES: dict[str, str] = {}

_current: ContextVar[str] = ContextVar("recall_language", default=ENGLISH)


@lru_cache(maxsize=None)
def _compiled(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALES_DIR, [language], fallback=True)


def catalog(language: str) -> gettext.NullTranslations:
    """The catalog of a language (an empty one, which translates nothing, for English or a language without one)."""
    registered = _REGISTERED.get(language)
    return registered if registered is not None else _compiled(language)


def register_catalog(language: str, translations: gettext.NullTranslations | None, discord_locale: str) -> None:
    """Answer members whose client speaks `discord_locale` with `translations` as `language` (None: forget it
    again). For catalogs built at run time (the tests' pseudo-language)."""
    if translations is None:
        _REGISTERED.pop(language, None)
        _REGISTERED_LOCALES.pop(discord_locale, None)
    else:
        _REGISTERED[language] = translations
        _REGISTERED_LOCALES[discord_locale] = language


def language_of(discord_locale: object) -> str:
    """The catalog language for a Discord locale (`discord.Locale` or its value); English when none is shipped."""
    if discord_locale is None:
        return ENGLISH
    locale = str(getattr(discord_locale, "value", discord_locale))
    return LANGUAGES.get(locale) or _REGISTERED_LOCALES.get(locale, ENGLISH)


def current_language() -> str:
    return _current.get()


def set_language(language: str) -> None:
    """Speak `language` for the rest of the current task (an interaction's handler)."""
    _current.set(language)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Speak `language` inside the block (a public message in the server's language, a DM in the member's)."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """`message` in the current language."""
    return catalog(_current.get()).gettext(message)


def N_(message: str) -> str:
    """Mark `message` for the catalog without translating it yet (a constant; `_()` it where it is shown)."""
    return message


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form for `count` in the current language (still with its `{count}` placeholder to fill)."""
    return catalog(_current.get()).ngettext(singular, plural, count)


# --- Numbers ------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (ValueError, LookupError, UnknownLocaleError):  # the tests' pseudo-language, anything Babel lacks
        return Locale.parse(ENGLISH)


def number(value: float, digits: int = 0, *, fixed: bool = False) -> str:
    """A number as the current language writes it: 1,234 / 1.234 / 1 234; `digits` decimals at most, or exactly
    (`fixed`: 2.0, 0.350)."""
    pattern = "#,##0" + ("." + ("0" if fixed else "#") * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(_current.get()))


def percent(fraction: float, digits: int = 0) -> str:
    """A fraction as a percentage in the current language (0.9 → 90 % in French, 90% in English)."""
    locale = _locale(_current.get())
    pattern = locale.percent_formats[None].pattern  # where the sign goes, and its space, are the language's
    if digits:
        pattern = pattern.replace("0", "0." + "#" * digits, 1)
    return format_percent(fraction, format=pattern, locale=locale)


def babel_locale() -> Locale:
    """The Babel locale of the current language (for other Babel formatters)."""
    return _locale(_current.get())
