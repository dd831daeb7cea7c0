"""Colour checks for the configurable organisation colours (WCAG 2.2 contrast, 1.4.3)."""

from __future__ import annotations

import re

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5  # WCAG AA for normal-size text
WHITE = "#ffffff"


def is_hex_colour(value: str) -> bool:
    return bool(_HEX.match(value))


def _luminance(colour: str) -> float:
    # Relative luminance as WCAG defines it (sRGB channels linearised).
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two "#rrggbb" colours, from 1 to 21."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
