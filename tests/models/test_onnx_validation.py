"""ONNX validation walks every tensor (issue 11): external data anywhere refuses the
model, before any runtime sees it; sniffing accepts any valid field order and never takes
a safetensors file for a pickle."""

from __future__ import annotations

import pytest

from dsrs_models.demo import DEMO_WEIGHTS_PATH
from dsrs_models.errors import ModelValidationError
from dsrs_models.formats import ModelFormat, detect_format
from dsrs_models.onnx_validation import all_tensors, checked_onnx_model
from tests import hostile_files as files

EXTERNAL = {name: build for name, build in files.HOSTILE_MODELS.items() if "external" in name}


def test_every_place_a_tensor_can_hide_is_covered() -> None:
    assert len(EXTERNAL) >= 10


@pytest.mark.parametrize("name", sorted(EXTERNAL))
def test_external_data_anywhere_is_refused(name: str) -> None:
    data = EXTERNAL[name]()
    assert detect_format(data) is ModelFormat.ONNX
    with pytest.raises(ModelValidationError, match="external data"):
        checked_onnx_model(data)


def test_the_walk_reaches_tensors_three_subgraphs_deep() -> None:
    import onnx

    model = onnx.load_model_from_string(files.onnx_nested_subgraph_external(depth=3))
    places = [where for where, _ in all_tensors(model)]
    assert any(where.startswith("b0:") for where in places), places


def test_a_valid_model_passes_and_any_field_order_is_onnx() -> None:
    assert checked_onnx_model(files.valid_onnx()) is not None
    graph_first = files.onnx_graph_field_first()
    assert graph_first[0] == 0x3A  # field 7 (graph), length-delimited
    assert detect_format(graph_first) is ModelFormat.ONNX
    assert checked_onnx_model(graph_first) is not None


@pytest.mark.parametrize("length", [0x0280, 0x0380, 0x0480, 0x0580])
def test_safetensors_whose_header_length_starts_like_a_pickle_is_safetensors(
    length: int,
) -> None:
    data = files.safetensors_with_header_length(DEMO_WEIGHTS_PATH.read_bytes(), length)
    assert data[0] == 0x80 and 2 <= data[1] <= 5
    assert detect_format(data) is ModelFormat.SAFETENSORS
