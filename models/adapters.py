"""Adapters from a loaded model to the sampler's ``Classifier`` protocol.

A classifier maps a float batch ``(B, *input_shape)`` on its device to class indices
``(B,)`` int64 on the same device (``dsrs_core.sampling.classifier.Classifier``): the sampler only
ever needs the argmax, and counting stays on the device. A draw whose logits are not all
finite answers ``NON_FINITE`` (it counts for no class) and is counted in
:attr:`NonFiniteCounter.non_finite`, which the worker reads per input.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import torch
from torch import nn

from dsrs_core.sampling.classifier import classes_of_logits
from dsrs_models.onnx_session import OnnxLogits

__all__ = ["NonFiniteCounter", "OnnxClassifier", "TorchClassifier"]


class NonFiniteCounter:
    """How many draws had non-finite logits since the last :meth:`take_non_finite`.

    Kept as a tensor on the classifier's device, so counting adds no synchronisation."""

    _non_finite: torch.Tensor | None = None

    def _classes(self, logits: torch.Tensor) -> torch.Tensor:
        classes = classes_of_logits(logits)
        bad = (classes < 0).sum()
        self._non_finite = bad if self._non_finite is None else self._non_finite + bad
        return classes

    def take_non_finite(self) -> int:
        """The count since the last call, and start again from zero."""
        count, self._non_finite = self._non_finite, None
        return 0 if count is None else int(count.item())


class TorchClassifier(NonFiniteCounter):
    """A ``torch.nn.Module`` (logits) as a classifier (argmax of the logits).

    Parameters
    ----------
    module : torch.nn.Module
        Maps ``(B, *input_shape)`` inputs (input space) to ``(B, num_classes)`` logits.
        Put in eval mode and moved to ``device``.
    num_classes : int
        Number of classes (length of the logits).
    device : str or torch.device
        Where the module runs; the sampler draws noise there.
    channels_last : bool
        Opt-in: convert the module and every batch to channels-last memory format
        (often faster for convolutions on GPUs).
    autocast_dtype : torch.dtype, optional
        Opt-in mixed precision (``torch.float16`` / ``torch.bfloat16``) through
        ``torch.autocast``. Default: the module's own precision. The argmax under reduced
        precision may differ from float32 near decision boundaries; the certificate is
        about the classifier actually run, so it stays sound.
    """

    def __init__(
        self,
        module: nn.Module,
        num_classes: int,
        device: str | torch.device = "cpu",
        *,
        channels_last: bool = False,
        autocast_dtype: torch.dtype | None = None,
    ) -> None:
        self.device = torch.device(device)
        self.num_classes = int(num_classes)
        self.channels_last = channels_last
        self.autocast_dtype = autocast_dtype
        module = module.to(self.device).eval()
        if channels_last:
            module = module.to(memory_format=torch.channels_last)
        self.module = module
        parameter = next(iter(module.parameters()), None)
        #: dtype the module computes in; the sampler draws noise in it.
        self.dtype = parameter.dtype if parameter is not None else torch.float32

    def logits(self, batch: torch.Tensor) -> torch.Tensor:
        """The module's logits for a batch (no gradient)."""
        if batch.dtype != self.dtype:
            batch = batch.to(self.dtype)
        if self.channels_last and batch.dim() == 4:
            batch = batch.contiguous(memory_format=torch.channels_last)
        context = (
            torch.autocast(self.device.type, dtype=self.autocast_dtype)
            if self.autocast_dtype is not None
            else nullcontext()
        )
        with torch.inference_mode(), context:
            return self.module(batch)

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        return self._classes(self.logits(batch))


class OnnxClassifier(NonFiniteCounter):
    """An onnxruntime session (logits) as a classifier.

    Batches are copied to host float32 arrays, run, and the argmax is returned on the
    batch's device. Built by :func:`dsrs_models.onnx_loading.load_onnx_classifier`, which checks the
    graph first.

    Parameters
    ----------
    session : onnxruntime.InferenceSession
    input_shape : tuple of int
        ``(C, H, W)`` of one input.
    num_classes : int
    fixed_batch : int, optional
        The graph's static batch size, if it has one; batches are then run in slices of
        that size (the last one zero-padded).
    """

    def __init__(
        self,
        session: Any,
        input_shape: tuple[int, ...],
        num_classes: int,
        fixed_batch: int | None = None,
    ) -> None:
        self.session = session
        self.input_shape = tuple(input_shape)
        self.num_classes = int(num_classes)
        self.fixed_batch = fixed_batch
        self._logits = OnnxLogits(session, fixed_batch)
        self.dtype = torch.float32
        self.device = torch.device("cpu")

    def logits(self, batch: torch.Tensor) -> torch.Tensor:
        """Logits as a CPU float tensor ``(B, num_classes)``."""
        array = batch.detach().to("cpu", torch.float32).contiguous().numpy()
        return torch.from_numpy(self._logits(array))

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        return self._classes(self.logits(batch)).to(batch.device)
