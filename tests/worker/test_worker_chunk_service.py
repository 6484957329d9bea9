"""The chunk service (the function behind the Celery task and the embedded runner) on the
embedded SQLite store, against direct ``dsrs_core`` calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from sqlalchemy.orm import Session, sessionmaker

from dsrs_client.contract import JobParameters
from dsrs_core.certify_on_device import certify
from dsrs_core.evaluation.job_config import certification_config
from dsrs_core.sampling.seeds import sample_seed
from dsrs_models.demo import DEMO_WEIGHTS_PATH, demo_dataset, load_demo_classifier
from dsrs_settings import Settings
from dsrs_store import repository
from dsrs_store.chunks import chunk_count
from dsrs_worker.chunk_service import certify_chunk
from tests.support.factories import open_store, seed_model_file, seed_queued_job

PARAMETERS: dict[str, Any] = {
    "noise": {"family": "general-gaussian", "sigma": 0.25, "k": 20},
    "q": {"sigma": 0.2, "threshold": None},
    "n_selection": 40,
    "n": 300,
    "alpha": 0.001,
    "batch_size": 128,
    "radius_search": {"method": "grid", "unit": 0.05, "tolerance": 1e-4, "mode": "exact"},
}
ROW_FIELDS = (
    "sample_index",
    "dataset_index",
    "label",
    "counted_label",
    "prediction",
    "selection_counts",
    "p_count",
    "p_n",
    "q_count",
    "q_n",
    "q_percentile",
    "q_fallback",
    "seed",
    "p_lower",
    "p_upper",
    "q_lower",
    "q_upper",
    "np_radius",
    "dsrs_radius",
    "reason",
)


@pytest.fixture
def store(tmp_path: Path) -> tuple[Settings, sessionmaker[Session], str]:
    settings = Settings(storage_dir=tmp_path / "var", device="cpu")
    factory = open_store(settings)
    return settings, factory, seed_model_file(settings, factory, DEMO_WEIGHTS_PATH)


def add_job(
    factory: sessionmaker[Session],
    model_id: str,
    *,
    indices: list[int],
    chunk_size: int,
    seed: int = 11,
    mode: str = "evaluate",
    **parameters: Any,
) -> str:
    return seed_queued_job(
        factory,
        model_id,
        indices=indices,
        parameters={**PARAMETERS, **parameters},
        chunk_size=chunk_size,
        seed=seed,
        mode=mode,
    )


def run_all(settings: Settings, factory: sessionmaker[Session], job_id: str) -> None:
    with factory() as session:
        job = repository.get_job(session, job_id)
        chunks = chunk_count(job.total, job.chunk_size)
    for index in range(chunks):
        certify_chunk(factory, settings, job_id, index)


def rows(factory: sessionmaker[Session], job_id: str) -> list[tuple[Any, ...]]:
    with factory() as session:
        return [
            tuple(getattr(r, f) for f in ROW_FIELDS)
            for r in repository.all_samples(session, job_id)
        ]


def test_results_equal_a_direct_dsrs_core_call(store: Any) -> None:
    settings, factory, model_id = store
    indices = [5, 0, 17]
    job_id = add_job(factory, model_id, indices=indices, chunk_size=2)
    run_all(settings, factory, job_id)
    with factory() as session:
        assert repository.get_job(session, job_id).status == "succeeded"
    images, labels = demo_dataset("test")
    classifier = load_demo_classifier()
    config = certification_config(JobParameters.model_validate(PARAMETERS))
    stored = rows(factory, job_id)
    for position, index in enumerate(indices):
        seed = sample_seed(11, position)
        certificate = certify(
            classifier,
            torch.from_numpy(images[index]),
            config,
            label=int(labels[index]),
            seed=seed,
            batch_size=128,
        )
        row = dict(zip(ROW_FIELDS, stored[position], strict=True))
        assert row["seed"] == seed and row["dataset_index"] == index
        assert (row["p_count"], row["q_count"]) == (
            certificate.counts.p_count,
            certificate.counts.q_count,
        )
        assert row["np_radius"] == certificate.np_radius
        assert row["dsrs_radius"] == certificate.dsrs_radius
        assert row["prediction"] == certificate.prediction


def test_equal_budget_baseline_pools_fresh_p_draws_at_full_alpha(store: Any) -> None:
    from dsrs_core.radius.neyman_pearson import np_radius
    from dsrs_core.sampling.confidence import clopper_pearson
    from dsrs_core.sampling.draw_plan import build_p_noise

    settings, factory, model_id = store
    indices = [5, 0, 17, 33]
    plain = add_job(factory, model_id, indices=indices, chunk_size=3)
    pooled = add_job(factory, model_id, indices=indices, chunk_size=3, baseline="equal-budget")
    run_all(settings, factory, plain)
    run_all(settings, factory, pooled)
    p_noise = build_p_noise(certification_config(JobParameters.model_validate(PARAMETERS)).p, 64)
    with factory() as session:
        before = repository.all_samples(session, plain)
        after = repository.all_samples(session, pooled)
        for own, row in zip(before, after, strict=True):
            # the job's own certificates are untouched by the baseline
            assert (row.p_count, row.q_count, row.np_radius, row.dsrs_radius) == (
                own.p_count,
                own.q_count,
                own.np_radius,
                own.dsrs_radius,
            )
            assert own.baseline_np_radius is None
            assert row.baseline_extra_n == PARAMETERS["n"]
            assert 0 <= row.baseline_extra_count <= row.baseline_extra_n
            # recomputed from the stored counts: 2N pooled draws at the full alpha
            p_lower = clopper_pearson(
                row.p_count + row.baseline_extra_count,
                row.p_n + row.baseline_extra_n,
                PARAMETERS["alpha"],
            )[0]
            assert row.baseline_p_lower == p_lower
            assert row.baseline_np_radius == np_radius(p_noise, p_lower).radius
        assert any(row.baseline_extra_count != row.p_count for row in after)  # fresh draws


def test_sequential_np_baseline_is_an_independent_sequential_run(store: Any) -> None:
    # docs/sequential.md §7: the worker's baseline equals dsrs_core's, drawn from the
    # baseline's own stream, and leaves the job's own sequential certificates untouched.
    import torch

    from dsrs_core.certify_on_device import sequential_np_baseline
    from dsrs_core.counts_to_certificate import certificate_from_counts
    from dsrs_core.results import SampleCounts
    from dsrs_core.sampling.seeds import equal_budget_seed
    from dsrs_models.demo import demo_dataset, load_demo_classifier

    settings, factory, model_id = store
    indices = [5, 0, 17]
    sequential = {"tolerance": 0.05, "first_look": 100}
    plain = add_job(factory, model_id, indices=indices, chunk_size=2, sequential=sequential)
    with_baseline = add_job(
        factory,
        model_id,
        indices=indices,
        chunk_size=2,
        sequential=sequential,
        baseline="sequential-np",
    )
    run_all(settings, factory, plain)
    run_all(settings, factory, with_baseline)
    config = certification_config(
        JobParameters.model_validate(
            {**PARAMETERS, "sequential": sequential, "baseline": "sequential-np"}
        )
    )
    x, _ = demo_dataset("test")
    classifier = load_demo_classifier()
    with factory() as session:
        job_seed = repository.get_job(session, with_baseline).seed
        before = repository.all_samples(session, plain)
        after = repository.all_samples(session, with_baseline)
        for own, row in zip(before, after, strict=True):
            assert (row.p_count, row.p_n, row.q_count, row.q_n, row.dsrs_radius) == (
                own.p_count,
                own.p_n,
                own.q_count,
                own.q_n,
                own.dsrs_radius,
            )
            assert own.baseline_np_radius is None and own.baseline_look is None
            counts = SampleCounts(
                row.counted_label,
                row.p_count,
                row.p_n,
                row.q_count,
                row.q_n,
                p_look=row.p_look,
                q_look=row.q_look,
                seed=row.seed,
            )
            certificate = certificate_from_counts(counts, config, 64)
            expected = sequential_np_baseline(
                classifier,
                torch.from_numpy(x[row.dataset_index]),
                config,
                certificate,
                seed=equal_budget_seed(job_seed, row.sample_index),
                batch_size=128,
            )
            assert (
                row.baseline_extra_count,
                row.baseline_extra_n,
                row.baseline_look,
                row.baseline_p_lower,
                row.baseline_np_radius,
            ) == (expected.count, expected.n, expected.look, expected.p_lower, expected.radius)
            assert row.baseline_extra_n <= 2 * PARAMETERS["n"]


def test_chunking_does_not_change_results(store: Any) -> None:
    settings, factory, model_id = store
    indices = list(range(0, 50, 7))
    small = add_job(factory, model_id, indices=indices, chunk_size=2)
    large = add_job(factory, model_id, indices=indices, chunk_size=5)
    run_all(settings, factory, small)
    # the large-chunk job runs its chunks in reverse order
    for index in reversed(range(2)):
        certify_chunk(factory, settings, large, index)
    assert rows(factory, small) == rows(factory, large)


def test_a_chunk_delivered_twice_writes_nothing_new(store: Any) -> None:
    settings, factory, model_id = store
    job_id = add_job(factory, model_id, indices=[1, 2, 3], chunk_size=2)
    first = certify_chunk(factory, settings, job_id, 0)
    before = rows(factory, job_id)
    again = certify_chunk(factory, settings, job_id, 0)
    assert (first.written, again.written, again.skipped) == (2, 0, 2)
    assert rows(factory, job_id) == before
    assert again.job_status == "running"
    certify_chunk(factory, settings, job_id, 1)
    with factory() as session:
        assert repository.get_job(session, job_id).status == "succeeded"


def test_cancelled_and_missing_jobs_return_early(store: Any) -> None:
    settings, factory, model_id = store
    job_id = add_job(factory, model_id, indices=[1, 2], chunk_size=2)
    with factory() as session:
        repository.cancel_job(session, job_id)
        session.commit()
    outcome = certify_chunk(factory, settings, job_id, 0)
    assert (outcome.written, outcome.job_status) == (0, "cancelled")
    assert rows(factory, job_id) == []
    assert certify_chunk(factory, settings, "no-such-job", 0).job_status == "missing"


def test_failure_is_recorded_on_the_job(store: Any) -> None:
    settings, factory, model_id = store
    job_id = add_job(factory, model_id, indices=[1], chunk_size=1)
    (settings.storage_dir / "models" / DEMO_WEIGHTS_PATH.name).unlink()
    with pytest.raises(FileNotFoundError):
        certify_chunk(factory, settings, job_id, 0)
    with factory() as session:
        job = repository.get_job(session, job_id)
        assert job.status == "failed" and "FileNotFoundError" in (job.error or "")


def test_predict_mode_and_thresholded_q(store: Any) -> None:
    settings, factory, model_id = store
    job_id = add_job(
        factory,
        model_id,
        indices=[0, 1],
        chunk_size=2,
        mode="predict",
        q={"sigma": None, "threshold": "x+"},
    )
    run_all(settings, factory, job_id)
    for row in rows(factory, job_id):
        values = dict(zip(ROW_FIELDS, row, strict=True))
        assert sum(values["selection_counts"]) == 40
        assert values["q_fallback"] or 0 < values["q_percentile"] < 1
        assert values["q_n"] == 300


def test_sample_seeds() -> None:
    seeds = {sample_seed(3, i) for i in range(1000)}
    assert len(seeds) == 1000 and all(0 <= s < 2**63 for s in seeds)
    assert sample_seed(3, 5) == sample_seed(3, 5) != sample_seed(4, 5)


SEQUENTIAL = {"target_radii": [0.3], "first_look": 100}


def test_sequential_job_stops_inputs_early_and_its_rows_recompute(store: Any) -> None:
    from dsrs_core.counts_to_certificate import certificate_from_counts
    from dsrs_core.results import counts_of_row

    settings, factory, model_id = store
    parameters = {"n": 1600, "sequential": SEQUENTIAL}
    job_id = add_job(factory, model_id, indices=[0, 1, 2, 3], chunk_size=2, **parameters)
    run_all(settings, factory, job_id)
    config = certification_config(JobParameters.model_validate({**PARAMETERS, **parameters}))
    with factory() as session:
        stored = repository.all_samples(session, job_id)
        assert repository.get_job(session, job_id).status == "succeeded"
    assert all(row.p_look is not None for row in stored)
    assert any(row.p_n < 1600 for row in stored)  # some input stopped before the budget
    for row in stored:
        certificate = certificate_from_counts(counts_of_row(row), config, 64)
        assert (certificate.p_lower, certificate.np_radius) == (row.p_lower, row.np_radius)
        assert certificate.dsrs_radius == row.dsrs_radius


def test_sequential_chunk_delivered_twice_writes_nothing_new(store: Any) -> None:
    settings, factory, model_id = store
    parameters = {"n": 1600, "sequential": SEQUENTIAL}
    job_id = add_job(factory, model_id, indices=[4, 5, 6], chunk_size=2, **parameters)
    first = certify_chunk(factory, settings, job_id, 0)
    before = rows(factory, job_id)
    again = certify_chunk(factory, settings, job_id, 0)
    assert (first.written, again.written, again.skipped) == (2, 0, 2)
    assert rows(factory, job_id) == before
    # A second job with other chunks draws exactly the same counts and looks.
    other = add_job(factory, model_id, indices=[4, 5, 6], chunk_size=3, **parameters)
    run_all(settings, factory, other)
    certify_chunk(factory, settings, job_id, 1)
    with factory() as session:
        looks = [
            [(r.p_n, r.q_n, r.p_look, r.q_look) for r in repository.all_samples(session, j)]
            for j in (job_id, other)
        ]
    assert rows(factory, job_id) == rows(factory, other) and looks[0] == looks[1]


def test_with_db_retries_runs_again_after_a_lost_connection(monkeypatch: Any) -> None:
    # The claim of a chunk now goes through it: a connection lost while claiming failed the
    # task before any lease existed, and the chunk was never redone (CI, database faults).
    from sqlalchemy.exc import OperationalError

    from dsrs_worker import chunk_service

    monkeypatch.setattr(chunk_service, "DB_RETRY_FIRST_DELAY_S", 0.0)
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return "claimed"

    assert chunk_service.with_db_retries(flaky, "the claim") == "claimed"
    assert len(calls) == 3

    def always() -> str:
        raise OperationalError("SELECT 1", {}, Exception("gone"))

    with pytest.raises(OperationalError):
        chunk_service.with_db_retries(always, "the claim")
