"""`python -m bot check [PATH ...]`: validate decks without a token or a database.

The CLI wiring lives in bot/__main__.py; this module only reads decks and reports.
"""
from __future__ import annotations

from pathlib import Path
from typing import TextIO

from bot.core.decks import DeckError, DeckLoadResult, DeckProblem, display_path, load_deck_dir, load_deck_file


def run_check(paths: list[Path], out: TextIO) -> int:
    """Validate every deck file or folder in `paths`, print each problem on its own line, then a summary.

    Returns the process exit code: 0 only when at least one deck was found and every deck is valid.
    """
    valid = 0
    problems: list[DeckProblem] = []
    for path in paths:
        result = _check_path(path)
        valid += len(result.decks)
        problems.extend(result.problems)
    for problem in problems:
        print(problem, file=out)
    print(_summary(valid, problems), file=out)
    return 0 if valid and not problems else 1


def _check_path(path: Path) -> DeckLoadResult:
    if path.is_dir():
        return load_deck_dir(path)
    result = DeckLoadResult()
    if not path.exists():
        result.problems.append(DeckProblem(display_path(path), None, "", "no such file or folder"))
        return result
    try:  # a file named explicitly is checked whatever its extension
        deck = load_deck_file(path)
    except DeckError as exc:
        result.problems.extend(exc.problems)
    else:
        result.decks[deck.id] = deck
    return result


def _summary(valid: int, problems: list[DeckProblem]) -> str:
    if not problems:
        return f"{_plural(valid, 'deck')} valid" if valid else "no decks found"
    broken = len({p.path for p in problems})
    line = f"{_plural(len(problems), 'problem')} in {_plural(broken, 'deck')}"
    return f"{line}; {_plural(valid, 'deck')} valid" if valid else line


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
