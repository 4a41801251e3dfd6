"""Text within a limit: one rule for deck imports and for everything Recall shows within Discord's limits."""
from __future__ import annotations


def clip(text: str, limit: int) -> str:
    """`text` within `limit` characters, ending with "…" (after any trailing space is dropped) when it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 card', '2 cards' (`many` where adding an s is wrong)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"
