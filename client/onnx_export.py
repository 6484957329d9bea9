"""Export a user's ``torch.nn.Module`` to ONNX on the user's side, and check the result.

The service never runs uploaded Python: a network whose architecture is not registered
reaches it as an ONNX graph. The export runs here, in the user's process where their code
is trusted, and the graph is checked against the service's contract before it is sent
(README, "Certify your own model"):

* one float32 input ``(B, C, H, W)`` (NCHW) with a dynamic batch dimension, values in
  ``[0, 1]``; any normalisation is part of the graph;
* the first output is ``(B, num_classes)`` logits (or any scores whose argmax is the
  class), ``num_classes >= 2``, finite;
* the standard ONNX operator set only, no external data, no local functions.

torch is imported inside :func:`export_onnx`: importing the client stays light.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ExportedModel", "OnnxExportError", "export_onnx"]

#: Largest difference between the module's logits and the exported graph's on the example
#: input (absolute, relative to the largest logit); beyond it the export is refused.
LOGITS_TOLERANCE = 1e-3


class OnnxExportError(ValueError):
    """The module cannot be exported, or the exported graph breaks the service's contract."""


@dataclass(frozen=True)
class ExportedModel:
    """A checked ONNX serialisation of a module."""

    onnx_bytes: bytes
    input_shape: tuple[int, int, int]
    num_classes: int


def export_onnx(module: Any, example_input: Any, *, opset_version: int = 18) -> ExportedModel:
    """Export ``module`` to ONNX with ``example_input`` and check it against the contract.

    Parameters
    ----------
    module : torch.nn.Module
        Maps float inputs in ``[0, 1]``, shape ``(B, C, H, W)``, to ``(B, num_classes)``
        logits; normalisation (mean/std) belongs inside it. Put in eval mode for export.
    example_input : tensor or ndarray, shape (C, H, W) or (B, C, H, W)
        A typical input (e.g. one image of the data set), used to trace the module and to
        compare the graph's answer with the module's.
    opset_version : int
        ONNX opset of the graph.

    Returns
    -------
    ExportedModel
        The serialised graph, its ``(C, H, W)`` input shape and its number of classes.

    Raises
    ------
    OnnxExportError
        The export failed, or the graph gives other logits than the module, non-finite
        logits, fewer than 2 classes, or not one ``(B, num_classes)`` output.
    """
    from dsrs_client.extras import require_extra

    require_extra("export", "exporting a torch module to ONNX")
    import numpy as np
    import onnx
    import onnxruntime as ort
    import torch

    example = torch.as_tensor(np.asarray(example_input, dtype=np.float32))
    if example.ndim == 3:
        example = example.unsqueeze(0)
    if example.ndim != 4:
        raise OnnxExportError(
            f"example_input must be one image (C, H, W) or a batch (B, C, H, W) in NCHW "
            f"layout; got shape {tuple(example.shape)}"
        )
    example = torch.cat([example, example])[:2] if example.shape[0] == 1 else example
    module = module.eval()
    with torch.no_grad():
        expected = module(example)
    if isinstance(expected, (tuple, list)):
        expected = expected[0]
    if not isinstance(expected, torch.Tensor) or expected.ndim != 2:
        raise OnnxExportError(
            "the module's (first) output must be a (B, num_classes) tensor of logits; got "
            f"{getattr(expected, 'shape', type(expected))}"
        )
    try:
        program = torch.onnx.export(
            module,
            (example,),
            input_names=["inputs"],
            output_names=["logits"],
            dynamic_shapes=({0: torch.export.Dim("batch")},),
            opset_version=opset_version,
            optimize=True,
            verbose=False,
        )
        assert program is not None  # None only when given a file to write
        data = program.model_proto.SerializeToString()
    except Exception as error:
        raise OnnxExportError(
            f"torch.onnx.export failed: {type(error).__name__}: {error}"
        ) from error
    graph = onnx.load_model_from_string(data)
    try:
        onnx.checker.check_model(graph, full_check=True)
    except onnx.checker.ValidationError as error:
        raise OnnxExportError(f"the exported graph is not valid ONNX: {error}") from None
    if len(graph.functions) > 0:
        raise OnnxExportError(
            f"the exported graph has {len(graph.functions)} local function(s); the service "
            "accepts only the standard operator set"
        )
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    (logits, *_rest) = session.run(None, {session.get_inputs()[0].name: example.numpy()})
    _check_logits(np.asarray(logits), expected.detach().cpu().numpy())
    channels, height, width = (int(v) for v in example.shape[1:])
    return ExportedModel(data, (channels, height, width), int(expected.shape[1]))


def _check_logits(graph_logits: Any, module_logits: Any) -> None:
    import numpy as np

    if graph_logits.shape != module_logits.shape:
        raise OnnxExportError(
            f"the graph answers shape {graph_logits.shape}, the module {module_logits.shape}"
        )
    if module_logits.shape[1] < 2:
        raise OnnxExportError(
            f"the module has {module_logits.shape[1]} class(es); a classifier needs at least 2"
        )
    if not np.isfinite(graph_logits).all():
        raise OnnxExportError("the exported graph gives NaN or infinite logits on the example")
    scale = max(1.0, float(np.abs(module_logits).max()))
    worst = float(np.abs(graph_logits - module_logits).max())
    if worst > LOGITS_TOLERANCE * scale:
        raise OnnxExportError(
            f"the exported graph's logits differ from the module's by {worst:.3g} "
            f"(allowed {LOGITS_TOLERANCE * scale:.3g}); the export changed the computation"
        )
