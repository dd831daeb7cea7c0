"""A small PNG bar chart of a feedback report (rating groups, then themes), for an Image in the card.

Pure Python through dialogs/shared/png.py, so no imaging library is needed. Labels stay in the card's
text (the rows are drawn in the order the card lists them); each bar carries its value in a
built-in 3x5 digit font, so the image reads on its own too. It draws only what it is given:
the rating groups come from storage/feedback_reports.py, which alone decides what may be seen.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from dialogs.shared.png import write_png

WIDTH = 420
ROW = 20
BAR = 12
GAP_BETWEEN_GROUPS = 10
MARGIN = 8
SCALE = 2  # digit pixels
BACKGROUND = (255, 255, 255, 255)
RATING = (70, 86, 170, 255)   # accessible indigo
THEME = (0, 128, 110, 255)    # accessible teal
TEXT = (40, 40, 40, 255)
TRACK = (232, 232, 240, 255)
MAX_ROWS = 40

_DIGITS = {  # 3x5 glyphs, rows top to bottom
    "0": ("111", "101", "101", "101", "111"), "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"), "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"), "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"), "7": ("111", "001", "010", "010", "010"),
    "8": ("111", "101", "111", "101", "111"), "9": ("111", "101", "111", "001", "111"),
    ".": ("000", "000", "000", "000", "010"),
}
_LABEL_WIDTH = 5 * 4 * SCALE  # room for "99999"


def chart_png(ratings: Sequence[tuple[int, int]], themes: Sequence[int]) -> bytes:
    """Bars for rating groups (count out of its question's responses) and theme counts (out of
    the largest), as PNG bytes."""
    ratings, themes = list(ratings)[:MAX_ROWS], list(themes)[:MAX_ROWS]
    rows = [(n, total, RATING) for n, total in ratings] + [(n, max(themes or [1]), THEME) for n in themes]
    height = MARGIN * 2 + ROW * max(len(rows), 1) + (GAP_BETWEEN_GROUPS if ratings and themes else 0)
    pixels = [bytearray(bytes(BACKGROUND) * WIDTH) for _ in range(height)]

    def fill(x0: int, y0: int, x1: int, y1: int, colour: tuple[int, int, int, int]) -> None:
        for y in range(max(y0, 0), min(y1, height)):
            row = pixels[y]
            row[x0 * 4:x1 * 4] = bytes(colour) * (x1 - x0)

    track_start = MARGIN + _LABEL_WIDTH + 6
    track_end = WIDTH - MARGIN
    y = MARGIN
    for index, (value, top, colour) in enumerate(rows):
        if index == len(ratings) and ratings:
            y += GAP_BETWEEN_GROUPS
        bar_y = y + (ROW - BAR) // 2
        fill(track_start, bar_y, track_end, bar_y + BAR, TRACK)
        length = int((track_end - track_start) * max(0.0, min(1.0, value / top))) if top else 0
        fill(track_start, bar_y, track_start + length, bar_y + BAR, colour)
        x = MARGIN
        for char in str(value):
            for gy, line in enumerate(_DIGITS.get(char, _DIGITS["."])):
                for gx, bit in enumerate(line):
                    if bit == "1":
                        px, py = x + gx * SCALE, bar_y + 1 + gy * SCALE
                        fill(px, py, px + SCALE, py + SCALE, TEXT)
            x += 4 * SCALE
        y += ROW
    return write_png(WIDTH, height, (bytes(row) for row in pixels))


def chart_data_uri(ratings: Sequence[tuple[int, int]], themes: Sequence[int]) -> str:
    return "data:image/png;base64," + base64.b64encode(chart_png(ratings, themes)).decode()
