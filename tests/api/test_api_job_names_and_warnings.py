"""Job names and tags (and filtering by them), warnings kept with a job, and
``general-gaussian`` without ``k`` refused."""

from __future__ import annotations

import io
from typing import Any

import httpx
import numpy as np


def body(model_id: str, **changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "model_id": model_id,
        "inputs": {"dataset": "digits", "stop": 1},
        "noise": {"sigma": 0.25},
        "n_selection": 10,
        "n": 50,
        "seed": 3,
    }
    request.update(changes)
    return request


def test_jobs_are_named_tagged_and_filtered(api_client: httpx.Client, demo_model: dict) -> None:
    made = {}
    for name, tags in (("sweep-a", ["cifar", "s0.25"]), ("sweep-a", ["cifar"]), ("other", [])):
        response = api_client.post("/v1/jobs", json=body(demo_model["id"], name=name, tags=tags))
        assert response.status_code == 202, response.text
        assert (response.json()["name"], response.json()["tags"]) == (name, tags)
        made[(name, tuple(tags))] = response.json()["id"]
    named = {j["id"] for j in api_client.get("/v1/jobs", params={"name": "sweep-a"}).json()}
    assert named == {made[("sweep-a", ("cifar", "s0.25"))], made[("sweep-a", ("cifar",))]}
    both = api_client.get("/v1/jobs", params=[("tag", "cifar"), ("tag", "s0.25")]).json()
    assert [j["id"] for j in both] == [made[("sweep-a", ("cifar", "s0.25"))]]
    assert api_client.get("/v1/jobs", params={"tag": "nope"}).json() == []


def test_general_gaussian_needs_k(api_client: httpx.Client, demo_model: dict) -> None:
    response = api_client.post(
        "/v1/jobs", json=body(demo_model["id"], noise={"family": "general-gaussian", "sigma": 0.25})
    )
    assert response.status_code == 422
    assert "needs k" in response.text


def test_q_wider_than_p_and_inputs_outside_the_unit_interval_are_warned(
    api_client: httpx.Client, demo_model: dict
) -> None:
    clean = api_client.post("/v1/jobs", json=body(demo_model["id"]))
    assert clean.json()["warnings"] == []
    wide_q = api_client.post("/v1/jobs", json=body(demo_model["id"], q={"sigma": 0.25}))
    warnings = wide_q.json()["warnings"]
    assert "σ_Q = 0.25 ≥ σ = 0.25" in warnings[0]
    # Issue 21: the submission warns by the plan's rule, so both say the same.
    plan = api_client.get(
        "/v1/plan",
        params={
            "model_id": demo_model["id"],
            "sigma": 0.25,
            "n": 50,
            "q_sigma": 0.25,
            "n_selection": 10,
        },
    )
    assert plan.json()["warnings"] == warnings

    buffer = io.BytesIO()
    np.savez(buffer, inputs=np.full((2, 1, 8, 8), 255.0, np.float32), labels=np.zeros(2, np.int64))
    pixels = api_client.post("/v1/inputs", files={"file": ("raw.npz", buffer.getvalue())}).json()
    job = api_client.post(
        "/v1/jobs", json=body(demo_model["id"], inputs={"input_set_id": pixels["id"]})
    ).json()
    (warning,) = job["warnings"]
    assert "[255, 255], not [0, 1]" in warning
    # Kept with the job: the status shows it too.
    assert api_client.get(f"/v1/jobs/{job['id']}").json()["warnings"] == [warning]


def test_submission_warnings_spend_the_plan_cpu_budget() -> None:
    """Issue 24: a job's warnings come from a plan under DSRS_PLAN_CPU_BUDGET_S; what the
    budget left out is named, the rest (here: σ_Q ≥ σ) still said."""
    from dsrs_api.services.job_warnings import job_warnings
    from dsrs_client.contract import JobCreate

    request = JobCreate.model_validate(
        body(
            "m",
            noise={"family": "general-gaussian", "sigma": 0.25, "k": 380},
            q={"sigma": 0.25},
            n=2**31 - 1,
        )
    )
    cut = job_warnings(request, None, 150528, cpu_budget_s=1e-9)
    assert "σ_Q = 0.25 ≥ σ = 0.25" in cut[0]
    assert any(w.startswith("the NP radius and the DSRS radius and") for w in cut)
    assert any("DSRS_PLAN_CPU_BUDGET_S" in w for w in cut)
