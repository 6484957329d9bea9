"""Built-in dataset splits a job may name, with their sizes and input shapes.

The API checks indices against these sizes without loading anything; the worker loads the
data (digits from scikit-learn; MNIST / CIFAR-10 through torchvision only when the files
already lie under ``settings.datasets_dir`` — nothing is ever downloaded).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BUILTIN_SPLITS",
    "DATASETS_DIR_LAYOUT",
    "TORCHVISION_FOLDERS",
    "BuiltinSplit",
    "builtin_split",
    "files_present",
]


@dataclass(frozen=True)
class BuiltinSplit:
    dataset: str
    split: str
    size: int
    input_shape: tuple[int, int, int]
    num_classes: int


BUILTIN_SPLITS: dict[tuple[str, str], BuiltinSplit] = {
    (s.dataset, s.split): s
    for s in (
        BuiltinSplit("digits", "train", 1257, (1, 8, 8), 10),
        BuiltinSplit("digits", "test", 540, (1, 8, 8), 10),
        BuiltinSplit("mnist", "train", 60_000, (1, 28, 28), 10),
        BuiltinSplit("mnist", "test", 10_000, (1, 28, 28), 10),
        BuiltinSplit("cifar10", "train", 50_000, (3, 32, 32), 10),
        BuiltinSplit("cifar10", "test", 10_000, (3, 32, 32), 10),
    )
}


def builtin_split(dataset: str, split: str) -> BuiltinSplit | None:
    return BUILTIN_SPLITS.get((dataset, split))


#: Where torchvision keeps each dataset's files under ``settings.datasets_dir``.
TORCHVISION_FOLDERS = {"mnist": "MNIST", "cifar10": "cifar-10-batches-py"}


#: What DSRS_DATASETS_DIR must hold (torchvision's own layouts, read with download=False).
DATASETS_DIR_LAYOUT = """\
DSRS_DATASETS_DIR layout (torchvision's, files never downloaded):
  mnist:   MNIST/raw/train-images-idx3-ubyte, MNIST/raw/train-labels-idx1-ubyte,
           MNIST/raw/t10k-images-idx3-ubyte, MNIST/raw/t10k-labels-idx1-ubyte
  cifar10: cifar-10-batches-py/data_batch_1 … data_batch_5, test_batch, batches.meta
           (cifar-10-python.tar.gz extracted)
Other image data: upload it as an input set (dsrs inputs upload FOLDER)."""


def files_present(datasets_dir: Path, dataset: str) -> bool:
    """Whether a built-in dataset can be read without downloading (digits always can)."""
    folder = TORCHVISION_FOLDERS.get(dataset)
    return folder is None or (datasets_dir / folder).is_dir()
