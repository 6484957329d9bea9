"""MNIST and CIFAR-10 test/train images from files already on disk (never downloaded).

torchvision reads its usual folder layout under ``root`` (``root/MNIST/raw/...``,
``root/cifar-10-batches-py/...``) with ``download=False``; when the files are not there
:class:`~dsrs_models.errors.DatasetUnavailableError` says where they were expected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from dsrs_models.errors import DatasetUnavailableError

__all__ = ["TORCHVISION_DATASETS", "load_dataset"]

#: The datasets read through torchvision (shapes and classes: the contract's catalogue).
TORCHVISION_DATASETS = ("mnist", "cifar10")


def load_dataset(
    name: Literal["mnist", "cifar10"],
    root: str | Path,
    split: Literal["train", "test"] = "test",
) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of a dataset found under ``root``.

    Parameters
    ----------
    name : {"mnist", "cifar10"}
    root : path
        Folder holding torchvision's files for the dataset.
    split : {"train", "test"}

    Returns
    -------
    x : ndarray of float32, shape (n, C, H, W), values in [0, 1]
    y : ndarray of int64, shape (n,)

    Raises
    ------
    DatasetUnavailableError
        The files are missing or unreadable (nothing is downloaded).
    ValueError
        Unknown name or split.
    """
    if name not in TORCHVISION_DATASETS:
        raise ValueError(f"dataset must be one of {list(TORCHVISION_DATASETS)}, got {name!r}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    from torchvision import datasets

    root = Path(root)
    try:
        if name == "mnist":
            mnist = datasets.MNIST(str(root), train=split == "train", download=False)
            x = mnist.data.numpy().astype(np.float32)[:, None] / 255.0
            y = mnist.targets.numpy().astype(np.int64)
        else:
            cifar = datasets.CIFAR10(str(root), train=split == "train", download=False)
            x = cifar.data.astype(np.float32).transpose(0, 3, 1, 2) / 255.0
            y = np.asarray(cifar.targets, dtype=np.int64)
    except (RuntimeError, OSError) as exc:
        raise DatasetUnavailableError(
            f"{name} ({split}) is not available under {root}: {exc}. Place torchvision's "
            "files there; this service never downloads datasets."
        ) from None
    return np.ascontiguousarray(x), y
