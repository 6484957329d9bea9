"""Load an ONNX classifier for onnxruntime, from bytes only, after
:func:`dsrs_models.onnx_validation.checked_onnx_model`: one NCHW image input compatible with
the declared shape, a ``(B, num_classes)`` first output, finite logits. Called by
:func:`dsrs_models.loading.load_model`, in the sandbox for uploaded bytes."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from dsrs_models.adapters import OnnxClassifier
from dsrs_models.errors import ModelValidationError
from dsrs_models.onnx_session import make_session, static_dims
from dsrs_models.onnx_validation import checked_onnx_model

__all__ = ["IMAGE_CHANNELS", "load_onnx_classifier"]

#: Channel counts of images; an input whose first dimension is not one of them but whose
#: last is was exported channels-last.
IMAGE_CHANNELS = (1, 3, 4)


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

    model = checked_onnx_model(data)
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise ModelValidationError(f"ONNX model must have one input, has {len(inputs)}")
    if len(model.graph.output) < 1:
        raise ModelValidationError("ONNX model has no output")
    in_dims = static_dims(inputs[0])
    out_dims = static_dims(model.graph.output[0])
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
    if classes < 2:
        raise ModelValidationError(
            f"ONNX model has {classes} output class(es); a classifier needs at least 2 "
            "(the first output must be (B, num_classes) logits)"
        )
    if shape[0] not in IMAGE_CHANNELS and shape[2] in IMAGE_CHANNELS:
        raise ModelValidationError(
            f"ONNX model input {tuple(shape)} looks like NHWC (height, width, channels); the "
            "service feeds NCHW (B, C, H, W) images: export with channels first (e.g. add "
            "x.permute(0, 2, 3, 1) as the model's first step)"
        )

    try:
        # The re-serialised message: onnxruntime sees exactly what was checked.
        session = make_session(model.SerializeToString(), intra_op_threads)
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
    probe = torch.rand((batch or 2, *shape), generator=torch.Generator().manual_seed(0))
    try:
        probe_logits = classifier.logits(probe)
    except _onnxruntime_errors() as exc:
        raise ModelValidationError(f"ONNX model fails on inputs in [0, 1]: {exc}") from None
    if not (bool(torch.isfinite(logits).all()) and bool(torch.isfinite(probe_logits).all())):
        raise ModelValidationError(
            "ONNX model gives NaN or infinite logits (on a zero input or on inputs in "
            "[0, 1]); every noisy copy would count as an abstention"
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


def _merge_shape(
    graph_dims: Sequence[int | None], declared: Sequence[int] | None, what: str
) -> list[int]:
    if declared is not None:
        declared = [int(v) for v in declared]
        if len(declared) != len(graph_dims):
            raise ModelValidationError(
                f"ONNX {what}: graph has {len(graph_dims)} dimension(s), declared {declared}"
            )
        for graph_dim, value in zip(graph_dims, declared, strict=True):
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
