"""MNIST / CIFAR-10 from disk only: clear error when missing, arrays when present."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from dsrs_models.datasets import load_dataset
from dsrs_models.errors import DatasetUnavailableError


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_missing_files_raise_without_downloading(tmp_path, name):
    with pytest.raises(DatasetUnavailableError, match="never downloads"):
        load_dataset(name, tmp_path)
    assert list(tmp_path.iterdir()) == []


def _write_idx(path, array: np.ndarray) -> None:
    magic = {1: 0x0801, 3: 0x0803}[array.ndim]
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_mnist_files_on_disk_are_read(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256
    labels = np.array([7, 2, 1])
    for prefix in ("train", "t10k"):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    x, y = load_dataset("mnist", tmp_path, "test")
    assert x.shape == (3, 1, 28, 28) and x.dtype == np.float32
    assert np.allclose(x[0, 0], images[0] / 255.0)
    assert y.tolist() == [7, 2, 1]


def test_unknown_name_or_split():
    with pytest.raises(ValueError, match="dataset"):
        load_dataset("svhn", "/nonexistent")
    with pytest.raises(ValueError, match="split"):
        load_dataset("mnist", "/nonexistent", "val")
