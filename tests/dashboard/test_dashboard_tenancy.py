"""With API keys required, the dashboard's data endpoints need a key and a tenant sees only
its own jobs; the page shells (no data) stay public so the browser can ask for a key."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.factories import seed_job, seed_model

ADMIN_KEY = secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    settings = Settings(
        storage_dir=Path(tmp_path_factory.mktemp("secured")) / "var",
        auth="required",
        admin_api_key=ADMIN_KEY,
    )
    app = create_app(settings)
    with running_server(app) as base_url, httpx.Client(base_url=base_url, timeout=60) as client:
        admin = {"X-API-Key": ADMIN_KEY}
        tenants = {}
        for name in ("alice", "bob"):
            tenant = client.post("/v1/tenants", json={"name": name}, headers=admin).json()
            key = client.post(f"/v1/tenants/{tenant['id']}/keys", headers=admin).json()["key"]
            model = seed_model(app.state.session_factory, owner_id=tenant["id"])
            job = seed_job(app.state.session_factory, model, [{}, {}], owner_id=tenant["id"])
            tenants[name] = {"key": key, "job": job, "model": model}
        yield {"client": client, **tenants}


def dashboard_urls(job_id: str) -> list[str]:
    return [
        "/v1/dashboard/jobs",
        f"/v1/dashboard/jobs/{job_id}/overview",
        f"/v1/dashboard/jobs/{job_id}/samples",
        f"/v1/jobs/{job_id}/inputs/0.png",
    ]


def test_data_needs_a_key_but_the_page_shell_does_not(secured: dict[str, Any]) -> None:
    client = secured["client"]
    for url in dashboard_urls(secured["alice"]["job"]):
        assert client.get(url).status_code == 401, url
        assert client.get(url, headers={"X-API-Key": "not-a-key"}).status_code == 401, url
    page = client.get(f"/dashboard/jobs/{secured['alice']['job']}")
    assert page.status_code == 200 and "<main" in page.text


def test_a_tenant_sees_only_its_own_jobs(secured: dict[str, Any]) -> None:
    client = secured["client"]
    alice = {"X-API-Key": secured["alice"]["key"]}
    for url in dashboard_urls(secured["alice"]["job"]):
        assert client.get(url, headers=alice).status_code == 200, url
    for url in dashboard_urls(secured["bob"]["job"])[1:]:
        assert client.get(url, headers=alice).status_code == 404, url
    listed = client.get("/v1/dashboard/jobs", headers=alice).json()
    assert [job["id"] for job in listed["items"]] == [secured["alice"]["job"]]
    assert list(listed["models"]) == [secured["alice"]["model"]]
    by_bobs_model = client.get(
        "/v1/dashboard/jobs", params={"model_id": secured["bob"]["model"]}, headers=alice
    ).json()
    assert by_bobs_model["items"] == []


def test_the_admin_sees_every_tenant(secured: dict[str, Any]) -> None:
    listed = secured["client"].get("/v1/dashboard/jobs", headers={"X-API-Key": ADMIN_KEY})
    ids = {job["id"] for job in listed.json()["items"]}
    assert {secured["alice"]["job"], secured["bob"]["job"]} <= ids
