"""Read an uploaded input array file (.npy, .npz or safetensors) without unpickling.

Formats are recognised by content, not by file name:

* ``.npy``: one array ``(n, *input_shape)``; no labels.
* ``.npz``: arrays ``inputs`` and, optionally, ``labels`` (a zip of ``.npy`` members).
* safetensors: tensors ``inputs`` and, optionally, ``labels`` (read with
  ``safetensors.numpy``; no torch).

Arrays are sized before they are read: a ``.npy`` header's shape × item size, and for a
``.npz`` each member's declared uncompressed size too, must stay within ``max_bytes`` (the
upload limit) before anything is decompressed or allocated; object (pickled) dtypes are
refused from the header, and so are bytes after the declared data and an ``.npz`` with two
members of the same name. Inputs must be floating point, finite and of no zero-size
dimension; labels integers
``(n,)`` in ``[0, 2**31)``, checked after the cast to int64.

The API parses an upload only in the sandbox (:func:`read_in_sandbox`, a child process of
:mod:`dsrs_models.sandbox` under the model-load limits), never in its own process;
``dsrs certify-local`` reads the user's own file with :func:`read_input_arrays` directly.
Refusals are ``UnsupportedInputFileError`` (415 in the API); a limit that stops the
sandboxed reader is an ``InputFileError`` (422) saying which limit.
"""

from __future__ import annotations

import math
import struct
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from dsrs_models.errors import InputFileError, UnsupportedInputFileError
from dsrs_models.sandbox import SandboxLimits, SandboxRefusal, child_main, run_sandboxed

__all__ = ["InputArrays", "StoredArrays", "read_in_sandbox", "read_input_arrays"]

ALLOWED = ".npy, .npz (arrays 'inputs' and optional 'labels') or safetensors (same names)"
#: Labels are class indices stored as 32-bit integers.
MAX_LABEL = 2**31 - 1
_NPZ_MEMBERS = {"inputs.npy": "inputs", "labels.npy": "labels"}


@dataclass(frozen=True)
class InputArrays:
    format: str
    inputs: np.ndarray
    labels: np.ndarray | None


@dataclass(frozen=True)
class StoredArrays:
    """An input set read in the sandbox: canonical ``inputs.npy`` (float32) and optional
    ``labels.npy`` (int64) in a directory that lives as long as the ``with`` block."""

    format: str
    count: int
    sample_shape: list[int]
    inputs_path: Path
    labels_path: Path | None


@contextmanager
def read_in_sandbox(upload: Path, max_bytes: int, limits: SandboxLimits) -> Iterator[StoredArrays]:
    """Read ``upload`` in a sandboxed child; the canonical arrays it wrote exist inside the
    ``with`` block. Raises ``UnsupportedInputFileError`` or ``InputFileError`` (a limit
    stopped the child) with the reason."""
    try:
        with run_sandboxed(__name__, upload, {"max_bytes": max_bytes}, limits) as outcome:
            facts = outcome.result
            yield StoredArrays(
                format=facts["format"],
                count=int(facts["count"]),
                sample_shape=[int(d) for d in facts["sample_shape"]],
                inputs_path=outcome.files["inputs.npy"],
                labels_path=outcome.files.get("labels.npy"),
            )
    except SandboxRefusal as refusal:
        if refusal.kind == UnsupportedInputFileError.__name__:
            raise UnsupportedInputFileError(str(refusal)) from None
        raise InputFileError(f"the input file cannot be read: it {refusal}") from None


def read_input_arrays(path: Path, max_bytes: int | None) -> InputArrays:
    """Read and check the arrays of ``path``; ``max_bytes`` bounds the declared array sizes
    (``None``: no bound, for a user's own file on their own machine)."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(b"\x93NUMPY"):
        with path.open("rb") as handle:
            return _checked("npy", _read_npy(handle, max_bytes, path.stat().st_size), None)
    if head.startswith(b"PK\x03\x04"):
        return _from_mapping("npz", _read_npz(path, max_bytes))
    if _looks_like_safetensors(head):
        return _from_mapping("safetensors", _load_safetensors(path))
    if head[:1] == b"\x80":
        raise UnsupportedInputFileError(f"pickle files are never loaded; send {ALLOWED}")
    raise UnsupportedInputFileError(f"unrecognised input file; send {ALLOWED}")


def _read_npy(handle: IO[bytes], max_bytes: int | None, available: int) -> np.ndarray:
    """One ``.npy`` array from ``handle``, sized from its header before it is read."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(handle)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(handle)
        else:
            shape, fortran, dtype = fmt.read_array_header_2_0(handle)
    except (ValueError, OSError, EOFError, SyntaxError) as error:
        raise UnsupportedInputFileError(
            f"not a valid .npy array ({error}); send {ALLOWED}"
        ) from None
    if dtype.hasobject:
        raise UnsupportedInputFileError(
            f"the file holds pickled objects (dtype {dtype}), which are never loaded; "
            f"send {ALLOWED}"
        )
    size = math.prod(shape) * dtype.itemsize
    if max_bytes is not None and size > max_bytes:
        raise UnsupportedInputFileError(
            f"the array declares shape {tuple(shape)} of {dtype} = {size} bytes, over the "
            f"limit of {max_bytes} bytes (DSRS_MAX_UPLOAD_BYTES)"
        )
    if size > available:
        raise UnsupportedInputFileError(
            f"the array declares {size} bytes of data but the file holds at most {available}"
        )
    try:
        data = handle.read(size)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise UnsupportedInputFileError(f"cannot read the array data ({error})") from None
    if len(data) != size:
        raise UnsupportedInputFileError("the array file is truncated")
    if handle.read(1):
        raise UnsupportedInputFileError(
            f"the array file holds bytes after the {size} bytes its header declares"
        )
    array = np.frombuffer(data, dtype=dtype)
    return array.reshape(shape, order="F" if fortran else "C")


def _read_npz(path: Path, max_bytes: int | None) -> dict[str, np.ndarray]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UnsupportedInputFileError(
            f"not a valid .npz archive ({error}); send {ALLOWED}"
        ) from None
    with archive:
        members = archive.infolist()
        names = sorted(m.filename for m in members)
        if len(set(names)) != len(names):
            raise UnsupportedInputFileError(
                f"the npz file holds members of the same name more than once: {names[:8]}"
            )
        if len(members) > len(_NPZ_MEMBERS) or not set(names) <= set(_NPZ_MEMBERS):
            raise UnsupportedInputFileError(
                "the npz file must hold an array named 'inputs' and optionally 'labels'; "
                f"found {names[:8]}{' …' if len(names) > 8 else ''}"
            )
        declared = sum(m.file_size for m in members)
        if max_bytes is not None and declared > max_bytes:
            raise UnsupportedInputFileError(
                f"the archive declares {declared} bytes once decompressed, over the limit "
                f"of {max_bytes} bytes (DSRS_MAX_UPLOAD_BYTES)"
            )
        arrays = {}
        for member in members:
            try:
                with archive.open(member) as stream:
                    arrays[_NPZ_MEMBERS[member.filename]] = _read_npy(
                        stream, max_bytes, member.file_size
                    )
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:
                raise UnsupportedInputFileError(
                    f"cannot read {member.filename} ({error})"
                ) from None
        return arrays


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
        raise UnsupportedInputFileError(f"cannot read the safetensors file ({error})") from None


def _from_mapping(fmt: str, arrays: dict[str, np.ndarray]) -> InputArrays:
    unknown = sorted(set(arrays) - {"inputs", "labels"})
    if "inputs" not in arrays or unknown:
        raise UnsupportedInputFileError(
            f"the {fmt} file must hold an array named 'inputs' and optionally 'labels'; "
            f"found {sorted(arrays)[:8]}"
        )
    return _checked(fmt, arrays["inputs"], arrays.get("labels"))


def _checked(fmt: str, inputs: np.ndarray, labels: np.ndarray | None) -> InputArrays:
    if inputs.ndim < 2 or min(inputs.shape) < 1:
        raise UnsupportedInputFileError(
            f"inputs must have shape (n, *input_shape) with n >= 1 and every dimension at "
            f"least 1, got {inputs.shape}"
        )
    if inputs.dtype.kind != "f":
        raise UnsupportedInputFileError(
            f"inputs must be floating point (float16/32/64), got {inputs.dtype}"
        )
    with np.errstate(over="ignore"):
        inputs = inputs.astype(np.float32)
    if not np.isfinite(inputs).all():
        raise UnsupportedInputFileError("inputs must be finite float32 values (no NaN or infinity)")
    if labels is not None:
        labels = _checked_labels(labels, inputs.shape[0])
    return InputArrays(format=fmt, inputs=inputs, labels=labels)


def _checked_labels(labels: np.ndarray, count: int) -> np.ndarray:
    if labels.dtype.kind not in "iu" or labels.shape != (count,):
        raise UnsupportedInputFileError(
            f"labels must be integers of shape ({count},), got {labels.dtype} {labels.shape}"
        )
    if labels.dtype.kind == "u" and labels.size and int(labels.max()) > MAX_LABEL:
        raise UnsupportedInputFileError(
            f"labels must be non-negative class indices, at most {MAX_LABEL}"
        )
    labels = labels.astype(np.int64)  # checked after the cast: no value wraps
    if labels.size and (labels.min() < 0 or labels.max() > MAX_LABEL):
        raise UnsupportedInputFileError(
            f"labels must be non-negative class indices, at most {MAX_LABEL}"
        )
    return labels


# ------------------------------------------------------------------------- in the child


def _read_and_store(request: dict[str, Any], upload: Path) -> dict[str, Any]:
    arrays = read_input_arrays(upload, int(request["max_bytes"]))
    np.save("inputs.npy", arrays.inputs, allow_pickle=False)
    if arrays.labels is not None:
        np.save("labels.npy", arrays.labels, allow_pickle=False)
    return {
        "format": arrays.format,
        "count": int(arrays.inputs.shape[0]),
        "sample_shape": list(arrays.inputs.shape[1:]),
    }


if __name__ == "__main__":
    sys.exit(child_main(_read_and_store, (UnsupportedInputFileError,)))
