"""The shape of bot/: which layer may import which, checked on every import statement (ast), so it stays.

cogs -> services -> store -> core; ui -> core; nothing imports a cog; no import cycles. bot/store may take data
types and constants from bot/core, never its rules (FSRS, grading, streaks, scoring): those run in bot/services.
"""
from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"

# Helpers every layer may use: time as stored text, the clock.
SHARED_CORE = {"bot.core.clock"}


@dataclass(frozen=True)
class Edge:
    source: str  # the importing module
    target: str  # the imported module
    names: tuple[str, ...]  # names taken from it (empty for `import x`)
    line: int

    def __str__(self) -> str:
        taken = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.source}:{self.line} imports {self.target}{taken}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(BOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    base = BOT.parent.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def edges_of(path: Path, source: str | None = None) -> list[Edge]:
    """The imports in `path`, as edges from module `source` (by default the module the path is in bot/)."""
    source = source or module_name(path)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    found: list[Edge] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [Edge(source, alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names = tuple(alias.name for alias in node.names)
            # `from bot.store import streaks`: the edge goes to the submodule.
            submodules = [n for n in names if is_module(f"{target}.{n}")]
            if submodules:
                found += [Edge(source, f"{target}.{n}", (), node.lineno) for n in submodules]
                names = tuple(n for n in names if n not in submodules)
                if not names:
                    continue
            found.append(Edge(source, target, names, node.lineno))
    return found


def all_edges() -> list[Edge]:
    return [edge for path in sorted(BOT.rglob("*.py")) for edge in edges_of(path)]


def in_layer(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


FORBIDDEN = {
    "bot.core": ("discord", "bot.store", "bot.services", "bot.cogs", "bot.ui", "bot.app"),
    "bot.store": ("discord", "bot.services", "bot.cogs", "bot.ui", "bot.app"),
    "bot.services": ("discord", "bot.cogs", "bot.ui", "bot.app"),
    "bot.ui": ("bot.cogs", "bot.store", "bot.services", "bot.app"),
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    wrong = [
        str(edge) for edge in all_edges()
        if in_layer(edge.source, layer) and any(in_layer(edge.target, banned) for banned in FORBIDDEN[layer])
    ]
    assert wrong == []


def test_nothing_imports_a_cog() -> None:
    # bot.app imports the bot.cogs package only to list its modules (pkgutil), and loads them as extensions.
    wrong = [
        str(edge) for edge in all_edges()
        if in_layer(edge.target, "bot.cogs") and not in_layer(edge.source, "bot.cogs") and edge.target != "bot.cogs"
    ]
    assert wrong == []


def _is_data(module: str, name: str) -> bool:
    """A class (a data type, an enum, an error) or an UPPER_CASE constant: what store may take from core."""
    value = getattr(importlib.import_module(module), name)
    return isinstance(value, type) or name.isupper()


def test_store_takes_only_data_types_from_core() -> None:
    wrong = []
    for edge in all_edges():
        if not in_layer(edge.source, "bot.store"):
            continue
        if in_layer(edge.target, "bot.core") and edge.target not in SHARED_CORE:
            if not edge.names:
                wrong.append(f"{edge}: a whole module (take its types by name)")
            wrong += [f"{edge}: {name} is a rule, not a data type" for name in edge.names if not _is_data(edge.target, name)]
        if edge.target == "fsrs" and "Scheduler" in edge.names:
            wrong.append(f"{edge}: scheduling belongs in bot.services")
    assert wrong == []


# The emulator is the tests' stand-in for Discord, not part of Recall's layers (its modules refer to each other for
# type hints only).
OUTSIDE_LAYERS = ("bot.emulator",)


def test_bot_has_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for edge in all_edges():
        if any(in_layer(edge.source, outside) for outside in OUTSIDE_LAYERS):
            continue
        if in_layer(edge.target, "bot") and edge.target != edge.source:
            graph.setdefault(edge.source, set()).add(edge.target)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert [" -> ".join(c) for c in cycles] == []


def test_the_checker_sees_a_forbidden_edge(tmp_path: Path) -> None:
    # The walk itself must find imports wherever they are (inside functions and TYPE_CHECKING blocks too).
    sample = BOT / "ui" / "study.py"
    targets = {edge.target for edge in edges_of(sample)}
    assert "discord" in targets and "bot.core.decks" in targets
    # A probe outside the tree, read as if it were a ui module: the rule it breaks must be reported.
    probe = tmp_path / "probe.py"
    probe.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.cogs.study import StudyCog\n"
                     "def later():\n    from bot.store import study\n")
    edges = edges_of(probe, "bot.ui._probe")
    assert {edge.target for edge in edges} == {"typing", "bot.cogs.study", "bot.store.study"}
    banned = [e for e in edges if any(in_layer(e.target, b) for b in FORBIDDEN["bot.ui"])]
    assert len(banned) == 2


def test_no_function_rebinds_the_translation_function() -> None:
    # `for _, x in …` in a module that imports `_` makes `_` local to the whole function: a `_("…")` there raises
    # UnboundLocalError, and only when that line runs.
    rebound = []
    for path in sorted(BOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not any(isinstance(node, ast.ImportFrom) and node.module == "bot.core.translation"
                   and any(alias.name == "_" for alias in node.names) for node in ast.walk(tree)):
            continue
        for node in ast.walk(tree):
            stored = isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store)
            if stored or (isinstance(node, ast.arg) and node.arg == "_"):
                rebound.append(f"{path.relative_to(BOT.parent)}:{node.lineno}")
    assert rebound == []
