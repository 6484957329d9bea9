"""A tenant's compute is bounded at submission: forward passes per job and in flight
(429 with the numbers, on SQLite and PostgreSQL), and every sequential parameter within the
contract's bounds (422).
Jobs are stored but not run (an idle dispatcher), so the in-flight sum is exact."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.idle_dispatcher import IdleDispatcher

ADMIN_KEY = "quota-admin-key-" + secrets.token_urlsafe(32)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]
)
def tenant(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo_weights: bytes,
) -> Iterator[tuple[httpx.Client, str]]:
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    database_url = (
        None if request.param == "sqlite" else request.getfixturevalue("module_postgres_database")
    )
    settings = Settings(
        storage_dir=tmp_path_factory.mktemp("quota") / "var",
        database_url=database_url,
        admin_api_key=ADMIN_KEY,
        tenant_max_forward_passes_per_job=1000,
        tenant_max_forward_passes_in_flight=1500,
    )
    with running_server(create_app(settings, dispatcher=IdleDispatcher())) as base_url:
        with httpx.Client(base_url=base_url, headers={"X-API-Key": ADMIN_KEY}) as admin:
            tenant_id = admin.post("/v1/tenants", json={"name": "t"}).json()["id"]
            key = admin.post(f"/v1/tenants/{tenant_id}/keys").json()["key"]
        with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=60) as client:
            model = client.post(
                "/v1/models",
                files={"file": ("m.safetensors", demo_weights)},
                data={"architecture": "digits-mlp"},
            )
            assert model.status_code == 201, model.text
            yield client, model.json()["id"]


def job(model_id: str, inputs: int, **changes: Any) -> dict[str, Any]:
    """A job of ``inputs`` inputs at 100 forward passes each (evaluate mode, NP only)."""
    body = {
        "model_id": model_id,
        "inputs": {"dataset": "digits", "stop": inputs},
        "noise": {"sigma": 0.25},
        "n": 100,
        "seed": 1,
    }
    return body | changes


def test_forward_pass_quotas_answer_429_with_the_numbers(
    tenant: tuple[httpx.Client, str],
) -> None:
    client, model_id = tenant
    too_big = client.post("/v1/jobs", json=job(model_id, 11))
    assert too_big.status_code == 429, too_big.text
    assert too_big.json()["detail"].startswith(
        "this job may cost 1,100 forward passes (11 inputs x 100 draws per input), over this "
        "tenant's quota of 1,000 per job (DSRS_TENANT_MAX_FORWARD_PASSES_PER_JOB)"
    )
    first = client.post("/v1/jobs", json=job(model_id, 8))
    assert first.status_code == 202, first.text
    second = client.post("/v1/jobs", json=job(model_id, 8))
    assert second.status_code == 429, second.text
    assert (
        "may still cost 800 forward passes; this job's 800 more would pass the quota of "
        "1,500 in flight" in second.json()["detail"]
    )
    fits = client.post("/v1/jobs", json=job(model_id, 7))
    assert fits.status_code == 202, fits.text
    # A cancelled job holds nothing.
    assert client.post(f"/v1/jobs/{first.json()['id']}/cancel").status_code == 200
    assert client.post("/v1/jobs", json=job(model_id, 8)).status_code == 202


@pytest.mark.parametrize(
    ("sequential", "field"),
    [
        ({"tolerance": 1e-320}, "tolerance"),
        ({"tolerance": 0.05, "growth": 1 + 1e-15}, "growth"),
        ({"tolerance": 0.05, "final_share": 1e-320}, "final_share"),
        ({"target_radii": [0.5] * 100_000}, "target_radii"),
        ({"target_radii": [0.5], "first_look": 0}, "first_look"),
    ],
)
def test_sequential_parameters_out_of_bounds_answer_422(
    tenant: tuple[httpx.Client, str], sequential: dict[str, Any], field: str
) -> None:
    client, model_id = tenant
    response = client.post("/v1/jobs", json=job(model_id, 1, sequential=sequential))
    assert response.status_code == 422, response.text
    assert [error["loc"][-1] for error in response.json()["detail"]] == [field]


def test_plan_leaves_out_a_sequential_prediction_over_its_cpu_budget(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The prediction of an unreachable target radius at a 2**31 budget ran past 26 s of
    CPU; with the budget the plan answers without it, and says so."""
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    query = {
        "family": "general-gaussian",
        "sigma": 0.5,
        "k": 380,
        "n": 2**31 - 1,
        "q_sigma": 0.4,
        "dimension": 784,
        "target_radius": 2.0,
    }
    settings = Settings(storage_dir=tmp_path_factory.mktemp("plan") / "var")
    with (
        running_server(create_app(settings, dispatcher=IdleDispatcher())) as base_url,
        httpx.Client(base_url=base_url, timeout=120) as client,
    ):
        plan = client.get("/v1/plan", params=query)
        assert plan.status_code == 200, plan.text
        assert plan.json()["sequential_saving"] is None
        assert any("DSRS_PLAN_CPU_BUDGET_S" in w for w in plan.json()["warnings"])
        cheap = client.get("/v1/plan", params=query | {"n": 100_000, "target_radius": 0.5})
        assert len(cheap.json()["sequential_saving"]) == 6
        # The NP radius alone took 2.8 s of CPU at ImageNet size and was left out under the
        # budget (its solve stops at the deadline: tests/cli/test_plan.py); issue 23: it
        # now costs ~15 ms and the plan keeps it.
        imagenet = {"family": "general-gaussian", "sigma": 0.25, "k": 380, "n": 2**31 - 1}
        large = client.get("/v1/plan", params=imagenet | {"dimension": 150528})
        assert large.status_code == 200, large.text
        assert large.json()["np_max_radius"] > 1.44
        assert not any(w.startswith("the NP radius was left out") for w in large.json()["warnings"])
