"""Whether a built-in dataset's files are on this server (the catalogue of splits, sizes
and shapes is the contract's: :mod:`dsrs_client.contract.dataset_catalogue`).

The worker loads the data (digits from scikit-learn; MNIST / CIFAR-10 through torchvision
only when the files already lie under ``settings.datasets_dir`` — nothing is ever
downloaded).
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "DATASETS_DIR_LAYOUT",
    "TORCHVISION_FILES",
    "files_present",
    "missing_files",
    "split_size_on_disk",
]

#: Every file torchvision (``download=False``) needs for either split of a dataset.
TORCHVISION_FILES = {
    "mnist": tuple(
        f"MNIST/raw/{prefix}-{kind}-idx{rank}-ubyte"
        for prefix in ("train", "t10k")
        for kind, rank in (("images", 3), ("labels", 1))
    ),
    "cifar10": tuple(
        f"cifar-10-batches-py/{name}"
        for name in (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch", "batches.meta")
    ),
}

#: MNIST's label file of each split (its IDX header states the split's size).
_MNIST_LABELS = {
    "train": "MNIST/raw/train-labels-idx1-ubyte",
    "test": "MNIST/raw/t10k-labels-idx1-ubyte",
}


#: What DSRS_DATASETS_DIR must hold (torchvision's own layouts, read with download=False).
DATASETS_DIR_LAYOUT = """\
DSRS_DATASETS_DIR layout (torchvision's, files never downloaded):
  mnist:   MNIST/raw/train-images-idx3-ubyte, MNIST/raw/train-labels-idx1-ubyte,
           MNIST/raw/t10k-images-idx3-ubyte, MNIST/raw/t10k-labels-idx1-ubyte
  cifar10: cifar-10-batches-py/data_batch_1 … data_batch_5, test_batch, batches.meta
           (cifar-10-python.tar.gz extracted)
Other image data: upload it as an input set (dsrs inputs upload FOLDER)."""


def missing_files(datasets_dir: Path, dataset: str) -> list[str]:
    """The files of ``dataset`` torchvision needs that are not under ``datasets_dir``
    (none for digits, which ships with scikit-learn)."""
    return [
        name for name in TORCHVISION_FILES.get(dataset, ()) if not (datasets_dir / name).is_file()
    ]


def files_present(datasets_dir: Path, dataset: str) -> bool:
    """Whether a built-in dataset can be read without downloading (digits always can)."""
    return not missing_files(datasets_dir, dataset)


def split_size_on_disk(datasets_dir: Path, dataset: str, split: str) -> int | None:
    """How many inputs the files of a split hold, where that can be read without loading
    them: MNIST's from its label file's IDX header; None otherwise (CIFAR-10's batches are
    pickled and never unpickled here, and torchvision only reads them when their MD5 is the
    standard one; digits ships with scikit-learn)."""
    name = _MNIST_LABELS.get(split) if dataset == "mnist" else None
    if name is None:
        return None
    try:
        with (datasets_dir / name).open("rb") as handle:
            header = handle.read(8)
    except OSError:
        return 0  # unreadable here, and so for the worker
    if len(header) < 8 or header[:4] != b"\x00\x00\x08\x01":
        return 0  # not an IDX label file: nothing torchvision could read as this split
    return int.from_bytes(header[4:], "big")
