"""Issue 24 against the embedded service (SQLite, jobs on the API's own thread): uploaded
ONNX graphs that pass the upload probe but explode under noise, run in the inference
sandbox (:mod:`dsrs_models.inference_sandbox`) under CI-sized limits.

* input-dependent ConstantOfShape / Expand / Tile / Resize: the job fails with a clear
  reason, and the next job (submitted meanwhile) succeeds;
* a Loop whose trip count comes from the data: the job fails at the batch time limit; a
  second one is cancelled while it runs, and the job queued behind it starts and succeeds;
* a model whose logits are NaN under noise: every input abstains, the job counts the
  non-finite draws and warns.

(The same attacks with peak RSS and times, both configurations: benchmarks/hostile_inference.py.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.hostile_files import (
    INPUT_DEPENDENT_BOMBS,
    onnx_input_dependent_bomb,
    onnx_nan_under_noise,
    valid_onnx,
)

pytestmark = pytest.mark.slow

BATCH_TIMEOUT_S = 15


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    settings = Settings(
        storage_dir=tmp_path_factory.mktemp("sandboxed") / "var",
        chunk_size=2,
        inference_memory_bytes=1024**3,
        inference_batch_timeout_s=BATCH_TIMEOUT_S,
        torch_threads=1,
    )
    with (
        running_server(create_app(settings)) as base_url,
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):
        yield client


def model_id(client: httpx.Client, content: bytes) -> str:
    response = client.post("/v1/models", files={"file": ("model.onnx", content)})
    assert response.status_code in (200, 201), response.text  # the probe lets it through
    return response.json()["id"]


def submit(client: httpx.Client, model: str, **changes: Any) -> str:
    body = {
        "model_id": model,
        "inputs": {"dataset": "digits", "stop": 2},
        "mode": "predict",
        "noise": {"sigma": 0.25},
        "n_selection": 50,
        "n": 200,
        "batch_size": 100,
        "seed": 1,
        **changes,
    }
    response = client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def final(client: httpx.Client, job_id: str, within_s: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + within_s
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def status_becomes(client: httpx.Client, job_id: str, status: str) -> None:
    deadline = time.monotonic() + 120
    while client.get(f"/v1/jobs/{job_id}").json()["status"] != status:
        assert time.monotonic() < deadline
        time.sleep(0.1)


@pytest.mark.parametrize("kind", [k for k in INPUT_DEPENDENT_BOMBS if k != "Loop"])
def test_an_input_dependent_blow_up_fails_its_job_and_the_next_job_runs(
    client: httpx.Client, kind: str
) -> None:
    bomb = submit(client, model_id(client, onnx_input_dependent_bomb(kind)))
    control = submit(client, model_id(client, valid_onnx()))  # queued behind it
    failed = final(client, bomb)
    assert failed["status"] == "failed"
    assert "the model failed under noise: a forward pass of" in failed["error"]
    assert failed["progress"]["done"] == 0
    assert final(client, control)["status"] == "succeeded"


def test_a_data_driven_loop_fails_at_the_batch_limit_or_is_cancelled(
    client: httpx.Client,
) -> None:
    loop = model_id(client, onnx_input_dependent_bomb("Loop"))
    timed_out = submit(client, loop)
    stuck = submit(client, loop, seed=2)
    control = submit(client, model_id(client, valid_onnx()))
    job = final(client, timed_out)
    assert job["status"] == "failed"
    assert (
        f"did not finish within {BATCH_TIMEOUT_S} s (DSRS_INFERENCE_BATCH_TIMEOUT_S)"
        in (job["error"])
    )
    status_becomes(client, stuck, "running")
    assert client.post(f"/v1/jobs/{stuck}/cancel").status_code == 200
    assert final(client, control)["status"] == "succeeded"  # the next job started
    assert final(client, stuck)["status"] == "cancelled"


def test_nan_under_noise_abstains_counts_and_warns(client: httpx.Client) -> None:
    job = final(client, submit(client, model_id(client, onnx_nan_under_noise())))
    assert job["status"] == "succeeded", job["error"]
    rows = client.get(f"/v1/jobs/{job['id']}/results").json()["items"]
    assert [row["prediction"] for row in rows] == [None, None]
    drawn = 2 * (50 + 200)
    assert job["progress"]["non_finite_draws"] > 0.9 * drawn
    assert any("NaN or infinite logits" in warning for warning in job["warnings"])
