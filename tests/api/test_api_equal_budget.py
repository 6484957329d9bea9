"""Job option ``baseline: equal-budget`` end to end on the embedded service: the summary and
the comparison report NP at the paper's budget, equal to what the stored rows give, and the
gain names the baseline it is against."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from statsmodels.stats.proportion import proportion_confint
from test_api_jobs import job_body, wait

from dsrs_core.evaluation.radius_counting import certified_accuracy
from dsrs_core.noise.families import make_noise
from dsrs_core.radius.neyman_pearson import np_radius
from dsrs_core.sampling.confidence import clopper_pearson

RADII = [0.0, 0.1, 0.2, 0.3]


@pytest.fixture(scope="module")
def equal_budget_job(api_client: httpx.Client, demo_model: dict) -> dict[str, Any]:
    body = job_body(
        demo_model["id"],
        baseline="equal-budget",
        noise={"family": "general-gaussian", "sigma": 0.25, "k": 20},
    )
    response = api_client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    job = wait(api_client, response.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    assert job["parameters"]["baseline"] == "equal-budget"
    return job


def test_summary_equals_the_stored_rows(api_client: httpx.Client, equal_budget_job) -> None:
    job_id = equal_budget_job["id"]
    summary = api_client.get(f"/v1/jobs/{job_id}/summary", params=[("radii", r) for r in RADII])
    assert summary.status_code == 200, summary.text
    summary = summary.json()
    rows = api_client.get(f"/v1/jobs/{job_id}/results").json()["items"]
    noise = make_noise("general-gaussian", 64, 0.25, 20)
    counted = []
    for row in rows:
        # the stored baseline is NP of the pooled counts at the full alpha (recomputed here)
        p_lower = clopper_pearson(
            row["p_count"] + row["baseline_extra_count"],
            row["p_n"] + row["baseline_extra_n"],
            0.001,
        )[0]
        assert row["baseline_p_lower"] == p_lower
        assert row["baseline_np_radius"] == np_radius(noise, p_lower).radius
        counted.append(row["baseline_np_radius"] if p_lower > 0.5 else -1.0)
    assert summary["baseline"] == "equal-budget"
    assert [r["np_equal_budget"] for r in summary["certified_accuracy"]] == certified_accuracy(
        counted, RADII
    )
    acr = sum(max(r, 0.0) for r in counted) / len(counted)
    assert summary["acr_np_equal_budget"] == pytest.approx(acr, abs=1e-15)
    assert summary["acr_gain"] == pytest.approx(summary["acr_dsrs"] - acr, abs=1e-15)
    for row in summary["certified_accuracy"]:
        count = round(row["np_equal_budget"] * len(rows))
        low, high = proportion_confint(count, len(rows), alpha=0.05, method="beta")
        interval = row["np_equal_budget_interval"]
        assert (interval["lower"], interval["upper"]) == pytest.approx((low, high), abs=1e-12)
    # benign accuracy is its own figure (evaluate mode: a majority of the P draws)
    majority = sum(2 * r["p_count"] > r["p_n"] for r in rows) / len(rows)
    assert summary["benign_accuracy"] == majority


def test_comparison_lists_both_np_baselines(api_client: httpx.Client, equal_budget_job) -> None:
    comparison = api_client.get(
        "/v1/compare", params=[("job_id", equal_budget_job["id"]), ("radii", 0.1)]
    ).json()
    certificates = comparison["jobs"][0]["certificates"]
    assert [(c["kind"], c["baseline"]) for c in certificates] == [
        ("np", "same-run"),
        ("np", "equal-budget"),
        ("dsrs", None),
    ]
    assert certificates[1]["name"] == "NP, equal budget (N=400, α=0.001)"
    summary = api_client.get(
        f"/v1/jobs/{equal_budget_job['id']}/summary", params={"radii": 0.1}
    ).json()
    assert certificates[1]["acr"]["value"] == summary["acr_np_equal_budget"]
    assert (
        certificates[1]["accuracy"][0]["value"]
        == summary["certified_accuracy"][0]["np_equal_budget"]
    )


def test_without_the_option_the_gain_is_against_the_same_run(
    api_client: httpx.Client, demo_model: dict
) -> None:
    response = api_client.post(
        "/v1/jobs",
        json=job_body(demo_model["id"], inputs={"dataset": "digits", "split": "test", "stop": 3}),
    )
    job = wait(api_client, response.json()["id"])
    summary = api_client.get(f"/v1/jobs/{job['id']}/summary").json()
    assert summary["baseline"] == "same-run" and summary["acr_np_equal_budget"] is None
    assert summary["acr_gain"] == pytest.approx(summary["acr_dsrs"] - summary["acr_np"])


def test_equal_budget_needs_a_dsrs_job(api_client: httpx.Client, demo_model: dict) -> None:
    response = api_client.post(
        "/v1/jobs", json=job_body(demo_model["id"], q=None, baseline="equal-budget")
    )
    assert response.status_code == 422
    assert "needs a Q" in response.text
    bad = api_client.post("/v1/jobs", json=job_body(demo_model["id"], baseline="bigger"))
    assert bad.status_code == 422 and "same-run" in bad.text


@pytest.mark.parametrize("radius", ["inf", "nan", "-inf"])
def test_summary_refuses_non_finite_radii(api_client: httpx.Client, equal_budget_job, radius):
    # regression: an infinite or NaN radius was accepted (200) instead of refused
    response = api_client.get(
        f"/v1/jobs/{equal_budget_job['id']}/summary", params={"radii": radius}
    )
    assert response.status_code == 422 and "finite" in response.text


@pytest.fixture(scope="module")
def sequential_baseline_job(api_client: httpx.Client, demo_model: dict) -> dict[str, Any]:
    body = job_body(
        demo_model["id"],
        baseline="sequential-np",
        n=400,
        noise={"family": "general-gaussian", "sigma": 0.25, "k": 20},
        sequential={"tolerance": 0.05, "first_look": 100},
    )
    response = api_client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    job = wait(api_client, response.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    return job


def test_sequential_baseline_is_its_own_sequential_np_run(
    api_client: httpx.Client, sequential_baseline_job
) -> None:
    # docs/sequential.md §7: an independent sequential NP run, budget 2N, all of alpha, its
    # own looks; its interval is recomputed here from the stored count, draws and look.
    from dsrs_client.contract import JobParameters
    from dsrs_core.counts_to_certificate import count_intervals
    from dsrs_core.evaluation.equal_budget import sequential_baseline_config
    from dsrs_core.evaluation.job_config import certification_config
    from dsrs_core.results import SampleCounts

    job_id = sequential_baseline_job["id"]
    parameters = JobParameters.model_validate(sequential_baseline_job["parameters"])
    baseline_config = sequential_baseline_config(certification_config(parameters))
    assert (baseline_config.n, baseline_config.alpha, baseline_config.q) == (800, 0.001, None)
    rows = api_client.get(f"/v1/jobs/{job_id}/results").json()["items"]
    noise = make_noise("general-gaussian", 64, 0.25, 20)
    for row in rows:
        counts = SampleCounts(
            row["counted_label"],
            row["baseline_extra_count"],
            row["baseline_extra_n"],
            p_look=row["baseline_look"],
        )
        (p_lower, _), _ = count_intervals(counts, baseline_config)
        assert row["baseline_p_lower"] == p_lower
        assert row["baseline_np_radius"] == np_radius(noise, p_lower).radius
        assert row["baseline_extra_n"] <= 800
    summary = api_client.get(f"/v1/jobs/{job_id}/summary", params={"radii": 0.1}).json()
    assert summary["baseline"] == "sequential-np"
    assert summary["acr_gain"] == pytest.approx(
        summary["acr_dsrs"] - summary["acr_np_equal_budget"], abs=1e-15
    )
    assert summary["forward_passes_baseline"] == sum(r["baseline_extra_n"] for r in rows)
    assert summary["forward_passes"] == summary["forward_passes_baseline"] + sum(
        r["p_n"] + r["q_n"] for r in rows
    )
    comparison = api_client.get("/v1/compare", params={"job_id": job_id, "radii": 0.1}).json()
    certificates = comparison["jobs"][0]["certificates"]
    assert [(c["kind"], c["baseline"]) for c in certificates] == [
        ("np", "same-run"),
        ("np", "sequential-np"),
        ("dsrs", None),
    ]
    assert certificates[1]["name"] == "NP, sequential same cost (N≤800, α=0.001)"
    assert certificates[1]["acr"]["value"] == summary["acr_np_equal_budget"]


def test_sequential_baseline_needs_a_sequential_dsrs_job(
    api_client: httpx.Client, demo_model: dict
) -> None:
    fixed = api_client.post("/v1/jobs", json=job_body(demo_model["id"], baseline="sequential-np"))
    assert fixed.status_code == 422 and "needs both q and sequential" in fixed.text
    pooled = api_client.post(
        "/v1/jobs",
        json=job_body(demo_model["id"], baseline="equal-budget", sequential={"tolerance": 0.05}),
    )
    assert pooled.status_code == 422 and "sequential-np" in pooled.text
