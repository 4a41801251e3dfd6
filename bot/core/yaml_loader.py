"""A safe, line-aware YAML reader for deck files.

Decks are read as a node tree, never constructed into Python objects by PyYAML: every scalar stays the text the
author wrote (so `yes`, `on`, `0.10` or `1e3` are never turned into booleans or numbers) and every node keeps its
position, so validation can name the exact line of a mistake. Tags that would build objects are never honoured;
`is_allowed_tag` tells the validator which ones to refuse.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:  # libyaml is much faster and still records node marks; plain Python is the fallback
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = [
    "DeckYamlLoader",
    "MappingNode",
    "Node",
    "ScalarNode",
    "SequenceNode",
    "YamlSyntaxError",
    "compose_yaml",
    "describe_node",
    "gc_paused",
    "is_allowed_tag",
    "is_null",
    "node_line",
    "walk_nodes",
]

STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
SEQ_TAG = "tag:yaml.org,2002:seq"
MAP_TAG = "tag:yaml.org,2002:map"

# Explicit core-schema tags are harmless (the value is still read as its text); anything else, above all
# `!!python/...`, is refused rather than silently ignored, so a deck never looks like it does something it does not.
_ALLOWED_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "null", "bool", "int", "float", "timestamp", "seq", "map")
)
_NULL_TEXT = frozenset(("", "~"))


class DeckYamlLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader whose implicit resolution never guesses a type: a plain scalar is text unless it is empty.

    Overriding `resolve` (rather than only dropping the bool resolver) also skips PyYAML's per-scalar regex
    matching, which matters for decks with thousands of items.
    """

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if implicit[0] and value in _NULL_TEXT:
                return NULL_TAG
            return STR_TAG
        return SEQ_TAG if kind is SequenceNode else MAP_TAG


class YamlSyntaxError(Exception):
    """The text is not well-formed YAML; `line` is 1-based when known."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many short-lived nodes.

    A big deck creates hundreds of thousands of node objects; each allocation burst triggers generational
    collections that scan them all again, which made 15,000 questions take seconds instead of a fraction of one.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def compose_yaml(text: str) -> Node | None:
    """Parse one YAML document into its node tree (None for an empty document)."""
    try:
        return yaml.compose(text, Loader=DeckYamlLoader)
    except yaml.MarkedYAMLError as exc:
        raise YamlSyntaxError(_error_line(exc), _error_message(exc)) from None
    except yaml.YAMLError as exc:  # e.g. a reader error about a control character
        raise YamlSyntaxError(None, f"YAML syntax error: {exc}") from None


def _error_line(exc: yaml.MarkedYAMLError) -> int | None:
    mark = exc.problem_mark or exc.context_mark
    return mark.line + 1 if mark is not None else None


def _error_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "invalid YAML"
    message = f"YAML syntax error: {problem}"
    if exc.context and exc.context_mark is not None:
        message += f" ({exc.context} on line {exc.context_mark.line + 1})"
    elif exc.context:
        message += f" ({exc.context})"
    return message


def node_line(node: Node) -> int:
    """The 1-based line where a node starts."""
    return node.start_mark.line + 1


def is_null(node: Node) -> bool:
    """An empty value (`key:` or `key: ~`); quoted `""` is an empty text, which callers treat the same way."""
    return node.tag == NULL_TAG


def is_allowed_tag(tag: str) -> bool:
    return tag in _ALLOWED_TAGS


def describe_node(node: Node) -> str:
    """How a node's kind reads in an error message."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "empty" if is_null(node) else "text"


def walk_nodes(root: Node) -> Iterator[Node]:
    """Every node under `root` once, even when aliases make the tree share or loop back to a node."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, MappingNode):
            for key, value in node.value:
                stack.append(value)
                stack.append(key)
        elif isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
