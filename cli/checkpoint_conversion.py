"""Turn a checkpoint of the original repositories into our safetensors + architecture form.

Cohen et al.'s and the DSRS repositories save ``torch.save({"arch": ..., "state_dict": ...,
...})`` where the model was ``Sequential(NormalizeLayer, DataParallel(network))``: keys
then start with ``1.module.``. This module reads such a file with
``torch.load(weights_only=True)`` — tensors, numbers, strings and containers only; a file
that needs any other class to unpickle is refused before anything of it runs — maps the
architecture name to our registry, strips the wrapper prefixes and checks the keys and
shapes against the registered architecture. It is a trusted local step: the server never
unpickles anything.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ORIGINAL_ARCHITECTURES",
    "ConversionError",
    "ConvertedCheckpoint",
    "convert_checkpoint",
    "registry_name",
]

#: Architecture names of the original code → our registry (dsrs_models.registry).
ORIGINAL_ARCHITECTURES = {
    "resnet50": "resnet50-imagenet",
    "cifar_resnet20": "resnet20-cifar",
    "cifar_resnet110": "resnet110-cifar",
    "lenet": "lenet-mnist",
    "mnist_lenet": "lenet-mnist",
    "lenet_mnist": "lenet-mnist",
}
#: Wrapper prefixes stripped from keys, longest first (Sequential(normalize, DataParallel)).
KEY_PREFIXES = ("1.module.", "module.", "1.")
#: Keys of the original NormalizeLayer (index 0 of the Sequential) when saved as buffers.
NORMALIZATION_KEYS = {"0.means": "mean", "0.sds": "std", "0.mean": "mean", "0.std": "std"}


class ConversionError(Exception):
    """The checkpoint cannot be converted; the message says why and what to do."""


@dataclass(frozen=True)
class ConvertedCheckpoint:
    """What :func:`convert_checkpoint` wrote.

    Attributes
    ----------
    output : Path
        The safetensors file (state dict of the plain registered architecture).
    architecture : str
        Our registry name (pass it to ``dsrs models upload --arch``).
    source_architecture : str or None
        The ``arch`` entry of the checkpoint.
    stripped_prefix : str or None
        Wrapper prefix removed from the keys.
    mean, std : list of float or None
        Normalisation found in the checkpoint (pass as ``--mean`` / ``--std``).
    ignored_entries : list of str
        Top-level entries not converted (``epoch``, ``optimizer``, …).
    """

    output: Path
    architecture: str
    source_architecture: str | None
    stripped_prefix: str | None
    mean: list[float] | None = None
    std: list[float] | None = None
    ignored_entries: list[str] = field(default_factory=list)


def registry_name(original: str) -> str:
    """Our registry name for an original architecture name (or a registry name itself)."""
    from dsrs_models.registry import ARCHITECTURES, architecture_names

    if original in ARCHITECTURES:
        return original
    if original in ORIGINAL_ARCHITECTURES:
        return ORIGINAL_ARCHITECTURES[original]
    known = ", ".join(sorted(ORIGINAL_ARCHITECTURES))
    raise ConversionError(
        f"unknown architecture {original!r}: known original names are {known}; registry "
        f"names are {', '.join(architecture_names())} (choose one with --arch)"
    )


def convert_checkpoint(
    checkpoint: Path, output: Path, *, architecture: str | None = None
) -> ConvertedCheckpoint:
    """Convert ``checkpoint`` into a safetensors state dict at ``output``.

    Parameters
    ----------
    checkpoint : Path
        File written by ``torch.save``: a dict with ``state_dict`` (and usually ``arch``),
        or a bare state dict.
    output : Path
        Where to write the safetensors file.
    architecture : str, optional
        Original or registry architecture name; overrides the checkpoint's ``arch``.

    Returns
    -------
    ConvertedCheckpoint

    Raises
    ------
    ConversionError
        Unreadable file, anything that needs arbitrary unpickling, unknown architecture,
        keys or shapes that do not match the registered architecture.
    """
    import torch

    loaded = _load_weights_only(checkpoint)
    source_arch: str | None = None
    ignored: list[str] = []
    if isinstance(loaded, Mapping) and "state_dict" in loaded:
        state = loaded["state_dict"]
        arch_value = loaded.get("arch")
        source_arch = str(arch_value) if arch_value is not None else None
        ignored = sorted(str(key) for key in loaded if key not in ("state_dict", "arch"))
    else:
        state = loaded
    if not isinstance(state, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ConversionError(
            f"{checkpoint}: expected a dict with 'state_dict' (names → tensors) or a bare "
            "state dict"
        )
    chosen = architecture or source_arch
    if chosen is None:
        raise ConversionError(f"{checkpoint} names no 'arch'; give the architecture with --arch")
    name = registry_name(chosen)

    normalization = {NORMALIZATION_KEYS[k]: state[k] for k in state if k in NORMALIZATION_KEYS}
    weights = {k: v for k, v in state.items() if k not in NORMALIZATION_KEYS}
    weights, prefix = _strip_prefix(weights)
    _check_against_registry(weights, name)

    from safetensors.torch import save_file

    output.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in weights.items()}
    metadata = {"architecture": name, "converted_from": str(source_arch or chosen)}
    save_file(tensors, str(output), metadata=metadata)
    _verify(output, name)
    return ConvertedCheckpoint(
        output=output,
        architecture=name,
        source_architecture=source_arch,
        stripped_prefix=prefix,
        mean=_floats(normalization.get("mean")),
        std=_floats(normalization.get("std")),
        ignored_entries=ignored,
    )


def _load_weights_only(checkpoint: Path) -> Any:
    import torch

    try:
        return torch.load(checkpoint, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        text = str(error)
        needed = re.search(r"Unsupported global: GLOBAL (\S+)", text)
        if needed is not None:
            raise ConversionError(
                f"{checkpoint}: refused — it needs arbitrary unpickling ({needed.group(1)} is "
                "not a tensor, number, string or container), which could run code. Re-save "
                "it as {'arch': ..., 'state_dict': model.state_dict()}"
            ) from None
        detail = [line.strip() for line in text.splitlines() if "Unsupported" in line]
        raise ConversionError(
            f"{checkpoint}: not a readable torch.save file ({'; '.join(detail) or 'corrupt'})"
        ) from None
    except (OSError, RuntimeError, EOFError, ValueError) as error:
        raise ConversionError(f"{checkpoint}: not a readable torch.save file ({error})") from None


def _strip_prefix(state: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    for prefix in KEY_PREFIXES:
        if state and all(key.startswith(prefix) for key in state):
            return {key[len(prefix) :]: value for key, value in state.items()}, prefix
    return state, None


def _check_against_registry(state: Mapping[str, Any], name: str) -> None:
    from dsrs_models.registry import build_model

    expected = build_model(name).network.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ConversionError(
            f"the state dict does not match architecture {name!r}: missing keys "
            f"{_listing(missing)}; unexpected keys {_listing(unexpected)}"
        )
    wrong = [
        f"{key}: {list(state[key].shape)} != {list(value.shape)}"
        for key, value in expected.items()
        if tuple(state[key].shape) != tuple(value.shape)
    ]
    if wrong:
        raise ConversionError(f"shapes do not match architecture {name!r}: {_listing(wrong)}")


def _verify(output: Path, name: str) -> None:
    """Load the written file through the same validated path as an upload."""
    from dsrs_models.errors import ModelError
    from dsrs_models.safetensors_loading import load_safetensors_model

    try:
        load_safetensors_model(output.read_bytes(), name)
    except ModelError as error:
        output.unlink(missing_ok=True)
        raise ConversionError(f"the converted file does not load as {name!r}: {error}") from None


def _floats(tensor: Any) -> list[float] | None:
    if tensor is None:
        return None
    return [float(v) for v in tensor.flatten().tolist()]


def _listing(items: list[str], limit: int = 6) -> str:
    if not items:
        return "none"
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" (and {more} more)" if more > 0 else "")
