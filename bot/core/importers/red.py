"""Red-DiscordBot trivia lists: `question: [accepted answers…]` plus AUTHOR, DESCRIPTION, CONFIG and $schema keys.

Each question becomes a flashcard (back: the first answer, the others listed) and a multiple-choice question whose
wrong choices come from the other questions' answers (nearby numbers for numeric answers). The file is read as a
node tree so answers keep the text written: `yes` stays "yes", `1945` stays "1945", `0.50` stays "0.50".
"""
from __future__ import annotations

import random
import re

from rapidfuzz import fuzz, process

from bot.core.importers.common import (
    DeckBuilder,
    ImportFailed,
    ImportLimits,
    ImportResult,
    Progress,
    pick_distractors,
    rng_for,
    shuffled_choices,
)
from bot.core.yaml_loader import MappingNode, Node, ScalarNode, SequenceNode, YamlSyntaxError, compose_yaml, is_null

SAMPLE = 200  # other questions compared per question: enough to find related ones, linear in the list's size
# Characters of each question compared: a trivia question is far shorter, and rapidfuzz's cost grows with the product
# of both lengths, so a list of 4,000-character questions took a minute to rank (now bounded per pair).
COMPARED = 300
SPECIAL_KEYS = frozenset(("AUTHOR", "DESCRIPTION", "CONFIG", "$schema"))
# An image link runs to the end of its word (the extension, then nothing or a ?query), so a word holds at most one,
# starting at its first https://: when that one fails, every later start in the word fails too. The pattern was
# `https://\S+?\.(?:png|jpe?g|gif|webp)(?:\?\S*)?(?=\s|$)`, tried from every https:// of a word and each time
# scanned to the word's end (quadratic on "https://" repeated); anchored at the start of a word and skipping
# possessively to its first https://, each word is read once. Group "link" is what the old pattern matched.
_IMAGE_URL = re.compile(r"(?<!\S)(?P<before>(?:(?!https://)\S)*+)"
                        r"(?P<link>https://\S+?\.(?:png|jpe?g|gif|webp)(?:\?\S*)?(?=\s|$))", re.IGNORECASE)


def image_and_text(question: str) -> tuple[str | None, str]:
    """Split a question into an https image link (when it has exactly one) and the text around it."""
    links = [match["link"] for match in _IMAGE_URL.finditer(question)]
    if len(links) != 1:
        return None, question
    return links[0], " ".join(_IMAGE_URL.sub(r"\g<before> ", question).split())


def _scalar_text(node: Node) -> str | None:
    if isinstance(node, ScalarNode) and not is_null(node):
        return node.value.strip()
    return None


def _answers(node: Node) -> list[str] | None:
    """Accepted answers as written; None when the value is not a list of plain values."""
    if isinstance(node, ScalarNode):  # Red wants a list; a lone answer is still clearly meant as one
        text = _scalar_text(node)
        return [text] if text else []
    if not isinstance(node, SequenceNode):
        return None
    answers = []
    for item in node.value:
        if not isinstance(item, ScalarNode):
            return None
        text = _scalar_text(item)
        if text and text not in answers:
            answers.append(text)
    return answers


def _read_root(text: str) -> MappingNode:
    if not text.strip():
        raise ImportFailed("The file is empty.")
    try:
        root = compose_yaml(text)
    except YamlSyntaxError as exc:
        where = f" on line {exc.line}" if exc.line else ""
        raise ImportFailed(f"This is not a readable trivia list: {exc.message}{where}.") from None
    if not isinstance(root, MappingNode):
        raise ImportFailed("A Red trivia list is a mapping of questions to lists of answers; this file is not.")
    return root


def import_red(text: str, *, deck_id: str, title: str = "", limits: ImportLimits = ImportLimits(),
               progress: Progress | None = None) -> ImportResult:
    root = _read_root(text)
    meta: dict[str, str] = {}
    entries: list[tuple[str, list[str]]] = []
    builder = DeckBuilder(deck_id, limits=limits, fmt="red")
    for key_node, value in root.value:
        key = _scalar_text(key_node) or ""
        if key in SPECIAL_KEYS:
            meta[key] = _scalar_text(value) or ""
            continue
        answers = _answers(value)
        if not key:
            builder.skip("(a question)", "the question text is empty")
        elif answers is None:
            builder.skip(key, "its answers are not a list of plain values")
        elif not answers:
            builder.skip(key, "it has no answers")
        else:
            entries.append((key, answers))

    questions = [question[:COMPARED] for question, _ in entries]
    for index, (question, answers) in enumerate(entries):
        _add_entry(builder, question, answers, _related_answers(index, entries, questions))
        if progress is not None and (index + 1) % 100 == 0:
            progress(index + 1, len(entries))
    if progress is not None:
        progress(len(entries), len(entries))
    return builder.build(title=title, description=meta.get("DESCRIPTION", ""), author=meta.get("AUTHOR", ""),
                         tags=("trivia",))


def _back(answers: list[str]) -> str:
    if len(answers) == 1:
        return answers[0]
    return f"{answers[0]}\n*Also accepted:* {', '.join(answers[1:])}"


def _related_answers(index: int, entries: list[tuple[str, list[str]]], questions: list[str]) -> list[str]:
    """Other questions' shown answers, those of the most similar questions first: the answer to "capital of
    Spain?" makes a better wrong choice for "capital of France?" than the answer to "legs of a spider?"."""
    rng = random.Random(index)
    others = [i for i in range(len(entries)) if i != index]
    sample = others if len(others) <= SAMPLE else rng.sample(others, SAMPLE)
    ranked = process.extract(questions[index], [questions[i] for i in sample], scorer=fuzz.token_set_ratio,
                             limit=None)
    return [entries[sample[position]][1][0] for _, _, position in ranked]


def _add_entry(builder: DeckBuilder, question: str, answers: list[str], related: list[str]) -> None:
    image, front = image_and_text(question)
    if not builder.add_card(question, question, front, _back(answers), image=image):
        return
    builder.imported += 1
    if image is not None:
        builder.skip(f"quiz: {question}", "quiz questions cannot show an image; kept as a card only")
        return
    rng = rng_for(question)
    wrong = pick_distractors(answers, related, rng, ranked=True)
    builder.add_question(question, question, question, shuffled_choices(answers[0], wrong, rng) if wrong else [],
                         answers[0])
