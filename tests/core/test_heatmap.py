"""The activity heatmap: a valid PNG of the fixed size, one cell per day, shades by activity."""
from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image

from bot.core import heatmap

TODAY = date(2025, 6, 11)  # a Wednesday


def pixel(png: bytes, day: date) -> tuple[int, int, int]:
    start = heatmap.first_day(TODAY)
    offset = (day - start).days
    x, y = heatmap.cell_origin(offset // 7, offset % 7)
    return Image.open(io.BytesIO(png)).convert("RGB").getpixel((x + heatmap.CELL // 2, y + heatmap.CELL // 2))


def test_png_of_the_expected_size() -> None:
    png = heatmap.render({}, TODAY)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == heatmap.SIZE == (heatmap.WIDTH, heatmap.HEIGHT)


def test_first_column_starts_on_a_monday_25_weeks_back() -> None:
    start = heatmap.first_day(TODAY)
    assert start.weekday() == 0
    assert (TODAY - start).days // 7 == heatmap.WEEKS - 1


def test_active_days_are_shaded_by_count() -> None:
    counts = {TODAY: 8, TODAY - timedelta(days=1): 1, TODAY - timedelta(days=100): 4}
    png = heatmap.render(counts, TODAY)
    assert pixel(png, TODAY) == heatmap.SHADES[4]
    assert pixel(png, TODAY - timedelta(days=1)) == heatmap.SHADES[1]
    assert pixel(png, TODAY - timedelta(days=100)) == heatmap.SHADES[heatmap.shade(4, 8)]
    assert pixel(png, TODAY - timedelta(days=2)) == heatmap.SHADES[0]
    assert pixel(png, TODAY + timedelta(days=1)) == heatmap.FUTURE


def test_days_outside_the_picture_are_ignored() -> None:
    old = heatmap.first_day(TODAY) - timedelta(days=1)
    assert heatmap.render({old: 50}, TODAY) == heatmap.render({}, TODAY)


def test_shade_levels() -> None:
    assert heatmap.shade(0, 10) == 0
    assert heatmap.shade(1, 10) == 1
    assert heatmap.shade(10, 10) == 4
    assert heatmap.shade(1, 1) == 4
    assert all(1 <= heatmap.shade(c, 37) <= 4 for c in range(1, 38))
