"""The dataset catalogue: every dataset dsrs knows by name (input shape, classes), and the
built-in splits a job may name (their sizes).

The catalogue only: the API checks indices against it without loading anything; the
worker and the command line load the data (``dsrs_models``); planning and the paper's
data tree take the input dimension from here.

The loaders define the splits (the demo network was trained on ``demo_dataset``'s train
split) and this catalogue states their size, shape and classes without importing them
(the client stays free of torch and scikit-learn). The API refuses a job over MNIST
files whose size is not the catalogue's (``dsrs_store.dataset_files.split_size_on_disk``), the
worker checks every split it loads against this catalogue (``dsrs_worker.job_inputs``) and
fails a job that disagrees rather than read a wrong index, and
``tests/models/test_datasets.py`` checks each split whose files are present.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Literal, get_args

__all__ = [
    "BUILTIN_SPLITS",
    "DATASETS",
    "DATASET_NAMES",
    "BuiltinSplit",
    "Dataset",
    "DatasetName",
    "builtin_split",
]

#: Datasets a job can name (their files are on the server; digits ships with scikit-learn).
DatasetName = Literal["digits", "mnist", "cifar10"]
DATASET_NAMES: tuple[DatasetName, ...] = get_args(DatasetName)
SplitName = Literal["train", "test"]


@dataclass(frozen=True)
class Dataset:
    name: str
    input_shape: tuple[int, int, int]
    num_classes: int

    @property
    def dimension(self) -> int:
        """The input dimension ``d`` (product of the shape)."""
        return prod(self.input_shape)


#: Every dataset known by name, including the paper's ImageNet and TinyImageNet (for
#: planning and reading its published files; no job can name them).
DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset("digits", (1, 8, 8), 10),
        Dataset("mnist", (1, 28, 28), 10),
        Dataset("cifar10", (3, 32, 32), 10),
        Dataset("tinyimagenet", (3, 56, 56), 200),
        Dataset("imagenet", (3, 224, 224), 1000),
    )
}


@dataclass(frozen=True)
class BuiltinSplit:
    dataset: DatasetName
    split: SplitName
    size: int

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return DATASETS[self.dataset].input_shape

    @property
    def num_classes(self) -> int:
        return DATASETS[self.dataset].num_classes


BUILTIN_SPLITS: dict[tuple[str, str], BuiltinSplit] = {
    (s.dataset, s.split): s
    for s in (
        # scikit-learn's 1,797 digits: the first 1,258 train, the last 539 (30 %) test
        BuiltinSplit("digits", "train", 1258),
        BuiltinSplit("digits", "test", 539),
        BuiltinSplit("mnist", "train", 60_000),
        BuiltinSplit("mnist", "test", 10_000),
        BuiltinSplit("cifar10", "train", 50_000),
        BuiltinSplit("cifar10", "test", 10_000),
    )
}


def builtin_split(dataset: str, split: str) -> BuiltinSplit | None:
    """The split ``dataset``/``split``, or None when there is no such built-in split."""
    return BUILTIN_SPLITS.get((dataset, split))
