"""Rows written straight into a store (SQLite or PostgreSQL), for tests and benchmarks of
the read side and of the worker: a model, a job, its per-sample rows.

Each factory takes a SQLAlchemy session and flushes; the caller commits. ``seed_model`` and
``seed_job`` are the one-call forms on a session factory.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from dsrs_client.contract import BUILTIN_SPLITS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from dsrs_client.contract import JobParameters
    from dsrs_settings import Settings
    from dsrs_store.tables import JobRecord

__all__ = [
    "SampleColumns",
    "add_job_row",
    "add_model_row",
    "open_store",
    "sample_row",
    "seed_job",
    "seed_model",
    "seed_model_file",
    "seed_queued_job",
]

#: Rows cycle through the digits test split (dataset indices stay valid).
DIGITS_TEST_SIZE = BUILTIN_SPLITS[("digits", "test")].size


def add_model_row(
    session: Session,
    *,
    name: str,
    format: str = "safetensors",
    architecture: str | None = "digits-mlp",
    input_shape: Sequence[int] = (1, 8, 8),
    num_classes: int = 10,
    storage_path: str = "models/none",
    content_key: str | None = None,
    owner_id: str | None = None,
) -> str:
    """A safetensors model row (no file needed unless a worker loads ``storage_path``);
    ``content_key`` defaults to a fresh one, so that no two seeded models collide."""
    from dsrs_store import repository

    model = repository.add_model(
        session,
        name=name,
        format=format,
        architecture=architecture,
        sha256="0" * 64,
        content_key=repository.new_id() * 2 if content_key is None else content_key,
        mean=None,
        std=None,
        size_bytes=1,
        input_shape=list(input_shape),
        num_classes=num_classes,
        storage_path=storage_path,
        owner_id=owner_id,
    )
    return model.id


def add_job_row(
    session: Session,
    model_id: str,
    *,
    indices: Sequence[int],
    parameters: JobParameters | dict[str, Any],
    chunk_size: int,
    seed: int = 1,
    mode: str = "evaluate",
    dataset: str = "digits",
    input_set_id: str | None = None,
    owner_id: str | None = None,
) -> JobRecord:
    """A queued job, one sample per index: of the builtin ``dataset``'s test split, or of
    the uploaded input set ``input_set_id`` when given."""
    from dsrs_store import repository

    inputs: dict[str, Any] = (
        {"source": "builtin", "dataset": dataset, "split": "test", "indices": list(indices)}
        if input_set_id is None
        else {"source": "upload", "input_set_id": input_set_id, "indices": list(indices)}
    )
    return repository.add_job(
        session,
        model_id=model_id,
        mode=mode,
        inputs=inputs,
        parameters=parameters,
        seed=seed,
        total=len(indices),
        chunk_size=chunk_size,
        owner_id=owner_id,
    )


def open_store(settings: Settings) -> sessionmaker[Session]:
    """The store of ``settings``, migrated to head: its session factory."""
    from dsrs_store.database import make_engine, make_session_factory
    from dsrs_store.migrations import upgrade_to_head

    upgrade_to_head(settings)
    return make_session_factory(make_engine(settings))


def seed_model_file(
    settings: Settings,
    session_factory: Callable[[], Session],
    source: Path,
    *,
    format: str = "safetensors",
    architecture: str | None = "digits-mlp",
    num_classes: int = 10,
) -> str:
    """A committed model row named ``m`` whose file is a copy of ``source`` in the store's
    ``models/`` folder (for a worker that loads it)."""
    target = settings.storage_dir / "models" / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    with session_factory() as session:
        model_id = add_model_row(
            session,
            name="m",
            format=format,
            architecture=architecture,
            num_classes=num_classes,
            storage_path=f"models/{source.name}",
        )
        session.commit()
        return model_id


def seed_queued_job(
    session_factory: Callable[[], Session],
    model_id: str,
    *,
    indices: Sequence[int],
    parameters: JobParameters | dict[str, Any],
    chunk_size: int,
    seed: int = 1,
    mode: str = "evaluate",
) -> str:
    """A committed queued job over digits test inputs ``indices`` (see :func:`add_job_row`)."""
    with session_factory() as session:
        job = add_job_row(
            session,
            model_id,
            indices=indices,
            parameters=parameters,
            chunk_size=chunk_size,
            seed=seed,
            mode=mode,
        )
        session.commit()
        return job.id


def seed_model(
    session_factory: Callable[[], Session],
    architecture: str = "digits-mlp",
    owner_id: str | None = None,
) -> str:
    """One committed model row named ``seeded <architecture>``."""
    with session_factory() as session:
        model_id = add_model_row(
            session, name=f"seeded {architecture}", architecture=architecture, owner_id=owner_id
        )
        session.commit()
        return model_id


class SampleColumns(TypedDict, total=False):
    """Columns of a sample row (``dsrs_store.tables.SampleRecord``) a test sets itself."""

    dataset_index: int
    label: int | None
    counted_label: int
    prediction: int | None
    selection_counts: list[int] | None
    p_count: int
    p_n: int
    q_count: int | None
    q_n: int | None
    q_percentile: float | None
    q_fallback: bool
    p_look: int | None
    q_look: int | None
    seed: int
    alpha: float
    p_lower: float
    p_upper: float
    q_lower: float | None
    q_upper: float | None
    np_radius: float
    dsrs_radius: float | None
    baseline_extra_count: int | None
    baseline_extra_n: int | None
    baseline_p_lower: float | None
    baseline_np_radius: float | None
    baseline_look: int | None
    reason: str
    elapsed_s: float


def seed_job(
    session_factory: Callable[[], Session],
    model_id: str,
    rows: Sequence[SampleColumns],
    *,
    total: int | None = None,
    status: str = "succeeded",
    uses_q: bool = True,
    mode: str = "evaluate",
    input_set_id: str | None = None,
    indices: Sequence[int] | None = None,
    owner_id: str | None = None,
) -> str:
    """A finished (or running) job with the given per-sample rows, written directly; its
    inputs are ``indices`` (by default the digits test split from 0, cycling) of the
    builtin digits or of the input set ``input_set_id``."""
    from dsrs_client.contract import JobParameters, NoiseIn, QIn
    from dsrs_store import repository
    from dsrs_store.tables import utcnow

    total = len(rows) if total is None else total
    with session_factory() as session:
        job = add_job_row(
            session,
            model_id,
            mode=mode,
            indices=[i % DIGITS_TEST_SIZE for i in range(total)] if indices is None else indices,
            input_set_id=input_set_id,
            parameters=JobParameters(
                noise=NoiseIn(sigma=0.25), q=QIn(sigma=0.2) if uses_q else None
            ),
            chunk_size=16,
            owner_id=owner_id,
        )
        job.status = status
        job.started_at = utcnow()
        if status == "succeeded":
            job.finished_at = utcnow()
        session.flush()
        for index, row in enumerate(rows):
            repository.insert_sample(session, sample_row(job.id, index, **row))
        session.commit()
        return job.id


def sample_row(job_id: str, index: int, **columns: Unpack[SampleColumns]) -> dict[str, Any]:
    """One sample row; ``columns`` override the defaults (a certified, labelled input)."""
    row: dict[str, Any] = {
        "job_id": job_id,
        "sample_index": index,
        "dataset_index": index % DIGITS_TEST_SIZE,
        "label": 3,
        "counted_label": 3,
        "prediction": 3,
        "selection_counts": None,
        "p_count": 990,
        "p_n": 1000,
        "q_count": 995,
        "q_n": 1000,
        "q_percentile": None,
        "q_fallback": False,
        "seed": index,
        "alpha": 0.001,
        "p_lower": 0.98,
        "p_upper": 0.995,
        "q_lower": 0.985,
        "q_upper": 0.999,
        "np_radius": 0.5,
        "dsrs_radius": 0.5,
        "reason": "",
        "elapsed_s": 0.01,
    }
    row.update(columns)
    return row
