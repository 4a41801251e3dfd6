"""A PNG activity heatmap of the last 26 weeks (one column per week, Monday on top), like a contribution graph.

Pure: takes activity counts per local day, the member's local today and the weekday and month names of the
reader's language, returns PNG bytes of a fixed size. The names are drawn with PIL's default font, which has plain
Latin letters only, else with the first installed system font that has all of them (DejaVu Sans for accents, Noto
Sans CJK for Japanese); without one, a name loses its accents, and a name still out of reach becomes the month's or
weekday's number, so the picture never shows boxes.
"""
from __future__ import annotations

import functools
import io
import threading
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Mapping, Sequence

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
WEEKDAY_ROWS = (0, 2, 4)  # Monday, Wednesday and Friday are labelled


@dataclass(frozen=True, slots=True)
class Labels:
    """Abbreviated names in the reader's language: weekdays Monday first, months January first."""

    weekdays: Sequence[str]
    months: Sequence[str]


ENGLISH = Labels(
    ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
)


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


# A private-use character no font of Latin text has a glyph for: what the font draws for it is its "missing" box.
_NO_GLYPH = "\U0010fffd"
_glyph_lock = threading.Lock()


DEFAULT_FONT = ""
# Tried, in order, when PIL's own font lacks a letter of the names (found in the system's font folders if installed).
SYSTEM_FONTS = ("DejaVuSans.ttf", "NotoSansCJK-Regular.ttc")
FONT_SIZE = 10  # PIL's default font's size: the layout's margins are measured for it


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@functools.cache
def _font(name: str) -> Font | None:
    """PIL's default font (name ""), or an installed font; None when it is not installed."""
    if not name:
        return ImageFont.load_default()
    try:
        return ImageFont.truetype(name, FONT_SIZE)
    except OSError:
        return None


def _mask(font: Font, text: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(text)
    return mask.size, bytes(mask)


@functools.cache
def _has_glyph(font_name: str, char: str) -> bool:
    font = _font(font_name)
    if font is None:
        return False
    if char.isspace():
        return True
    with _glyph_lock:  # heatmaps are drawn in worker threads; one font face is not shared between them
        return _mask(font, char) != _mask(font, _NO_GLYPH)


def drawable(text: str, font_name: str = DEFAULT_FONT) -> bool:
    """Whether the font draws every character of `text` (none comes out as a box)."""
    return all(_has_glyph(font_name, char) for char in text)


def font_for(names: Sequence[str]) -> str:
    """The first font (default, then SYSTEM_FONTS) that draws all `names`; the default when none does."""
    for font_name in (DEFAULT_FONT, *SYSTEM_FONTS):
        if all(drawable(name, font_name) for name in names):
            return font_name
    return DEFAULT_FONT


def _unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def drawable_names(names: Sequence[str], font_name: str = DEFAULT_FONT) -> list[str]:
    """`names` as the font can draw them: as given, else without accents, else numbered from 1 (all alike, so a
    picture never mixes names and numbers)."""
    if all(drawable(name, font_name) for name in names):
        return list(names)
    plain = [_unaccented(name) for name in names]
    if all(drawable(name, font_name) for name in plain):
        return plain
    return [str(number) for number in range(1, len(names) + 1)]


def render(counts: Mapping[date, int], today: date, labels: Labels = ENGLISH) -> bytes:
    """PNG bytes of the heatmap; days after `today` in the last column are drawn as empty slots."""
    start = first_day(today)
    visible = [counts.get(start + timedelta(days=i), 0) for i in range((today - start).days + 1)]
    busiest = max(visible, default=0)
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    font_name = font_for([*labels.weekdays, *labels.months])
    font = _font(font_name)
    weekdays = drawable_names(labels.weekdays, font_name)
    months = drawable_names(labels.months, font_name)
    for row in WEEKDAY_ROWS:
        x, y = cell_origin(0, row)
        draw.text((4, y + 1), weekdays[row], fill=TEXT, font=font)
    last_month = None
    for column in range(WEEKS):
        monday = start + timedelta(weeks=column)
        if monday.month != last_month:
            last_month = monday.month
            if column < WEEKS - 2:  # a label needs two columns of room
                draw.text((cell_origin(column, 0)[0], 4), months[monday.month - 1], fill=TEXT, font=font)
        for row in range(7):
            day = monday + timedelta(days=row)
            x, y = cell_origin(column, row)
            colour = FUTURE if day > today else SHADES[shade(counts.get(day, 0), busiest)]
            draw.rounded_rectangle((x, y, x + CELL - 1, y + CELL - 1), radius=3, fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
