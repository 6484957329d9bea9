"""Inspect an uploaded model file in the sandbox: the one probe of the API and the worker.

:func:`probe_model_file` runs this module as a child process (:mod:`dsrs_models.sandbox`):
it recognises the format from the bytes, validates them (safetensors against a registered
architecture, or an ONNX graph with :mod:`dsrs_models.onnx_validation`), builds the classifier,
infers the input shape and the number of classes (ONNX), and runs the model on a zero batch
of 2, checking that it answers one class index in ``[0, num_classes)`` per input.

The API calls it when a model is uploaded (nothing is declared: the answer says what the
model is); a worker calls it before it loads a stored model for a job, with the shape and
classes recorded at upload (:mod:`dsrs_worker.model_probe`). Refusals keep their type:
``UnsafeFormatError`` / ``UnsupportedFormatError`` (415 in the API) and
``ModelValidationError`` (422) with the child's message; a limit that stops the child
becomes a ``ModelValidationError`` saying which limit.

A pass is remembered in this process (:data:`_PASSED`, bounded) by the sha256 of the file's
bytes together with everything the probe ran with (declarations and limits): the probe is a
function of those, so the same bytes under the same conditions skip the child and its
seconds of imports (another tenant's identical upload, a worker's next job). A refusal is
never remembered.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsrs_models.errors import (
    ModelValidationError,
    UnknownArchitectureError,
    UnsafeFormatError,
    UnsupportedFormatError,
)
from dsrs_models.sandbox import SandboxLimits, SandboxRefusal, child_main, run_sandboxed

__all__ = ["ModelFacts", "probe_model_file"]

_BATCH = 2
#: How many passed probes a process remembers (least recently used dropped first).
_PASSED_CAPACITY = 256
_PASSED: OrderedDict[str, ModelFacts] = OrderedDict()
_PASSED_LOCK = threading.Lock()


@dataclass(frozen=True)
class ModelFacts:
    """What the probe established about an uploaded model."""

    format: str
    input_shape: tuple[int, ...]
    num_classes: int


def probe_model_file(
    path: Path,
    limits: SandboxLimits,
    *,
    architecture: str | None = None,
    mean: list[float] | None = None,
    std: list[float] | None = None,
    input_shape: list[int] | None = None,
    num_classes: int | None = None,
    timeout_setting: str = "DSRS_MODEL_LOAD_TIMEOUT_S",
) -> ModelFacts:
    """Validate the model file at ``path`` in a sandboxed child and return its facts.

    ``input_shape`` / ``num_classes`` are checked against the model when given (they
    also fill dimensions an ONNX graph leaves symbolic). ``timeout_setting`` names the
    setting of ``limits.timeout_s`` in the message of a model that ran out of time.

    Raises
    ------
    UnsafeFormatError, UnsupportedFormatError
        Not safetensors or ONNX (pickle, TorchScript, zip, ...).
    ModelValidationError
        The content does not fit, the model fails on a zero batch, or a limit stopped it.
    UnknownArchitectureError
    """
    request = {
        "architecture": architecture,
        "mean": mean,
        "std": std,
        "input_shape": input_shape,
        "num_classes": num_classes,
    }
    key = _pass_key(path, request, limits)
    with _PASSED_LOCK:
        if key in _PASSED:
            _PASSED.move_to_end(key)
            return _PASSED[key]
    try:
        with run_sandboxed(__name__, path, request, limits) as outcome:
            facts = outcome.result
    except SandboxRefusal as refusal:
        raise _translated(refusal, limits, timeout_setting) from None
    passed = ModelFacts(facts["format"], tuple(facts["input_shape"]), int(facts["num_classes"]))
    with _PASSED_LOCK:
        _PASSED[key] = passed
        while len(_PASSED) > _PASSED_CAPACITY:
            _PASSED.popitem(last=False)
    return passed


def _pass_key(path: Path, request: dict[str, Any], limits: SandboxLimits) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    conditions = json.dumps([request, limits.__dict__], sort_keys=True, default=str)
    return f"{digest.hexdigest()}:{conditions}"


def _translated(refusal: SandboxRefusal, limits: SandboxLimits, timeout_setting: str) -> Exception:
    message = str(refusal)
    if refusal.kind == UnsafeFormatError.__name__:
        return UnsafeFormatError(message, detected=refusal.detected or "unsafe")
    if refusal.kind == UnsupportedFormatError.__name__:
        return UnsupportedFormatError(message, detected=refusal.detected or "unknown")
    if refusal.kind == UnknownArchitectureError.__name__:
        return UnknownArchitectureError(message)
    if refusal.kind == ModelValidationError.__name__:
        return ModelValidationError(message)
    if refusal.kind in ("timeout", "cpu"):
        return ModelValidationError(
            f"the model did not load within {limits.timeout_s:g} s "
            f"({timeout_setting}): it {message}"
        )
    if refusal.kind == "memory":
        return ModelValidationError(f"the model {message} to load (DSRS_MODEL_LOAD_MEMORY_BYTES)")
    return ModelValidationError(f"the model was refused while it was inspected: {message}")


# ------------------------------------------------------------------------- in the child


def _inspect(request: dict[str, Any], upload: Path) -> dict[str, Any]:
    from dsrs_models.formats import ModelFormat, detect_format
    from dsrs_models.onnx_validation import checked_onnx_model

    data = upload.read_bytes()
    # Refusals that need no torch come before the seconds of its imports.
    if detect_format(data) is ModelFormat.ONNX:
        checked_onnx_model(data)
    import torch

    from dsrs_models.loading import load_model

    torch.set_num_threads(1)
    declared_shape = request["input_shape"]
    declared_classes = request["num_classes"]
    loaded = load_model(
        data,
        architecture=request["architecture"],
        mean=request["mean"],
        std=request["std"],
        input_shape=declared_shape if request["architecture"] is None else None,
        num_classes=declared_classes if request["architecture"] is None else None,
    )
    if declared_shape is not None and list(loaded.input_shape) != list(declared_shape):
        raise ModelValidationError(
            f"the model takes inputs of shape {list(loaded.input_shape)}, declared {declared_shape}"
        )
    if declared_classes is not None and loaded.num_classes != declared_classes:
        raise ModelValidationError(
            f"the model has {loaded.num_classes} classes, declared {declared_classes}"
        )
    answer = loaded.classifier(torch.zeros((_BATCH, *loaded.input_shape)))
    if tuple(answer.shape) != (_BATCH,) or not bool(
        ((answer >= 0) & (answer < loaded.num_classes)).all()
    ):
        raise ModelValidationError(
            f"on a zero batch of {_BATCH} inputs the model answered an array of shape "
            f"{tuple(answer.shape)}, expected {_BATCH} class indices in "
            f"[0, {loaded.num_classes - 1}]"
        )
    return {
        "format": loaded.format.value,
        "input_shape": list(loaded.input_shape),
        "num_classes": loaded.num_classes,
    }


if __name__ == "__main__":
    sys.exit(
        child_main(
            _inspect,
            (
                UnsafeFormatError,
                UnsupportedFormatError,
                ModelValidationError,
                UnknownArchitectureError,
            ),
        )
    )
