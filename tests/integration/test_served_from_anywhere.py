"""The installed ``dsrs serve`` and ``dsrs worker``, started from an empty directory with the
default (relative) storage directory, certify a job.

Regression: the model probe's child process ran in another working directory and resolved
the relative ``var/models/…`` path against it, so every job failed with
``FileNotFoundError`` unless the service was started from the checkout.
"""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.polling import wait_until
from tests.support.processes import (
    dsrs_executable,
    environment_without_dsrs,
    free_port,
    running_process,
    unique_queue,
)

pytestmark = pytest.mark.integration

ADMIN_API_KEY = "anywhere-admin-" + secrets.token_urlsafe(32)
START_TIMEOUT_S = 120.0


def _clean_env(**dsrs: str) -> dict[str, str]:
    env = environment_without_dsrs()
    env.update(DSRS_DEVICE="cpu", DSRS_TORCH_THREADS="1", OMP_NUM_THREADS="1", **dsrs)
    return env


def _wait_for(condition, process: subprocess.Popen[bytes], log: Path) -> None:  # type: ignore[no-untyped-def]
    wait_until(
        lambda: process.poll() is not None or condition(),
        timeout=START_TIMEOUT_S,
        interval=0.3,
        describe=lambda _: f"{process.args} did not start:\n{log.read_text()[-3000:]}",
    )
    if process.poll() is not None:
        pytest.fail(f"{process.args} exited early:\n{log.read_text()[-3000:]}")


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _certify_one_job(url: str, weights: bytes, headers: dict[str, str]) -> dict:
    with httpx.Client(base_url=url, timeout=60, headers=headers) as client:
        upload = client.post(
            "/v1/models",
            files={"file": ("digits-demo.safetensors", weights)},
            data={"architecture": "digits-mlp"},
        )
        assert upload.status_code == 201, upload.text
        submitted = client.post(
            "/v1/jobs",
            json={
                "model_id": upload.json()["id"],
                "inputs": {"dataset": "digits", "stop": 3},
                "noise": {"sigma": 0.25},
                "q": {"sigma": 0.2},
                "n": 200,
                "n_selection": 20,
                "seed": 1,
            },
        )
        assert submitted.status_code == 202, submitted.text
        return wait_until(
            lambda: client.get(f"/v1/jobs/{submitted.json()['id']}").json(),
            lambda job: job["status"] in ("succeeded", "failed", "cancelled"),
            timeout=START_TIMEOUT_S,
            interval=0.3,
        )


def test_embedded_dsrs_serve_from_an_empty_directory(tmp_path: Path, demo_weights: bytes) -> None:
    cwd = tmp_path / "empty"
    cwd.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with running_process(
        [dsrs_executable(), "serve", "--port", str(port)], _clean_env(), log, cwd
    ) as p:
        _wait_for(lambda: _answers(url), p, log)
        job = _certify_one_job(url, demo_weights, {})
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"]["done"] == 3
    # The default storage directory is the one the service was started in.
    assert (cwd / "var" / "dsrs.sqlite3").is_file()
    assert any((cwd / "var" / "models").iterdir())


def test_dsrs_worker_and_serve_from_an_empty_directory(
    tmp_path: Path, private_postgres_database: str, redis_url: str, demo_weights: bytes
) -> None:
    cwd = tmp_path / "empty"
    cwd.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    queue = unique_queue("dsrs-anywhere")
    env = _clean_env(
        DSRS_DATABASE_URL=private_postgres_database,
        DSRS_BROKER_URL=redis_url,
        DSRS_QUEUE=queue,
        DSRS_ADMIN_API_KEY=ADMIN_API_KEY,
    )
    worker_log, serve_log = tmp_path / "worker.log", tmp_path / "serve.log"
    worker_args = [dsrs_executable(), "worker", "--pool", "solo", "--loglevel", "INFO"]
    serve_args = [dsrs_executable(), "serve", "--port", str(port)]
    with (
        running_process(worker_args, env, worker_log, cwd) as worker,
        running_process(serve_args, env, serve_log, cwd) as api,
    ):
        _wait_for(lambda: "ready." in worker_log.read_text(errors="replace"), worker, worker_log)
        _wait_for(lambda: _answers(url), api, serve_log)
        job = _certify_one_job(url, demo_weights, {"X-API-Key": ADMIN_API_KEY})
    assert job["status"] == "succeeded", job["error"] + worker_log.read_text()[-2000:]
    assert any((cwd / "var" / "models").iterdir())
