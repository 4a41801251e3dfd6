"""Exporting a deck so it can leave Recall: an Anki package, a CSV file, or Recall's own YAML.

Pure: a Deck in, bytes or text out; no files, no Discord, no database (the Anki package's SQLite collection is built
in memory). Every id an export writes is derived from the deck and item ids, so exporting the same deck twice gives
the same Anki note guids, note type ids and deck id: Anki then updates the notes it already has instead of adding
copies.

What each format carries (the round trip, importing the export again, gives these items back):
- yaml: everything (Recall's own format).
- csv: everything, in the columns of CSV_COLUMNS; today's CSV importer reads `front`, `back` and `level`, so a quiz
  question comes back as a card (question → answer) and an explain prompt as a card (prompt → model answer or its
  concepts); `read_export_csv` reads every column back.
- anki: everything but images' files, in Recall's own note types (Recall Basic, Recall Cloze for a card that came
  from a cloze deletion, Recall Quiz, Recall Explain), each with the item's id in an `Id` field and its level in a
  `recall::<level>` tag; the Anki importer reads those types' fields back into the same items. Their templates
  show what a learner expects: lettered choices on a question's front, the answer and explanation on its back.
"""
from __future__ import annotations

import csv
import hashlib
import html
import io
import itertools
import json
import re
import sqlite3
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import genanki

from bot.core.decks import LEVELS, Card, Concept, Deck, ExplainPrompt, QuizQuestion
from bot.core.importers.common import deck_to_yaml

EXPORT_FORMATS: dict[str, str] = {
    "anki": "Anki package (.apkg)",
    "csv": "CSV with a header row",
    "yaml": "Recall deck file (.yaml)",
}
EXTENSIONS = {"anki": ".apkg", "csv": ".csv", "yaml": ".yaml"}
MEDIA_TYPES = {"anki": "application/apkg", "csv": "text/csv", "yaml": "application/yaml"}

# One row per item. `front`/`back` are what a plain two-column reader needs (and what today's CSV importer reads);
# the rest lets a quiz question or explain prompt come back whole. Choices and concepts hold one entry a line.
CSV_COLUMNS = ("kind", "id", "front", "back", "level", "image", "choices", "answer", "explanation", "hint",
               "concepts")
KIND_CARD, KIND_QUIZ, KIND_EXPLAIN = "card", "quiz", "explain"


class ExportError(Exception):
    """The deck cannot be written in the asked format; the message says why, for the person who asked."""


@dataclass(frozen=True, slots=True)
class Exported:
    """An exported deck: the file's bytes and the name it should get."""

    data: bytes
    filename: str
    fmt: str
    items: int


def export_deck(deck: Deck, fmt: str, *, timestamp: float | None = None) -> Exported:
    """`deck` in format `fmt` (a key of EXPORT_FORMATS); `timestamp` fixes the Anki package's note times."""
    if fmt == "anki":
        data = export_anki(deck, timestamp=timestamp)
    elif fmt == "csv":
        data = export_csv(deck).encode("utf-8")
    elif fmt == "yaml":
        data = export_yaml(deck).encode("utf-8")
    else:
        raise ExportError(f"Unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}.")
    return Exported(data, f"{deck.id}{EXTENSIONS[fmt]}", fmt, deck.item_count)


# --- YAML ----------------------------------------------------------------------------------------------------------


def export_yaml(deck: Deck) -> str:
    return deck_to_yaml(deck)


# --- CSV -----------------------------------------------------------------------------------------------------------


def concepts_text(concepts: Iterable[Concept]) -> str:
    """One concept a line, `name: keyword | keyword`: readable in a spreadsheet, and read back by parse_concepts."""
    return "\n".join(f"{c.name}: {' | '.join(c.keywords)}" for c in concepts)


def parse_concepts(text: str) -> tuple[Concept, ...]:
    concepts = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _, keywords = line.rpartition(": ") if ": " in line else (line, "", "")
        concepts.append(Concept(name.strip(), tuple(k.strip() for k in keywords.split(" | ") if k.strip())))
    return tuple(concepts)


def explain_back(prompt: ExplainPrompt) -> str:
    """The back of an explain prompt where only two sides fit: the model answer, else the concepts to cover."""
    return prompt.answer or "Cover: " + "; ".join(c.name for c in prompt.concepts)


def csv_rows(deck: Deck) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for card in deck.cards:
        rows.append({"kind": KIND_CARD, "id": card.id, "front": card.front, "back": card.back, "level": card.level,
                     "image": card.image or ""})
    for q in deck.quiz:
        rows.append({"kind": KIND_QUIZ, "id": q.id, "front": q.question, "back": q.answer, "level": q.level,
                     "choices": "\n".join(q.choices), "answer": q.answer, "explanation": q.explanation})
    for p in deck.explain:
        rows.append({"kind": KIND_EXPLAIN, "id": p.id, "front": p.prompt, "back": explain_back(p), "level": p.level,
                     "answer": p.answer, "hint": p.hint, "concepts": concepts_text(p.concepts)})
    return rows


def write_csv(rows: Iterable[dict[str, str]], columns: Sequence[str]) -> str:
    """RFC 4180 CSV (CRLF, `"` quoting where needed): fields may hold commas, quotes and line breaks."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(columns), restval="", extrasaction="raise")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def export_csv(deck: Deck) -> str:
    return write_csv(csv_rows(deck), CSV_COLUMNS)


def read_export_csv(text: str, *, deck_id: str, title: str = "") -> Deck:
    """The deck an export_csv file holds, every column read (quiz choices, explain concepts included).

    For a CSV importer that wants to recognise Recall's own export (a header starting `kind,id,front,back`)."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    cards: list[Card] = []
    quiz: list[QuizQuestion] = []
    explain: list[ExplainPrompt] = []
    for row in reader:
        kind, level = row.get("kind", KIND_CARD), row.get("level") or LEVELS[0]
        if kind == KIND_QUIZ:
            choices = tuple(c for c in (row.get("choices") or "").split("\n") if c)
            quiz.append(QuizQuestion(row["id"], row["front"], choices, row.get("answer") or row["back"],
                                     row.get("explanation") or "", level))
        elif kind == KIND_EXPLAIN:
            explain.append(ExplainPrompt(row["id"], row["front"], parse_concepts(row.get("concepts") or ""),
                                         row.get("hint") or "", row.get("answer") or "", level))
        else:
            cards.append(Card(row["id"], row["front"], row["back"], level, row.get("image") or None))
    return Deck(id=deck_id, title=title or deck_id, cards=tuple(cards), quiz=tuple(quiz), explain=tuple(explain))


# --- Anki ----------------------------------------------------------------------------------------------------------

_CSS = (".card { font-family: sans-serif; font-size: 20px; text-align: left; color: black; background-color: white; }\n"
        ".cloze { font-weight: bold; color: blue; }\n"
        "pre { text-align: left; }\n")


def anki_id(deck_id: str, what: str) -> int:
    """A note type or deck id for Anki that depends only on the Recall deck id, in genanki's suggested range
    (2^30 to 2^31), so a re-export updates the same note types and deck in the learner's collection."""
    digest = hashlib.sha1(f"recall:{what}:{deck_id}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


# Recall's note types: every field a Recall item has, so that importing the package gives the same items back
# (ids in `Id`, levels in `recall::<level>` tags), while the templates show what a learner saw before they existed.
BASIC_MODEL, CLOZE_MODEL, QUIZ_MODEL, EXPLAIN_MODEL = "Recall Basic", "Recall Cloze", "Recall Quiz", "Recall Explain"
MODEL_FIELDS: dict[str, tuple[str, ...]] = {
    BASIC_MODEL: ("Id", "Front", "Back"),
    CLOZE_MODEL: ("Id", "Text", "Back Extra"),
    QUIZ_MODEL: ("Id", "Question", "Choices", "Answer", "Explanation"),
    EXPLAIN_MODEL: ("Id", "Prompt", "Concepts", "Hint", "Answer"),
}
LEVEL_TAG = "recall::"
CHOICE_LETTERS = "ABCDEFGHIJ"


def _model(deck_id: str, what: str, name: str, templates: list[dict[str, str]], **kwargs: object) -> genanki.Model:
    # Id is not the first field: Anki sorts and searches a type's notes by its sort field, which is the text.
    return genanki.Model(anki_id(deck_id, what), name, fields=[{"name": f} for f in MODEL_FIELDS[name]],
                         templates=templates, css=_CSS, sort_field_index=1, **kwargs)


def basic_model(deck_id: str) -> genanki.Model:
    return _model(deck_id, "basic", BASIC_MODEL,
                  [{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}<hr id=answer>{{Back}}"}])


def cloze_model(deck_id: str) -> genanki.Model:
    return _model(deck_id, "cloze", CLOZE_MODEL,
                  [{"name": "Cloze", "qfmt": "{{cloze:Text}}", "afmt": "{{cloze:Text}}<br>{{Back Extra}}"}],
                  model_type=genanki.Model.CLOZE)


def quiz_model(deck_id: str) -> genanki.Model:
    return _model(deck_id, "quiz", QUIZ_MODEL, [{
        "name": "Question",
        "qfmt": "{{Question}}<br><br>{{Choices}}",
        "afmt": "{{FrontSide}}<hr id=answer>{{Answer}}{{#Explanation}}<br><br>{{Explanation}}{{/Explanation}}"}])


def explain_model(deck_id: str) -> genanki.Model:
    return _model(deck_id, "explain", EXPLAIN_MODEL, [{
        "name": "Explain",
        "qfmt": "{{Prompt}}",
        "afmt": ("{{FrontSide}}<hr id=answer>A good explanation covers:<br>{{Concepts}}"
                 "{{#Hint}}<br><br>Hint: {{Hint}}{{/Hint}}{{#Answer}}<br><br>{{Answer}}{{/Answer}}")}])


def choices_text(choices: Sequence[str]) -> str:
    """The Choices field: one choice a line, lettered as the learner answers them (`A. …`)."""
    return "\n".join(f"{CHOICE_LETTERS[i]}. {c}" for i, c in enumerate(choices))


def parse_choices(text: str) -> tuple[str, ...]:
    """The choices of a Choices field; a line's letter is dropped only where choices_text put it."""
    lines = [line for line in text.splitlines() if line.strip()]
    return tuple(line.removeprefix(f"{CHOICE_LETTERS[i]}. ") if i < len(CHOICE_LETTERS) else line
                 for i, line in enumerate(lines))


_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def markdown_to_html(text: str) -> str:
    """The Discord markdown a Recall item uses, as the HTML Anki shows: code spans and bold as tags, line breaks
    as <br>, everything else escaped text (so `<` in a SQL question stays `<`)."""
    parts: list[str] = []
    pos = 0
    for match in _CODE_SPAN.finditer(text):  # code first: `**` inside a code span is code, not bold
        parts.append(_BOLD.sub(r"<b>\1</b>", html.escape(text[pos:match.start()], quote=False)))
        parts.append(f"<code>{html.escape(match.group(1), quote=False)}</code>")
        pos = match.end()
    parts.append(_BOLD.sub(r"<b>\1</b>", html.escape(text[pos:], quote=False)))
    return "".join(parts).replace("\n", "<br>")


_HIDDEN = re.compile(r"\[([^\[\]]*)\]")
_SHOWN = re.compile(r"\*\*([^*]+)\*\*")


def cloze_text(card: Card) -> str | None:
    """`{{c1::…}}` text when the card is one cloze deletion as Recall's importers show it (the front hides the
    deletion as `[…]` or `[hint]`, the back shows it in bold, all else equal), else None."""
    front, back = card.front, card.back
    prefix = len(_common_prefix(front, back))
    suffix = len(_common_prefix(front[prefix:][::-1], back[prefix:][::-1]))
    hidden = _HIDDEN.fullmatch(front[prefix:len(front) - suffix])
    shown = _SHOWN.fullmatch(back[prefix:len(back) - suffix])
    if hidden is None or shown is None or "}}" in shown.group(1) or "::" in shown.group(1):
        return None
    hint = hidden.group(1)
    deletion = shown.group(1) + ("" if hint == "…" else f"::{hint}")
    return front[:prefix] + "{{c1::" + deletion + "}}" + front[len(front) - suffix:]


def _common_prefix(a: str, b: str) -> str:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return a[:n]


def _level_tag(level: str) -> list[str]:
    return [f"{LEVEL_TAG}{level}"]


def anki_deck(deck: Deck) -> genanki.Deck:
    basic, cloze = basic_model(deck.id), cloze_model(deck.id)
    quiz, explain = quiz_model(deck.id), explain_model(deck.id)
    out = genanki.Deck(anki_id(deck.id, "deck"), deck.title, description=html.escape(deck.description))

    def add(model: genanki.Model, item_id: str, level: str, fields: list[str]) -> None:
        out.add_note(genanki.Note(model=model, fields=[item_id, *fields], tags=_level_tag(level),
                                  guid=genanki.guid_for(deck.id, item_id)))

    for card in deck.cards:
        text = cloze_text(card)
        if text is not None:
            add(cloze, card.id, card.level, [markdown_to_html(text), ""])
        else:
            front = markdown_to_html(card.front)
            if card.image:
                front = (front + "<br>" if front else "") + f'<img src="{html.escape(card.image)}">'
            add(basic, card.id, card.level, [front, markdown_to_html(card.back)])
    for q in deck.quiz:
        add(quiz, q.id, q.level, [markdown_to_html(q.question), markdown_to_html(choices_text(q.choices)),
                                  markdown_to_html(q.answer), markdown_to_html(q.explanation)])
    for p in deck.explain:
        add(explain, p.id, p.level, [markdown_to_html(p.prompt), markdown_to_html(concepts_text(p.concepts)),
                                     markdown_to_html(p.hint), markdown_to_html(p.answer)])
    return out


def export_anki(deck: Deck, *, timestamp: float | None = None) -> bytes:
    """An .apkg holding `deck` as one Anki deck. The collection is written to an in-memory SQLite database and
    serialised into the zip, so nothing touches the disk."""
    package = genanki.Package(anki_deck(deck))
    timestamp = time.time() if timestamp is None else timestamp
    conn = sqlite3.connect(":memory:")
    try:
        package.write_to_db(conn.cursor(), timestamp, itertools.count(int(timestamp * 1000)))
        conn.commit()
        collection = conn.serialize()
    finally:
        conn.close()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("collection.anki2", collection)
        zf.writestr("media", json.dumps({}))
    return out.getvalue()


# --- A member's missed quiz questions ------------------------------------------------------------------------------

# `question` and `answer` are names Recall's CSV importer reads, so the file uploads again as a deck of cards.
MISSED_COLUMNS = ("deck", "deck_title", "question_id", "question", "answer", "explanation", "choices", "last_missed")


@dataclass(frozen=True, slots=True)
class Missed:
    """A quiz question a member last answered wrong at `at`."""

    deck: Deck
    question: QuizQuestion
    at: datetime


def missed_questions_csv(missed: Iterable[Missed]) -> str:
    """The member's missed questions, most recent first, as CSV with a header (times in UTC, ISO 8601)."""
    ordered = sorted(missed, key=lambda m: (-m.at.timestamp(), m.deck.id, m.question.id))
    return write_csv(({"deck": m.deck.id, "deck_title": m.deck.title, "question_id": m.question.id,
                       "question": m.question.question, "answer": m.question.answer,
                       "explanation": m.question.explanation, "choices": "\n".join(m.question.choices),
                       "last_missed": m.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")} for m in ordered),
                     MISSED_COLUMNS)
