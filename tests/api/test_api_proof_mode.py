"""Job option ``check`` (proof mode, docs/math.md §7.5) on the embedded service: a bad value
and a missing python-flint answer 422 with what to do; a proven job's rows carry the
outcome, the proven NP radius and an enclosure above 1/2, and its summary, dashboard
overview and CSV say the same."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from test_api_jobs import job_body, wait

pytest.importorskip("flint")


@pytest.fixture(scope="module")
def proven_job(api_client: httpx.Client, demo_model: dict) -> dict[str, Any]:
    body = job_body(
        demo_model["id"],
        check="proven",
        inputs={"dataset": "digits", "split": "test", "stop": 4},
        noise={"family": "general-gaussian", "sigma": 0.25, "k": 20},
    )
    response = api_client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    assert any("DSRS radius not covered" in w for w in response.json()["warnings"])
    job = wait(api_client, response.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    assert job["parameters"]["check"] == "proven"
    return job


def test_an_unknown_check_answers_422_naming_the_choices(
    api_client: httpx.Client, demo_model: dict
) -> None:
    response = api_client.post("/v1/jobs", json=job_body(demo_model["id"], check="proved"))
    assert response.status_code == 422, response.text
    assert "'verified'" in response.text and "'proven'" in response.text


def test_proof_mode_without_python_flint_answers_422(
    api_client: httpx.Client, demo_model: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsrs_api.services import job_submission

    monkeypatch.setattr(job_submission, "proof_available", lambda: False)
    response = api_client.post("/v1/jobs", json=job_body(demo_model["id"], check="proven"))
    assert response.status_code == 422, response.text
    assert "dsrs[proof]" in response.text


def test_rows_carry_the_proof_and_the_summary_counts_it(
    api_client: httpx.Client, proven_job: dict
) -> None:
    job_id = proven_job["id"]
    rows = api_client.get(f"/v1/jobs/{job_id}/results").json()["items"]
    assert len(rows) == 4
    for row in rows:
        assert row["check_outcome"] in ("proven", "fell back"), row
        if row["np_radius"] > 0:
            assert row["proof_margin_lower"] > 0, row
            assert row["proof_margin_lower"] <= row["proof_margin_upper"] < 1e-3
            assert (1 - 1e-3) * row["np_radius"] <= row["proven_np_radius"] <= row["np_radius"]
        assert row["proof_seconds"] >= 0 and "DSRS radius not covered" in row["proof_reason"]
    summary = api_client.get(f"/v1/jobs/{job_id}/summary").json()
    expected = {"proven": 0, "fell back": 0, "not proven": 0, "not covered": 0}
    for row in rows:
        expected[row["check_outcome"]] += 1
    assert summary["proof_outcomes"] == expected
    overview = api_client.get(f"/v1/dashboard/jobs/{job_id}/overview").json()
    assert overview["proof_outcomes"] == expected
    text = api_client.get(f"/v1/jobs/{job_id}/results", params={"format": "csv"}).text
    outcomes = [line["check_outcome"] for line in csv.DictReader(io.StringIO(text))]
    assert outcomes == [row["check_outcome"] for row in rows]


def test_a_verified_job_has_no_proof(api_client: httpx.Client, demo_model: dict) -> None:
    body = job_body(demo_model["id"], inputs={"dataset": "digits", "split": "test", "stop": 2})
    job = wait(api_client, api_client.post("/v1/jobs", json=body).json()["id"])
    rows = api_client.get(f"/v1/jobs/{job['id']}/results").json()["items"]
    assert all(row["check_outcome"] is None and row["proven_np_radius"] is None for row in rows)
    assert api_client.get(f"/v1/jobs/{job['id']}/summary").json()["proof_outcomes"] is None
