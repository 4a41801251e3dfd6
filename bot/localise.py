"""`python -m bot.localise extract`: the catalog template (bot/locales/recall.pot) of every string a member reads:
the slash commands' names, descriptions, options and choices, read from the cogs' command definitions, and every
`_()`, `N_()` and `ngettext()` string of the code, found by Babel's Python extractor (see bot.ui.i18n
and bot.core.translation)."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from bot.core.translation import DOMAIN, LOCALES_DIR
from bot.ui.i18n import NAME_CONTEXT

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

PACKAGE_DIR = Path(__file__).resolve().parent
# The translation functions of bot.core.translation, as Babel's extractor reads them (argument positions).
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# Code that never speaks to a member: the local Discord emulator, the playground's own page, the tools.
NOT_MEMBER_FACING = ("emulator/**", "playground/**", "localise.py", "migrate_db.py")
# Every command string carries this note for translators (the tests hold them to it).
COMMAND_NOTE = "Discord command text: names lowercase without spaces (1-32), descriptions at most 100 characters"


@dataclass(frozen=True, slots=True)
class Node:
    """A command as Discord lists it: a group with its children, or a command with its parameters."""

    name: str
    description: str
    where: str  # the cog module that defines it
    children: tuple["Node", ...] = ()
    parameters: tuple[app_commands.Parameter, ...] = ()


def command_tree() -> list[Node]:
    """Every top-level command the cogs define, read from the cog classes (no bot is needed)."""
    tree: list[Node] = []
    cogs_package = importlib.import_module("bot.cogs")  # the cogs are listed, never imported by name
    for module in pkgutil.iter_modules(cogs_package.__path__):
        cogs = importlib.import_module(f"bot.cogs.{module.name}")
        for cls in vars(cogs).values():
            if not (inspect.isclass(cls) and issubclass(cls, commands.Cog) and cls.__module__ == cogs.__name__):
                continue
            nodes = tuple(_node(command, cogs.__name__) for command in cls.__cog_app_commands__)
            if cls.__cog_is_app_commands_group__:
                tree.append(Node(cls.__cog_group_name__, cls.__cog_group_description__, cogs.__name__, nodes))
            else:
                tree += nodes
    return tree


def _node(command: app_commands.Command | app_commands.Group, where: str) -> Node:
    if isinstance(command, app_commands.Group):
        return Node(command.name, command.description, where, tuple(_node(c, where) for c in command.commands))
    return Node(command.name, command.description, where, parameters=tuple(command.parameters))


def command_strings() -> Iterator[tuple[str | None, str, str]]:
    """(context, message, where) of every command string: names with NAME_CONTEXT, descriptions and choice names
    without."""
    pending = command_tree()
    while pending:
        node = pending.pop()
        yield NAME_CONTEXT, node.name, node.where
        yield None, node.description, node.where
        pending += node.children
        for parameter in node.parameters:
            yield NAME_CONTEXT, parameter.display_name, node.where
            yield None, parameter.description, node.where
            for choice in parameter.choices:
                yield None, choice.name, node.where


def code_strings() -> Iterator[tuple[str, int, str | tuple[str, ...], list[str], str | None]]:
    """(file, line, message, translator comments, context) of every translatable string in the code."""
    from babel.messages.extract import extract_from_dir

    for found in extract_from_dir(
        str(PACKAGE_DIR), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        if not any(Path(found[0]).match(pattern) for pattern in NOT_MEMBER_FACING):
            yield found


def template() -> "Catalog":
    """The catalog template: every command string and every string of the code, as found now."""
    from babel.messages.catalog import Catalog

    found = Catalog(project="Recall", domain=DOMAIN, charset="utf-8")
    for context, message, where in command_strings():
        if message and message != "…":  # "…" is discord.py's placeholder for a parameter without a description
            found.add(message, locations=[(where.replace(".", "/") + ".py", 0)], context=context,
                      auto_comments=[COMMAND_NOTE])
    for filename, lineno, message, comments, context in code_strings():
        existing = found.get(message, context=context)
        if existing is not None:
            existing.locations.append((f"bot/{filename}", lineno))
            existing.auto_comments = list(dict.fromkeys([*existing.auto_comments, *comments]))
        else:
            found.add(message, locations=[(f"bot/{filename}", lineno)], auto_comments=comments, context=context,
                      flags=("python-brace-format",) if "{" in str(message) else ())
    return found


def write_template(path: Path = LOCALES_DIR / f"{DOMAIN}.pot") -> int:
    """Write the catalog template; returns how many messages it has."""
    from babel.messages.pofile import write_po

    catalog = template()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(out, catalog, width=120, omit_header=False, sort_output=True, include_lineno=False)
    return len(catalog)


def names_table() -> str:
    """The README's table of command names per shipped language (Markdown): a top-level command and its
    subcommands, in the order of the English names."""
    from bot.core.translation import LANGUAGE_NAMES, LANGUAGES, catalog

    languages = list(dict.fromkeys(LANGUAGES.values()))
    header = ["English", *(LANGUAGE_NAMES[language] for language in languages)]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for node in sorted(command_tree(), key=lambda n: n.name):
        children = sorted(child.name for child in node.children)
        cells = []
        for language in [None, *languages]:
            def name(english: str) -> str:
                return english if language is None else catalog(language).pgettext(NAME_CONTEXT, english)
            cell = f"`/{name(node.name)}`"
            if children:
                cell += " " + " · ".join(name(child) for child in children)
            cells.append(cell)
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    if sys.argv[1:] == ["extract"]:
        print(f"{write_template()} messages written to {LOCALES_DIR / (DOMAIN + '.pot')}")
    elif sys.argv[1:] == ["names"]:
        print(names_table())
    else:
        sys.exit("usage: python -m bot.localise extract | names")
