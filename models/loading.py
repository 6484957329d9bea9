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

import torch

from dsrs_models.adapters import OnnxClassifier, TorchClassifier
from dsrs_models.errors import OWN_MODEL_HINT, ModelValidationError
from dsrs_models.formats import ModelFormat, content_digest, detect_format
from dsrs_models.onnx_loading import load_onnx_classifier
from dsrs_models.registry import architecture_names, get_architecture
from dsrs_models.safetensors_loading import load_safetensors_model

__all__ = ["LoadedModel", "load_model"]


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
                "a safetensors state dict needs the name of a registered architecture "
                f"(architecture=…): one of {', '.join(architecture_names())}. " + OWN_MODEL_HINT
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
