"""A pseudo-language for proving that no member-facing text escapes the catalogs.

Every message of the catalog template (bot.localise.template) is "translated" to itself with its letters accented and the
whole wrapped in ⟦ ⟧ (read from the code as it is, so a new `_()` needs no extraction first), placeholders (`{count}`), code spans and Discord markup left as they are. A member whose client
speaks PSEUDO_LOCALE is answered in it (so is a server whose Discord language it is), and `leftovers` finds every
visible text that is not inside markers: English that never went through `_()`.

Use: the `pseudo` fixture (tests/conftest.py) registers the catalog and records every message the bot creates or
edits and every modal it opens; `pseudo.check(allowed=...)` fails with the untranslated texts found.
"""
from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from bot.core.translation import DOMAIN, register_catalog
from bot.localise import template

PSEUDO = "qps"  # the catalog language
PSEUDO_LOCALE = "sv-SE"  # a Discord locale without a shipped catalog, so it can stand for the pseudo-language
OPEN, CLOSE = "⟦", "⟧"
FILL_OPEN, FILL_CLOSE = "‹", "›"  # around what a placeholder was filled with

_ACCENTS = str.maketrans(
    "abcdeghiklnoprstuwyzABCDEGHIKLNOPRSTUWYZ",
    "àƀçđéĝĥîķĺñöþŕšţûŵýžÀƁÇĐÉĜĤÎĶĹÑÖÞŔŠŢÛŴÝŽ",
)
# Kept as they are: placeholders, code spans, Discord markup (<t:…>, <@…>, <#…>), links' targets.
_KEEP = re.compile(r"\{[^{}]*\}|`[^`]*`|<[^<>\s]+>|\]\([^()\s]+\)|https?://\S+")


def pseudo(text: str) -> str:
    """`text` in the pseudo-language: accented outside what must be kept, wrapped in markers."""
    parts, last = [], 0
    for kept in _KEEP.finditer(text):
        parts.append(text[last:kept.start()].translate(_ACCENTS))
        # A placeholder is fenced, so what fills it is checked on its own (see `leftovers`).
        parts.append(FILL_OPEN + kept.group() + FILL_CLOSE if kept.group().startswith("{") else kept.group())
        last = kept.end()
    parts.append(text[last:].translate(_ACCENTS))
    return OPEN + "".join(parts) + CLOSE


def pseudo_catalog() -> gettext.GNUTranslations:
    """Every string of the code as it is now (not as last extracted), in the pseudo-language."""
    catalog = Catalog(locale="en", domain=DOMAIN, charset="utf-8")
    for message in template():
        if not message.id:
            continue
        if isinstance(message.id, (tuple, list)):
            string: Any = tuple(pseudo(form) for form in message.id)
        else:
            string = pseudo(message.id)
        catalog.add(message.id, string, context=message.context)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def register() -> None:
    global _catalog
    if _catalog is None:  # extraction reads every module: once per test process
        _catalog = pseudo_catalog()
    register_catalog(PSEUDO, _catalog, PSEUDO_LOCALE)


_catalog: gettext.GNUTranslations | None = None


def unregister() -> None:
    register_catalog(PSEUDO, None, PSEUDO_LOCALE)


# --- What members saw -------------------------------------------------------------------------------------------


def message_texts(body: dict[str, Any]) -> Iterator[str]:
    """Every text a member reads in a message body (content, embeds, components)."""
    if body.get("content"):
        yield body["content"]
    for embed in body.get("embeds") or []:
        for key in ("title", "description"):
            if embed.get(key):
                yield embed[key]
        for part in ("footer", "author"):
            if (embed.get(part) or {}).get("text" if part == "footer" else "name"):
                yield embed[part]["text" if part == "footer" else "name"]
        for embed_field in embed.get("fields") or []:
            yield embed_field.get("name", "")
            yield embed_field.get("value", "")
    yield from component_texts(body.get("components") or [])


def component_texts(components: Iterable[dict[str, Any]]) -> Iterator[str]:
    for component in components:
        for key in ("label", "placeholder", "title", "description", "content"):  # content: a text display
            if component.get(key):
                yield component[key]
        for option in component.get("options") or []:
            yield option.get("label", "")
            if option.get("description"):
                yield option["description"]
        yield from component_texts(component.get("components") or [])
        if component.get("component"):  # a modal's label wraps its one input
            yield from component_texts([component["component"]])


_INNERMOST = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
_FILLED = re.compile(f"{FILL_OPEN}([^{FILL_OPEN}{FILL_CLOSE}]*){FILL_CLOSE}")
# Neither words nor sentences: Discord markup, numbers, punctuation, symbols and emoji.
_MARKUP = re.compile(r"<[^<>]+>|https?://\S+")
_NOT_WORDS = re.compile(r"[\W\d_]+")


def plain(text: str) -> str:
    """`text` without the placeholder fences, to look for what filled them."""
    return text.replace(FILL_OPEN, "").replace(FILL_CLOSE, "")


# Names that are the same in every language: IANA timezone names are identifiers members type.
ALWAYS_ALLOWED = ("UTC",)


def leftovers(text: str, allowed: Iterable[str] = ()) -> str:
    """What of `text` is words outside markers and outside `allowed` (deck content, member names); "" if none.

    A translated text goes, but what filled its placeholders stays to be checked: an English phrase formatted into a
    translated sentence is found too."""
    rest = text
    while True:
        stripped = _INNERMOST.sub(lambda found: " " + " ".join(_FILLED.findall(found.group())) + " ", rest)
        if stripped == rest:
            break
        rest = stripped
    for piece in sorted({a for a in (*allowed, *ALWAYS_ALLOWED) if a}, key=len, reverse=True):
        rest = rest.replace(piece, " ")
    return " ".join(_NOT_WORDS.sub(" ", _MARKUP.sub(" ", rest)).split())


class Recorder:
    """Every message body the bot created or edited and every modal it opened, as members saw them."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def texts(self) -> Iterator[str]:
        for body in self.bodies:
            yield from message_texts(body)

    def untranslated(self, allowed: Iterable[str] = ()) -> list[str]:
        allowed = list(allowed)
        found = []
        for text in self.texts():
            rest = leftovers(text, allowed)
            if rest:
                found.append(f"{rest!r} in {text[:120]!r}")
        return list(dict.fromkeys(found))

    def check(self, allowed: Iterable[str] = ()) -> None:
        assert self.bodies, "nothing was recorded: did the flow run?"
        missing = self.untranslated(allowed)
        assert not missing, f"{len(missing)} texts escaped translation:\n" + "\n".join(missing[:40])
