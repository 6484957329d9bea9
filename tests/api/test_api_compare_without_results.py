"""Jobs that have no result yet compare as empty (a note says so), not as jobs over
disjoint inputs: the same-inputs rule refuses only rows that hold inputs none of which
are shared (a comparison opened while its jobs are still queued must answer)."""

from __future__ import annotations

from pathlib import Path

from dsrs_api.services.job_comparison import compare_jobs
from dsrs_models.demo import DEMO_WEIGHTS_PATH
from dsrs_settings import Settings
from tests.support.factories import open_store, seed_model_file
from tests.worker.test_worker_limits import add_job


def test_jobs_without_results_compare_as_empty(tmp_path: Path) -> None:
    settings = Settings(storage_dir=tmp_path / "var", device="cpu")
    factory = open_store(settings)
    model = seed_model_file(settings, factory, DEMO_WEIGHTS_PATH)
    first, second = add_job(factory, model, 3), add_job(factory, model, 3)
    with factory() as session:
        comparison = compare_jobs(session, [first, second], None, 0.95)
    assert comparison.common_inputs == 0
    assert comparison.inputs_note == "No row has a result yet."
    assert [job.samples for job in comparison.jobs] == [0, 0]
