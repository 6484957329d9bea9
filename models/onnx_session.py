"""An onnxruntime session over a checked ONNX graph, run on numpy arrays (no torch).

Shared by the in-process adapter (:class:`dsrs_models.adapters.OnnxClassifier`) and the
child process that runs uploaded graphs at inference (:mod:`dsrs_models.inference_child`),
which imports neither torch nor anything that does: it starts in a fraction of the time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["OnnxLogits", "make_session", "static_dims"]


def make_session(serialised: bytes, intra_op_threads: int | None = None) -> Any:
    """An ``onnxruntime.InferenceSession`` on the CPU over ``serialised`` (a graph that
    :func:`dsrs_models.onnx_validation.checked_onnx_model` accepted, re-serialised)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if intra_op_threads is not None:
        options.intra_op_num_threads = intra_op_threads
    return ort.InferenceSession(
        serialised, sess_options=options, providers=["CPUExecutionProvider"]
    )


def static_dims(value_info: Any) -> list[int | None] | None:
    """The dimensions of an ONNX value (None where symbolic), or None without a shape."""
    tensor_type = value_info.type.tensor_type
    if not tensor_type.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else None for d in tensor_type.shape.dim]


class OnnxLogits:
    """``array (B, *input_shape) float32 → logits (B, num_classes) float32`` with a session.

    ``fixed_batch``: the graph's static batch size, if it has one; batches are then run in
    slices of that size (the last one zero-padded).
    """

    def __init__(self, session: Any, fixed_batch: int | None = None) -> None:
        self.session = session
        self.fixed_batch = fixed_batch
        self.input_name = session.get_inputs()[0].name
        self.output_name = session.get_outputs()[0].name

    def _run(self, array: np.ndarray) -> np.ndarray:
        answer = self.session.run([self.output_name], {self.input_name: array})[0]
        return np.asarray(answer, dtype=np.float32)

    def __call__(self, array: np.ndarray) -> np.ndarray:
        if self.fixed_batch is None:
            return self._run(array)
        size = self.fixed_batch
        pieces = []
        for start in range(0, len(array), size):
            chunk = array[start : start + size]
            filled = len(chunk)
            if filled < size:
                chunk = np.concatenate(
                    [chunk, np.zeros((size - filled, *chunk.shape[1:]), np.float32)]
                )
            pieces.append(self._run(chunk)[:filled])
        return np.concatenate(pieces)
