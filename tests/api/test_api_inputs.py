"""``/v1/inputs``: array uploads (.npy / .npz / safetensors), never unpickled."""

from __future__ import annotations

import io
import pickle

import httpx
import numpy as np
import pytest
from safetensors.numpy import save as save_safetensors


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def upload(client: httpx.Client, content: bytes) -> httpx.Response:
    return client.post("/v1/inputs", files={"file": ("inputs.bin", content)})


IMAGES = np.random.default_rng(0).random((5, 1, 8, 8), dtype=np.float32)
LABELS = np.arange(5, dtype=np.int64)


@pytest.mark.parametrize(
    ("content", "fmt", "has_labels"),
    [
        (npy(IMAGES), "npy", False),
        (npz(inputs=IMAGES, labels=LABELS), "npz", True),
        (npz(inputs=IMAGES.astype(np.float64)), "npz", False),
        (save_safetensors({"inputs": IMAGES, "labels": LABELS}), "safetensors", True),
    ],
)
def test_accepted_formats(
    api_client: httpx.Client, content: bytes, fmt: str, has_labels: bool
) -> None:
    response = upload(api_client, content)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["format"], body["count"], body["sample_shape"], body["has_labels"]) == (
        fmt,
        5,
        [1, 8, 8],
        has_labels,
    )
    assert api_client.get(f"/v1/inputs/{body['id']}").json() == body


def test_unknown_input_set_is_404(api_client: httpx.Client) -> None:
    assert api_client.get("/v1/inputs/nope").status_code == 404


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (npy(np.array([{"a": 1}], dtype=object), allow_pickle=True), "pickled"),
        (pickle.dumps(IMAGES), "pickle"),
        (b"just some text", "unrecognised"),
        (npy(np.zeros((5, 1, 8, 8), dtype=np.int32)), "floating point"),
        (npy(np.array([np.nan, 1.0, 2.0]).reshape(1, 3)), "finite"),
        (npy(np.zeros(4, dtype=np.float32)), "shape"),
        (npz(images=IMAGES), "'inputs'"),
        (npz(inputs=IMAGES, labels=np.arange(4)), "labels"),
        (npz(inputs=IMAGES, labels=np.full(5, 0.5)), "labels"),
        (npz(inputs=IMAGES, labels=-LABELS - 1), "non-negative"),
    ],
)
def test_refused_inputs_are_415(api_client: httpx.Client, content: bytes, message: str) -> None:
    response = upload(api_client, content)
    assert response.status_code == 415, response.text
    assert message in response.json()["detail"]


def test_oversize_inputs_are_413(api_client: httpx.Client) -> None:
    big = npy(np.zeros((1100, 1, 16, 16), dtype=np.float64))  # ~2.2 MB > 2 MiB limit
    assert upload(api_client, big).status_code == 413
