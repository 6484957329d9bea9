"""Whether a built-in dataset's files are on this server (the catalogue of splits, sizes
and shapes is the contract's: :mod:`dsrs_client.contract.datasets`).

The worker loads the data (digits from scikit-learn; MNIST / CIFAR-10 through torchvision
only when the files already lie under ``settings.datasets_dir`` — nothing is ever
downloaded).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATASETS_DIR_LAYOUT", "TORCHVISION_FOLDERS", "files_present"]

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
