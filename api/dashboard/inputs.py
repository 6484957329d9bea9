"""Read one input of a job (for its thumbnail) without importing torch.

Built-in ``digits`` come from scikit-learn (as in the worker), MNIST from torchvision's raw
IDX files read directly, uploads from their stored ``inputs.npy`` (memory-mapped). CIFAR-10
is kept by torchvision as pickled batches, which the API never unpickles: no thumbnail.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from dsrs_api.errors import InvalidRequestError
from dsrs_settings.api import ApiSettings
from dsrs_store.errors import NotFoundError

__all__ = ["input_set_item", "job_input"]

MNIST_IMAGES = {"train": "train-images-idx3-ubyte", "test": "t10k-images-idx3-ubyte"}
IDX_UBYTE_3D = b"\x00\x00\x08\x03"


def job_input(
    settings: ApiSettings, job_inputs: dict[str, Any], position: int, upload_dir: Path | None
) -> np.ndarray:
    """The input at ``position`` (0-based, in job order) of a job, shape (C, H, W).

    ``upload_dir`` is the input set's folder (``storage_dir / storage_path``) for uploads.
    """
    indices = job_inputs.get("indices") or []
    if not 0 <= position < len(indices):
        raise NotFoundError("input", str(position))
    index = int(indices[position])
    if job_inputs["source"] == "upload":
        if upload_dir is None:
            raise NotFoundError("input set", str(job_inputs.get("input_set_id")))
        return np.asarray(_uploaded(str(upload_dir / "inputs.npy"))[index])
    dataset, split = job_inputs["dataset"], job_inputs["split"]
    if dataset == "digits":
        return _digits(split)[index]
    if dataset == "mnist":
        return _mnist(str(settings.datasets_dir), split)[index][None] / np.float32(255.0)
    raise InvalidRequestError(
        f"no thumbnails for {dataset!r}: its files are pickled batches, never unpickled by the API"
    )


def input_set_item(upload_dir: Path, count: int, index: int) -> np.ndarray:
    """Item ``index`` of an uploaded input set stored in ``upload_dir``, shape (C, H, W)."""
    if not 0 <= index < count:
        raise NotFoundError("input", str(index))
    return np.asarray(_uploaded(str(upload_dir / "inputs.npy"))[index])


@lru_cache(maxsize=2)
def _digits(split: str) -> np.ndarray:
    from dsrs_models.demo import demo_dataset

    return demo_dataset(split)[0]  # type: ignore[arg-type]


@lru_cache(maxsize=8)
def _uploaded(path: str) -> np.ndarray:
    return np.load(path, allow_pickle=False, mmap_mode="r")


@lru_cache(maxsize=2)
def _mnist(root: str, split: str) -> np.ndarray:
    folder = Path(root) / "MNIST" / "raw"
    name = MNIST_IMAGES[split]
    if (folder / name).is_file():
        content = (folder / name).read_bytes()
    elif (folder / f"{name}.gz").is_file():
        content = gzip.decompress((folder / f"{name}.gz").read_bytes())
    else:
        raise InvalidRequestError(f"MNIST image file {name} is not under {folder}")
    if content[:4] != IDX_UBYTE_3D:
        raise InvalidRequestError(f"{name} is not an IDX file of unsigned bytes")
    count, rows, cols = (int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(3))
    return np.frombuffer(content, np.uint8, count * rows * cols, 16).reshape(count, rows, cols)
