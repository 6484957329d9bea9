"""The hand-written PNG encoder, checked with an independent decoder (Pillow)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest

from dsrs_api.dashboard.png import encode_png, thumbnail_pixels

Image = pytest.importorskip("PIL.Image")


def decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return np.asarray(image)


@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (8, 8, 3), (3, 11, 3)])
def test_pillow_reads_back_the_exact_pixels(shape: tuple[int, ...]) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    assert np.array_equal(decode(encode_png(pixels)), pixels)


def test_chunks_carry_correct_crcs() -> None:
    data = encode_png(np.zeros((2, 3), np.uint8))
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, kinds = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body)
        kinds.append(kind)
        offset += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]


@pytest.mark.parametrize(
    ("pixels", "reason"),
    [
        (np.zeros((4, 4), np.float32), "need uint8"),
        (np.zeros((4, 4, 2), np.uint8), "must have 3 channels"),
        (np.zeros((0, 3), np.uint8), "at least one pixel"),
    ],
)
def test_refuses_what_it_cannot_write(pixels: np.ndarray, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        encode_png(pixels)


def test_digit_thumbnail_is_enlarged_by_a_whole_factor() -> None:
    image = np.linspace(0, 1, 64, dtype=np.float32).reshape(1, 8, 8)
    pixels = thumbnail_pixels(image)
    assert pixels.shape == (64, 64) and pixels.dtype == np.uint8
    assert pixels[0, 0] == 0 and pixels[-1, -1] == 255
    assert np.array_equal(pixels[::8, ::8], np.rint(image[0] * 255).astype(np.uint8))


def test_colour_and_standardised_inputs() -> None:
    colour = thumbnail_pixels(np.full((3, 32, 32), 0.5, np.float32))
    assert colour.shape == (64, 64, 3) and np.all(colour == 128)
    standardised = thumbnail_pixels(np.array([[[-2.0, 0.0], [1.0, 2.0]]]))
    assert standardised.min() == 0 and standardised.max() == 255
    large = thumbnail_pixels(np.zeros((3, 224, 224), np.float32))
    assert max(large.shape[:2]) <= 128
