"""Adapters from a loaded model to the sampler's ``Classifier`` protocol.

A classifier maps a float batch ``(B, *input_shape)`` on its device to class indices
``(B,)`` int64 on the same device (``dsrs_core.sampling.Classifier``): the sampler only
ever needs the argmax, and counting stays on the device.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["OnnxClassifier", "TorchClassifier"]


class TorchClassifier:
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
        return self.logits(batch).argmax(dim=1)


class OnnxClassifier:
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
        self.input_name = session.get_inputs()[0].name
        self.output_name = session.get_outputs()[0].name
        self.dtype = torch.float32
        self.device = torch.device("cpu")

    def _run(self, array: np.ndarray) -> np.ndarray:
        return self.session.run([self.output_name], {self.input_name: array})[0]

    def logits(self, batch: torch.Tensor) -> torch.Tensor:
        """Logits as a CPU float tensor ``(B, num_classes)``."""
        array = batch.detach().to("cpu", torch.float32).contiguous().numpy()
        if self.fixed_batch is None:
            return torch.from_numpy(np.asarray(self._run(array), dtype=np.float32))
        size = self.fixed_batch
        pieces = []
        for start in range(0, len(array), size):
            chunk = array[start : start + size]
            filled = len(chunk)
            if filled < size:
                chunk = np.concatenate(
                    [chunk, np.zeros((size - filled, *chunk.shape[1:]), np.float32)]
                )
            pieces.append(np.asarray(self._run(chunk), dtype=np.float32)[:filled])
        return torch.from_numpy(np.concatenate(pieces))

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        return self.logits(batch).argmax(dim=1).to(batch.device)
