"""Limits the worker enforces: a job past DSRS_JOB_TIME_LIMIT_S fails with the reason; a
model is loaded first in a child process under a time and a memory limit, and one whose
outputs do not fit its declared classes fails the job with a clear reason."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from dsrs_models.demo import DEMO_WEIGHTS_PATH
from dsrs_settings import Settings
from dsrs_store import repository
from dsrs_store.tables import JobRecord, utcnow
from dsrs_worker.chunk_service import certify_chunk
from dsrs_worker.classifiers import ClassifierCache
from tests.support.factories import open_store, seed_model_file, seed_queued_job

PARAMETERS: dict[str, Any] = {
    "noise": {"family": "gaussian", "sigma": 0.25},
    "q": None,
    "n_selection": 20,
    "n": 20_000,
    "alpha": 0.001,
    "batch_size": 5_000,
    "radius_search": {"method": "grid", "unit": 0.05, "tolerance": 1e-4, "mode": "exact"},
}


def add_job(factory: sessionmaker[Session], model_id: str, count: int) -> str:
    """A queued job over digits test inputs 0 … count-1, in one chunk."""
    return seed_queued_job(
        factory, model_id, indices=range(count), parameters=PARAMETERS, chunk_size=count
    )


def job_after_chunk(
    settings: Settings,
    factory: sessionmaker[Session],
    job_id: str,
    cache: ClassifierCache | None = None,
) -> Any:
    with contextlib.suppress(Exception):  # a refused model raises too; the row tells why
        certify_chunk(factory, settings, job_id, 0, classifiers=cache or ClassifierCache())
    with factory() as session:
        return repository.get_job(session, job_id), repository.job_progress(
            session, repository.get_job(session, job_id)
        )


def test_a_job_submitted_longer_ago_than_the_limit_fails_with_the_reason(tmp_path: Path) -> None:
    """The clock starts at submission (issue 24: a job whose chunks never started had none)."""
    settings = Settings(storage_dir=tmp_path / "var", device="cpu", job_time_limit_s=60)
    factory = open_store(settings)
    job_id = add_job(factory, seed_model_file(settings, factory, DEMO_WEIGHTS_PATH), 4)
    with factory() as session:
        session.execute(
            update(JobRecord)
            .where(JobRecord.id == job_id)
            .values(created_at=utcnow() - timedelta(seconds=120))
        )
        session.commit()
    job, progress = job_after_chunk(settings, factory, job_id)
    assert job.status == "failed" and progress.done == 0
    assert "job time limit exceeded" in job.error and "DSRS_JOB_TIME_LIMIT_S" in job.error


@pytest.mark.slow
def test_a_job_running_past_the_limit_stops_and_keeps_its_rows(tmp_path: Path) -> None:
    import dsrs_core.certify_on_device  # noqa: F401 - imported before the clock starts
    from dsrs_models.demo import demo_dataset

    settings = Settings(storage_dir=tmp_path / "var", device="cpu", job_time_limit_s=3)
    factory = open_store(settings)
    model_id = seed_model_file(settings, factory, DEMO_WEIGHTS_PATH)
    cache = ClassifierCache()
    demo_dataset("test")
    with factory() as session:  # loaded before the job starts: the limit times sampling
        cache.get(settings, repository.get_model(session, model_id), "cpu")
    job_id = add_job(factory, model_id, 200)
    job, progress = job_after_chunk(settings, factory, job_id, cache)
    assert job.status == "failed", job.error
    assert "the limit is 3 s" in job.error
    assert 0 < progress.done < 200 and f"{progress.done} of 200 samples" in job.error


def test_model_loading_over_the_memory_limit_fails_the_job(tmp_path: Path) -> None:
    settings = Settings(
        storage_dir=tmp_path / "var", device="cpu", model_load_memory_bytes=64 * 1024 * 1024
    )
    factory = open_store(settings)
    job_id = add_job(factory, seed_model_file(settings, factory, DEMO_WEIGHTS_PATH), 2)
    job, progress = job_after_chunk(settings, factory, job_id)
    assert job.status == "failed" and progress.done == 0
    assert "needs more than 67108864 bytes" in job.error, job.error


def test_model_loading_over_the_time_limit_fails_the_job(tmp_path: Path) -> None:
    settings = Settings(storage_dir=tmp_path / "var", device="cpu", model_load_timeout_s=0.05)
    factory = open_store(settings)
    job_id = add_job(factory, seed_model_file(settings, factory, DEMO_WEIGHTS_PATH), 2)
    job, _ = job_after_chunk(settings, factory, job_id)
    assert job.status == "failed"
    assert "did not load within 0.05 s (DSRS_MODEL_LOAD_TIMEOUT_S)" in job.error, job.error


def five_class_onnx(path: Path) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.ones((64, 5), np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["x"], ["f"]), helper.make_node("MatMul", ["f", "w"], ["y"])],
        "five",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 1, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 5])],
        [weights],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def test_a_model_whose_outputs_do_not_match_its_classes_fails_the_job(tmp_path: Path) -> None:
    settings = Settings(storage_dir=tmp_path / "var", device="cpu")
    factory = open_store(settings)
    source = five_class_onnx(tmp_path / "five.onnx")
    model_id = seed_model_file(
        settings, factory, source, format="onnx", architecture=None, num_classes=10
    )
    job, progress = job_after_chunk(settings, factory, job_id := add_job(factory, model_id, 2))
    assert job.id == job_id and job.status == "failed" and progress.done == 0
    assert "cannot be used" in job.error and "number of classes" in job.error, job.error


def test_a_passed_probe_is_remembered_for_the_same_file_and_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsrs_worker import model_probe

    settings = Settings(storage_dir=tmp_path / "var", device="cpu")
    factory = open_store(settings)
    model_id = seed_model_file(settings, factory, DEMO_WEIGHTS_PATH)
    with factory() as session:
        model = repository.get_model(session, model_id)
    model_probe.probe_model(settings, model)  # runs the child process and passes
    assert len(list((settings.storage_dir / "probes").glob("*.passed"))) == 1

    def no_child(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the probe ran again")

    monkeypatch.setattr(model_probe, "probe_model_file", no_child)
    model_probe.probe_model(settings, model)  # remembered: no child process
    # Other limits, or other bytes under the same name, are probed afresh.
    tighter = settings.model_copy(update={"model_load_memory_bytes": 64 * 1024 * 1024})
    with pytest.raises(AssertionError, match="ran again"):
        model_probe.probe_model(tighter, model)
    (settings.storage_dir / model.storage_path).write_bytes(b"other bytes")
    with pytest.raises(AssertionError, match="ran again"):
        model_probe.probe_model(settings, model)


def test_a_refused_probe_is_not_remembered(tmp_path: Path) -> None:
    settings = Settings(storage_dir=tmp_path / "var", device="cpu", model_load_timeout_s=0.05)
    factory = open_store(settings)
    model_id = seed_model_file(settings, factory, DEMO_WEIGHTS_PATH)
    for _ in range(2):
        job, _ = job_after_chunk(settings, factory, add_job(factory, model_id, 2))
        assert "did not load within 0.05 s" in job.error, job.error
    assert not list((settings.storage_dir / "probes").glob("*.passed"))


def test_the_probe_finds_a_model_under_a_relative_storage_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the probe's child process runs elsewhere, so a storage directory
    relative to the service's working directory (`dsrs demo --storage-dir demo` run from
    any folder) was looked up in the wrong place and every job failed."""
    from dsrs_worker import model_probe

    monkeypatch.chdir(tmp_path)
    settings = Settings(storage_dir=Path("relative-var"), device="cpu")
    factory = open_store(settings)
    model_id = seed_model_file(settings, factory, DEMO_WEIGHTS_PATH)
    with factory() as session:
        model = repository.get_model(session, model_id)
    model_probe.probe_model(settings, model)  # raised ModelValidationError before
    assert len(list((tmp_path / "relative-var" / "probes").glob("*.passed"))) == 1
