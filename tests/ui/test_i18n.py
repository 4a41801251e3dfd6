"""The catalogs: the template matches the cogs' commands and the code's `_()` strings, every shipped language
translates all of it (commands within Discord's rules), placeholders survive, the compiled catalogs match their
sources, and the translator hands Discord the translations."""
from __future__ import annotations

import io
import re
from collections import Counter

import discord
import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from discord import app_commands

from bot.localise import COMMAND_NOTE, code_strings, command_strings, command_tree, names_table
from bot.ui.i18n import DOMAIN, LANGUAGES, LOCALES_DIR, NAME_CONTEXT, RecallTranslator, translate

NAME = re.compile(r"^[-_\w]{1,32}$")
SHIPPED = sorted(set(LANGUAGES.values()))
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(?\w*\)?[sd]|`[^`]*`|\d+(?:[.,–-]\d+)*")


def po(language: str):
    with (LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as source:
        return read_po(source, locale=language)


def template_keys() -> set[tuple[str | None, str]]:
    with (LOCALES_DIR / f"{DOMAIN}.pot").open("rb") as source:
        return {(m.context, m.id) for m in read_po(source) if m.id}


def test_the_template_holds_every_command_string_and_every_string_of_the_code():
    # A renamed command, a new option or a new `_()` text without `python -m bot.localise extract` fails here.
    found = {(context, message) for context, message, _ in command_strings() if message and message != "…"}
    found |= {(context, message) for _file, _line, message, _notes, context in code_strings()}
    assert found == template_keys()


def test_the_code_strings_are_found_where_members_read_them():
    files = {filename for filename, *_ in code_strings()}
    assert {"ui/replies.py", "ui/items.py", "app.py"} <= files
    assert not any(name.startswith(("emulator/", "playground/")) for name in files)


def test_no_english_description_is_cut_short():
    # discord.py cuts a description past Discord's 100 characters with "…": members would read half a sentence.
    cut = [message for context, message, _ in command_strings() if context is None and message.endswith("…")
           and message != "…"]
    assert cut == []


def test_the_template_covers_every_command_of_the_tree():
    names = {message for context, message, _ in command_strings() if context == NAME_CONTEXT}
    assert {"study", "quiz", "explain", "leaderboard", "stats", "decks", "settings", "remind", "recall-admin"} <= names


@pytest.mark.parametrize("language", SHIPPED)
def test_every_language_translates_every_string(language: str):
    catalog = po(language)
    translated = {(m.context, m.id) for m in catalog if m.id and not m.fuzzy
                  and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    missing = template_keys() - translated
    assert not missing, f"{language}: {len(missing)} untranslated, e.g. {sorted(missing, key=str)[:3]}"


@pytest.mark.parametrize("language", SHIPPED)
def test_translated_names_and_descriptions_follow_discords_rules(language: str):
    for message in po(language):
        if not message.id or not message.string:
            continue
        if message.context == NAME_CONTEXT:
            assert NAME.match(message.string) and message.string == message.string.lower(), (language, message.string)
        elif COMMAND_NOTE in message.auto_comments:
            assert 1 <= len(message.string) <= 100, (language, message.id, message.string)


@pytest.mark.parametrize("language", SHIPPED)
def test_a_translation_keeps_the_numbers_codes_and_placeholders(language: str):
    names = {m.id: m.string for m in po(language) if m.context == NAME_CONTEXT and m.string}
    for message in po(language):
        if message.id and message.string and message.context != NAME_CONTEXT:
            # Every placeholder, code span and number of the English survives (a translation may add a number: "1日");
            # each plural form keeps the plural English's (a singular form may say "one" instead of {count}).
            # A command in a code span (`/decks list deck:`) may be written as members of that language see it
            # (`/stapel liste stapel:`): its command and option names as the catalog names them. Each plural form
            # but a singular one (which may say "one" instead of {count}) keeps the English plural's.
            english = message.id[-1] if isinstance(message.id, tuple) else message.id
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            for form in forms[-1:]:
                unmatched = _unmatched_spans(PLACEHOLDER.findall(english), PLACEHOLDER.findall(form), names)
                assert not unmatched, (language, message.id, form, unmatched)


@pytest.mark.parametrize("language", SHIPPED)
def test_sibling_names_stay_distinct_in_every_language(language: str):
    # Discord refuses a command whose options (or a group whose subcommands) share a name in any locale.
    catalog = {m.id: m.string for m in po(language) if m.context == NAME_CONTEXT and m.string}
    for siblings in _sibling_names():
        localised = [catalog.get(name, name) for name in siblings]
        assert len(set(localised)) == len(localised), (language, siblings, localised)


@pytest.mark.parametrize("language", SHIPPED)
def test_the_compiled_catalog_is_the_source_compiled(language: str):
    # The .mo files ship in the package: one left behind after a .po edit would show members the old text.
    compiled = io.BytesIO()
    write_mo(compiled, po(language))
    compiled.seek(0)
    shipped_path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with shipped_path.open("rb") as shipped:
        assert _messages(read_mo(shipped)) == _messages(read_mo(compiled))


async def test_the_translator_gives_discord_the_catalogs_translation():
    translator = RecallTranslator()
    study = app_commands.locale_str("study")
    name_context = app_commands.TranslationContext(app_commands.TranslationContextLocation.command_name, None)
    german = await translator.translate(study, discord.Locale.german, name_context)
    assert german == translate("study", "de", name=True) and german not in (None, "study")
    # A language without a catalog, and a string nobody translated, leave Discord's default (the English text).
    assert await translator.translate(study, discord.Locale.italian, name_context) is None
    assert translate("not a string Recall has", "de") is None


async def test_synced_commands_carry_each_languages_names(world):
    synced = {c["name"]: c for c in world.emu.world.global_commands.values()}
    stats = synced["stats"]
    for locale in LANGUAGES:
        # A language whose word is the English one sends nothing: Discord shows the English name.
        assert stats["name_localizations"].get(locale) == translate("stats", locale, name=True)
        assert stats["description_localizations"].get(locale) == translate(stats["description"], locale)
    assert len(stats["name_localizations"]) >= 4  # most languages have a word of their own for it


def _span_forms(span: str, names: dict[str, str]) -> set[str]:
    """The ways a translation may write an English span: as it is, or (a command or an option name) localised."""
    if not span.startswith("`") or not (span.startswith("`/") or span.strip("`") in names):
        return {span}

    def word(text: str, options: bool) -> str:
        name, colon, value = text.partition(":")
        if colon:
            return (names.get(name, name) if options else name) + colon + value
        return names.get(text, text)

    slash = "/" if span.startswith("`/") else ""
    words = span.strip("`").removeprefix("/").split(" ")
    commands_only = "`" + slash + " ".join(word(w, options=False) for w in words) + "`"
    everything = "`" + slash + " ".join(word(w, options=True) for w in words) + "`"
    return {span, commands_only, everything}


def _unmatched_spans(english: list[str], translated: list[str], names: dict[str, str]) -> list[str]:
    """The English placeholders, numbers and code spans that the translation lost (in none of their forms)."""
    left = Counter(translated)
    unmatched = []
    for span in english:
        found = next((form for form in _span_forms(span, names) if left[form] > 0), None)
        if found is None:
            unmatched.append(span)
        else:
            left[found] -= 1
    return unmatched


def _sibling_names() -> list[list[str]]:
    """The names Discord requires to be distinct among each other: the top-level commands, each group's children,
    each command's options."""
    tree = command_tree()
    siblings, pending = [[node.name for node in tree]], list(tree)
    while pending:
        node = pending.pop()
        if node.children:
            siblings.append([child.name for child in node.children])
            pending += node.children
        else:
            siblings.append([p.display_name for p in node.parameters])
    return siblings


def _messages(catalog) -> dict:
    # read_mo gives a plural's forms as lists: tuples, to compare (and to be keys).
    def hashable(value):
        return tuple(value) if isinstance(value, list) else value
    return {(m.context, hashable(m.id)): hashable(m.string) for m in catalog if m.id}


def test_the_readme_lists_the_command_names_of_every_language():
    # Members whose client shows localised names find the command the README or a friend calls /study.
    readme = (LOCALES_DIR.parents[1] / "README.md").read_text(encoding="utf-8")
    assert names_table() in readme, "run `python -m bot.localise names` and paste the table into README 'Languages'"
