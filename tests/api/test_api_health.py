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
    from dsrs_settings import Settings

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


def test_healthz_answers_while_every_database_slot_is_taken(tmp_path) -> None:
    """Regression: slow uploads (each waiting for its sandboxed probe) held every admission
    slot and /healthz queued behind them. The liveness probe needs no slot."""
    import asyncio

    from dsrs_api.app import create_app
    from dsrs_settings import Settings

    app = create_app(Settings(storage_dir=tmp_path / "var", database_pool_size=1))

    async def probe_while_the_slot_is_held() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://dsrs") as client,
            app.state.database_slots,  # the only slot, as a slow upload holds it
        ):
            return await asyncio.wait_for(client.get("/healthz"), timeout=10)

    response = asyncio.run(probe_while_the_slot_is_held())
    assert response.status_code == 200 and response.json() == {"status": "ok"}
