"""Safe loading of uploads: refusals by content, safetensors validation, ONNX round trip."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import struct
import zipfile

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from safetensors.torch import save

from dsrs_models.errors import (
    ModelValidationError,
    UnknownArchitectureError,
    UnsafeFormatError,
    UnsupportedFormatError,
)
from dsrs_models.formats import (
    SAFETENSORS_MAX_HEADER_BYTES,
    ModelFormat,
    content_digest,
    detect_format,
)
from dsrs_models.loading import load_model
from dsrs_models.onnx_loading import load_onnx_classifier
from dsrs_models.registry import build_model
from dsrs_models.safetensors_loading import load_safetensors_model


def _state_bytes(architecture: str = "digits-mlp", seed: int = 0) -> tuple[bytes, torch.nn.Module]:
    torch.manual_seed(seed)
    model = build_model(architecture)
    state = {k: v.contiguous() for k, v in model.network.state_dict().items()}
    return save(state), model


# ---------------------------------------------------------------------------------- refusals


class _Explodes:
    """Unpickling this would create ``path`` (proves that nothing is unpickled)."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_is_refused_without_unpickling(tmp_path, protocol):
    marker = tmp_path / "unpickled"
    data = pickle.dumps({"weights": _Explodes(marker)}, protocol=protocol)
    with pytest.raises(UnsafeFormatError, match="pickle") as info:
        load_model(data, architecture="digits-mlp")
    assert info.value.detected == "pickle"
    assert not marker.exists()


def test_legacy_torch_save_is_refused():
    buffer = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, buffer, _use_new_zipfile_serialization=False)
    with pytest.raises(UnsafeFormatError) as info:
        detect_format(buffer.getvalue())
    assert info.value.detected == "pickle"


def test_zip_checkpoint_is_refused():
    buffer = io.BytesIO()
    torch.save(build_model("digits-mlp").state_dict(), buffer)
    with pytest.raises(UnsafeFormatError, match=r"torch\.save zip") as info:
        load_model(buffer.getvalue(), architecture="digits-mlp")
    assert info.value.detected == "torch-zip"


def _torchscript_like_archive() -> bytes:
    # The layout torch.jit.save writes (archive/code/..., archive/constants.pkl, data.pkl),
    # built by hand: only the member names matter to the detector.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({}))
        archive.writestr("archive/code/__torch__.py", "def forward(self, x): return x\n")
        archive.writestr("archive/constants.pkl", pickle.dumps(()))
    return buffer.getvalue()


def test_torchscript_is_refused():
    with pytest.raises(UnsafeFormatError, match="TorchScript") as info:
        load_model(_torchscript_like_archive())
    assert info.value.detected == "torchscript"


@pytest.mark.filterwarnings(r"ignore:`torch\.jit\.\w+` is deprecated:FutureWarning")
def test_real_torchscript_archive_is_refused():
    scripted = torch.jit.trace(torch.nn.Linear(2, 2), torch.zeros(1, 2))
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    with pytest.raises(UnsafeFormatError) as info:
        detect_format(buffer.getvalue())
    assert info.value.detected == "torchscript"


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (b"", "empty"),
        (b"(dp0\nS'a'\np1\nI1\ns.", "unknown"),  # pickle protocol 0: no magic, still refused
        (b"\x93NUMPY\x01\x00v\x00{'descr'", "numpy"),
        (b"hello world, not a model", "unknown"),
    ],
)
def test_other_content_is_unsupported(data, detected):
    with pytest.raises(UnsupportedFormatError) as info:
        detect_format(data)
    assert info.value.detected == detected


def test_format_is_decided_by_content_not_name(tmp_path):
    data, _ = _state_bytes()
    path = tmp_path / "model.onnx"  # misleading name: the bytes are safetensors
    path.write_bytes(data)
    assert detect_format(path.read_bytes()) is ModelFormat.SAFETENSORS


# ------------------------------------------------------------------------------ safetensors


def test_safetensors_upload_round_trip_and_digest():
    data, source = _state_bytes(seed=3)
    loaded = load_model(data, architecture="digits-mlp")
    assert loaded.format is ModelFormat.SAFETENSORS
    assert loaded.digest == "sha256:" + hashlib.sha256(data).hexdigest() == content_digest(data)
    assert (loaded.input_shape, loaded.num_classes) == ((1, 8, 8), 10)
    x = torch.rand(16, 1, 8, 8)
    with torch.inference_mode():
        expected = source(x).argmax(1)
    assert torch.equal(loaded.classifier(x), expected)


def test_safetensors_needs_an_architecture_from_the_allow_list():
    data, _ = _state_bytes()
    with pytest.raises(ModelValidationError, match="registered architecture"):
        load_model(data)
    with pytest.raises(UnknownArchitectureError, match="allowed: digits-mlp"):
        load_model(data, architecture="my-own-net")


def test_missing_and_unexpected_keys_are_rejected():
    model = build_model("digits-mlp")
    state = {k: v.contiguous() for k, v in model.network.state_dict().items()}
    state["extra.weight"] = torch.zeros(3)
    del state["layers.1.bias"]
    with pytest.raises(ModelValidationError, match=r"missing keys layers\.1\.bias.*extra"):
        load_safetensors_model(save(state), "digits-mlp")


def test_wrong_shape_is_rejected():
    model = build_model("digits-mlp")
    state = {k: v.contiguous() for k, v in model.network.state_dict().items()}
    state["layers.5.weight"] = torch.zeros(9, 256)
    with pytest.raises(ModelValidationError, match=r"layers\.5\.weight: shape \[9, 256\]"):
        load_safetensors_model(save(state), "digits-mlp")


def test_other_architecture_weights_are_rejected():
    data, _ = _state_bytes("digits-mlp")
    with pytest.raises(ModelValidationError, match="does not match architecture 'lenet-mnist'"):
        load_safetensors_model(data, "lenet-mnist")


def test_non_finite_weights_are_rejected():
    model = build_model("digits-mlp")
    state = {k: v.contiguous().clone() for k, v in model.network.state_dict().items()}
    state["layers.1.weight"][0, 0] = float("nan")
    with pytest.raises(ModelValidationError, match="NaN"):
        load_safetensors_model(save(state), "digits-mlp")


def test_half_precision_weights_are_accepted_as_float32():
    model = build_model("digits-mlp")
    state = {k: v.half().contiguous() for k, v in model.network.state_dict().items()}
    loaded = load_safetensors_model(save(state), "digits-mlp")
    assert next(loaded.parameters()).dtype == torch.float32


def test_batchnorm_buffers_are_part_of_the_state_dict():
    data, source = _state_bytes("resnet20-cifar")
    loaded = load_safetensors_model(data, "resnet20-cifar")
    assert torch.equal(loaded.network.bn1.running_var, source.network.bn1.running_var)


def test_header_over_the_limit_is_rejected():
    forged = struct.pack("<Q", SAFETENSORS_MAX_HEADER_BYTES + 1) + b"{" + b" " * 16
    # Detected as safetensors only if the bytes are there; either way it must not load.
    with pytest.raises((ModelValidationError, UnsupportedFormatError)):
        load_model(forged, architecture="digits-mlp")
    header = json.dumps({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})
    padded = header.encode() + b" " * (SAFETENSORS_MAX_HEADER_BYTES + 1 - len(header))
    big = struct.pack("<Q", len(padded)) + padded + b"\x00" * 4
    with pytest.raises(ModelValidationError, match="exceeds the limit"):
        load_model(big, architecture="digits-mlp")


def test_corrupt_safetensors_is_a_validation_error():
    data, _ = _state_bytes()
    with pytest.raises(ModelValidationError):
        load_model(data[:-100], architecture="digits-mlp")


def test_custom_normalisation_is_applied_and_checked():
    data, _ = _state_bytes()
    loaded = load_safetensors_model(data, "digits-mlp", mean=[0.1], std=[0.2])
    assert loaded.normalize.mean.item() == pytest.approx(0.1)
    assert "normalize.mean" not in loaded.state_dict()
    with pytest.raises(ModelValidationError, match="1 input channel"):
        load_safetensors_model(data, "digits-mlp", mean=[0.1, 0.2], std=[0.2, 0.2])
    with pytest.raises(ModelValidationError, match="positive"):
        load_safetensors_model(data, "digits-mlp", mean=[0.1], std=[0.0])
    with pytest.raises(ModelValidationError, match="both"):
        load_safetensors_model(data, "digits-mlp", mean=[0.1])


# ------------------------------------------------------------------------------------ ONNX


def _onnx_linear(
    weight: np.ndarray,
    bias: np.ndarray,
    *,
    batch: int | str = "batch",
    input_shape=(1, 8, 8),
    node_domain: str = "",
    external: bool = False,
) -> bytes:
    """Flatten → Gemm, built with onnx.helper (logits = x W + b)."""
    nodes = [
        helper.make_node("Flatten", ["x"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "W", "b"], ["logits"], domain=node_domain),
    ]
    initializers = [numpy_helper.from_array(weight, "W"), numpy_helper.from_array(bias, "b")]
    if external:
        tensor = initializers[0]
        tensor.ClearField("raw_data")
        tensor.ClearField("float_data")
        tensor.data_location = TensorProto.EXTERNAL
        entry = tensor.external_data.add()
        entry.key, entry.value = "location", "weights.bin"
    graph = helper.make_graph(
        nodes,
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, *input_shape])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, weight.shape[1]])],
        initializer=initializers,
    )
    opsets = [helper.make_opsetid("", 17)]
    if node_domain:
        opsets.append(helper.make_opsetid(node_domain, 1))
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    return model.SerializeToString()


def _weights(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(64, 10)).astype(np.float32), rng.normal(size=10).astype(np.float32)


def test_onnx_round_trip_matches_numpy():
    weight, bias = _weights()
    data = _onnx_linear(weight, bias)
    loaded = load_model(data)
    assert loaded.format is ModelFormat.ONNX
    assert (loaded.input_shape, loaded.num_classes) == ((1, 8, 8), 10)
    x = torch.rand(33, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    expected = (x.reshape(33, 64).numpy() @ weight + bias).argmax(1)
    predictions = loaded.classifier(x)
    assert predictions.dtype == torch.int64
    assert np.array_equal(predictions.numpy(), expected)


def test_onnx_with_fixed_batch_is_run_in_slices():
    weight, bias = _weights(1)
    classifier = load_onnx_classifier(_onnx_linear(weight, bias, batch=4))
    x = torch.rand(10, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    expected = (x.reshape(10, 64).numpy() @ weight + bias).argmax(1)
    assert np.array_equal(classifier(x).numpy(), expected)


def test_onnx_custom_domain_is_refused():
    weight, bias = _weights()
    with pytest.raises(ModelValidationError, match="custom domains"):
        load_model(_onnx_linear(weight, bias, node_domain="com.example.evil"))


def test_onnx_external_data_is_refused():
    weight, bias = _weights()
    with pytest.raises(ModelValidationError, match="external data"):
        load_model(_onnx_linear(weight, bias, external=True))


def test_onnx_input_shape_must_match_the_declaration():
    weight, bias = _weights()
    data = _onnx_linear(weight, bias)
    with pytest.raises(ModelValidationError, match="input shape"):
        load_model(data, architecture="lenet-mnist")
    with pytest.raises(ModelValidationError, match="number of classes"):
        load_model(data, num_classes=7)
    with pytest.raises(ModelValidationError, match="mean/std"):
        load_model(data, mean=[0.5], std=[0.5])


def test_onnx_symbolic_shape_needs_a_declaration():
    weight, bias = _weights()
    data = _onnx_linear(weight, bias, input_shape=(1, "h", "w"))
    with pytest.raises(ModelValidationError, match="symbolic"):
        load_model(data)
    loaded = load_model(data, input_shape=(1, 8, 8))
    assert loaded.input_shape == (1, 8, 8)


def test_garbage_after_onnx_magic_is_unrecognised():
    # not a well-formed sequence of protobuf fields: refused before any parser sees it
    with pytest.raises(UnsupportedFormatError, match="unrecognised"):
        load_model(b"\x08\x07\xff\xff\xff\xff garbage that is not protobuf")


@pytest.mark.filterwarnings(
    "ignore:You are using the legacy TorchScript-based ONNX export:DeprecationWarning"
)
@pytest.mark.filterwarnings("ignore:The feature will be removed:DeprecationWarning")
def test_torch_exported_onnx_round_trip():
    # The default (dynamo) exporter needs onnxscript, which is not installed; the
    # TorchScript-based exporter still works and warns that it is deprecated.
    torch.manual_seed(0)
    source = build_model("digits-mlp")
    buffer = io.BytesIO()
    torch.onnx.export(
        source,
        (torch.zeros(1, 1, 8, 8),),
        buffer,
        dynamo=False,
        input_names=["x"],
        output_names=["logits"],
        dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
    )
    loaded = load_model(buffer.getvalue(), architecture="digits-mlp")
    x = torch.rand(50, 1, 8, 8)
    with torch.inference_mode():
        expected = source(x)
    assert torch.allclose(loaded.classifier.logits(x), expected, atol=1e-5)
    assert torch.equal(loaded.classifier(x), expected.argmax(1))
    assert onnx.load_model_from_string(buffer.getvalue()).graph.input[0].name == "x"


def test_onnx_with_non_finite_logits_is_refused():
    weight, bias = _weights()
    weight[3, 2] = np.nan  # NaN only once a pixel is non-zero: zeros alone would pass
    with pytest.raises(ModelValidationError, match="NaN or infinite logits"):
        load_onnx_classifier(_onnx_linear(weight, bias))


def test_onnx_with_one_class_is_refused():
    weight, bias = _weights()
    with pytest.raises(ModelValidationError, match="1 output class"):
        load_onnx_classifier(_onnx_linear(weight[:, :1].copy(), bias[:1].copy()))


def test_onnx_with_a_channels_last_input_is_refused():
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(8 * 8 * 3, 10)).astype(np.float32)
    with pytest.raises(ModelValidationError, match="looks like NHWC"):
        load_onnx_classifier(_onnx_linear(weight, np.zeros(10, np.float32), input_shape=(8, 8, 3)))
