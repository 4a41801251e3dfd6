"""Pages of a list: how many there are and which one a request lands on (one rule for decks and leaderboards)."""
from __future__ import annotations

import math


def page_count(total: int, per_page: int) -> int:
    """Pages needed for `total` entries; an empty list still has one (empty) page."""
    return max(1, math.ceil(total / per_page))


def clamp_page(page: int, total: int, per_page: int) -> int:
    """`page` (0-based) moved inside the pages that exist."""
    return min(max(page, 0), page_count(total, per_page) - 1)
