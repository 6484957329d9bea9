"""The inputs (and labels) a job certifies, loaded for the positions of one chunk."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from dsrs_client.contract import builtin_split
from dsrs_settings.worker import WorkerSettings

__all__ = ["ChunkInputs", "check_against_catalogue", "load_chunk_inputs"]


@dataclass(frozen=True)
class ChunkInputs:
    """``inputs[i]`` / ``labels[i]`` belong to job position ``positions[i]``."""

    positions: list[int]
    dataset_indices: list[int]
    inputs: np.ndarray
    labels: list[int | None]


def load_chunk_inputs(
    settings: WorkerSettings, job_inputs: dict[str, Any], positions: list[int]
) -> ChunkInputs:
    indices = [int(job_inputs["indices"][p]) for p in positions]
    if job_inputs["source"] == "builtin":
        images, labels = _builtin_split(
            job_inputs["dataset"], job_inputs["split"], str(settings.datasets_dir)
        )
    else:
        directory = settings.storage_dir / job_inputs["storage_path"]
        images, labels = _input_set(str(directory))
    chosen = images[indices]
    chosen_labels: list[int | None] = (
        [int(v) for v in labels[indices]] if labels is not None else [None] * len(indices)
    )
    return ChunkInputs(positions, indices, np.ascontiguousarray(chosen, np.float32), chosen_labels)


@lru_cache(maxsize=4)
def _builtin_split(dataset: str, split: str, root: str) -> tuple[np.ndarray, np.ndarray]:
    if dataset == "digits":
        from dsrs_models.demo import demo_dataset

        images, labels = demo_dataset(split)  # type: ignore[arg-type]
    else:
        from dsrs_models.dataset_loading import load_dataset

        images, labels = load_dataset(dataset, root, split)  # type: ignore[arg-type]
    check_against_catalogue(dataset, split, images, labels)
    return images, labels


def check_against_catalogue(
    dataset: str, split: str, images: np.ndarray, labels: np.ndarray
) -> None:
    """Raise :class:`ValueError` unless a loaded built-in split has the size, input shape
    and classes of the catalogue the API checked the job against."""
    entry = builtin_split(dataset, split)
    if entry is None:
        raise ValueError(f"{dataset}/{split} is not a built-in split")
    classes = (int(labels.min()), int(labels.max())) if len(labels) else (0, -1)
    found = (len(images), tuple(images.shape[1:]), len(labels))
    expected = (entry.size, entry.input_shape, entry.size)
    if found != expected or not (classes[0] >= 0 and classes[1] < entry.num_classes):
        raise ValueError(
            f"{dataset}/{split} as loaded here ({found[0]} inputs of shape {found[1]}, "
            f"{found[2]} labels in [{classes[0]}, {classes[1]}]) is not the catalogue's "
            f"({entry.size} inputs of shape {entry.input_shape}, labels in "
            f"[0, {entry.num_classes - 1}]); MNIST and CIFAR-10 must be torchvision's "
            "standard files"
        )


@lru_cache(maxsize=4)
def _input_set(directory: str) -> tuple[np.ndarray, np.ndarray | None]:
    path = Path(directory)
    images = np.load(path / "inputs.npy", allow_pickle=False, mmap_mode="r")
    labels_path = path / "labels.npy"
    labels = np.load(labels_path, allow_pickle=False) if labels_path.exists() else None
    return images, labels
