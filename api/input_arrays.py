"""Read an uploaded input array file (.npy, .npz or safetensors) without unpickling.

Formats are recognised by content, not by file name:

* ``.npy``: one array ``(n, *input_shape)``; no labels.
* ``.npz``: arrays ``inputs`` and, optionally, ``labels`` (``np.load`` with
  ``allow_pickle=False``: object arrays are refused).
* safetensors: tensors ``inputs`` and, optionally, ``labels`` (read with
  ``safetensors.numpy``; no torch).

Inputs must be floating point and finite; labels integers ``(n,)`` and non-negative.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsrs_api.errors import UnsupportedUploadError

__all__ = ["InputArrays", "read_input_arrays"]

ALLOWED = ".npy, .npz (arrays 'inputs' and optional 'labels') or safetensors (same names)"


@dataclass(frozen=True)
class InputArrays:
    format: str
    inputs: np.ndarray
    labels: np.ndarray | None


def read_input_arrays(path: Path) -> InputArrays:
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(b"\x93NUMPY"):
        return _checked("npy", _load_numpy(path), None)
    if head.startswith(b"PK\x03\x04"):
        arrays = _load_numpy(path)
        if not isinstance(arrays, np.lib.npyio.NpzFile):
            raise UnsupportedUploadError(f"not an .npz archive; send {ALLOWED}")
        with arrays:
            return _from_mapping("npz", {name: arrays[name] for name in arrays.files})
    if _looks_like_safetensors(head):
        return _from_mapping("safetensors", _load_safetensors(path))
    if head[:1] == b"\x80":
        raise UnsupportedUploadError(f"pickle files are never loaded; send {ALLOWED}")
    raise UnsupportedUploadError(f"unrecognised input file; send {ALLOWED}")


def _load_numpy(path: Path) -> object:
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise UnsupportedUploadError(
                f"the file holds pickled objects, which are never loaded; send {ALLOWED}"
            ) from None
        raise UnsupportedUploadError(
            f"cannot read the array file ({error}); send {ALLOWED}"
        ) from None
    except (OSError, EOFError) as error:
        raise UnsupportedUploadError(
            f"cannot read the array file ({error}); send {ALLOWED}"
        ) from None


def _looks_like_safetensors(head: bytes) -> bool:
    if len(head) < 9:
        return False
    (header_length,) = struct.unpack("<Q", head[:8])
    return 2 <= header_length < 100_000_000 and head[8:9] == b"{"


def _load_safetensors(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except Exception as error:  # noqa: BLE001 - the binding raises untyped errors
        raise UnsupportedUploadError(f"cannot read the safetensors file ({error})") from None


def _from_mapping(fmt: str, arrays: dict[str, np.ndarray]) -> InputArrays:
    unknown = sorted(set(arrays) - {"inputs", "labels"})
    if "inputs" not in arrays or unknown:
        raise UnsupportedUploadError(
            f"the {fmt} file must hold an array named 'inputs' and optionally 'labels'; "
            f"found {sorted(arrays)}"
        )
    return _checked(fmt, arrays["inputs"], arrays.get("labels"))


def _checked(fmt: str, inputs: object, labels: np.ndarray | None) -> InputArrays:
    if not isinstance(inputs, np.ndarray):
        raise UnsupportedUploadError(f"expected one array in the .npy file; send {ALLOWED}")
    if inputs.ndim < 2 or inputs.shape[0] < 1:
        raise UnsupportedUploadError(
            f"inputs must have shape (n, *input_shape) with n >= 1, got {inputs.shape}"
        )
    if inputs.dtype.kind != "f":
        raise UnsupportedUploadError(
            f"inputs must be floating point (float16/32/64), got {inputs.dtype}"
        )
    inputs = inputs.astype(np.float32)
    if not np.isfinite(inputs).all():
        raise UnsupportedUploadError("inputs must be finite (no NaN or infinity)")
    if labels is not None:
        if labels.dtype.kind not in "iu" or labels.shape != (inputs.shape[0],):
            raise UnsupportedUploadError(
                f"labels must be integers of shape ({inputs.shape[0]},), "
                f"got {labels.dtype} {labels.shape}"
            )
        if labels.size and labels.min() < 0:
            raise UnsupportedUploadError("labels must be non-negative class indices")
        labels = labels.astype(np.int64)
    return InputArrays(format=fmt, inputs=inputs, labels=labels)
