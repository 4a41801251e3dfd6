"""Anki's card templates, rendered the way Anki renders them, so an imported card shows what Anki would show.

A note type's template (`qfmt` for the question, `afmt` for the answer) holds `{{Field}}` replacements with optional
filters (`{{text:Field}}`, `{{cloze:Text}}`, `{{hint:Extra}}`, `{{type:Back}}`), sections `{{#Field}}…{{/Field}}`
shown when a field is not empty and `{{^Field}}…{{/Field}}` when it is, and `{{FrontSide}}` on the answer. Rendering
gives HTML; the importer converts it to markdown afterwards. Followed from Anki's own renderer:

- A field is empty when it holds only whitespace and `<br>`/`<div>` tags.
- A replacement or section naming a field the note type lacks is an error: Anki shows an error instead of the
  card, so the card is reported, never shown half-rendered.
- Filters apply right to left (`{{text:hint:F}}` is hint, then text); unknown filters leave the text unchanged.
- A non-cloze card exists when its question uses at least one non-empty field; a cloze note makes one card per
  deletion number found in the fields its question passes through `cloze:`; a cloze field without the card's
  deletion renders empty; deletions may nest.
- Things a reviewer does interactively become their Discord equivalent: `{{type:F}}` (an answer box) is dropped
  from the question and shows the expected answer on the back; `{{hint:F}}` (a "show hint" link) becomes a
  spoiler; `{{tts …:F}}` (a play button) shows nothing.

Pure: no Discord, no database. Every scan is linear in its input: fields come from untrusted files.
"""
from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

LEGACY_DIRECTIVE = "{{=<% %>=}}"
_CLOZE_CONDITIONAL = re.compile(r"c\d+")
_EMPTY_FIELD = re.compile(r"(?:[ \t\n\r\f\v]|</?(?:br|div) ?/?>)*+", re.IGNORECASE)  # ASCII space, as Anki
# Anki marks where the answer begins (and scrolls there) with <hr id=answer>; bounded repeats keep it linear.
_ANSWER_MARK = re.compile(r"<hr\b[^>]{0,200}?\bid\s*=\s*[\"']?answer\b[^>]{0,200}>", re.IGNORECASE)
_FURIGANA = re.compile(r" ?([^ >\[\]]{1,50}?)\[([^\[\]]{1,100}?)\]")
_CLOZE_OPEN = re.compile(r"\{\{c(\d{1,9})::")
_QUESTION_GAP = "[…]"
MAX_NESTING = 32  # deletions inside deletions; deeper openings stay text (real notes nest two or three deep)


class TemplateError(Exception):
    """The template cannot be rendered for this note (Anki would show an error instead of the card)."""


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    ord: int
    qfmt: str
    afmt: str


@dataclass(frozen=True, slots=True)
class NoteType:
    name: str
    fields: tuple[str, ...]
    templates: tuple[Template, ...]
    cloze: bool = False


# Anki's stock Cloze note type: what a cloze note that comes without its note type's templates (a text export) is
# rendered with, so it gets the cards, nesting and checks of every other cloze note.
STOCK_CLOZE = NoteType("Cloze", ("Text", "Back Extra"),
                       (Template("Cloze", 0, "{{cloze:Text}}", "{{cloze:Text}}<br>\n{{Back Extra}}"),), cloze=True)


@dataclass(frozen=True, slots=True)
class RenderedCard:
    key: str  # what tells this card from the note's others: "" for the first template, "c2", "card2"
    front: str  # HTML
    back: str  # HTML: what the answer side adds, without the question repeated


@dataclass
class RenderedNote:
    cards: list[RenderedCard] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (which card, why it is not there)
    used_fields: set[str] = field(default_factory=set)  # fields some card shows (for counting dropped media)


# --- Parsing templates ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Replace:
    key: str
    filters: tuple[str, ...]  # in the order they apply


@dataclass(frozen=True, slots=True)
class _Section:
    key: str
    negated: bool
    children: tuple[object, ...]


@lru_cache(maxsize=256)
def parse_template(template: str) -> tuple[object, ...]:
    """The template as a tree of text, replacements and sections; TemplateError when Anki would refuse it."""
    if template.lstrip().startswith(LEGACY_DIRECTIVE):  # the old alternative syntax, still read by Anki
        template = template.lstrip()[len(LEGACY_DIRECTIVE):].replace("<%", "{{").replace("%>", "}}")
    stack: list[tuple[str | None, list[object]]] = [(None, [])]
    pos = 0
    while pos < len(template):
        start = template.find("{{", pos)
        if start < 0:
            stack[-1][1].append(template[pos:])
            break
        if start > pos:
            stack[-1][1].append(template[pos:start])
        end = template.find("}}", start + 2)
        if end < 0:
            raise TemplateError(f"`{template[start:start + 30]}` has no closing `}}}}`")
        handle = template[start + 2:end].strip()
        pos = end + 2
        if len(handle) >= 2 and handle[0] in "#^":
            stack.append((handle, []))
        elif len(handle) >= 2 and handle[0] == "/":
            key = handle[1:].strip()
            opened, children = stack[-1]
            if opened is None or opened[1:].strip() != key:
                raise TemplateError(f"`{{{{/{key}}}}}` closes a section that is not open")
            stack.pop()
            stack[-1][1].append(_Section(key, opened[0] == "^", tuple(children)))
        else:
            *filters, key = handle.split(":")
            stack[-1][1].append(_Replace(key.strip(), tuple(f.strip() for f in reversed(filters))))
    if len(stack) > 1:
        raise TemplateError(f"`{{{{{stack[-1][0]}}}}}` is never closed")
    return tuple(stack[0][1])


def replacements(nodes: tuple[object, ...]) -> list[_Replace]:
    found: list[_Replace] = []
    for node in nodes:
        if isinstance(node, _Replace):
            found.append(node)
        elif isinstance(node, _Section):
            found += replacements(node.children)
    return found


def field_is_empty(text: str) -> bool:
    return _EMPTY_FIELD.fullmatch(text) is not None


def _renders_with(nodes: tuple[object, ...], nonempty: set[str]) -> bool:
    """Anki's card-generation test: does the question show at least one non-empty field?"""
    for node in nodes:
        if isinstance(node, _Replace):
            if node.key in nonempty:
                return True
        elif isinstance(node, _Section):
            if (node.key in nonempty) == node.negated:
                continue
            if _renders_with(node.children, nonempty):
                return True
    return False


# --- Cloze deletions -----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Deletion:
    number: int
    children: list[object]  # text and nested deletions
    hint: str | None = None
    opening: str = ""  # as written ("{{c1::"), for an opening never closed, which stays text


def parse_cloze(text: str) -> list[object]:
    """A field as text and (possibly nested) deletions, read as Anki's cloze parser reads it: `{{cN::` opens a
    deletion, `}}` closes the innermost open one, `::` in its last text starts the hint; an unclosed opening is text.
    """
    root: list[object] = []
    stack: list[_Deletion] = []
    pos = 0
    opening = closing = -1  # the next "{{c" and "}}" at or after pos, found once each so the scan stays linear
    while pos < len(text):
        if opening != -2 and opening < pos:
            opening = text.find("{{c", pos)
            opening = -2 if opening < 0 else opening
        if closing != -2 and closing < pos:
            closing = text.find("}}", pos)
            closing = -2 if closing < 0 else closing
        if opening == -2 and not stack:
            root.append(text[pos:])
            break
        if closing >= 0 and stack and (opening < 0 or closing < opening):
            (stack[-1].children if stack else root).append(text[pos:closing])
            done = stack.pop()
            last = done.children[-1] if done.children else None
            if isinstance(last, str) and "::" in last:
                done.children[-1], done.hint = last.split("::", 1)
            (stack[-1].children if stack else root).append(done)
            pos = closing + 2
            continue
        head = _CLOZE_OPEN.match(text, opening) if opening >= 0 and len(stack) < MAX_NESTING else None
        if head is None:
            if opening < 0 and closing < 0:
                stop = len(text)
            elif opening < 0:
                stop = closing + 2  # a "}}" with no deletion open is text (stack is empty only past the closes)
            else:
                stop = opening + 1
            (stack[-1].children if stack else root).append(text[pos:stop])
            pos = stop
            continue
        (stack[-1].children if stack else root).append(text[pos:opening])
        stack.append(_Deletion(int(head.group(1)), [], opening=head.group(0)))
        pos = head.end()
    # Openings never closed were plain text after all. Each one was opened after everything its parent holds, so in
    # stack order each opening and its children follow the parent's: one pass, however many there are.
    for unclosed in stack:
        root += [unclosed.opening, *unclosed.children]
    return root


def cloze_numbers_in(nodes: list[object]) -> set[int]:
    found: set[int] = set()
    pending = list(nodes)
    while pending:
        node = pending.pop()
        if isinstance(node, _Deletion):
            found.add(node.number)
            pending += node.children
    return found


def _reveal(nodes: list[object], number: int, question: bool, out: list[str], shown: list[bool],
            inside_active: bool = False) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif node.number == number and not inside_active:
            shown[0] = True
            if question:
                out.append(f"[{node.hint}]" if node.hint else _QUESTION_GAP)
            else:
                out.append("<b>")
                _reveal(node.children, number, question, out, shown, True)
                out.append("</b>")
        else:
            _reveal(node.children, number, question, out, shown, inside_active)


def cloze_text(text: str, number: int, question: bool) -> str:
    """`{{cloze:Field}}` for card `number`: that deletion hidden ([hint] or […]) on the question and in bold on the
    answer, the others showing their text; empty when the field has no deletion `number`, as in Anki."""
    out: list[str] = []
    shown = [False]
    _reveal(parse_cloze(text), number, question, out, shown)
    return "".join(out) if shown[0] else ""


def cloze_numbers(text: str) -> list[int]:
    """The deletion numbers in a field, nested ones included."""
    return sorted(cloze_numbers_in(parse_cloze(text)))


def cloze_answers(text: str, number: int) -> list[str]:
    """The texts deletion `number` hides (what `{{type:cloze:…}}` expects and `{{cloze-only:…}}` shows)."""
    answers: list[str] = []
    pending = list(parse_cloze(text))
    while pending:
        node = pending.pop(0)
        if isinstance(node, _Deletion):
            if node.number == number:
                out: list[str] = []
                _reveal(node.children, number, False, out, [False], True)
                answers.append("".join(out))
            else:
                pending[:0] = node.children
    return answers


def revealed_length(text: str) -> int:
    """How long the field's visible text is with every deletion shown (the length every card's back has)."""
    out: list[str] = []
    _reveal(parse_cloze(text), 0, False, out, [False])
    return len(strip_html("".join(out)).strip())


# --- Filters ---------------------------------------------------------------------------------------------------


def strip_html(text: str) -> str:
    """Tags and comments removed, entities decoded (Anki's `text:` filter); one pass, an unclosed `<` ends it."""
    parts: list[str] = []
    pos = 0
    while (start := text.find("<", pos)) >= 0:
        parts.append(text[pos:start])
        close = "-->" if text.startswith("<!--", start) else ">"
        end = text.find(close, start + 1)
        if end < 0:
            pos = len(text)
            break
        pos = end + len(close)
    parts.append(text[pos:])
    return html.unescape("".join(parts))


def _ruby(text: str, which: int) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(2).startswith("sound:"):
            return match.group(0)
        if which:
            return match.group(which)
        return f"{match.group(1)}({match.group(2)})"  # no ruby in Discord: the reading in brackets after the word

    return _FURIGANA.sub(replace, text.replace("&nbsp;", " "))


@dataclass
class _Context:
    fields: Mapping[str, str]
    nonempty: set[str]
    number: int  # the cloze number of the card (template ord + 1)
    question: bool
    frontside: str = ""
    used: set[str] = field(default_factory=set)


def _apply(text: str, filters: tuple[str, ...], key: str, ctx: _Context) -> str:
    if filters and filters[-1] == "type":
        # {{type:F}}: an answer box on the question; on the answer, Anki compares what was typed with the field, and
        # with nothing typed it shows the expected answer.
        if ctx.question:
            return ""
        if filters[:1] == ("cloze",):
            return ", ".join(strip_html(a) for a in cloze_answers(text, ctx.number))
        return html.escape(strip_html(text), quote=False)
    for name in filters:
        if name == "text":
            text = strip_html(text)
        elif name == "cloze":
            text = cloze_text(text, ctx.number, ctx.question)
        elif name == "cloze-only":
            text = ", ".join(cloze_answers(text, ctx.number))
        elif name == "hint":
            if text.strip():
                text = f"{key}: ||{text}||"  # a click-to-show link in Anki; a spoiler in Discord
        elif name in ("furigana", "kanji", "kana"):
            text = _ruby(text, {"furigana": 0, "kanji": 1, "kana": 2}[name])
        elif name.startswith("tts "):
            text = ""  # a play button in Anki; there is no speech here
        # any other filter (an add-on's, or a typo) leaves the text as it is, as in Anki
    return text


def _render(nodes: tuple[object, ...], ctx: _Context, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _Replace):
            if node.key == "FrontSide":
                out.append(ctx.frontside)
            elif not node.key:
                continue  # {{text:}}: a filter given no field adds nothing without Anki's front end
            elif node.key not in ctx.fields:
                shown = ":".join((*reversed(node.filters), node.key))
                raise TemplateError(f"it uses `{{{{{shown}}}}}`, but the note type has no field {node.key!r}")
            else:
                text = _apply(ctx.fields[node.key], node.filters, node.key, ctx)
                if text:
                    ctx.used.add(node.key)
                out.append(text)
        elif isinstance(node, _Section):
            if node.key in ctx.nonempty:
                shown = True
            elif node.key in ctx.fields or _CLOZE_CONDITIONAL.fullmatch(node.key):
                shown = False
            else:
                mark = "^" if node.negated else "#"
                raise TemplateError(f"it uses `{{{{{mark}{node.key}}}}}`, but the note type has no field "
                                    f"{node.key!r}")
            if shown != node.negated:
                _render(node.children, ctx, out)
            else:
                _render(node.children, ctx, [])  # Anki still reports errors inside a hidden section


# --- Cards of a note -----------------------------------------------------------------------------------------------


def answer_part(back: str, front: str) -> str:
    """What the answer adds: the text after Anki's `<hr id=answer>` when there is one; else the answer without the
    question in front of it when it starts with it (`{{FrontSide}}<hr>…`); else the whole answer."""
    mark = _ANSWER_MARK.search(back)
    if mark is not None:
        return back[mark.end():]
    if front.strip() and back.startswith(front):
        return back[len(front):]
    return back


def cloze_fields(note_type: NoteType) -> list[str]:
    """The fields the cloze question passes through `cloze:` (all fields when it names none)."""
    if not note_type.templates:
        return list(note_type.fields)
    used = [r.key for r in replacements(parse_template(note_type.templates[0].qfmt)) if "cloze" in r.filters]
    return list(dict.fromkeys(k for k in used if k in note_type.fields)) or list(note_type.fields)


def render_note(note_type: NoteType, values: list[str], *, tags: list[str] = (), deck: str = "",
                card_ords: tuple[int, ...] = (), max_text: int = 4000) -> RenderedNote:
    """The note's cards as Anki renders them: for a cloze type one per deletion number in its cloze fields; else one
    per template that has a card in the collection (`card_ords`), or, with none recorded, per template whose
    question shows a non-empty field. Cards that cannot be shown are listed in `problems` with the reason."""
    fields = dict(zip(note_type.fields, [*values, *[""] * (len(note_type.fields) - len(values))]))
    specials = {"Tags": " ".join(tags), "Type": note_type.name, "Deck": deck,
                "Subdeck": deck.rsplit(" / ", 1)[-1], "CardFlag": "", "CardID": ""}
    fields = {**specials, **fields}
    nonempty = {name for name, value in fields.items() if not field_is_empty(value)}
    result = RenderedNote()
    if not note_type.templates:
        return result
    if note_type.cloze:
        _render_cloze(note_type, fields, nonempty, result, max_text)
        return result
    templates = {t.ord: t for t in note_type.templates}
    ords = [o for o in sorted(set(card_ords)) if o in templates]
    for template in ([templates[o] for o in ords] if ords else note_type.templates):
        key = "" if template.ord == note_type.templates[0].ord else f"card{template.ord + 1}"
        label = template.name or f"card {template.ord + 1}"
        try:
            question = parse_template(template.qfmt)
            if not _renders_with(question, nonempty):
                if ords:  # the collection has this card; Anki would show "the front of this card is blank"
                    result.problems.append((label, "its front is empty for this note"))
                continue
            card = _render_card(template, question, {**fields, "Card": template.name}, nonempty,
                                template.ord + 1, result.used_fields)
        except TemplateError as exc:
            result.problems.append((label, f"its card template cannot be rendered: {exc}"))
            continue
        result.cards.append(RenderedCard(key, *card))
    return result


def _render_card(template: Template, question: tuple[object, ...], fields: Mapping[str, str], nonempty: set[str],
                 number: int, used: set[str]) -> tuple[str, str]:
    front_ctx = _Context(fields, nonempty, number, question=True)
    front: list[str] = []
    _render(question, front_ctx, front)
    front_html = "".join(front)
    back_ctx = _Context(fields, nonempty, number, question=False, frontside=front_html)
    back: list[str] = []
    _render(parse_template(template.afmt), back_ctx, back)
    back_html = answer_part("".join(back), front_html)
    used |= front_ctx.used
    # Fields shown only through {{FrontSide}} are already counted with the front.
    used |= back_ctx.used
    return front_html, back_html


def _render_cloze(note_type: NoteType, fields: dict[str, str], nonempty: set[str], result: RenderedNote,
                  max_text: int) -> None:
    template = note_type.templates[0]
    names = cloze_fields(note_type)
    numbers: set[int] = set()
    too_long: set[int] = set()
    for name in names:
        found = cloze_numbers_in(parse_cloze(fields[name]))
        numbers |= found
        # Every card of a deletion in this field shows the whole field on its back: when that is over the limit no
        # such card can be kept, so it is said once instead of rendering (and refusing) each of them.
        if found and (length := revealed_length(fields[name])) > max_text:
            too_long |= found
            result.problems.append((name, f"the text is {length} characters long; a card's limit is {max_text}"))
    if not numbers:
        result.problems.append(("note", "a cloze note without any {{c1::…}} deletion"))
        return
    cost = len(numbers) * sum(len(fields[n]) for n in names)
    if cost > 50_000_000:  # each card renders the fields again: bound the work a crafted note can ask for
        result.problems.append(("note", f"{len(numbers)} deletions in so long a text are too many to render"))
        return
    try:
        question = parse_template(template.qfmt)
        for number in sorted(numbers - too_long):
            front, back = _render_card(template, question, {**fields, "Card": template.name},
                                       nonempty | {f"c{number}"}, number, result.used_fields)
            result.cards.append(RenderedCard(f"c{number}", front, back))
    except TemplateError as exc:
        result.problems.append(("note", f"its card template cannot be rendered: {exc}"))
