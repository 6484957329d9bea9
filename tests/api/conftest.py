"""An embedded API (SQLite, in-process jobs) served over real HTTP for each test module."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture(scope="module")
def api_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    settings = Settings(
        storage_dir=tmp_path_factory.mktemp("api") / "var",
        chunk_size=3,
        max_upload_bytes=2 * 1024 * 1024,
    )
    with (
        running_server(create_app(settings)) as base_url,
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def demo_model(api_client: httpx.Client, demo_weights: bytes) -> dict:
    response = api_client.post(
        "/v1/models",
        files={"file": ("digits-demo.safetensors", demo_weights)},
        data={"architecture": "digits-mlp"},
    )
    assert response.status_code in (200, 201), response.text
    return response.json()
