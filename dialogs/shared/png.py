"""A tiny PNG encoder (8-bit RGBA) plus signed-distance helpers for drawing icons.

Pure Python (zlib + struct) so packaging the Teams app needs no imaging library.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Iterable, Sequence

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
Pixel = tuple[int, int, int, int]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_png(width: int, height: int, rgba_rows: Iterable[bytes | Sequence[Pixel]]) -> bytes:
    """Encode an image as PNG bytes (colour type 6: 8-bit RGBA, not interlaced).

    Each row is either a bytes-like object of ``width * 4`` bytes or a sequence
    of ``width`` ``(r, g, b, a)`` tuples with values 0-255. Raises ``ValueError``
    when the size or the row data do not match.
    """
    if width < 1 or height < 1:
        raise ValueError(f"PNG size must be positive, got {width}x{height}")
    raw = bytearray()
    count = 0
    for row in rgba_rows:
        data = bytes(row) if isinstance(row, (bytes, bytearray, memoryview)) else bytes(
            channel for pixel in row for channel in pixel
        )
        if len(data) != width * 4:
            raise ValueError(f"PNG row {count} has {len(data)} bytes, expected {width * 4}")
        # Filter type 0 (none) per row: small icons gain little from smarter filters.
        raw += b"\x00" + data
        count += 1
    if count != height:
        raise ValueError(f"PNG has {count} rows, expected {height}")
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        _SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + _chunk(b"IEND", b"")
    )


# --- Drawing helpers -------------------------------------------------------
# Shapes are signed distance functions (negative inside, in pixels) so that edge
# anti-aliasing is one cheap evaluation per pixel instead of supersampling.


def coverage(distance: float) -> float:
    """Fraction of a pixel covered by a shape whose edge is ``distance`` px from its centre."""
    return min(1.0, max(0.0, 0.5 - distance))


def circle(x: float, y: float, cx: float, cy: float, radius: float) -> float:
    """Signed distance from (x, y) to a filled circle."""
    return math.hypot(x - cx, y - cy) - radius


def ring(x: float, y: float, cx: float, cy: float, radius: float, stroke: float) -> float:
    """Signed distance to a circular outline of the given stroke width."""
    return abs(math.hypot(x - cx, y - cy) - radius) - stroke / 2


def rounded_square(x: float, y: float, size: float, radius: float) -> float:
    """Signed distance to a square of side ``size`` at the origin with rounded corners."""
    half = size / 2
    qx = abs(x - half) - (half - radius)
    qy = abs(y - half) - (half - radius)
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    return outside + min(max(qx, qy), 0.0) - radius


def over(dst: tuple[float, float, float, float], rgb: tuple[int, int, int], alpha: float
         ) -> tuple[float, float, float, float]:
    """Composite colour ``rgb`` at ``alpha`` over ``dst`` (straight, non-premultiplied alpha)."""
    if alpha <= 0.0:
        return dst
    r, g, b, a = dst
    out_a = alpha + a * (1.0 - alpha)
    mix = [(s * alpha + d * a * (1.0 - alpha)) / out_a for s, d in zip(rgb, (r, g, b))]
    return mix[0], mix[1], mix[2], out_a


def to_pixel(colour: tuple[float, float, float, float]) -> Pixel:
    """Round a float RGBA (alpha 0-1) to an 8-bit pixel."""
    r, g, b, a = colour
    return round(r), round(g), round(b), round(a * 255)


def hex_rgb(value: str) -> tuple[int, int, int]:
    """Parse ``#RRGGBB`` into an (r, g, b) tuple."""
    text = value.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"expected a colour like #005EB8, got {value!r}")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
