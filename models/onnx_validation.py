"""Check an uploaded ONNX model before onnxruntime sees it.

An ONNX tensor may keep its bytes in an *external* file named by a relative path; a
runtime that honours it reads that file from its working directory (an uploaded graph
could read ``.env`` or the database this way, and its outputs leak the bytes). Tensors hide
in many places, so :func:`all_tensors` walks every one of them: graph initializers, sparse
initializers, and every node attribute (``t``, ``tensors``, ``sparse_tensor``,
``sparse_tensors``) in the main graph, in every subgraph (``g``, ``graphs``: ``If``,
``Loop``, ``Scan`` bodies, nested to any depth), in model-local functions and in training
information. Any tensor with external data refuses the model.

:func:`checked_onnx_model` returns the parsed model; callers hand onnxruntime the
*re-serialised* message (exactly what was checked), and run it only in the sandbox
(:mod:`dsrs_models.upload_probe`), whose working directory holds nothing but the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dsrs_models.errors import ModelValidationError

__all__ = ["ALLOWED_ONNX_DOMAINS", "all_graphs", "all_tensors", "checked_onnx_model"]

#: Operator domains an uploaded ONNX graph may use (the default ONNX operator set).
ALLOWED_ONNX_DOMAINS = frozenset({"", "ai.onnx"})


def checked_onnx_model(data: bytes) -> Any:
    """Parse ``data`` as an ``onnx.ModelProto`` and refuse what may not run.

    Raises
    ------
    ModelValidationError
        Not parseable, external data in any tensor, custom operator domains, model-local
        functions, or the ONNX checker fails.
    """
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise ModelValidationError(f"not a valid ONNX model: {exc}") from None
    external = [name for name, tensor in all_tensors(model) if _uses_external_data(tensor)]
    if external:
        raise ModelValidationError(
            "ONNX models with external data are refused (every tensor must be stored in "
            f"the file); found {len(external)}, first in {external[0]}"
        )
    domains = {o.domain for o in model.opset_import}
    domains |= {node.domain for graph in all_graphs(model) for node in graph.node}
    custom = sorted(domains - ALLOWED_ONNX_DOMAINS)
    if custom or len(model.functions) > 0:
        raise ModelValidationError(
            "ONNX models may use only the standard operator set; found custom domains "
            f"{custom[:8]} and {len(model.functions)} local function(s)"
        )
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        raise ModelValidationError(f"ONNX checker rejected the model: {exc}") from None
    return model


def all_graphs(model: Any) -> Iterator[Any]:
    """Every graph of ``model``: the main graph, training graphs, function bodies (as
    node lists), and all their subgraphs, depth first."""
    roots: list[Any] = [model.graph]
    for info in model.training_info:
        roots += [info.initialization, info.algorithm]
    roots += list(model.functions)  # FunctionProto has .node like a graph
    stack = roots
    while stack:
        graph = stack.pop()
        yield graph
        for node in graph.node:
            for attribute in node.attribute:
                if attribute.HasField("g"):
                    stack.append(attribute.g)
                stack.extend(attribute.graphs)


def all_tensors(model: Any) -> Iterator[tuple[str, Any]]:
    """``(where, TensorProto)`` for every tensor stored anywhere in ``model``."""
    for graph in all_graphs(model):
        label = getattr(graph, "name", "") or "graph"
        for tensor in getattr(graph, "initializer", ()):
            yield f"{label}: initializer {tensor.name!r}", tensor
        for sparse in getattr(graph, "sparse_initializer", ()):
            yield f"{label}: sparse initializer", sparse.values
            yield f"{label}: sparse initializer", sparse.indices
        for node in graph.node:
            for attribute in node.attribute:
                where = f"{label}: node {node.name or node.op_type!r} attribute {attribute.name!r}"
                if attribute.HasField("t"):
                    yield where, attribute.t
                for tensor in attribute.tensors:
                    yield where, tensor
                sparse_tensors = list(attribute.sparse_tensors)
                if attribute.HasField("sparse_tensor"):
                    sparse_tensors.append(attribute.sparse_tensor)
                for sparse in sparse_tensors:
                    yield where, sparse.values
                    yield where, sparse.indices


def _uses_external_data(tensor: Any) -> bool:
    import onnx

    return tensor.data_location == onnx.TensorProto.EXTERNAL or len(tensor.external_data) > 0
