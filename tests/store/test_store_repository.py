"""Repository functions on SQLite (embedded) and PostgreSQL, each test in isolation
(PostgreSQL: inside a transaction rolled back afterwards; SQLite: a private file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from dsrs_settings import Settings
from dsrs_store import repository
from dsrs_store.database import make_engine
from dsrs_store.errors import ConflictError, NotFoundError
from dsrs_store.migrations import upgrade_to_head


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    if request.param == "sqlite":
        settings = Settings(storage_dir=tmp_path)
        upgrade_to_head(settings)
        engine = make_engine(settings)
        with Session(engine) as sqlite_session:
            yield sqlite_session
        engine.dispose()
        return
    url = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    connection = engine.connect()
    transaction = connection.begin()
    with Session(bind=connection, join_transaction_mode="create_savepoint") as pg_session:
        yield pg_session
    transaction.rollback()
    connection.close()
    engine.dispose()


def add_model(session: Session) -> Any:
    return repository.add_model(
        session,
        name="m",
        format="safetensors",
        architecture="digits-mlp",
        sha256="0" * 64,
        content_key=repository.new_id() * 2,
        mean=None,
        std=None,
        size_bytes=1,
        input_shape=[1, 8, 8],
        num_classes=10,
        storage_path="models/x",
    )


def add_job(session: Session, total: int = 3) -> Any:
    model = add_model(session)
    return repository.add_job(
        session,
        model_id=model.id,
        mode="evaluate",
        inputs={
            "source": "builtin",
            "dataset": "digits",
            "split": "test",
            "indices": list(range(total)),
        },
        parameters={"noise": {"sigma": 0.25}},
        seed=1,
        total=total,
        chunk_size=2,
    )


def sample(job_id: str, index: int, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "job_id": job_id,
        "sample_index": index,
        "dataset_index": index,
        "label": 1,
        "counted_label": 1,
        "prediction": 1,
        "selection_counts": None,
        "p_count": 90,
        "p_n": 100,
        "q_count": 80,
        "q_n": 100,
        "q_percentile": None,
        "q_fallback": False,
        "seed": 2**62 + index,
        "alpha": 0.001,
        "p_lower": 0.8,
        "p_upper": 0.95,
        "q_lower": 0.7,
        "q_upper": 0.9,
        "np_radius": 0.2,
        "dsrs_radius": 0.25,
        "reason": "",
        "elapsed_s": 0.5,
    }
    values.update(changes)
    return values


def test_unknown_ids_raise_not_found(session: Session) -> None:
    for getter in (repository.get_model, repository.get_job, repository.get_input_set):
        with pytest.raises(NotFoundError, match="does not exist"):
            getter(session, "missing")
    with pytest.raises(NotFoundError):
        repository.cancel_job(session, "missing")


def test_sample_insert_is_idempotent(session: Session) -> None:
    job = add_job(session)
    assert repository.insert_sample(session, sample(job.id, 0)) is True
    assert repository.insert_sample(session, sample(job.id, 0, p_count=1)) is False
    rows = repository.all_samples(session, job.id)
    assert [(r.sample_index, r.p_count, r.seed) for r in rows] == [(0, 90, 2**62)]


def test_progress_and_completion_come_from_rows(session: Session) -> None:
    job = add_job(session, total=3)
    repository.mark_running(session, job.id)
    for index in (0, 2):
        repository.insert_sample(session, sample(job.id, index))
    progress = repository.job_progress(session, job)
    assert (progress.done, progress.total, progress.elapsed_s) == (2, 3, 1.0)
    assert repository.stored_sample_indices(session, job.id, [0, 1, 2]) == {0, 2}
    assert repository.finish_if_complete(session, job.id) is False
    repository.insert_sample(session, sample(job.id, 1))
    assert repository.finish_if_complete(session, job.id) is True
    session.refresh(job)
    assert job.status == "succeeded" and job.finished_at is not None
    assert job.started_at is not None and job.started_at.tzinfo is not None


def test_pages_follow_the_sample_index(session: Session) -> None:
    job = add_job(session, total=5)
    for index in (4, 0, 3, 1, 2):
        repository.insert_sample(session, sample(job.id, index))
    first = repository.page_samples(session, job.id, after=None, limit=2)
    second = repository.page_samples(session, job.id, after=first[-1].sample_index, limit=10)
    assert [r.sample_index for r in first + list(second)] == [0, 1, 2, 3, 4]


def test_status_only_moves_forward(session: Session) -> None:
    job = add_job(session)
    repository.cancel_job(session, job.id)
    repository.mark_running(session, job.id)
    repository.mark_failed(session, job.id, "late failure")
    session.refresh(job)
    assert job.status == "cancelled" and job.error is None
    with pytest.raises(ConflictError, match="already cancelled"):
        repository.cancel_job(session, job.id)


def test_failure_keeps_its_message(session: Session) -> None:
    job = add_job(session)
    repository.mark_failed(session, job.id, "RuntimeError: out of memory")
    session.refresh(job)
    assert (job.status, job.error) == ("failed", "RuntimeError: out of memory")


def test_jobs_filter_by_status(session: Session) -> None:
    queued, cancelled = add_job(session), add_job(session)
    repository.cancel_job(session, cancelled.id)
    ids = {j.id for j in repository.list_jobs(session, status="queued")}
    assert queued.id in ids and cancelled.id not in ids


def test_models_are_found_by_content_key(session: Session) -> None:
    model = add_model(session)
    assert repository.find_model_by_content(session, model.content_key, model.owner_id) == model
    assert repository.find_model_by_content(session, "f" * 64, None) is None


def test_the_tag_filter_runs_in_the_database(session: Session) -> None:
    """Jobs carrying every tag asked for, newest first, limit and offset counting matching
    jobs only; a job without tags (JSON null) or with an empty list matches none."""
    from sqlalchemy import event

    model = add_model(session)
    names = {}
    for i, tags in enumerate([["a", "b"], ["a"], None, ["b", "a", "c"], ['x"y'], []]):
        job = repository.add_job(
            session,
            model_id=model.id,
            mode="evaluate",
            inputs={"source": "builtin", "dataset": "digits", "split": "test", "indices": [0]},
            parameters={"noise": {"sigma": 0.25}},
            seed=1,
            total=1,
            chunk_size=1,
            tags=tags,
        )
        job.created_at = job.created_at.replace(year=2000 + i)  # a strict order, newest last
        names[job.id] = f"j{i}"
    session.flush()

    def listed(tags: list[str], **page: int) -> list[str]:
        return [names[job.id] for job in repository.list_jobs(session, tags=tags, **page)]

    statements: list[str] = []
    bind = session.get_bind()

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(bind, "before_cursor_execute", record)
    try:
        assert listed(["a"]) == ["j3", "j1", "j0"]
    finally:
        event.remove(bind, "before_cursor_execute", record)
    assert len(statements) == 1 and "EXISTS" in statements[0]  # one query, filtered in SQL
    assert listed(["a", "b"]) == ["j3", "j0"]
    assert listed(["a", "a"], limit=1, offset=1) == ["j1"]
    assert listed(["c"]) == ["j3"]
    assert listed(['x"y']) == ["j4"]
    assert listed(["z"]) == []
