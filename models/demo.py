"""The demo base classifier: an MLP on scikit-learn's 8×8 digits, trained with noise.

The weights file ``models/weights/digits-demo.safetensors`` is produced by
``python -m dsrs_models.train_digits`` (seeded, deterministic on CPU) and loaded here through
the same validated safetensors path as any upload.

Data: :func:`sklearn.datasets.load_digits` (shipped with scikit-learn, no download),
pixel values 0..16 scaled to [0, 1], shape ``(n, 1, 8, 8)``. Fixed split: the first 70 %
of the 1797 images (in scikit-learn's order) train, the last 30 % (539 images) test.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from dsrs_models.adapters import TorchClassifier
    from dsrs_models.architectures import NormalizedNetwork

__all__ = [
    "DEMO_ARCHITECTURE",
    "DEMO_SIGMA",
    "DEMO_WEIGHTS_PATH",
    "TEST_FRACTION",
    "demo_dataset",
    "load_demo_classifier",
    "load_demo_model",
]

#: Registry name of the demo network.
DEMO_ARCHITECTURE = "digits-mlp"
#: Gaussian noise level (inputs in [0, 1]) the demo network was trained with and is
#: meant to be certified at.
DEMO_SIGMA = 0.25
#: The shipped weights (package data).
DEMO_WEIGHTS_PATH = Path(__file__).resolve().parent / "weights" / "digits-demo.safetensors"
#: The last ``TEST_FRACTION`` of the images form the test split.
TEST_FRACTION = 0.3


def demo_dataset(split: Literal["train", "test"] = "test") -> tuple[np.ndarray, np.ndarray]:
    """The digits images and labels of one split.

    Parameters
    ----------
    split : {"train", "test"}
        The first 70 % (train) or last 30 % (test) of scikit-learn's digits.

    Returns
    -------
    x : ndarray of float32, shape (n, 1, 8, 8)
        Pixels in [0, 1].
    y : ndarray of int64, shape (n,)
        Labels 0..9.
    """
    from sklearn.datasets import load_digits

    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)
    n_train = len(y) - round(TEST_FRACTION * len(y))
    if split == "train":
        return x[:n_train].copy(), y[:n_train].copy()
    return x[n_train:].copy(), y[n_train:].copy()


def load_demo_model() -> NormalizedNetwork:
    """The demo network (``torch.nn.Module`` in eval mode, float32, CPU)."""
    from dsrs_models.safetensors_loading import load_safetensors_model

    return load_safetensors_model(DEMO_WEIGHTS_PATH.read_bytes(), DEMO_ARCHITECTURE)


def load_demo_classifier(device: str = "cpu") -> TorchClassifier:
    """The demo network as a :class:`dsrs_core.sampling.classifier.Classifier` (inputs → class ids).

    Parameters
    ----------
    device : str
        Torch device to run on.
    """
    from dsrs_models.adapters import TorchClassifier

    return TorchClassifier(load_demo_model(), num_classes=10, device=device)
