"""MNIST / CIFAR-10 from disk only: clear error when missing, arrays when present; every
built-in split the loaders read is the one the catalogue (the API's index checks) states."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from dsrs_models.dataset_loading import load_dataset
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


def _present_splits() -> list:
    """Every built-in split, skipped where its files are not on this machine."""
    from dsrs_client.contract import BUILTIN_SPLITS
    from dsrs_settings import Settings
    from dsrs_store.dataset_files import files_present

    root = Settings().datasets_dir
    return [
        pytest.param(
            split,
            root,
            id=f"{split.dataset}-{split.split}",
            marks=()
            if files_present(root, split.dataset)
            else pytest.mark.skip(reason=f"{split.dataset} files are not under {root}"),
        )
        for split in BUILTIN_SPLITS.values()
    ]


@pytest.mark.parametrize(("split", "root"), _present_splits())
def test_the_catalogue_is_what_the_loaders_load(split, root):
    # Issue 27: the catalogue said digits train 1,257 / test 540, the loader cuts 1,258 /
    # 539, and jobs over the end of the test split failed in the worker.
    from dsrs_models.demo import demo_dataset

    if split.dataset == "digits":
        x, y = demo_dataset(split.split)
    else:
        x, y = load_dataset(split.dataset, root, split.split)
    assert x.shape == (split.size, *split.input_shape) and y.shape == (split.size,)
    assert sorted(set(y.tolist())) == list(range(split.num_classes))


def test_the_worker_refuses_a_split_that_is_not_the_catalogues():
    from dsrs_worker.job_inputs import check_against_catalogue

    x = np.zeros((6, 1, 28, 28), np.float32)
    with pytest.raises(ValueError, match=r"mnist/test as loaded here \(6 inputs.*10000 inputs"):
        check_against_catalogue("mnist", "test", x, np.zeros(6, np.int64))
    x, y = np.zeros((539, 1, 8, 8), np.float32), np.arange(539) % 10
    check_against_catalogue("digits", "test", x, y)
    with pytest.raises(ValueError, match=r"labels in \[1, 10\]"):
        check_against_catalogue("digits", "test", x, y + 1)
    with pytest.raises(ValueError, match="shape"):
        check_against_catalogue("digits", "test", x.reshape(539, 64), y)
