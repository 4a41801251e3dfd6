"""A PNG activity heatmap of the last 26 weeks (one column per week, Monday on top), like a contribution graph.

Pure: takes activity counts per local day and the member's local today, returns PNG bytes of a fixed size.
"""
from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Mapping

from PIL import Image, ImageDraw, ImageFont

WEEKS = 26
CELL = 14
GAP = 3
LEFT = 34  # room for weekday labels
TOP = 20  # room for month labels
MARGIN = 8
WIDTH = LEFT + WEEKS * (CELL + GAP) - GAP + MARGIN
HEIGHT = TOP + 7 * (CELL + GAP) - GAP + MARGIN
SIZE = (WIDTH, HEIGHT)

BACKGROUND = (43, 45, 49)
TEXT = (181, 186, 193)
FUTURE = (49, 51, 56)
# Empty day, then four shades of Recall's blurple, faint to strong.
SHADES = [(64, 66, 73), (62, 73, 140), (76, 88, 190), (96, 110, 235), (150, 160, 255)]
WEEKDAY_LABELS = {0: "Mon", 2: "Wed", 4: "Fri"}


def first_day(today: date) -> date:
    """The Monday that starts the first of the 26 columns (the last column holds `today`'s week)."""
    return today - timedelta(days=today.weekday()) - timedelta(weeks=WEEKS - 1)


def shade(count: int, busiest: int) -> int:
    """0 for no activity, else 1–4 relative to the busiest day in the picture."""
    if count <= 0 or busiest <= 0:
        return 0
    return min(4, 1 + (count - 1) * 4 // busiest) if busiest > 1 else 4


def cell_origin(column: int, row: int) -> tuple[int, int]:
    return LEFT + column * (CELL + GAP), TOP + row * (CELL + GAP)


def render(counts: Mapping[date, int], today: date) -> bytes:
    """PNG bytes of the heatmap; days after `today` in the last column are drawn as empty slots."""
    start = first_day(today)
    visible = [counts.get(start + timedelta(days=i), 0) for i in range((today - start).days + 1)]
    busiest = max(visible, default=0)
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    for row, label in WEEKDAY_LABELS.items():
        x, y = cell_origin(0, row)
        draw.text((4, y + 1), label, fill=TEXT, font=font)
    last_month = None
    for column in range(WEEKS):
        monday = start + timedelta(weeks=column)
        if monday.month != last_month:
            last_month = monday.month
            if column < WEEKS - 2:  # a label needs two columns of room
                draw.text((cell_origin(column, 0)[0], 4), monday.strftime("%b"), fill=TEXT, font=font)
        for row in range(7):
            day = monday + timedelta(days=row)
            x, y = cell_origin(column, row)
            colour = FUTURE if day > today else SHADES[shade(counts.get(day, 0), busiest)]
            draw.rounded_rectangle((x, y, x + CELL - 1, y + CELL - 1), radius=3, fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
