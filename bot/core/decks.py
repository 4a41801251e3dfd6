"""Decks: the study material Recall serves, and the rules a deck file must follow.

This module is pure: it knows YAML and text, never Discord. Reading a deck walks the YAML node tree once
(see yaml_loader), so every problem can name its file, line and field, and all problems are reported together.
"""
from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError
from babel.core import parse_locale

from bot.core.yaml_loader import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    YamlSyntaxError,
    compose_yaml,
    describe_node,
    gc_paused,
    is_allowed_tag,
    is_null,
    node_line,
    walk_nodes,
)

T = TypeVar("T")

Level = Literal["beginner", "intermediate", "advanced"]
LEVELS: tuple[str, ...] = ("beginner", "intermediate", "advanced")
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class Card:
    """A flashcard for /study."""

    id: str
    front: str
    back: str
    level: str = "beginner"
    image: str | None = None


@dataclass(frozen=True, slots=True)
class QuizQuestion:
    """A multiple-choice question for /quiz; `answer` is always one of `choices`."""

    id: str
    question: str
    choices: tuple[str, ...]
    answer: str
    explanation: str = ""
    level: str = "beginner"


@dataclass(frozen=True, slots=True)
class Concept:
    """One key idea an explanation should contain; it is met when any keyword phrase appears."""

    name: str
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExplainPrompt:
    """A free-text prompt for /explain, graded by its concepts."""

    id: str
    prompt: str
    concepts: tuple[Concept, ...]
    hint: str = ""
    answer: str = ""
    level: str = "beginner"


@dataclass(frozen=True, slots=True)
class Deck:
    id: str
    title: str
    description: str = ""
    tags: tuple[str, ...] = ()
    author: str = ""
    source: str = ""  # where the deck came from: a file path, or "upload" for a server's own deck
    cards: tuple[Card, ...] = ()
    quiz: tuple[QuizQuestion, ...] = ()
    explain: tuple[ExplainPrompt, ...] = ()
    language: str = DEFAULT_LANGUAGE  # a BCP 47 tag as the deck wrote it; /explain grades answers in it
    # Item lookups happen on every button press; the index is built once, when the deck is made.
    _by_id: dict[str, Card | QuizQuestion | ExplainPrompt] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        for item in (*self.cards, *self.quiz, *self.explain):
            self._by_id.setdefault(item.id, item)

    @property
    def item_count(self) -> int:
        return len(self.cards) + len(self.quiz) + len(self.explain)

    def card(self, item_id: str) -> Card | None:
        item = self._by_id.get(item_id)
        return item if isinstance(item, Card) else None

    def question(self, item_id: str) -> QuizQuestion | None:
        item = self._by_id.get(item_id)
        return item if isinstance(item, QuizQuestion) else None

    def prompt(self, item_id: str) -> ExplainPrompt | None:
        item = self._by_id.get(item_id)
        return item if isinstance(item, ExplainPrompt) else None


# --- Problems ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeckProblem:
    """One thing wrong with a deck, located as precisely as the file allows."""

    path: str
    line: int | None
    field: str  # e.g. "quiz[2].answer" (list indexes count from 0); "" for the file as a whole
    message: str

    def __str__(self) -> str:
        location = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{location}: {self.field}: {self.message}" if self.field else f"{location}: {self.message}"


class DeckError(Exception):
    """A deck could not be loaded; `problems` lists everything found, not only the first mistake."""

    def __init__(self, problems: list[DeckProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(slots=True)
class DeckLoadResult:
    """Every deck of a folder that loaded, and the problems of those that did not."""

    decks: dict[str, Deck] = field(default_factory=dict)
    problems: list[DeckProblem] = field(default_factory=list)


# --- Limits ------------------------------------------------------------------------------------------------------
# Text limits follow what Discord can show, so a deck fails here rather than later in a channel.

MAX_DECK_BYTES = 2 * 1024 * 1024
MAX_ITEMS = 5000
MAX_ID_LENGTH = 40  # deck and item ids both end up in button custom_ids (at most 100 characters together)
MAX_TITLE = 200
MAX_DESCRIPTION = 1000
MAX_AUTHOR = 200
MAX_TAGS = 20
MAX_TAG = 40
MAX_CARD_TEXT = 4000  # an embed description holds 4096; keep room for the bot's own lines
MAX_QUESTION = 4000
MAX_CHOICE = 80  # a button label
MIN_CHOICES, MAX_CHOICES = 2, 10
MAX_EXPLANATION = 1000  # an embed field value holds 1024
MAX_HINT = 1000
MAX_PROMPT = 4000
MAX_MODEL_ANSWER = 1000
MIN_CONCEPTS, MAX_CONCEPTS = 1, 10
MAX_CONCEPT_NAME = 200
MAX_KEYWORD = 200
MAX_URL = 2048
MAX_LANGUAGE_TAG = 35  # RFC 5646 asks implementations to hold tags of at least 35 characters

DECK_SUFFIXES: tuple[str, ...] = (".yaml", ".yml")
_SLUG = re.compile(rf"[a-z0-9_-]{{1,{MAX_ID_LENGTH}}}")

_DECK_KEYS = ("$schema", "title", "description", "tags", "author", "language", "cards", "quiz", "explain")
_CARD_KEYS = ("id", "front", "back", "level", "image")
_QUIZ_KEYS = ("id", "question", "choices", "answer", "explanation", "level")
_EXPLAIN_KEYS = ("id", "prompt", "hint", "concepts", "answer", "level")
_CONCEPT_KEYS = ("name", "keywords")


def is_slug(text: str) -> bool:
    """Whether `text` can be a deck or item id: lowercase letters, digits, `-` and `_`, at most 40 characters."""
    return _SLUG.fullmatch(text) is not None


@lru_cache(maxsize=256)
def is_language_tag(tag: str) -> bool:
    """Whether `tag` names a language CLDR knows, written as BCP 47 ("es", "pt-BR", "zh-Hant"), not "pt_BR"."""
    try:
        parts = parse_locale(tag, sep="-")
        locale = Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return False
    # Babel maps an unknown region to a likely one ("es-ZZ" reads as es_ES): a region written must be the one read.
    return parts[1] is None or locale.territory == parts[1]


def derived_item_id(prefix: str, text: str) -> str:
    """The id of an item without an explicit `id:`: it depends only on the item's own text, so reordering a deck
    or editing another item never changes it."""
    return prefix + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


# --- Reading a deck ------------------------------------------------------------------------------------------------

_Fields = dict[str, tuple[int, Node]]  # key -> (line of the key, value node)


def _sub(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _quote(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def _show_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


@dataclass(slots=True)
class _Claim:
    """Who holds an item id, so a clash can name both items."""

    where: str
    line: int
    explicit: bool
    text_field: str


class _DeckReader:
    """Walks a deck's node tree once, building the Deck and collecting every problem on the way."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[DeckProblem] = []
        self.ids: dict[str, _Claim] = {}

    def report(self, line: int | None, where: str, message: str) -> None:
        self.problems.append(DeckProblem(self.source, line, where, message))

    # Generic shapes -------------------------------------------------------------------------------------------------

    def tag_ok(self, node: Node, where: str) -> bool:
        if is_allowed_tag(node.tag):
            return True
        self.report(node_line(node), where, f"tag {_show_tag(node.tag)} is not allowed: decks are plain YAML")
        return False

    def refuse_tags_below(self, node: Node, where: str) -> None:
        """Unknown keys are not read, but an unsafe tag inside one still deserves its own line."""
        for inner in walk_nodes(node):
            self.tag_ok(inner, where)

    def mapping(self, node: Node, where: str, allowed: tuple[str, ...], what: str) -> _Fields | None:
        if not self.tag_ok(node, where):
            return None
        if not isinstance(node, MappingNode):
            self.report(node_line(node), where, f"must be {what}, got {describe_node(node)}")
            return None
        fields: _Fields = {}
        seen: dict[str, int] = {}
        for key, value in node.value:
            line = node_line(key)
            if not isinstance(key, ScalarNode):
                self.report(line, where, "keys must be plain text")
                continue
            if not self.tag_ok(key, where):
                continue
            name = key.value
            if name in seen:
                self.report(line, _sub(where, name), f"appears twice (first on line {seen[name]})")
                continue
            seen[name] = line
            if name in allowed:
                fields[name] = (line, value)
            else:
                self.report(line, _sub(where, name), _unknown_key_message(name, allowed))
                self.refuse_tags_below(value, _sub(where, name))
        return fields

    def sequence(self, line: int, node: Node, where: str) -> list[Node] | None:
        """A list value; an empty value (`cards:`) reads as an empty list."""
        if not self.tag_ok(node, where):
            return None
        if isinstance(node, SequenceNode):
            return node.value
        if is_null(node):
            return []
        self.report(line, where, f"must be a list, got {describe_node(node)}")
        return None

    def text(self, line: int, node: Node, where: str, limit: int) -> str | None:
        """A stripped, non-empty text of at most `limit` characters, exactly as written (never a bool or number)."""
        if not self.tag_ok(node, where):
            return None
        if not isinstance(node, ScalarNode):
            self.report(line, where, f"must be text, got {describe_node(node)}")
            return None
        value = "" if is_null(node) else node.value.strip()
        if not value:
            self.report(line, where, "must not be empty")
            return None
        if len(value) > limit:
            self.report(line, where, f"is {len(value)} characters long; the limit is {limit}")
        return value

    def required_text(self, fields: _Fields, node: Node, where: str, name: str, limit: int) -> str | None:
        entry = fields.get(name)
        if entry is None:
            self.report(node_line(node), _sub(where, name), "is required")
            return None
        return self.text(entry[0], entry[1], _sub(where, name), limit)

    def optional_text(self, fields: _Fields, where: str, name: str, limit: int) -> str | None:
        entry = fields.get(name)
        return None if entry is None else self.text(entry[0], entry[1], _sub(where, name), limit)

    def text_list(self, line: int, node: Node, where: str, limit: int) -> list[str] | None:
        items = self.sequence(line, node, where)
        if items is None:
            return None
        values = [self.text(node_line(item), item, f"{where}[{i}]", limit) for i, item in enumerate(items)]
        return [v for v in values if v is not None] if len(values) == len(items) else None

    # Item parts ---------------------------------------------------------------------------------------------------

    def level(self, fields: _Fields, where: str) -> str:
        entry = fields.get("level")
        if entry is None:
            return LEVELS[0]
        value = self.text(entry[0], entry[1], _sub(where, "level"), 20)
        if value is not None and value not in LEVELS:
            self.report(entry[0], _sub(where, "level"), f"{_quote(value)} is not one of {', '.join(LEVELS)}")
        return value or LEVELS[0]

    def item_id(self, fields: _Fields, node: Node, where: str, prefix: str, text: str | None, text_field: str) -> str:
        entry = fields.get("id")
        line = node_line(node)
        if entry is not None:
            value = self.text(entry[0], entry[1], _sub(where, "id"), MAX_ID_LENGTH)
            if value is None:
                return ""
            if len(value) <= MAX_ID_LENGTH and not is_slug(value):  # a length problem is already reported
                self.report(entry[0], _sub(where, "id"),
                            f"{_quote(value)} must use only lowercase letters, digits, - and _")
            self.claim(value, _Claim(where, entry[0], True, text_field))
            return value
        if text is None:
            return ""
        value = derived_item_id(prefix, text)
        self.claim(value, _Claim(where, line, False, text_field))
        return value

    def claim(self, item_id: str, claim: _Claim) -> None:
        holder = self.ids.get(item_id)
        if holder is None:
            self.ids[item_id] = claim
            return
        other = f"{holder.where} (line {holder.line})"
        if claim.explicit:
            self.report(claim.line, _sub(claim.where, "id"), f"{_quote(item_id)} is already used by {other}")
        elif not holder.explicit and holder.text_field == claim.text_field:
            self.report(claim.line, claim.where,
                        f"has the same {claim.text_field} as {other}, so both get the id {_quote(item_id)}; "
                        "give one of them an id:")
        else:
            self.report(claim.line, claim.where,
                        f"its derived id {_quote(item_id)} is already used by {other}; give it an id:")

    def image(self, fields: _Fields, where: str) -> str | None:
        entry = fields.get("image")
        if entry is None:
            return None
        value = self.text(entry[0], entry[1], _sub(where, "image"), MAX_URL)
        if value is not None and not _is_https_url(value):
            self.report(entry[0], _sub(where, "image"), f"{_quote(value)} must be an https:// URL")
        return value

    # Items --------------------------------------------------------------------------------------------------------

    def card(self, node: Node, where: str) -> Card | None:
        fields = self.mapping(node, where, _CARD_KEYS, "a card (front, back)")
        if fields is None:
            return None
        image = self.image(fields, where)
        if "front" in fields or image is None:  # an image can stand in for the front
            front = self.required_text(fields, node, where, "front", MAX_CARD_TEXT)
        else:
            front = ""
        back = self.required_text(fields, node, where, "back", MAX_CARD_TEXT)
        level = self.level(fields, where)
        item_id = self.item_id(fields, node, where, "c-", front or image, "front")
        if front is None or back is None or not item_id:
            return None
        return Card(id=item_id, front=front, back=back, level=level, image=image)

    def question(self, node: Node, where: str) -> QuizQuestion | None:
        fields = self.mapping(node, where, _QUIZ_KEYS, "a question (question, choices, answer)")
        if fields is None:
            return None
        question = self.required_text(fields, node, where, "question", MAX_QUESTION)
        choices = self.choices(fields, node, where)
        answer = self.required_text(fields, node, where, "answer", MAX_CHOICE)
        if answer is not None and choices is not None and answer not in choices:
            self.report(fields["answer"][0], _sub(where, "answer"), _not_a_choice(answer, choices))
        explanation = self.optional_text(fields, where, "explanation", MAX_EXPLANATION)
        level = self.level(fields, where)
        item_id = self.item_id(fields, node, where, "q-", question, "question")
        if question is None or choices is None or answer is None or not item_id:
            return None
        return QuizQuestion(id=item_id, question=question, choices=tuple(choices), answer=answer,
                            explanation=explanation or "", level=level)

    def choices(self, fields: _Fields, node: Node, where: str) -> list[str] | None:
        entry = fields.get("choices")
        name = _sub(where, "choices")
        if entry is None:
            self.report(node_line(node), name, "is required")
            return None
        line, value = entry
        items = self.sequence(line, value, name)
        if items is None:
            return None
        if not MIN_CHOICES <= len(items) <= MAX_CHOICES:
            self.report(line, name, f"needs {MIN_CHOICES} to {MAX_CHOICES} choices, found {len(items)}")
        choices: list[str] = []
        first_line: dict[str, int] = {}
        for i, item in enumerate(items):
            item_line = node_line(item)
            text = self.text(item_line, item, f"{name}[{i}]", MAX_CHOICE)
            if text is None:
                continue
            if text in first_line:
                self.report(item_line, f"{name}[{i}]", f"{_quote(text)} is repeated (first on line {first_line[text]})")
                continue
            first_line[text] = item_line
            choices.append(text)
        return choices

    def prompt(self, node: Node, where: str) -> ExplainPrompt | None:
        fields = self.mapping(node, where, _EXPLAIN_KEYS, "an explain prompt (prompt, concepts)")
        if fields is None:
            return None
        prompt = self.required_text(fields, node, where, "prompt", MAX_PROMPT)
        hint = self.optional_text(fields, where, "hint", MAX_HINT)
        concepts = self.concepts(fields, node, where)
        answer = self.optional_text(fields, where, "answer", MAX_MODEL_ANSWER)
        level = self.level(fields, where)
        item_id = self.item_id(fields, node, where, "e-", prompt, "prompt")
        if prompt is None or concepts is None or not item_id:
            return None
        return ExplainPrompt(id=item_id, prompt=prompt, concepts=concepts, hint=hint or "", answer=answer or "",
                             level=level)

    def concepts(self, fields: _Fields, node: Node, where: str) -> tuple[Concept, ...] | None:
        entry = fields.get("concepts")
        name = _sub(where, "concepts")
        if entry is None:
            self.report(node_line(node), name, "is required")
            return None
        items = self.sequence(entry[0], entry[1], name)
        if items is None:
            return None
        if not MIN_CONCEPTS <= len(items) <= MAX_CONCEPTS:
            self.report(entry[0], name, f"needs {MIN_CONCEPTS} to {MAX_CONCEPTS} concepts, found {len(items)}")
        concepts = [self.concept(item, f"{name}[{i}]") for i, item in enumerate(items)]
        return None if any(c is None for c in concepts) else tuple(concepts)  # type: ignore[arg-type]

    def concept(self, node: Node, where: str) -> Concept | None:
        fields = self.mapping(node, where, _CONCEPT_KEYS, "a concept (name, keywords)")
        if fields is None:
            return None
        name = self.required_text(fields, node, where, "name", MAX_CONCEPT_NAME)
        entry = fields.get("keywords")
        keywords: list[str] | None = None
        if entry is None:
            self.report(node_line(node), _sub(where, "keywords"), "is required")
        else:
            keywords = self.text_list(entry[0], entry[1], _sub(where, "keywords"), MAX_KEYWORD)
            if keywords is not None and not keywords:
                self.report(entry[0], _sub(where, "keywords"), "needs at least one keyword")
                keywords = None
        if name is None or keywords is None:
            return None
        return Concept(name=name, keywords=tuple(keywords))

    # The deck -----------------------------------------------------------------------------------------------------

    def deck(self, root: Node | None, deck_id: str) -> Deck | None:
        if root is None:
            self.report(1, "", "the file is empty: a deck needs a title and at least one item")
            return None
        fields = self.mapping(root, "", _DECK_KEYS, "a deck (title, cards, quiz, explain)")
        if fields is None:
            return None
        if "$schema" in fields:
            self.text(*fields["$schema"], "$schema", MAX_URL)
        title = self.required_text(fields, root, "", "title", MAX_TITLE)
        description = self.optional_text(fields, "", "description", MAX_DESCRIPTION)
        author = self.optional_text(fields, "", "author", MAX_AUTHOR)
        language = self.language(fields)
        tags = self.tags(fields)
        sections = {name: self.section_nodes(fields, name) for name in ("cards", "quiz", "explain")}
        total = sum(len(nodes) for nodes in sections.values() if nodes)
        if total > MAX_ITEMS:
            # Items are not read one by one then: aliases can make a small file hold a huge list.
            self.report(node_line(root), "", f"has {total} items; the limit is {MAX_ITEMS}")
            return None
        cards = self.items(sections["cards"], "cards", self.card)
        quiz = self.items(sections["quiz"], "quiz", self.question)
        explain = self.items(sections["explain"], "explain", self.prompt)
        if total == 0 and all(nodes is not None for nodes in sections.values()):
            self.report(node_line(root), "", "needs at least one item in cards, quiz or explain")
        if self.problems or title is None:
            return None
        return Deck(id=deck_id, title=title, description=description or "", tags=tags, author=author or "",
                    cards=cards, quiz=quiz, explain=explain, language=language)

    def language(self, fields: _Fields) -> str:
        entry = fields.get("language")
        if entry is None:
            return DEFAULT_LANGUAGE
        value = self.text(entry[0], entry[1], "language", MAX_LANGUAGE_TAG)
        if value is not None and len(value) <= MAX_LANGUAGE_TAG and not is_language_tag(value):
            self.report(entry[0], "language",
                        f"{_quote(value)} is not a known language tag (BCP 47, such as en, es, de, pt-BR or ja)")
        return value or DEFAULT_LANGUAGE

    def tags(self, fields: _Fields) -> tuple[str, ...]:
        entry = fields.get("tags")
        if entry is None:
            return ()
        tags = self.text_list(entry[0], entry[1], "tags", MAX_TAG) or []
        if len(tags) > MAX_TAGS:
            self.report(entry[0], "tags", f"has {len(tags)} tags; the limit is {MAX_TAGS}")
        return tuple(dict.fromkeys(tags))  # a repeated tag is harmless: keep the first

    def section_nodes(self, fields: _Fields, name: str) -> list[Node] | None:
        entry = fields.get(name)
        return [] if entry is None else self.sequence(entry[0], entry[1], name)

    def items(self, nodes: list[Node] | None, name: str, read: Callable[[Node, str], T | None]) -> tuple[T, ...]:
        if not nodes:
            return ()
        read_items = [read(node, f"{name}[{i}]") for i, node in enumerate(nodes)]
        return tuple(item for item in read_items if item is not None)


def _unknown_key_message(name: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f", did you mean {_quote(close[0])}?" if close else ""
    return f"unknown key{hint} (allowed: {', '.join(allowed)})"


def _not_a_choice(answer: str, choices: list[str]) -> str:
    message = f"{_quote(answer)} is not one of the choices"
    folded = answer.casefold()
    near = next((c for c in choices if c.casefold() == folded), None)
    return message + (f" (did you mean {_quote(near)}?)" if near else "")


def _is_https_url(text: str) -> bool:
    if any(ch.isspace() for ch in text):
        return False
    parts = urlsplit(text)
    return parts.scheme == "https" and bool(parts.netloc)


# --- Loading -------------------------------------------------------------------------------------------------------


def parse_deck(text: str, *, deck_id: str, source: str) -> Deck:
    """Read and validate one deck; raises DeckError listing every problem found."""
    problems: list[DeckProblem] = []
    if not is_slug(deck_id):
        problems.append(DeckProblem(source, None, "", f"deck id {_quote(deck_id)} must be 1 to {MAX_ID_LENGTH} "
                                                      "lowercase letters, digits, - or _ (it comes from the file name)"))
    if len(text) > MAX_DECK_BYTES:
        raise DeckError(problems + [DeckProblem(source, None, "", "is larger than the 2 MB limit")])
    reader = _DeckReader(source)
    with gc_paused():
        try:
            root = compose_yaml(text.removeprefix("\ufeff"))
        except YamlSyntaxError as exc:
            raise DeckError(problems + [DeckProblem(source, exc.line, "", exc.message)]) from None
        deck = reader.deck(root, deck_id)
    problems.extend(sorted(reader.problems, key=lambda p: p.line or 0))
    if problems or deck is None:
        raise DeckError(problems)
    return replace(deck, source=source)


def load_deck_file(path: Path) -> Deck:
    """Load one deck file; its id is the file name without extension."""
    source = display_path(path)
    try:
        size = path.stat().st_size
        if size > MAX_DECK_BYTES:  # checked before reading, so a huge file never reaches memory
            raise DeckError([DeckProblem(source, None, "", f"is {size} bytes; the limit is 2 MB")])
        data = path.read_bytes()
    except FileNotFoundError:
        raise DeckError([DeckProblem(source, None, "", "file not found")]) from None
    except IsADirectoryError:
        raise DeckError([DeckProblem(source, None, "", "is a folder, not a deck file")]) from None
    except OSError as exc:
        raise DeckError([DeckProblem(source, None, "", f"cannot be read: {exc.strerror or exc}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DeckError([DeckProblem(source, line, "", "is not UTF-8 text")]) from None
    return parse_deck(text, deck_id=path.stem, source=source)


def deck_files(folder: Path) -> list[Path]:
    """The deck files of a folder (not its sub-folders), sorted by name; hidden files such as editor backups skipped."""
    return sorted(
        p for p in folder.iterdir() if p.suffix in DECK_SUFFIXES and not p.name.startswith(".") and p.is_file()
    )


def load_deck_dir(path: Path) -> DeckLoadResult:
    """Load every deck of a folder; a broken deck is reported and skipped, never stopping the others."""
    result = DeckLoadResult()
    if not path.is_dir():
        reason = "is not a folder" if path.exists() else "folder not found"
        result.problems.append(DeckProblem(display_path(path), None, "", reason))
        return result
    with gc_paused():
        for file in deck_files(path):
            try:
                deck = load_deck_file(file)
            except DeckError as exc:
                result.problems.extend(exc.problems)
                continue
            if deck.id in result.decks:
                result.problems.append(DeckProblem(deck.source, None, "", f"deck id {_quote(deck.id)} is already "
                                                                          f"used by {result.decks[deck.id].source}"))
                continue
            result.decks[deck.id] = deck
    return result


def display_path(path: Path) -> str:
    """A path as a person reads it in messages: relative to the working folder when it lies inside it."""
    try:
        return path.relative_to(Path.cwd()).as_posix() if path.is_absolute() else path.as_posix()
    except ValueError:
        return path.as_posix()
