"""Upload → job → rows appear while it runs → summary, on PostgreSQL + Redis with two real
Celery worker processes; the stored results equal direct ``dsrs_core`` calls."""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch

from dsrs_client.contract import JobParameters
from dsrs_core.certify_on_device import certify
from dsrs_core.evaluation.job_config import certification_config
from dsrs_core.sampling.seeds import sample_seed
from dsrs_models.demo import demo_dataset, load_demo_classifier
from tests.polling import wait_until

pytestmark = pytest.mark.integration

JOB_SEED = 20221
INDICES = list(range(0, 120, 5))  # 24 digits test images → 12 chunks of 2


def submit(stack: Any, model_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model_id": model_id,
        "inputs": {"dataset": "digits", "split": "test", "indices": INDICES},
        "mode": "evaluate",
        "noise": {"family": "general-gaussian", "sigma": 0.25, "k": 20},
        "q": {"sigma": 0.2},
        "n_selection": 50,
        "n": 400,
        "alpha": 0.001,
        "batch_size": 400,
        "seed": JOB_SEED,
    }
    body.update(changes)
    response = stack.client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def final_job(stack: Any, job: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    """The job once it is final (the timeout only bounds a hang)."""
    return wait_until(
        lambda: stack.client.get(f"/v1/jobs/{job['id']}").json(),
        lambda job: job["status"] in ("succeeded", "failed", "cancelled"),
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def model_id(stack: Any, demo_weights: bytes) -> str:
    response = stack.client.post(
        "/v1/models",
        files={"file": ("digits-demo.safetensors", demo_weights)},
        data={"architecture": "digits-mlp"},
    )
    # 200 when another test of this session uploaded the same network first
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def test_ready_with_database_and_broker(stack: Any) -> None:
    response = stack.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "schema": "ok", "broker": "ok"}


def test_job_runs_on_two_workers_and_matches_dsrs_core(stack: Any, model_id: str) -> None:
    job = submit(stack, model_id)
    assert job["status"] == "queued"
    observed: list[tuple[str, int]] = []
    etas: list[float] = []

    def observe() -> dict[str, Any]:
        job = stack.client.get(f"/v1/jobs/{submitted['id']}").json()
        observed.append((job["status"], job["progress"]["done"]))
        if job["status"] == "running" and job["progress"]["done"]:
            etas.append(job["eta_seconds"])
        return job

    submitted = job
    job = wait_until(
        observe, lambda job: job["status"] in ("succeeded", "failed", "cancelled"), timeout=300
    )
    assert job["status"] == "succeeded", job["error"]

    # rows appeared while the job ran: progress rose through intermediate values
    done = [d for _, d in observed]
    assert done == sorted(done)
    intermediate = {d for status, d in observed if status == "running" and 0 < d < len(INDICES)}
    assert len(intermediate) >= 2, observed
    assert job["progress"] == {
        "done": 24,
        "total": 24,
        "fraction": 1.0,
        "non_finite_draws": 0,
    }
    assert etas and all(eta is not None and eta >= 0 for eta in etas)
    assert job["eta_seconds"] is None and job["timings"]["seconds_per_sample"] > 0

    # both worker processes certified chunks of this one job (12 chunks). The chunk that
    # ends the job marks it succeeded before its task logs "succeeded": the last line may
    # still be on its way when the job reads final (it was, once).
    per_worker = wait_until(
        lambda: [
            len(re.findall(r"Task dsrs\.certify_chunk\[[^\]]+\] succeeded", w.log_text()))
            for w in stack.workers
        ],
        lambda counts: sum(counts) >= 12,
        timeout=120,
    )
    assert all(count >= 1 for count in per_worker), per_worker

    summary = stack.client.get(
        f"/v1/jobs/{job['id']}/summary", params=[("radii", 0.0), ("radii", 0.25)]
    ).json()
    assert summary["samples"] == 24 and summary["status"] == "succeeded"
    assert summary["labelled"] and summary["acr_dsrs"] >= summary["acr_np"] > 0

    rows = stack.client.get(f"/v1/jobs/{job['id']}/results", params={"limit": 100}).json()
    assert [r["dataset_index"] for r in rows["items"]] == INDICES
    images, labels = demo_dataset("test")
    classifier = load_demo_classifier()
    config = certification_config(
        JobParameters.model_validate(
            {
                "noise": {"family": "general-gaussian", "sigma": 0.25, "k": 20},
                "q": {"sigma": 0.2},
                "n_selection": 50,
                "n": 400,
                "alpha": 0.001,
            }
        )
    )
    for row in rows["items"]:
        seed = sample_seed(JOB_SEED, row["sample_index"])
        index = row["dataset_index"]
        certificate = certify(
            classifier,
            torch.from_numpy(images[index]),
            config,
            label=int(labels[index]),
            seed=seed,
            batch_size=400,
        )
        assert row["seed"] == seed
        assert (row["p_count"], row["q_count"]) == (
            certificate.counts.p_count,
            certificate.counts.q_count,
        )
        assert row["np_radius"] == certificate.np_radius
        assert row["dsrs_radius"] == certificate.dsrs_radius


def test_equal_budget_baseline_on_the_workers_matches_dsrs_core(stack: Any, model_id: str) -> None:
    from dsrs_core.certify_on_device import equal_budget_baseline
    from dsrs_core.sampling.seeds import equal_budget_seed

    job = submit(
        stack,
        model_id,
        inputs={"dataset": "digits", "split": "test", "indices": INDICES[:6]},
        baseline="equal-budget",
    )
    job = final_job(stack, job)
    assert job["status"] == "succeeded", job["error"]
    assert job["parameters"]["baseline"] == "equal-budget"
    rows = stack.client.get(f"/v1/jobs/{job['id']}/results").json()["items"]
    images, labels = demo_dataset("test")
    classifier = load_demo_classifier()
    config = certification_config(JobParameters.model_validate(job["parameters"]))
    counted = []
    for row in rows:
        index = row["dataset_index"]
        x = torch.from_numpy(images[index])
        certificate = certify(
            classifier, x, config, label=int(labels[index]), seed=row["seed"], batch_size=400
        )
        baseline = equal_budget_baseline(
            classifier,
            x,
            config,
            certificate,
            seed=equal_budget_seed(JOB_SEED, row["sample_index"]),
            batch_size=400,
        )
        assert (row["baseline_extra_count"], row["baseline_extra_n"]) == (
            baseline.extra_count,
            baseline.extra_n,
        )
        assert row["baseline_np_radius"] == baseline.radius
        counted.append(baseline.radius if baseline.p_lower > 0.5 else 0.0)
    summary = stack.client.get(f"/v1/jobs/{job['id']}/summary").json()
    assert summary["baseline"] == "equal-budget"
    assert summary["acr_np_equal_budget"] == pytest.approx(sum(counted) / len(counted), abs=1e-15)
    assert summary["acr_gain"] == pytest.approx(
        summary["acr_dsrs"] - summary["acr_np_equal_budget"], abs=1e-15
    )


def test_cancel_stops_the_workers(stack: Any, model_id: str) -> None:
    job = submit(stack, model_id, inputs={"dataset": "digits", "stop": 400}, n=3000)
    wait_until(
        lambda: stack.client.get(f"/v1/jobs/{job['id']}").json(),
        lambda job: job["progress"]["done"] > 0,
        timeout=300,
    )
    response = stack.client.post(f"/v1/jobs/{job['id']}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    done_at_cancel = response.json()["progress"]["done"]
    # Each worker (concurrency 1) stops before its next sample, and a chunk taken after the
    # cancel writes nothing: once no lease of the job is unfinished, no row can land.
    wait_until(lambda: held_chunks(stack, job["id"]), lambda held: held == 0, timeout=300)
    after = stack.client.get(f"/v1/jobs/{job['id']}").json()
    assert after["status"] == "cancelled"
    # at most the sample in flight on each worker landed after the cancel
    assert done_at_cancel <= after["progress"]["done"] <= done_at_cancel + len(stack.workers)
    assert after["progress"]["done"] < 400


def held_chunks(stack: Any, job_id: str) -> int:
    """Chunks of the job whose lease a worker still holds (taken and not finished)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.settings.database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM chunk_leases WHERE job_id = :j AND NOT finished"),
                {"j": job_id},
            ).scalar_one()
    finally:
        engine.dispose()
