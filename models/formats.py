"""Recognise an uploaded model file by its content (never by its name).

Only two formats are ever opened: a safetensors state dict and an ONNX model. Formats
that can run code when loaded are recognised by their magic bytes and refused before any
parser sees them:

* pickle (``torch.save`` legacy format, ``.pkl``, ``.pt``): protocol 2+ starts with
  ``0x80 <protocol>``; protocol 0/1 streams are caught as "not safetensors, not ONNX".
* zip archives (``torch.save`` ≥ 1.6 and TorchScript ``torch.jit.save``): ``PK\\x03\\x04``;
  the member names (read from the zip directory, nothing is extracted) tell TorchScript
  (``code/``, ``constants.pkl``) from a pickled checkpoint (``data.pkl``).
"""

from __future__ import annotations

import enum
import hashlib
import io
import json
import struct
import zipfile

from dsrs_models.errors import ModelValidationError, UnsafeFormatError, UnsupportedFormatError

__all__ = [
    "SAFETENSORS_MAX_HEADER_BYTES",
    "ModelFormat",
    "content_digest",
    "detect_format",
]

#: Largest safetensors JSON header accepted (the header lists one entry per tensor; even
#: ResNet-50's is ~40 kB). Guards the JSON parser against a forged length.
SAFETENSORS_MAX_HEADER_BYTES = 8 * 1024 * 1024


class ModelFormat(str, enum.Enum):
    """The formats :func:`detect_format` accepts."""

    SAFETENSORS = "safetensors"
    ONNX = "onnx"


def content_digest(data: bytes) -> str:
    """Content address of an upload: ``"sha256:<hex>"`` of its bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def detect_format(data: bytes) -> ModelFormat:
    """Classify uploaded bytes as safetensors or ONNX, refusing everything else.

    Raises
    ------
    UnsafeFormatError
        Pickle, a torch zip checkpoint or TorchScript (never deserialised).
    UnsupportedFormatError
        Anything else that is neither safetensors nor ONNX.
    """
    if len(data) < 8:
        raise UnsupportedFormatError("model file is empty or truncated", detected="empty")
    # safetensors first: its 8-byte little-endian header length may begin with the same
    # bytes as a pickle's protocol marker (0x80 0x02 is a 640-byte header), and reading a
    # safetensors header can run nothing.
    if _looks_like_safetensors(data):
        return ModelFormat.SAFETENSORS
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        _refuse_zip(data)
    if data[0] == 0x80 and 2 <= data[1] <= 5:
        raise UnsafeFormatError(
            "pickled checkpoints (torch.save / .pt / .pkl) are refused: unpickling can run "
            "arbitrary code. Upload a safetensors state dict "
            "(safetensors.torch.save_file(model.state_dict(), path)) or an ONNX model.",
            detected="pickle",
        )
    if data[:6] == b"\x93NUMPY":
        raise UnsupportedFormatError("NumPy .npy files are not model files", detected="numpy")
    if _looks_like_onnx(data):
        return ModelFormat.ONNX
    raise UnsupportedFormatError(
        "unrecognised model file: expected a safetensors state dict or an ONNX model",
        detected="unknown",
    )


def _refuse_zip(data: bytes) -> None:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, ValueError):
        names = []
    if any(n.endswith("constants.pkl") or "/code/" in n or n.startswith("code/") for n in names):
        raise UnsafeFormatError(
            "TorchScript archives are refused (they contain pickles and code). Upload a "
            "safetensors state dict for a registered architecture or an ONNX model.",
            detected="torchscript",
        )
    if any(n.endswith("data.pkl") for n in names):
        raise UnsafeFormatError(
            "torch.save zip checkpoints are refused: they are pickles. Upload a safetensors "
            "state dict (safetensors.torch.save_file(model.state_dict(), path)) instead.",
            detected="torch-zip",
        )
    raise UnsafeFormatError(
        "zip archives are refused; upload a single safetensors or ONNX file",
        detected="zip",
    )


def _looks_like_safetensors(data: bytes) -> bool:
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len < 2 or len(data) < 8 + header_len:
        return False
    return data[8:9] == b"{"


def read_safetensors_header(data: bytes) -> dict:
    """The parsed JSON header of a safetensors file, with size checks.

    Raises ``ModelValidationError`` for a header over :data:`SAFETENSORS_MAX_HEADER_BYTES`
    or one that is not a JSON object.
    """
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > SAFETENSORS_MAX_HEADER_BYTES:
        raise ModelValidationError(
            f"safetensors header of {header_len} bytes exceeds the limit of "
            f"{SAFETENSORS_MAX_HEADER_BYTES} bytes"
        )
    if len(data) < 8 + header_len:
        raise ModelValidationError("safetensors file is truncated inside its header")
    try:
        header = json.loads(data[8 : 8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelValidationError(f"safetensors header is not valid JSON: {exc}") from None
    if not isinstance(header, dict):
        raise ModelValidationError("safetensors header must be a JSON object")
    return header


def _looks_like_onnx(data: bytes) -> bool:
    """Whether ``data`` is a sequence of well-formed top-level protobuf fields, one of them
    ``ModelProto.graph`` (field 7).

    Exporters usually write ``ir_version`` (field 1) first, but protobuf allows any field
    order (a graph-first file is valid). Only the top level is walked here (lengths are
    skipped, never read); the file is parsed in full later, in the sandbox.
    """
    position, has_graph = 0, False
    while position < len(data):
        key, size = _varint(data[position : position + 10])
        if size == 0 or key >> 3 == 0:
            return False
        position += size
        field, wire_type = key >> 3, key & 0x7
        if wire_type == 0:
            _, size = _varint(data[position : position + 10])
            if size == 0:
                return False
            position += size
        elif wire_type == 1:
            position += 8
        elif wire_type == 5:
            position += 4
        elif wire_type == 2:
            length, size = _varint(data[position : position + 10])
            if size == 0:
                return False
            position += size + length
            has_graph = has_graph or field == 7
        else:
            return False  # groups are not used by ONNX
    return has_graph and position == len(data)


def _varint(data: bytes) -> tuple[int, int]:
    """The protobuf varint at the start of ``data`` and its length in bytes (0: none)."""
    value = 0
    for position, byte in enumerate(data):
        value |= (byte & 0x7F) << (7 * position)
        if not byte & 0x80:
            return value, position + 1
    return 0, 0
