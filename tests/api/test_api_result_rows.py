"""Readers never see a half-written row: while a job runs, every row a result page shows
already has its counts, bounds and both radii (each row is one INSERT in one transaction)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.polling import wait_until

COMPLETE = (
    "p_count",
    "q_count",
    "p_lower",
    "p_upper",
    "q_lower",
    "q_upper",
    "np_radius",
    "dsrs_radius",
    "seed",
    "elapsed_s",
)


def test_rows_appear_whole_while_the_job_runs(
    api_client: httpx.Client, demo_model: dict[str, Any]
) -> None:
    job = api_client.post(
        "/v1/jobs",
        json={
            "model_id": demo_model["id"],
            "inputs": {"dataset": "digits", "stop": 12},
            "noise": {"sigma": 0.25},
            "q": {"sigma": 0.2},
            "n": 4000,
            "seed": 9,
        },
    ).json()
    seen: set[int] = set()

    def status_after_reading_rows() -> str:
        status = api_client.get(f"/v1/jobs/{job['id']}").json()["status"]
        page = api_client.get(f"/v1/jobs/{job['id']}/results", params={"limit": 100}).json()
        for row in page["items"]:
            missing = [field for field in COMPLETE if row[field] is None]
            assert not missing, (row["sample_index"], missing)
            seen.add(row["sample_index"])
        return status

    status = wait_until(
        status_after_reading_rows,
        lambda status: status in ("succeeded", "failed", "cancelled"),
        timeout=300,
        interval=0.01,
    )
    assert status == "succeeded" and seen == set(range(12))
