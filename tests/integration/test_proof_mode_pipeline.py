"""Proof mode (``check: "proven"``, docs/math.md §7.5) on PostgreSQL + Redis with real Celery
workers: the workers prove each NP radius, the rows (alembic 0009's columns) carry the
outcome, the proven radius and an enclosure of the dual bound above 1/2, and the proof is
the engine's on the same certificate."""

from __future__ import annotations

from typing import Any

import pytest

from dsrs_client.contract import JobParameters, SampleOut
from dsrs_core.evaluation.job_config import certification_config
from dsrs_core.evaluation.proof_check import proof_row_fields, prove_certificate
from dsrs_core.results import Certificate, counts_of_row
from tests.integration.test_celery_pipeline import final_job, submit
from tests.integration.test_celery_pipeline import model_id as model_id  # the fixture

pytestmark = pytest.mark.integration
pytest.importorskip("flint")


INDICES = [0, 5, 10, 15]


@pytest.mark.parametrize(
    "noise", [{"family": "general-gaussian", "sigma": 0.25, "k": 20}, {"sigma": 0.25}]
)
def test_workers_store_proven_rows(stack: Any, model_id: str, noise: dict) -> None:
    job = submit(
        stack,
        model_id,
        check="proven",
        noise=noise,
        inputs={"dataset": "digits", "split": "test", "indices": INDICES},
    )
    job = final_job(stack, job)
    assert job["status"] == "succeeded", job["error"]
    rows = [
        SampleOut.model_validate(row)
        for row in stack.client.get(f"/v1/jobs/{job['id']}/results").json()["items"]
    ]
    assert len(rows) == len(INDICES)
    config = certification_config(JobParameters.model_validate(job["parameters"]))
    for row in rows:
        assert row.check_outcome in ("proven", "fell back"), row
        if row.np_radius > 0:
            assert row.proof_margin_lower is not None and row.proof_margin_lower > 0, row
            assert row.proven_np_radius is not None
            assert (1 - 1e-3) * row.np_radius <= row.proven_np_radius <= row.np_radius
        # the worker's proof is the engine's on the stored certificate
        certificate = Certificate(
            row.prediction,
            row.p_lower,
            row.p_upper,
            row.q_lower,
            row.q_upper,
            row.np_radius,
            row.dsrs_radius,
            counts_of_row(row),
            row.alpha,
        )
        expected = proof_row_fields(prove_certificate(certificate, config, 64))
        stored = proof_row_fields(None) | row.model_dump(include=set(expected))
        assert {k: v for k, v in stored.items() if k != "proof_seconds"} == {
            k: v for k, v in expected.items() if k != "proof_seconds"
        }
    if "k" not in noise:  # Gaussian P: the closed form proves the verified radius itself
        assert all(row.check_outcome == "proven" for row in rows if row.np_radius > 0)
    summary = stack.client.get(f"/v1/jobs/{job['id']}/summary").json()
    assert sum(summary["proof_outcomes"].values()) == len(INDICES)
