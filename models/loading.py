"""Load uploaded base classifiers safely: safetensors + registered architecture, or ONNX.

Nothing here unpickles: there is no ``torch.load`` and no TorchScript. The format is
decided by :func:`dsrs_models.formats.detect_format` from the bytes themselves.

* safetensors: the state dict of the *plain* registered architecture (e.g. torchvision's
  ``resnet50`` keys); keys and shapes must match exactly, values must be finite. The
  normalisation (registry default, or the uploaded mean/std) is added around it.
* ONNX: run by onnxruntime. Refused unless :func:`dsrs_models.onnx_validation.checked_onnx_model`
  passes (no external data in any tensor, only the standard operator domain, no
  model-local functions, the checker), one image input of rank 4 compatible with the
  declared input shape, and a ``(B, num_classes)`` output.

Uploaded bytes are only ever loaded in the sandbox of :mod:`dsrs_models.upload_probe`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from dsrs_models.adapters import OnnxClassifier, TorchClassifier
from dsrs_models.architectures import NormalizedNetwork
from dsrs_models.errors import ModelValidationError
from dsrs_models.formats import ModelFormat, content_digest, detect_format, read_safetensors_header
from dsrs_models.onnx_validation import checked_onnx_model
from dsrs_models.registry import build_model, get_architecture

__all__ = [
    "LoadedModel",
    "load_model",
    "load_onnx_classifier",
    "load_safetensors_model",
]

_MAX_LISTED = 8


@dataclass(frozen=True)
class LoadedModel:
    """A validated upload, ready to certify.

    Attributes
    ----------
    digest : str
        ``"sha256:<hex>"`` of the uploaded bytes (content address).
    format : ModelFormat
    classifier : TorchClassifier or OnnxClassifier
        Callable ``(B, *input_shape) float tensor → (B,) int64 class indices``.
    input_shape : tuple of int
    num_classes : int
    architecture : str or None
        Registry name (safetensors uploads only).
    """

    digest: str
    format: ModelFormat
    classifier: TorchClassifier | OnnxClassifier
    input_shape: tuple[int, ...]
    num_classes: int
    architecture: str | None = None


def load_model(
    data: bytes,
    *,
    architecture: str | None = None,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    input_shape: Sequence[int] | None = None,
    num_classes: int | None = None,
    device: str | torch.device = "cpu",
    channels_last: bool = False,
    autocast_dtype: torch.dtype | None = None,
) -> LoadedModel:
    """Validate uploaded bytes and turn them into a classifier.

    Parameters
    ----------
    data : bytes
        The uploaded file.
    architecture : str, optional
        Registry name; required for safetensors, optional for ONNX (then it supplies the
        expected input shape and number of classes).
    mean, std : sequence of float, optional
        Normalisation for a safetensors upload (default: the architecture's).
    input_shape, num_classes : optional
        For ONNX models without a registry name: the expected shape of one input and the
        number of classes (checked against the graph where it states them).
    device : str or torch.device
        Where a torch model runs. ONNX runs on onnxruntime's CPU provider.
    channels_last, autocast_dtype : optional
        Opt-in speed options of a torch model (see :class:`dsrs_models.adapters.TorchClassifier`);
        the default runs the model in its own precision and layout.

    Raises
    ------
    UnsafeFormatError, UnsupportedFormatError, ModelValidationError, UnknownArchitectureError
    """
    fmt = detect_format(data)
    digest = content_digest(data)
    if fmt is ModelFormat.SAFETENSORS:
        if architecture is None:
            raise ModelValidationError(
                "a safetensors state dict needs the name of a registered architecture"
            )
        spec = get_architecture(architecture)
        module = load_safetensors_model(data, architecture, mean=mean, std=std)
        classifier = TorchClassifier(
            module,
            num_classes=spec.num_classes,
            device=device,
            channels_last=channels_last,
            autocast_dtype=autocast_dtype,
        )
        return LoadedModel(
            digest, fmt, classifier, spec.input_shape, spec.num_classes, architecture
        )
    if mean is not None or std is not None:
        raise ModelValidationError(
            "mean/std apply to safetensors uploads only; an ONNX graph normalises itself"
        )
    if architecture is not None:
        spec = get_architecture(architecture)
        input_shape = input_shape or spec.input_shape
        num_classes = num_classes or spec.num_classes
    onnx_classifier = load_onnx_classifier(data, input_shape=input_shape, num_classes=num_classes)
    return LoadedModel(
        digest,
        fmt,
        onnx_classifier,
        onnx_classifier.input_shape,
        onnx_classifier.num_classes,
        architecture,
    )


# --------------------------------------------------------------------------- safetensors


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


# --------------------------------------------------------------------------------- ONNX


def load_onnx_classifier(
    data: bytes,
    *,
    input_shape: Sequence[int] | None = None,
    num_classes: int | None = None,
    intra_op_threads: int | None = None,
) -> OnnxClassifier:
    """Check an ONNX model and wrap an onnxruntime session as a classifier.

    Parameters
    ----------
    data : bytes
        Serialised ``onnx.ModelProto``.
    input_shape : sequence of int, optional
        Expected ``(C, H, W)``; needed when the graph leaves those dimensions symbolic.
    num_classes : int, optional
        Expected number of classes; needed when the graph's output leaves it symbolic.
    intra_op_threads : int, optional
        onnxruntime's intra-op thread count (default: onnxruntime's choice).

    Raises
    ------
    ModelValidationError
        Not parseable, external data, custom operator domains or local functions, checker
        failure, input/output shapes incompatible, or onnxruntime refuses the graph.
    """
    import onnx
    import onnxruntime as ort

    model = checked_onnx_model(data)
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise ModelValidationError(f"ONNX model must have one input, has {len(inputs)}")
    if len(model.graph.output) < 1:
        raise ModelValidationError("ONNX model has no output")
    in_dims = _static_dims(inputs[0])
    out_dims = _static_dims(model.graph.output[0])
    if inputs[0].type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
        raise ModelValidationError("ONNX model input must be float32")
    if in_dims is None or len(in_dims) != 4:
        raise ModelValidationError("ONNX model input must be a rank-4 (B, C, H, W) tensor")
    if out_dims is None or len(out_dims) != 2:
        raise ModelValidationError("ONNX model's first output must be (B, num_classes) logits")
    shape = _merge_shape(in_dims[1:], input_shape, "input shape")
    (classes,) = _merge_shape(
        out_dims[1:], None if num_classes is None else [num_classes], "number of classes"
    )
    batch = in_dims[0]

    options = ort.SessionOptions()
    if intra_op_threads is not None:
        options.intra_op_num_threads = intra_op_threads
    try:
        # The re-serialised message: onnxruntime sees exactly what was checked.
        session = ort.InferenceSession(
            model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except _onnxruntime_errors() as exc:
        raise ModelValidationError(f"onnxruntime cannot load the model: {exc}") from None
    classifier = OnnxClassifier(session, tuple(shape), classes, fixed_batch=batch)
    try:
        logits = classifier.logits(torch.zeros((batch or 2, *shape)))
    except _onnxruntime_errors() as exc:
        raise ModelValidationError(f"ONNX model fails on a zero input: {exc}") from None
    if tuple(logits.shape) != (batch or 2, classes):
        raise ModelValidationError(
            f"ONNX model output has shape {tuple(logits.shape)}, expected ({batch or 2}, {classes})"
        )
    return classifier


def _onnxruntime_errors() -> tuple[type[BaseException], ...]:
    """onnxruntime's own exception types (they derive from Exception directly)."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    names = (
        "Fail",
        "InvalidArgument",
        "InvalidGraph",
        "InvalidProtobuf",
        "NoModel",
        "NoSuchFile",
        "NotFound",
        "NotImplemented",
        "RuntimeException",
        "EPFail",
        "EngineError",
    )
    found = tuple(getattr(state, name) for name in names if hasattr(state, name))
    return (*found, RuntimeError, ValueError)


def _static_dims(value_info: Any) -> list[int | None] | None:
    tensor_type = value_info.type.tensor_type
    if not tensor_type.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else None for d in tensor_type.shape.dim]


def _merge_shape(
    graph_dims: Sequence[int | None], declared: Sequence[int] | None, what: str
) -> list[int]:
    if declared is not None:
        declared = [int(v) for v in declared]
        if len(declared) != len(graph_dims):
            raise ModelValidationError(
                f"ONNX {what}: graph has {len(graph_dims)} dimension(s), declared {declared}"
            )
        for graph_dim, value in zip(graph_dims, declared):
            if graph_dim is not None and graph_dim != value:
                raise ModelValidationError(
                    f"ONNX {what}: graph says {list(graph_dims)}, declared {declared}"
                )
        return declared
    if any(d is None for d in graph_dims):
        raise ModelValidationError(
            f"ONNX {what} is symbolic in the graph ({list(graph_dims)}); declare it"
        )
    return [int(d) for d in graph_dims if d is not None]
