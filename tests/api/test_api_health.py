from __future__ import annotations

import httpx


def test_healthz(api_client: httpx.Client) -> None:
    assert api_client.get("/healthz").json() == {"status": "ok"}


def test_readyz_embedded(api_client: httpx.Client) -> None:
    response = api_client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "database": "ok",
        "schema": "ok",
        "broker": "in-process",
    }


def test_openapi_lists_every_route(api_client: httpx.Client) -> None:
    paths = api_client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/models",
        "/v1/models/{model_id}",
        "/v1/inputs",
        "/v1/jobs",
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/results",
        "/v1/jobs/{job_id}/summary",
        "/v1/jobs/{job_id}/cancel",
        "/healthz",
        "/readyz",
    ):
        assert path in paths
    assert api_client.get("/docs").status_code == 200


def test_unknown_route_is_404(api_client: httpx.Client) -> None:
    assert api_client.get("/v1/nothing").status_code == 404


def test_readyz_reports_a_database_not_at_head(
    empty_postgres_database: str, redis_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_store.settings import Settings

    settings = Settings(
        database_url=empty_postgres_database,
        broker_url=redis_url,
        storage_dir=tmp_path,
        auth="disabled",
    )
    with running_server(create_app(settings)) as base_url:
        response = httpx.get(f"{base_url}/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert "dsrs migrate" in response.json()["schema"]
