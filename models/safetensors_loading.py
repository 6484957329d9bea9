"""Load a safetensors state dict into a registered architecture (keys and shapes exactly
those of the plain architecture, finite values), with its normalisation around it. Called
by :func:`dsrs_models.loading.load_model`, in the sandbox for uploaded bytes."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from dsrs_models.architectures import NormalizedNetwork
from dsrs_models.errors import ModelValidationError
from dsrs_models.formats import read_safetensors_header
from dsrs_models.registry import build_model

__all__ = ["load_safetensors_model"]

_MAX_LISTED = 8

_FLOAT_DTYPES = {"F16", "BF16", "F32", "F64"}
_INT_DTYPES = {"I64", "I32"}


def load_safetensors_model(
    data: bytes,
    architecture: str,
    *,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
) -> NormalizedNetwork:
    """Build a registered architecture and fill it from a safetensors state dict.

    The state dict must have exactly the keys and shapes of the plain architecture
    (``build_model(architecture).network.state_dict()``): floating tensors for parameters
    (converted to float32), integer tensors for integer buffers, finite values.

    Returns
    -------
    NormalizedNetwork
        In eval mode, float32, on the CPU.

    Raises
    ------
    ModelValidationError
        Header too large or malformed, missing / unexpected keys, wrong shapes or dtypes,
        non-finite values.
    UnknownArchitectureError
    """
    from safetensors import SafetensorError
    from safetensors.torch import load as load_safetensors_bytes

    model = build_model(architecture, mean=mean, std=std)
    header = read_safetensors_header(data)
    expected = model.network.state_dict()
    entries = {k: v for k, v in header.items() if k != "__metadata__"}
    missing = sorted(set(expected) - set(entries))
    unexpected = sorted(set(entries) - set(expected))
    if missing or unexpected:
        raise ModelValidationError(
            f"state dict does not match architecture {architecture!r}: "
            f"missing keys {_listing(missing)}; unexpected keys {_listing(unexpected)}"
        )
    problems = []
    for key, target in expected.items():
        entry = entries[key]
        if not isinstance(entry, dict) or "shape" not in entry or "dtype" not in entry:
            problems.append(f"{key}: malformed header entry")
            continue
        if list(entry["shape"]) != list(target.shape):
            problems.append(f"{key}: shape {list(entry['shape'])}, expected {list(target.shape)}")
        allowed = _FLOAT_DTYPES if target.is_floating_point() else _INT_DTYPES
        if entry["dtype"] not in allowed:
            problems.append(f"{key}: dtype {entry['dtype']}, expected one of {sorted(allowed)}")
    if problems:
        raise ModelValidationError(
            f"state dict does not match architecture {architecture!r}: {_listing(problems)}"
        )
    try:
        tensors = load_safetensors_bytes(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise ModelValidationError(f"invalid safetensors file: {exc}") from None
    state = {}
    for key, target in expected.items():
        value = tensors[key]
        if value.is_floating_point():
            value = value.to(torch.float32)
            if not bool(torch.isfinite(value).all()):
                raise ModelValidationError(f"{key}: contains NaN or infinite values")
        else:
            value = value.to(target.dtype)
        state[key] = value
    model.network.load_state_dict(state, strict=True)
    return model.eval()


def _listing(items: Sequence[str]) -> str:
    if not items:
        return "none"
    shown = ", ".join(items[:_MAX_LISTED])
    more = len(items) - _MAX_LISTED
    return shown + (f" (and {more} more)" if more > 0 else "")
