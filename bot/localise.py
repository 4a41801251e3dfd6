"""`python -m bot.localise extract`: the catalog template (bot/locales/recall.pot) of every string Discord shows for
Recall's slash commands, read from the cogs' command definitions (see bot.ui.i18n)."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from discord import app_commands
from discord.ext import commands

from bot.ui.i18n import DOMAIN, LOCALES_DIR, NAME_CONTEXT


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
        sys.exit("usage: python -m bot.localise extract")
    print(f"{write_template()} messages written to {LOCALES_DIR / (DOMAIN + '.pot')}")
