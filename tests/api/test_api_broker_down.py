"""A configured broker that cannot be reached: not ready (503), and a submitted job is
answered 503 and recorded as failed instead of hanging in 'queued'."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


@pytest.fixture(scope="module")
def client_without_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings
    from dsrs_store.migrations import upgrade_to_head

    storage: Path = tmp_path_factory.mktemp("broker-down") / "var"
    settings = Settings(
        database_url=f"sqlite:///{storage / 'db.sqlite3'}",
        broker_url="redis://127.0.0.1:1/0",  # nothing listens on port 1
        auth="disabled",
        storage_dir=storage,
    )
    upgrade_to_head(settings)
    with (
        running_server(create_app(settings)) as base_url,
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):
        yield client


def test_not_ready(client_without_broker: httpx.Client) -> None:
    response = client_without_broker.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert response.json()["broker"].startswith("unavailable")


def test_job_submission_is_503_and_the_job_is_failed(
    client_without_broker: httpx.Client, demo_weights: bytes
) -> None:
    model = client_without_broker.post(
        "/v1/models",
        files={"file": ("demo.safetensors", demo_weights)},
        data={"architecture": "digits-mlp"},
    ).json()
    response = client_without_broker.post(
        "/v1/jobs",
        json={
            "model_id": model["id"],
            "inputs": {"dataset": "digits", "stop": 2},
            "noise": {"sigma": 0.25},
            "n": 100,
        },
    )
    assert response.status_code == 503
    assert "broker" in response.json()["detail"]
    (job,) = client_without_broker.get("/v1/jobs").json()
    assert job["status"] == "failed" and "broker" in job["error"]
