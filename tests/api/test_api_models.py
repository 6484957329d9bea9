"""``/v1/models``: upload, list, read, and every refusal."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile

import httpx
import numpy as np
import pytest

from tests.polling import wait_until


def upload(client: httpx.Client, content: bytes, **data: str) -> httpx.Response:
    return client.post("/v1/models", files={"file": ("model.bin", content)}, data=data)


def test_upload_is_content_addressed(
    api_client: httpx.Client, demo_weights: bytes, demo_model: dict
) -> None:
    assert demo_model["format"] == "safetensors"
    assert demo_model["architecture"] == "digits-mlp"
    assert demo_model["input_shape"] == [1, 8, 8]
    assert demo_model["num_classes"] == 10
    again = upload(api_client, demo_weights, architecture="digits-mlp")
    assert again.status_code == 200
    assert again.json()["id"] == demo_model["id"]


def test_same_weights_other_normalisation_is_another_model(
    api_client: httpx.Client, demo_weights: bytes, demo_model: dict
) -> None:
    response = upload(api_client, demo_weights, architecture="digits-mlp", mean="0.4", std="0.3")
    assert response.status_code == 201, response.text
    assert response.json()["id"] != demo_model["id"]
    assert response.json()["mean"] == [0.4]


def test_list_and_get(api_client: httpx.Client, demo_model: dict) -> None:
    listed = api_client.get("/v1/models").json()
    assert demo_model["id"] in {m["id"] for m in listed}
    assert api_client.get(f"/v1/models/{demo_model['id']}").json() == demo_model


def test_unknown_model_is_404(api_client: httpx.Client) -> None:
    response = api_client.get("/v1/models/does-not-exist")
    assert response.status_code == 404
    assert "does not exist" in response.json()["detail"]


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "offset=-1"])
def test_bad_listing_parameters_are_422(api_client: httpx.Client, query: str) -> None:
    assert api_client.get(f"/v1/models?{query}").status_code == 422


def test_pickle_is_refused_unopened(api_client: httpx.Client) -> None:
    response = upload(
        api_client, pickle.dumps({"weight": [1.0, 2.0]}, protocol=4), architecture="digits-mlp"
    )
    assert response.status_code == 415
    assert "pickle" in response.json()["detail"]


def test_torchscript_archive_is_refused(api_client: httpx.Client) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model/code/__torch__.py", "def forward(self): pass")
        archive.writestr("model/constants.pkl", b"\x80\x02.")
    response = upload(api_client, buffer.getvalue(), architecture="digits-mlp")
    assert response.status_code == 415
    assert "TorchScript" in response.json()["detail"]


def test_unrecognised_bytes_are_415(api_client: httpx.Client) -> None:
    assert upload(api_client, b"hello world, not a model").status_code == 415
    assert upload(api_client, b"").status_code == 415


def test_numpy_file_is_not_a_model(api_client: httpx.Client) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3))
    assert upload(api_client, buffer.getvalue()).status_code == 415


def test_unknown_architecture_is_422(api_client: httpx.Client, demo_weights: bytes) -> None:
    response = upload(api_client, demo_weights, architecture="resnet9000")
    assert response.status_code == 422
    assert "digits-mlp" in response.json()["detail"]  # says what is allowed


def test_state_dict_of_another_architecture_is_422(
    api_client: httpx.Client, demo_weights: bytes
) -> None:
    response = upload(api_client, demo_weights, architecture="lenet-mnist")
    assert response.status_code == 422
    assert "does not match" in response.json()["detail"]


def test_safetensors_without_architecture_is_422(
    api_client: httpx.Client, demo_weights: bytes
) -> None:
    response = upload(api_client, demo_weights)
    assert response.status_code == 422
    assert "architecture" in response.json()["detail"]


def test_corrupt_safetensors_header_is_422(api_client: httpx.Client) -> None:
    header = b'{"layers.1.weight": not json}'
    content = struct.pack("<Q", len(header)) + header
    response = upload(api_client, content, architecture="digits-mlp")
    assert response.status_code == 422


@pytest.mark.parametrize(("field", "value"), [("mean", "a,b"), ("std", "0.5,zero")])
def test_bad_normalisation_text_is_422(
    api_client: httpx.Client, demo_weights: bytes, field: str, value: str
) -> None:
    other = "std" if field == "mean" else "mean"
    response = upload(
        api_client, demo_weights, architecture="digits-mlp", **{field: value, other: "0.5"}
    )
    assert response.status_code == 422
    assert "comma-separated" in response.json()["detail"]


def test_wrong_number_of_channels_is_422(api_client: httpx.Client, demo_weights: bytes) -> None:
    response = upload(
        api_client, demo_weights, architecture="digits-mlp", mean="0.5,0.5", std="0.2,0.2"
    )
    assert response.status_code == 422


def test_missing_file_is_422(api_client: httpx.Client) -> None:
    response = api_client.post("/v1/models", data={"architecture": "digits-mlp"})
    assert response.status_code == 422


def test_oversize_upload_is_413(api_client: httpx.Client) -> None:
    # The module's app allows 2 MiB.
    response = upload(api_client, b"\0" * (3 * 1024 * 1024), architecture="digits-mlp")
    assert response.status_code == 413
    assert "DSRS_MAX_UPLOAD_BYTES" in response.json()["detail"]


def test_oversize_streamed_upload_without_length_is_413(api_client: httpx.Client) -> None:
    boundary = "dsrs-boundary"

    def body():  # type: ignore[no-untyped-def]
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.bin"\r\n\r\n'
        ).encode()
        for _ in range(40):
            yield b"\0" * (128 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = api_client.post(
        "/v1/models",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413


def test_refused_uploads_leave_no_rows_or_files(api_client: httpx.Client) -> None:
    before = api_client.get("/v1/models").json()
    upload(api_client, pickle.dumps([1]), architecture="digits-mlp")
    upload(api_client, b"\0" * (3 * 1024 * 1024))
    assert api_client.get("/v1/models").json() == before


def test_reupload_restores_a_missing_file(tmp_path, demo_weights: bytes) -> None:  # type: ignore[no-untyped-def]
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    settings = Settings(storage_dir=tmp_path / "var")
    with (
        running_server(create_app(settings)) as base_url,
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):
        first = upload(client, demo_weights, architecture="digits-mlp").json()
        stored = next((settings.storage_dir / "models").iterdir())
        stored.unlink()
        again = upload(client, demo_weights, architecture="digits-mlp")
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert stored.read_bytes() == demo_weights


def tiny_onnx_classifier() -> bytes:
    """A linear classifier for 1x8x8 inputs written with onnx.helper (no exporter)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(3)
    weight = numpy_helper.from_array(rng.normal(size=(64, 10)).astype(np.float32), "weight")
    bias = numpy_helper.from_array(np.zeros(10, np.float32), "bias")
    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["x"], ["flat"], axis=1),
            helper.make_node("MatMul", ["flat", "weight"], ["product"]),
            helper.make_node("Add", ["product", "bias"], ["logits"]),
        ],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
        initializer=[weight, bias],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def test_onnx_model_uploads_and_certifies(api_client: httpx.Client) -> None:
    response = upload(api_client, tiny_onnx_classifier(), name="tiny onnx")
    assert response.status_code == 201, response.text
    model = response.json()
    assert (model["format"], model["architecture"]) == ("onnx", None)
    assert (model["input_shape"], model["num_classes"]) == ([1, 8, 8], 10)
    job = api_client.post(
        "/v1/jobs",
        json={
            "model_id": model["id"],
            "inputs": {"dataset": "digits", "stop": 2},
            "mode": "predict",
            "noise": {"sigma": 0.25},
            "n_selection": 20,
            "n": 100,
            "seed": 1,
        },
    ).json()
    job = wait_until(
        lambda: api_client.get(f"/v1/jobs/{job['id']}").json(),
        lambda job: job["status"] not in ("queued", "running"),
        timeout=300,
    )
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"]["done"] == 2


def test_onnx_with_normalisation_is_422(api_client: httpx.Client) -> None:
    response = upload(api_client, tiny_onnx_classifier(), mean="0.5", std="0.5")
    assert response.status_code == 422
    assert "ONNX" in response.json()["detail"]


def test_broken_onnx_is_422(api_client: httpx.Client) -> None:
    # well-formed protobuf fields (ir_version, a 64-byte "graph") whose graph is garbage
    response = upload(api_client, b"\x08\x07\x3a\x40" + b"\xff" * 64)
    assert response.status_code == 422, response.text


def test_bytes_that_are_not_protobuf_are_415(api_client: httpx.Client) -> None:
    response = upload(api_client, b"\x08\x07" + b"\xff" * 64)
    assert response.status_code == 415, response.text
    assert "unrecognised" in response.json()["detail"]
