"""Whether a built-in dataset's files are on this server (the catalogue of splits, sizes
and shapes is the contract's: :mod:`dsrs_client.contract.datasets`).

The worker loads the data (digits from scikit-learn; MNIST / CIFAR-10 through torchvision
only when the files already lie under ``settings.datasets_dir`` — nothing is ever
downloaded).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["TORCHVISION_FOLDERS", "files_present"]

#: Where torchvision keeps each dataset's files under ``settings.datasets_dir``.
TORCHVISION_FOLDERS = {"mnist": "MNIST", "cifar10": "cifar-10-batches-py"}


def files_present(datasets_dir: Path, dataset: str) -> bool:
    """Whether a built-in dataset can be read without downloading (digits always can)."""
    folder = TORCHVISION_FOLDERS.get(dataset)
    return folder is None or (datasets_dir / folder).is_dir()
