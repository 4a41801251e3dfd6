"""Decks: loading and validating many generated questions, and the memory a bot holds with 100 decks loaded.

Each measurement runs in a fresh Python process (`python -m bench.decks load|memory FOLDER`), so neither the
benchmark's own objects nor an earlier phase's heap are counted.
"""
from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.procs import REPO

LEVELS = ("beginner", "intermediate", "advanced")


def _quiz_lines(n: int) -> list[str]:
    return [
        f"  - id: question-{n}",
        f"    question: In generated question {n}, which statement about gradient descent is right?",
        "    choices:",
        f"      - The learning rate sets the size of each step ({n})",
        f"      - The batch size sets the number of layers ({n})",
        f"      - Momentum removes the need for a loss function ({n})",
        f"      - Weight decay makes every weight larger ({n})",
        f"    answer: The learning rate sets the size of each step ({n})",
        "    explanation: The learning rate multiplies the gradient, so it decides how far each update moves.",
        f"    level: {LEVELS[n % 3]}",
    ]


def _card_lines(n: int) -> list[str]:
    return [
        f"  - id: card-{n}",
        f"    front: What does generated card number {n} say about learning rate warm-up?",
        f"    back: Card {n} says warm-up starts with a small learning rate and raises it over the first steps, "
        "which keeps early updates stable.",
        f"    level: {LEVELS[n % 3]}",
    ]


def _prompt_lines(n: int) -> list[str]:
    lines = [
        f"  - id: prompt-{n}",
        f"    prompt: Explain in your own words why generated idea {n} helps a model train.",
        "    hint: Think about the size of each step.",
        f"    level: {LEVELS[n % 3]}",
        "    concepts:",
    ]
    for c in range(3):
        lines += [f"      - name: Generated concept {c} of prompt {n}",
                  f"        keywords: [step size {c}, learning rate {c}, stable training {c}, converge {c}]"]
    lines.append("    answer: A good answer names the step size, the learning rate and stable training.")
    return lines


def deck_yaml(number: int, cards: int, questions: int, prompts: int) -> str:
    lines = [f"title: Generated deck {number}", f"description: Deck {number} generated for the benchmark.",
             "tags: [benchmark, generated]"]
    for key, count, make in (("cards", cards, _card_lines), ("quiz", questions, _quiz_lines),
                             ("explain", prompts, _prompt_lines)):
        if count:
            lines.append(f"{key}:")
            for n in range(1, count + 1):
                lines += make(n)
    return "\n".join(lines) + "\n"


QUESTIONS_PER_FILE = 2500  # a deck file may hold 5000 items and 2 MB; these questions take about 550 bytes each


def write_question_decks(folder: Path, questions: int) -> Path:
    """Deck files holding `questions` multiple-choice questions in all."""
    folder.mkdir(parents=True, exist_ok=True)
    number = 0
    while questions > 0:
        number += 1
        count = min(questions, QUESTIONS_PER_FILE)
        (folder / f"questions-{number:02d}.yaml").write_text(deck_yaml(number, 0, count, 0), encoding="utf-8")
        questions -= count
    return folder


def write_many_decks(folder: Path, decks: int, items: int) -> Path:
    """`decks` deck files sharing `items` items: 40% cards, 50% quiz questions, 10% explain prompts."""
    folder.mkdir(parents=True, exist_ok=True)
    per_deck = items // decks
    cards, prompts = per_deck * 4 // 10, per_deck // 10
    questions = per_deck - cards - prompts
    for number in range(1, decks + 1):
        (folder / f"generated-{number:03d}.yaml").write_text(deck_yaml(number, cards, questions, prompts), "utf-8")
    return folder


async def _probe(mode: str, target: Path) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.decks", mode, str(target), cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"deck probe {mode} failed:\n{err.decode()[-2000:]}")
    return json.loads(out)


async def decks_phase(questions: int, decks: int, items: int, workdir: Path) -> dict[str, Any]:
    load = await _probe("load", write_question_decks(workdir / "questions", questions))
    memory = await _probe("memory", write_many_decks(workdir / "many", decks, items))
    return {"questions": load["questions"], "load_seconds": load["seconds"], "problems": load["problems"],
            "decks": memory["decks"], "items": memory["items"], "rss_before_mb": memory["rss_before_mb"],
            "rss_mb": memory["rss_mb"], "peak_rss_mb": memory["peak_rss_mb"]}


# --- In the probe process --------------------------------------------------------------------------------------------


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def probe_load(folder: Path) -> dict[str, Any]:
    from bot.core.decks import load_deck_dir

    started = time.perf_counter()
    result = load_deck_dir(folder)
    seconds = time.perf_counter() - started
    loaded = sum(len(deck.quiz) for deck in result.decks.values())
    return {"questions": loaded, "seconds": round(seconds, 3), "problems": [str(p) for p in result.problems[:5]]}


def probe_memory(folder: Path) -> dict[str, Any]:
    import bot.app  # noqa: F401 - everything the bot process imports, so the figure is the bot's, not a bare Python's
    from bot.core.decks import load_deck_dir
    from bot.core.library import DeckLibrary

    gc.collect()
    before = _status_mb("VmRSS")
    library = DeckLibrary(load_deck_dir(folder).decks)
    gc.collect()
    return {"decks": len(library.shipped), "items": library.item_count, "rss_before_mb": before,
            "rss_mb": _status_mb("VmRSS"), "peak_rss_mb": _status_mb("VmHWM")}


if __name__ == "__main__":
    mode, target = sys.argv[1], Path(sys.argv[2])
    print(json.dumps(probe_load(target) if mode == "load" else probe_memory(target)))
