"""Issue 21: the same bytes uploaded under a new name take that name (models and input
sets), and inputs of three channels for a one-channel model are refused with the
``--grayscale`` hint."""

from __future__ import annotations

import io

import httpx
import numpy as np


def npz(images: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, inputs=images, labels=np.zeros(len(images), np.int64))
    return buffer.getvalue()


def test_a_reupload_under_a_new_name_renames(api_client: httpx.Client, demo_weights: bytes) -> None:
    def upload(name: str) -> httpx.Response:
        return api_client.post(
            "/v1/models",
            files={"file": ("d.safetensors", demo_weights)},
            data={"architecture": "digits-mlp", "name": name},
        )

    first, again = upload("first name"), upload("second name")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["name"] == "second name"
    assert api_client.get(f"/v1/models/{first.json()['id']}").json()["name"] == "second name"

    data = npz(np.zeros((2, 1, 8, 8), np.float32))
    sets = [
        api_client.post("/v1/inputs", files={"file": ("x.npz", data)}, data={"name": name})
        for name in ("set a", "set b")
    ]
    assert sets[0].json()["id"] == sets[1].json()["id"]
    assert sets[1].json()["name"] == "set b"


def test_rgb_inputs_for_a_one_channel_model_name_grayscale(
    api_client: httpx.Client, demo_model: dict
) -> None:
    rgb = api_client.post(
        "/v1/inputs", files={"file": ("rgb.npz", npz(np.zeros((2, 3, 8, 8), np.float32)))}
    )
    assert rgb.status_code in (200, 201), rgb.text
    refused = api_client.post(
        "/v1/jobs",
        json={
            "model_id": demo_model["id"],
            "inputs": {"input_set_id": rgb.json()["id"]},
            "noise": {"sigma": 0.25},
            "n": 50,
        },
    )
    assert refused.status_code == 422
    assert "--grayscale" in refused.json()["detail"]
