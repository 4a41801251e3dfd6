"""What every importer shares: the result and error types, building a valid Deck item by item, wrong-choice picking,
HTML → Discord markdown, and writing a Deck back as Recall YAML.

Pure: no Discord, no database. Importers skip what cannot become a valid item (with a reason) instead of failing the
whole file; only a file that cannot be read at all raises ImportFailed.
"""
from __future__ import annotations

import hashlib
import html
import random
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from decimal import Decimal, InvalidOperation

import yaml
from lxml import etree
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from bot.core.decks import (
    DEFAULT_LANGUAGE,
    MAX_CARD_TEXT,
    MAX_CHOICE,
    MAX_DESCRIPTION,
    MAX_AUTHOR,
    MAX_ID_LENGTH,
    MAX_ITEMS,
    MAX_QUESTION,
    MAX_TITLE,
    MAX_URL,
    Card,
    Deck,
    DeckError,
    QuizQuestion,
    parse_deck,
)
from bot.core.text import clip

Progress = Callable[[int, int], None]  # (done, total): lets the CLI draw a bar for large files

MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # an .apkg's collection may be far bigger than the zip, but not unboundedly
MAX_SKIP_LINES = 10  # how many skip reasons a summary spells out before "and N more"
NEAR_DUPLICATE = 85  # rapidfuzz score from which a wrong choice is too close to a right answer


class ImportFailed(Exception):
    """The file cannot be imported at all; `problems` lists what is wrong, readable by the person who sent it."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems) or [message]


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """Bounds on what an import may cost; uploads use the bot's settings, the CLI the same item limit."""

    max_bytes: int = 2 * 1024 * 1024  # the file as sent
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES  # what a zip may expand to
    max_items: int = MAX_ITEMS


@dataclass(frozen=True)
class ImportResult:
    """A valid deck plus an account of the source: how many records became items and what was left out, and why."""

    deck: Deck
    imported: int
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    format: str = ""

    def summary(self, limit: int = MAX_SKIP_LINES) -> str:
        deck = self.deck
        counts = _counts_text(len(deck.cards), len(deck.quiz), len(deck.explain))
        lines = [f"Imported {self.imported} {_plural(self.imported, 'entry', 'entries')} into **{deck.title}** "
                 f"(`{deck.id}`): {counts}."]
        if self.skipped:
            lines.append(f"Skipped {len(self.skipped)}:")
            lines += [f"- {what}: {why}" for what, why in self.skipped[:limit]]
            if len(self.skipped) > limit:
                lines.append(f"- … and {len(self.skipped) - limit} more")
        return "\n".join(lines)


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _counts_text(cards: int, quiz: int, explain: int) -> str:
    return (f"{cards} {_plural(cards, 'card', 'cards')}, {quiz} quiz {_plural(quiz, 'question', 'questions')}, "
            f"{explain} explain {_plural(explain, 'prompt', 'prompts')}")


# --- Ids and names -------------------------------------------------------------------------------------------------

_NOT_SLUG = re.compile(r"[^a-z0-9_-]+")


def slugify(text: str, fallback: str = "imported-deck") -> str:
    """A deck id from a file name or title: lowercase letters, digits, - and _, at most 40 characters."""
    slug = _NOT_SLUG.sub("-", text.casefold()).strip("-_")[:MAX_ID_LENGTH].strip("-_")
    return slug or fallback


def title_from_id(deck_id: str) -> str:
    return deck_id.replace("_", " ").replace("-", " ").strip().capitalize() or "Imported deck"


def stable_id(prefix: str, key: str) -> str:
    """An item id that depends only on what identifies the source record, so re-importing an edited file keeps
    members' progress on unchanged items."""
    return prefix + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


def human_size(size: int) -> str:
    """2.0 MB, 640 KB, 900 bytes: sizes as a person reads them in an error message."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"


# --- Building a deck -----------------------------------------------------------------------------------------------


class DeckBuilder:
    """Collects items, skipping (with a reason) any that would break a deck rule, then validates the whole deck
    through parse_deck so an import can never produce a deck the loader would refuse."""

    def __init__(self, deck_id: str, *, limits: ImportLimits, fmt: str) -> None:
        self.deck_id = deck_id
        self.limits = limits
        self.fmt = fmt
        self.cards: list[Card] = []
        self.quiz: list[QuizQuestion] = []
        self.skipped: list[tuple[str, str]] = []
        self.imported = 0
        self._ids: set[str] = set()

    def skip(self, what: str, why: str) -> None:
        self.skipped.append((clip(" ".join(what.split()), 80), why))

    @property
    def item_count(self) -> int:
        return len(self.cards) + len(self.quiz)

    def unique_id(self, item_id: str) -> str:
        """`item_id`, or `item_id-2`, `-3`, … when taken: two records with the same key (e.g. the same front twice)
        still get distinct, stable ids. An importer that knows an item's own id (a Recall export) claims it here."""
        candidate, n = item_id, 2
        while candidate in self._ids:
            candidate, n = f"{item_id}-{n}", n + 1
        self._ids.add(candidate)
        return candidate

    def _check_room(self) -> None:
        if self.item_count >= self.limits.max_items:
            raise ImportFailed(
                f"The file has more than {self.limits.max_items} items, the limit for one deck; "
                "split it into smaller decks."
            )

    def add_card(self, what: str, key: str, front: str, back: str, *, level: str = "beginner",
                 image: str | None = None) -> bool:
        front, back = front.strip(), back.strip()
        if not front and not image:
            self.skip(what, "the front is empty")
            return False
        if not back:
            self.skip(what, "the back is empty")
            return False
        for name, text in (("front", front), ("back", back)):
            if len(text) > MAX_CARD_TEXT:
                self.skip(what, f"the {name} is {len(text)} characters long; the limit is {MAX_CARD_TEXT}")
                return False
        if image is not None and len(image) > MAX_URL:
            self.skip(what, "the image link is too long")
            return False
        self._check_room()
        self.cards.append(Card(id=self.unique_id(stable_id("c-", key)), front=front, back=back, level=level,
                               image=image))
        return True

    def add_question(self, what: str, key: str, question: str, choices: Sequence[str], answer: str, *,
                     explanation: str = "", level: str = "beginner") -> bool:
        question = question.strip()
        if len(question) > MAX_QUESTION:
            self.skip(what, f"the question is {len(question)} characters long; the limit is {MAX_QUESTION}")
            return False
        if len(answer) > MAX_CHOICE:
            self.skip(f"quiz: {what}", f"the answer is longer than {MAX_CHOICE} characters (a button label); "
                                       "kept as a card only")
            return False
        if len(choices) < 2:
            self.skip(f"quiz: {what}", "no other answers to draw wrong choices from; kept as a card only")
            return False
        self._check_room()
        self.quiz.append(QuizQuestion(id=self.unique_id(stable_id("q-", key)), question=question,
                                      choices=tuple(choices), answer=answer, explanation=explanation, level=level))
        return True

    def build(self, *, title: str, description: str = "", author: str = "", tags: Iterable[str] = (),
              source: str = "") -> ImportResult:
        if not self.cards and not self.quiz:
            reasons = "; ".join(sorted({why for _, why in self.skipped})[:3])
            raise ImportFailed("Nothing in the file could become a card or question"
                               + (f" ({reasons})." if reasons else "."),
                               [f"{what}: {why}" for what, why in self.skipped] or ["the file has no entries"])
        deck = Deck(id=self.deck_id, title=clip(title.strip() or title_from_id(self.deck_id), MAX_TITLE),
                    description=clip(" ".join(description.split()), MAX_DESCRIPTION),
                    tags=tuple(dict.fromkeys(t for t in tags if t))[:20], author=clip(author.strip(), MAX_AUTHOR),
                    cards=tuple(self.cards), quiz=tuple(self.quiz))
        return ImportResult(validate(deck, source=source or deck.id), self.imported, self.skipped, self.fmt)


def validate(deck: Deck, *, source: str) -> Deck:
    """Round-trip a built deck through the real loader: what an import yields always loads as a deck file."""
    try:
        return parse_deck(deck_to_yaml(deck), deck_id=deck.id, source=source)
    except DeckError as exc:
        raise ImportFailed("The imported deck does not pass validation.", [str(p) for p in exc.problems]) from None


# --- Wrong choices -------------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text.strip()) is not None


def is_near_duplicate(candidate: str, answer: str) -> bool:
    """Too close to count as wrong: same words in another case or order, a typo away, or one inside the other
    ("Washington" for "George Washington")."""
    a, b = default_process(candidate), default_process(answer)
    if not a or not b:
        return a == b
    return (a == b or fuzz.ratio(a, b) >= NEAR_DUPLICATE or fuzz.token_set_ratio(a, b) >= NEAR_DUPLICATE
            or fuzz.token_sort_ratio(a, b) >= NEAR_DUPLICATE)


def pick_distractors(right: Sequence[str], pool: Iterable[str], rng: random.Random, count: int = 3, *,
                     ranked: bool = False) -> list[str]:
    """Up to `count` wrong choices for a question whose accepted answers are `right` (the first is the one shown).

    Numbers and years get nearby wrong numbers; text answers come from `pool` (other answers of the same list; in
    the order given when `ranked`, else shuffled), preferring answers of the same kind (text for text) and never
    one that rapidfuzz finds too close to a right answer or to another wrong choice already picked.
    """
    if not right:
        return []
    if is_number(right[0]):
        return nearby_numbers(right[0], right, rng, count)
    opposite = _OPPOSITES.get(right[0].casefold())
    if opposite is not None:  # a yes/no question has one wrong answer, and it is not "Paris"
        folded = {r.casefold() for r in right}
        shown = opposite.capitalize() if right[0][:1].isupper() else opposite
        return [] if opposite in folded else [shown]
    same_kind: list[str] = []
    other_kind: list[str] = []
    seen: set[str] = set()
    for candidate in pool:
        text = candidate.strip()
        key = default_process(text)
        if not text or len(text) > MAX_CHOICE or key in seen:
            continue
        seen.add(key)
        (other_kind if is_number(text) else same_kind).append(text)
    chosen: list[str] = []
    for group in (same_kind, other_kind):
        if not ranked:
            rng.shuffle(group)
        for text in group:
            if len(chosen) == count:
                return chosen
            if any(is_near_duplicate(text, r) for r in right) or any(is_near_duplicate(text, c) for c in chosen):
                continue
            chosen.append(text)
    return chosen


_OPPOSITES = {"yes": "no", "no": "yes", "true": "false", "false": "true", "on": "off", "off": "on"}
_YEAR_OFFSETS = (1, 2, 3, 4, 5, 10, 20)
_SMALL_OFFSETS = (1, 2, 3, 4, 5)


def nearby_numbers(answer: str, right: Sequence[str], rng: random.Random, count: int = 3) -> list[str]:
    """Wrong numbers near the right one, written the same way (same decimals; no sign change)."""
    try:
        value = Decimal(answer.strip())
    except InvalidOperation:
        return []
    exponent = value.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    unit = Decimal(1).scaleb(-places)
    if places == 0 and 1000 <= abs(value) <= 2999:
        step, offsets = unit, _YEAR_OFFSETS  # a year: a few years either side is what a plausible wrong one looks like
    else:
        # Bigger numbers move in ~10 % steps, so 250 is followed by 225 or 275 rather than 251.
        try:
            step = max(unit, (abs(value) / 10).quantize(unit))
        except InvalidOperation:  # more digits than Decimal's context holds
            return []
        offsets = _SMALL_OFFSETS
    taken = set()
    for r in right:
        try:
            taken.add(Decimal(r.strip()))
        except InvalidOperation:
            continue
    candidates = []
    for offset in offsets:
        for sign in (1, -1):
            guess = value + sign * offset * step
            if guess in taken or (value >= 0 > guess) or (value < 0 <= guess):
                continue
            candidates.append(guess)
    rng.shuffle(candidates)
    chosen: list[str] = []
    for guess in candidates:
        text = f"{guess:.{places}f}"
        if text not in chosen:
            chosen.append(text)
        if len(chosen) == count:
            break
    return chosen


def shuffled_choices(answer: str, wrong: Sequence[str], rng: random.Random) -> list[str]:
    choices = [answer, *wrong]
    rng.shuffle(choices)
    return choices


def rng_for(key: str) -> random.Random:
    """A random source per question so an import gives the same choices every time it runs."""
    return random.Random(hashlib.sha1(key.encode("utf-8")).digest())


# --- HTML → Discord markdown ---------------------------------------------------------------------------------------

_INLINE = {"b": "**", "strong": "**", "i": "*", "em": "*", "u": "__", "s": "~~", "del": "~~", "strike": "~~",
           "code": "`"}
_BLOCK = {"div", "p", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote"}
_SOUND_OPEN = "[sound:"
_FENCE = "```"
_SPACES = re.compile(r"[ \t\u00a0]+")
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # what a browser collapses; &nbsp; (which Anki writes on purpose) is not


def drop_sounds(text: str) -> tuple[str, int]:
    """`text` without its [sound:…] references, and how many there were.

    The same spans as the pattern `\\[sound:[^\\]]*\\]`, found with str.find: that pattern rescanned to the end of the
    text from every unclosed "[sound:", quadratic in a crafted field, while here a missing "]" ends the search.
    """
    parts: list[str] = []
    pos = count = 0
    while (start := text.find(_SOUND_OPEN, pos)) >= 0:
        end = text.find("]", start + len(_SOUND_OPEN))
        if end < 0:
            break  # no later reference can close either
        parts.append(text[pos:start])
        count += 1
        pos = end + 1
    if not count:
        return text, 0
    parts.append(text[pos:])
    return "".join(parts), count


@dataclass
class Converted:
    text: str
    media: int  # images and sounds dropped


@dataclass(slots=True)
class _Span:
    """An open emphasis or inline-code tag. Its marker is written only when text arrives inside it (`at` is then its
    index in the writer's parts), so a span with no text leaves nothing, not even the whitespace it held."""

    marker: str
    at: int | None = None
    backticks: bool = False  # inline code whose text has a backtick: fenced with two instead of one


class _MarkdownWriter:
    """An lxml parser target: receives the tags and text of the field in order and writes Discord markdown.

    lxml (libxml2's HTML5 tokenizer) reads unclosed tags, comments and declarations in one pass; the standard
    library's HTMLParser rescans to the end of the text for each one on this Python (3.11.7), so a field of "<b"
    repeated took seconds. Every event here costs O(1) amortised, however deep the unclosed tags nest.

    Emphasis is decided per span, not by a pattern over the result: a pattern cannot tell "** **" (two spans and the
    space between them) from an empty span, nor a fence's ``` from empty inline code.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.parts: list[str] = []
        self.media = 0
        self.link: str | None = None
        self.link_start = 0
        self.skip_depth = 0  # inside <script>/<style>
        self.pre_depth = 0  # inside <pre>: text verbatim, no markers
        self.pre_fresh = False  # HTML drops one newline right after <pre>
        self.inline: list[_Span | None] = []  # every open inline tag; None for one that writes no marker
        self.spans: list[_Span] = []  # the open spans that write markers, outermost first
        self.written = 0  # spans[:written] have their opening marker in parts; the rest wait for text
        self.seen = 0  # spans[:seen] have text inside them; a span closed without any leaves no marker
        self.closed_at = -1  # index in parts of the last closing marker, for merging <b>a</b><b>b</b>
        self.code: _Span | None = None  # the open inline code span, inside which other markup is plain text
        self.line_open = False  # text since the last line break, so a block that starts now starts a new line
        self.fenced = False  # inside a ``` fence typed into the text, whose whitespace is the code's own

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag in ("script", "style"):
            self.skip_depth += 1
        elif tag in _INLINE:
            self._open(tag)
        elif tag == "br":
            self._line_break("\n")
        elif tag in _BLOCK:
            self._soft_break()
        elif tag == "li":
            self._soft_break()
            self.parts.append("- ")
            self.line_open = True
        elif tag == "pre":
            if not self.pre_depth:
                self._soft_break()
                self._line_break(_FENCE + "\n")
                self.pre_fresh = True
            self.pre_depth += 1
        elif tag == "img":
            self.media += 1
        elif tag == "a" and not self.pre_depth:  # in a code block a link is its text
            # Markers of spans around the link go before it, not into its label.
            self._write_waiting(text=False)
            self.link = attrib.get("href")
            self.link_start = len(self.parts)
            self.closed_at = -1

    def end(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _INLINE:
            if self.inline and (span := self.inline.pop()) is not None:
                self._close(span)
        elif tag in _BLOCK or tag == "li":
            self._soft_break()
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
            if not self.pre_depth:
                self._soft_break()
                self._line_break(_FENCE + "\n")
        elif tag == "a" and self.link is not None:
            label = "".join(self.parts[self.link_start:]).strip()
            if self.link.startswith(("http://", "https://")) and label and label != self.link:
                self.parts[self.link_start:] = [f"[{label}]({self.link})"]
                self.line_open = True
            self.link = None
            self.closed_at = -1

    def _open(self, tag: str) -> None:
        if self.pre_depth or self.code is not None:
            self.inline.append(None)  # markup inside code is shown as its text
            return
        span = _Span(_INLINE[tag])
        if tag == "code":
            self.code = span
        self.inline.append(span)
        self.spans.append(span)

    def _write_waiting(self, lead: str = "", *, text: bool = True) -> None:
        """Write `lead` (the whitespace before the first text inside the waiting spans), then their markers; `text`
        says that text follows, so every open span now has some."""
        parts = self.parts
        if lead:
            parts.append(lead)
        for span in self.spans[self.written:]:
            if text and not lead and 0 <= self.closed_at == len(parts) - 1 and parts[-1] == span.marker:
                parts.pop()  # <b>a</b><b>b</b>: one span, not "**a****b**"
                span.at = -1
            else:
                span.at = len(parts)
                parts.append(span.marker)
            self.closed_at = -1
        self.written = len(self.spans)
        if text:
            self.seen = self.written

    def _close(self, span: _Span) -> None:
        spans, parts = self.spans, self.parts
        spans.pop()
        depth = len(spans)
        if span is self.code:
            self.code = None
        self.written = min(self.written, depth)
        if depth >= self.seen:  # no text arrived inside
            if span.at is not None and span.at >= 0:
                parts[span.at] = ""  # written before a link that turned out empty
            return
        self.seen = depth
        last = parts[-1]
        if last[-1:].isspace() or not last:
            # Whitespace at the span's end goes after the marker: Discord reads "**a **" as text, "**a** " as bold.
            tail: list[str] = []
            while parts and (not parts[-1] or parts[-1].isspace()):
                tail.append(parts.pop())
            if parts and (last := parts[-1]) != (kept := last.rstrip()):
                parts[-1] = kept
                tail.append(last[len(kept):])
        else:
            tail = []
        marker = span.marker
        if span.backticks and span.at is not None and span.at >= 0:
            marker = "``"
            parts[span.at] = marker
        parts.append(marker)
        self.closed_at = len(parts) - 1
        if tail:
            parts.append("".join(reversed(tail)))

    def _soft_break(self) -> None:
        # Blocks start on a new line, but nested or adjacent blocks (and the whitespace between them) must not stack
        # up empty lines. A flag, not a look back through the parts: erased markers would make that quadratic.
        if self.line_open:
            self._line_break("\n")

    def _line_break(self, text: str) -> None:
        self.parts.append(text)
        self.line_open = False

    def _collapse(self, data: str) -> str:
        """Text as a browser shows it, each run of whitespace one space (a line break in the HTML source is not
        one on screen, in inline code too); ``` fences typed into the text keep theirs, and the line breaks around
        them, since Discord reads ``` as a fence only at the start of a line."""
        pieces = data.split(_FENCE)
        last = len(pieces) - 1
        for i, piece in enumerate(pieces):
            if not self.fenced:
                pieces[i] = _HTML_SPACE.sub(partial(_space, after_fence=i > 0, before_fence=i < last), piece)
            if i < last:
                self.fenced = not self.fenced
        return _FENCE.join(pieces)

    def data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            if self.pre_fresh:
                self.pre_fresh = False
                data = data.removeprefix("\n")
        else:
            if self.code is not None and "`" in data:
                self.code.backticks = True
            fenced = self.fenced
            data = self._collapse(data)
            if data == " " and not self.line_open and not fenced:
                return  # a browser shows no space at a line's start; kept, it would make the next block a new line
            if self.seen < len(self.spans) and (text := data.lstrip()):
                self._write_waiting(data[:len(data) - len(text)])
                data = text
        if data:
            self.parts.append(data)
            self.line_open = not data.endswith("\n")

    def close(self) -> None:
        return None


def _space(match: re.Match[str], *, after_fence: bool, before_fence: bool) -> str:
    at_fence = (after_fence and match.start() == 0) or (before_fence and match.end() == len(match.string))
    return "\n" if at_fence and "\n" in match.group() else " "


def _tidy(text: str) -> str:
    """Runs of spaces to one, lines trimmed, at most one empty line in a row, except inside ``` fences: there every
    line is kept as written (only &nbsp;, which Anki's editor writes for repeated spaces, becomes a space)."""
    lines: list[str] = []
    fenced = blank = False
    for line in text.split("\n"):
        toggles = line.count(_FENCE) % 2 == 1
        if fenced:
            lines.append(line.replace("\u00a0", " "))
            blank = False
        else:
            line = _SPACES.sub(" ", line).strip()
            if line or not blank:
                lines.append(line)
            blank = not line
        if toggles:
            fenced = not fenced
    return "\n".join(lines).strip()


_local = threading.local()


def _parser() -> tuple[etree.HTMLParser, _MarkdownWriter]:
    """This thread's parser and writer. lxml inspects a target's signature each time a parser is made for it, which
    took two thirds of the time of a small field; a parser is reusable once closed."""
    pair: tuple[etree.HTMLParser, _MarkdownWriter] | None = getattr(_local, "pair", None)
    if pair is None:
        writer = _MarkdownWriter()
        pair = _local.pair = (etree.HTMLParser(target=writer), writer)
    return pair


def html_to_markdown(text: str) -> Converted:
    """Anki field HTML as Discord markdown: bold/italic/underline/strike/code kept, line breaks and lists kept,
    <pre> as a fenced code block, images and [sound:…] dropped and counted, everything else reduced to its text.
    Whitespace reads as a browser shows it: a line break in the source is a space, <br> and blocks break lines."""
    text, sounds = drop_sounds(text)
    parser, writer = _parser()
    writer.reset()
    done = False
    try:
        # libxml2 takes UTF-8; a lone surrogate (never in decoded UTF-8, but possible in a str) would stop it.
        parser.feed(text if text.isascii() else text.encode("utf-8", "replace").decode("utf-8"))
        parser.close()
        done = True
    except etree.LxmlError as exc:
        raise ImportFailed(f"A field's HTML cannot be read ({exc}).") from None
    finally:
        if not done:
            _local.pair = None  # a parser stopped halfway would go on with this field's document
    converted = Converted(_tidy("".join(writer.parts)), writer.media + sounds)
    writer.reset()  # the parts of a 2 MB field are not kept alive until the next one
    return converted


def plain_text(text: str) -> Converted:
    """A field exported without HTML: only [sound:…] references to drop, and entities Anki may still write."""
    text, sounds = drop_sounds(text)
    return Converted(html.unescape(text).strip(), sounds)


# --- Writing YAML --------------------------------------------------------------------------------------------------


try:  # libyaml writes large decks several times faster; the output is the same YAML
    from yaml import CSafeDumper as _BaseDumper
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]


class _DeckDumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Block style, keys in the order given; strings that YAML would read as something else get quoted."""


def _represent_str(dumper: _BaseDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_DeckDumper.add_representer(str, _represent_str)


def _item_dicts(deck: Deck) -> dict[str, list[dict[str, object]]]:
    cards = []
    for card in deck.cards:
        entry: dict[str, object] = {"id": card.id}
        if card.front:
            entry["front"] = card.front
        if card.image:
            entry["image"] = card.image
        entry["back"] = card.back
        entry["level"] = card.level
        cards.append(entry)
    quiz = []
    for q in deck.quiz:
        entry = {"id": q.id, "question": q.question, "choices": list(q.choices), "answer": q.answer}
        if q.explanation:
            entry["explanation"] = q.explanation
        entry["level"] = q.level
        quiz.append(entry)
    explain = []
    for p in deck.explain:
        entry = {"id": p.id, "prompt": p.prompt}
        if p.hint:
            entry["hint"] = p.hint
        entry["concepts"] = [{"name": c.name, "keywords": list(c.keywords)} for c in p.concepts]
        if p.answer:
            entry["answer"] = p.answer
        entry["level"] = p.level
        explain.append(entry)
    return {"cards": cards, "quiz": quiz, "explain": explain}


def deck_to_yaml(deck: Deck, *, schema_comment: bool = True) -> str:
    """A Recall deck file for `deck`; parse_deck reads it back to an equal Deck (ids are always written)."""
    head: dict[str, object] = {"title": deck.title}
    if deck.description:
        head["description"] = deck.description
    if deck.tags:
        head["tags"] = list(deck.tags)
    if deck.author:
        head["author"] = deck.author
    if deck.language != DEFAULT_LANGUAGE:
        head["language"] = deck.language
    head.update({k: v for k, v in _item_dicts(deck).items() if v})
    body = yaml.dump(head, Dumper=_DeckDumper, sort_keys=False, allow_unicode=True, width=100_000,
                     default_flow_style=False, indent=2)
    return ("# yaml-language-server: $schema=deck.schema.json\n" if schema_comment else "") + body


def with_source(result: ImportResult, source: str) -> ImportResult:
    return replace(result, deck=replace(result.deck, source=source))
