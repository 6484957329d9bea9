"""The allow-list of architectures a base classifier may have.

Only names listed here can be instantiated; uploads name one of them and supply a
safetensors state dict for it (:mod:`dsrs_models.loading`). Each entry records the input
shape, the number of classes and the default input normalisation (a layer inside the
model: the smoothing noise is added in input space).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import prod

import numpy as np
from torch import nn

from dsrs_models.architectures import DigitsMLP, LeNet, NormalizedNetwork, cifar_resnet
from dsrs_models.errors import ModelValidationError, UnknownArchitectureError

__all__ = [
    "ARCHITECTURES",
    "Architecture",
    "architecture_names",
    "build_model",
    "get_architecture",
]


@dataclass(frozen=True)
class Architecture:
    """One allowed architecture.

    Attributes
    ----------
    name : str
        Registry key (``"resnet110-cifar"``).
    input_shape : tuple of int
        ``(C, H, W)`` of one input, values in input space (usually [0, 1]).
    num_classes : int
        Length of the logit vector.
    mean, std : tuple of float
        Default per-channel normalisation applied inside the model.
    builder : callable
        Returns a freshly initialised network (without normalisation).
    description : str
        One line for listings.
    """

    name: str
    input_shape: tuple[int, int, int]
    num_classes: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    builder: Callable[[], nn.Module]
    description: str

    @property
    def dimension(self) -> int:
        """Input dimension d = C·H·W."""
        return prod(self.input_shape)


def _resnet50_imagenet() -> nn.Module:
    from torchvision.models import resnet50

    return resnet50(weights=None)


_CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
_CIFAR_STD = (0.2470, 0.2435, 0.2616)

ARCHITECTURES: dict[str, Architecture] = {
    spec.name: spec
    for spec in (
        Architecture(
            "digits-mlp",
            (1, 8, 8),
            10,
            (0.5,),
            (0.5,),
            DigitsMLP,
            "MLP (64-256-256-10) for scikit-learn's 8x8 digits; the demo network",
        ),
        Architecture(
            "lenet-mnist",
            (1, 28, 28),
            10,
            (0.1307,),
            (0.3081,),
            LeNet,
            "LeNet-style CNN for MNIST",
        ),
        Architecture(
            "resnet20-cifar",
            (3, 32, 32),
            10,
            _CIFAR_MEAN,
            _CIFAR_STD,
            lambda: cifar_resnet(20),
            "CIFAR ResNet-20 (He et al. 2016)",
        ),
        Architecture(
            "resnet110-cifar",
            (3, 32, 32),
            10,
            _CIFAR_MEAN,
            _CIFAR_STD,
            lambda: cifar_resnet(110),
            "CIFAR ResNet-110 (He et al. 2016)",
        ),
        Architecture(
            "resnet50-imagenet",
            (3, 224, 224),
            1000,
            (0.485, 0.456, 0.406),
            (0.229, 0.224, 0.225),
            _resnet50_imagenet,
            "torchvision ResNet-50 architecture (weights supplied by the user)",
        ),
    )
}


def architecture_names() -> list[str]:
    """Names of all allowed architectures, sorted."""
    return sorted(ARCHITECTURES)


def get_architecture(name: str) -> Architecture:
    """Look an architecture up by name.

    Raises
    ------
    UnknownArchitectureError
        When ``name`` is not in the allow-list.
    """
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise UnknownArchitectureError(
            f"unknown architecture {name!r}; allowed: {', '.join(architecture_names())}"
        ) from None


def build_model(
    name: str,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
) -> NormalizedNetwork:
    """A randomly initialised network of a registered architecture, with normalisation.

    Parameters
    ----------
    name : str
        Registry key.
    mean, std : sequence of float, optional
        Per-channel normalisation overriding the architecture's default (both or neither;
        one value per input channel, std positive).

    Returns
    -------
    NormalizedNetwork
        In eval mode; its ``network`` attribute holds the plain architecture whose
        state dict an upload must match.
    """
    spec = get_architecture(name)
    mean, std = _check_normalization(spec, mean, std)
    model = NormalizedNetwork(spec.builder(), mean, std)
    return model.eval()


def _check_normalization(
    spec: Architecture, mean: Sequence[float] | None, std: Sequence[float] | None
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    if (mean is None) != (std is None):
        raise ModelValidationError("give both normalisation mean and std, or neither")
    if mean is None or std is None:
        return spec.mean, spec.std
    channels = spec.input_shape[0]
    mean_t, std_t = tuple(float(m) for m in mean), tuple(float(s) for s in std)
    if len(mean_t) != channels or len(std_t) != channels:
        raise ModelValidationError(
            f"{spec.name} has {channels} input channel(s): mean and std need {channels} "
            f"value(s) each, got {len(mean_t)} and {len(std_t)}"
        )
    # The network normalises in float32: check the values it will compute with.
    mean_32, std_32 = np.asarray(mean_t, dtype=np.float64), np.asarray(std_t, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        mean_32, std_32 = mean_32.astype(np.float32), std_32.astype(np.float32)
        scale = np.float32(1.0) / std_32
    if not (
        np.isfinite(mean_32).all()
        and np.isfinite(std_32).all()
        and (std_32 >= np.finfo(np.float32).tiny).all()
        and np.isfinite(scale).all()
    ):
        raise ModelValidationError(
            "normalisation std must be positive and mean finite as float32 values: std in "
            f"[{np.finfo(np.float32).tiny:.3g}, {np.finfo(np.float32).max:.3g}], |mean| at "
            f"most {np.finfo(np.float32).max:.3g}; got mean {list(mean_t)}, std {list(std_t)}"
        )
    return mean_t, std_t
