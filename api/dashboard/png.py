"""A tiny PNG writer (zlib + struct, no imaging library) and the thumbnail of one input.

Only what the dashboard needs: 8-bit greyscale or RGB, no interlacing, filter type 0
(PNG specification, ISO/IEC 15948, §11.2.2 IHDR and §12.3 filtering).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["THUMBNAIL_SIDE", "encode_png", "thumbnail_pixels"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Thumbnails are scaled (whole-pixel factors only, so digits stay crisp) towards this side.
THUMBNAIL_SIDE = 64
GREY, RGB = 0, 2


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of ``pixels``: uint8 of shape (H, W) (greyscale) or (H, W, 3) (RGB)."""
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3):
        raise ValueError(
            f"need uint8 (H, W) or (H, W, 3) pixels, got {pixels.dtype} {pixels.shape}"
        )
    if pixels.ndim == 3 and pixels.shape[2] != 3:
        raise ValueError(f"colour pixels must have 3 channels, got {pixels.shape[2]}")
    height, width = pixels.shape[:2]
    if height < 1 or width < 1:
        raise ValueError("an image needs at least one pixel")
    colour = GREY if pixels.ndim == 2 else RGB
    rows = np.ascontiguousarray(pixels).reshape(height, -1)
    scanlines = np.hstack([np.zeros((height, 1), np.uint8), rows])  # filter byte 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(scanlines.tobytes(), 6))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def thumbnail_pixels(image: np.ndarray, side: int = THUMBNAIL_SIDE) -> np.ndarray:
    """uint8 pixels for one input of any shape the service accepts: (C, H, W), (H, W),
    a vector (L,) (shown as one row of L pixels) or more dimensions (the first (C, H, W)
    slice is shown: index 0 of every leading axis).

    Values already in [0, 1] are shown as they are; anything else (standardised inputs)
    is stretched from its own minimum to its maximum. One channel gives greyscale, three
    give RGB, any other count shows the first channel. Small images are enlarged by a
    whole factor, large ones thinned by a whole stride, towards ``side`` pixels.
    """
    values = np.asarray(image, dtype=np.float64)
    if values.size == 0:
        raise ValueError(f"an input image needs at least one value, got shape {values.shape}")
    while values.ndim > 3:
        values = values[0]
    values = values.reshape((1,) * (3 - values.ndim) + values.shape)
    values = values if values.shape[0] == 3 else values[:1]
    low, high = float(values.min()), float(values.max())
    if low < 0.0 or high > 1.0:
        values = (values - low) / (high - low) if high > low else np.zeros_like(values)
    pixels = np.rint(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)
    pixels = pixels.transpose(1, 2, 0) if pixels.shape[0] == 3 else pixels[0]
    longest = max(pixels.shape[:2])
    if longest < side:
        factor = side // longest
        pixels = pixels.repeat(factor, axis=0).repeat(factor, axis=1)
    elif longest > 2 * side:
        stride = -(-longest // side)
        pixels = pixels[::stride, ::stride]
    return np.ascontiguousarray(pixels)
