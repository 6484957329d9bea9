"""Repository functions: every read and write of the service goes through here.

Writers of per-sample rows use an idempotent insert keyed by (job, sample index): a chunk
that is delivered twice (``acks_late`` after a worker died) writes nothing new. Job status
changes are conditional updates, so concurrent workers cannot move a job backwards.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    case,
    delete,
    exists,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, defer

from dsrs_client.contract import ACTIVE_STATUSES, FINAL_STATUSES
from dsrs_store.errors import AmbiguousIdError, ConflictError, NotFoundError
from dsrs_store.tables import (
    InputSetRecord,
    JobRecord,
    ModelRecord,
    SampleRecord,
    utcnow,
)

__all__ = [
    "JobProgress",
    "add_input_set",
    "add_job",
    "add_model",
    "all_samples",
    "cancel_job",
    "delete_input_set",
    "delete_job",
    "delete_model",
    "find_input_set_by_content",
    "find_model_by_content",
    "finish_if_complete",
    "get_input_set",
    "get_job",
    "get_model",
    "insert_sample",
    "job_progress",
    "jobs_using",
    "list_input_sets",
    "list_jobs",
    "list_models",
    "mark_failed",
    "mark_running",
    "new_id",
    "page_samples",
    "resolve_id",
    "stored_file_users",
    "stored_sample_indices",
]


#: One line per job start, success and failure (the conditional updates below make each
#: transition happen once, whichever worker makes it).
job_log = logging.getLogger("dsrs.jobs")


@dataclass(frozen=True)
class JobProgress:
    """Progress derived from the stored rows."""

    done: int
    total: int
    elapsed_s: float
    #: Draws whose logits were NaN or infinite, over the stored rows.
    non_finite: int = 0


def new_id() -> str:
    return uuid.uuid4().hex


#: Length of a full id (:func:`new_id`: 32 hexadecimal digits); anything shorter is a prefix.
FULL_ID_LENGTH = 32
_RECORDS = {"model": ModelRecord, "input set": InputSetRecord, "job": JobRecord}


def resolve_id(session: Session, kind: str, given: str) -> str:
    """The full id that ``given`` (a full id, or a prefix of one: tables show 8 characters)
    names among the rows of ``kind`` ("model", "input set", "job") this session can see (a
    tenant's session sees only the tenant's rows, so candidates are the caller's own).

    The one rule for ids everywhere (routes, job requests, plans, comparisons; the command
    line and sweep files send prefixes to the service): a full id is returned as given (its
    existence is checked where it is read); a prefix must match exactly one row, else
    :class:`NotFoundError` (none) or :class:`AmbiguousIdError` (several, naming them)."""
    identifier = given.strip().lower()
    if len(identifier) >= FULL_ID_LENGTH:
        return given
    record = _RECORDS[kind]
    if not identifier or identifier.strip("0123456789abcdef"):
        raise NotFoundError(kind, given, prefix=True)
    matches = session.scalars(
        select(record.id).where(record.id.startswith(identifier)).order_by(record.id).limit(6)
    ).all()
    if not matches:
        raise NotFoundError(kind, given, prefix=True)
    if len(matches) > 1:
        raise AmbiguousIdError(kind, given, [m[: len(identifier) + 4] + "…" for m in matches])
    return matches[0]


def add_model(session: Session, **fields: Any) -> ModelRecord:
    record = ModelRecord(id=new_id(), created_at=utcnow(), **fields)
    session.add(record)
    session.flush()
    return record


def find_model_by_content(
    session: Session, content_key: str, owner_id: str | None
) -> ModelRecord | None:
    """The model of ``owner_id`` (None: the admin's own) with this content address."""
    owner = ModelRecord.owner_id.is_(None) if owner_id is None else ModelRecord.owner_id == owner_id
    return session.scalars(
        select(ModelRecord).where(ModelRecord.content_key == content_key, owner)
    ).first()


def get_model(session: Session, model_id: str) -> ModelRecord:
    record = session.get(ModelRecord, resolve_id(session, "model", model_id))
    if record is None:
        raise NotFoundError("model", model_id)
    return record


def list_models(session: Session, *, limit: int = 100, offset: int = 0) -> Sequence[ModelRecord]:
    query = select(ModelRecord).order_by(ModelRecord.created_at.desc(), ModelRecord.id)
    return session.scalars(query.limit(limit).offset(offset)).all()


def add_input_set(session: Session, **fields: Any) -> InputSetRecord:
    record = InputSetRecord(id=new_id(), created_at=utcnow(), **fields)
    session.add(record)
    session.flush()
    return record


def get_input_set(session: Session, input_set_id: str) -> InputSetRecord:
    record = session.get(InputSetRecord, resolve_id(session, "input set", input_set_id))
    if record is None:
        raise NotFoundError("input set", input_set_id)
    return record


def find_input_set_by_content(
    session: Session, sha256: str, owner_id: str | None
) -> InputSetRecord | None:
    """The input set ``owner_id`` uploaded with these exact bytes, if any."""
    return session.scalars(
        select(InputSetRecord).where(
            InputSetRecord.sha256 == sha256,
            InputSetRecord.owner_id.is_(None)
            if owner_id is None
            else InputSetRecord.owner_id == owner_id,
        )
    ).first()


def list_input_sets(
    session: Session, *, limit: int = 100, offset: int = 0
) -> Sequence[InputSetRecord]:
    query = select(InputSetRecord).order_by(InputSetRecord.created_at.desc(), InputSetRecord.id)
    return session.scalars(query.limit(limit).offset(offset)).all()


def jobs_using(
    session: Session,
    *,
    model_id: str | None = None,
    input_set_id: str | None = None,
    statuses: Sequence[str] | None = None,
) -> Sequence[JobRecord]:
    """Jobs of the model or of the input set, optionally only in ``statuses``."""
    query = select(JobRecord).options(defer(JobRecord.inputs))
    if model_id is not None:
        query = query.where(JobRecord.model_id == model_id)
    if input_set_id is not None:
        query = query.where(JobRecord.inputs["input_set_id"].as_string() == input_set_id)
    if statuses is not None:
        query = query.where(JobRecord.status.in_(statuses))
    return session.scalars(query.order_by(JobRecord.created_at)).all()


def stored_file_users(session: Session, storage_path: str) -> int:
    """How many models of *any* owner use the stored file (content addresses are shared
    between owners): a Core query, so a tenant's scoping does not hide the others."""
    table = ModelRecord.__table__
    statement = select(func.count()).select_from(table).where(table.c.storage_path == storage_path)
    return int(session.connection().execute(statement).scalar_one())


def delete_model(session: Session, model: ModelRecord) -> None:
    session.delete(model)
    session.flush()


def delete_input_set(session: Session, input_set: InputSetRecord) -> None:
    session.delete(input_set)
    session.flush()


def delete_job(session: Session, job: JobRecord) -> None:
    """The job and its per-sample rows (explicitly: SQLite does not cascade by default)."""
    session.execute(delete(SampleRecord).where(SampleRecord.job_id == job.id))
    session.delete(job)
    session.flush()


def add_job(session: Session, **fields: Any) -> JobRecord:
    record = JobRecord(id=new_id(), status="queued", created_at=utcnow(), **fields)
    session.add(record)
    session.flush()
    return record


def get_job(session: Session, job_id: str, *, defer_inputs: bool = False) -> JobRecord:
    """The job row. ``defer_inputs``: leave the input list (one index per sample, large
    for a large job) unloaded until it is read — readers that poll status don't need it."""
    options = [defer(JobRecord.inputs)] if defer_inputs else []
    record = session.get(JobRecord, resolve_id(session, "job", job_id), options=options)
    if record is None:
        raise NotFoundError("job", job_id)
    return record


def list_jobs(
    session: Session,
    *,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
    name: str | None = None,
    tags: Sequence[str] = (),
) -> Sequence[JobRecord]:
    """Jobs, newest first, optionally of one status, one name, and carrying every tag."""
    query = select(JobRecord).order_by(JobRecord.created_at.desc(), JobRecord.id)
    if status is not None:
        query = query.where(JobRecord.status == status)
    if name is not None:
        query = query.where(JobRecord.name == name)
    for tag in dict.fromkeys(tags):
        query = query.where(_has_tag(session, tag))
    return session.scalars(query.limit(limit).offset(offset)).all()


def _has_tag(session: Session, tag: str) -> ColumnElement[bool]:
    """The job's JSON list of tags holds ``tag``: the list's elements as a table
    (``json_each`` on SQLite, ``json_array_elements_text`` on PostgreSQL, where a job
    without tags, JSON ``null``, counts as ``[]``), in the query."""
    if session.get_bind().dialect.name == "sqlite":
        elements = func.json_each(JobRecord.tags).table_valued("value")
    else:
        listed = case(
            (func.json_typeof(JobRecord.tags) == "array", JobRecord.tags),
            else_=literal_column("'[]'::json"),
        )
        elements = func.json_array_elements_text(listed).table_valued("value")
    return exists().select_from(elements).where(elements.c.value == tag)


def job_progress(session: Session, job: JobRecord) -> JobProgress:
    done, elapsed, non_finite = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(SampleRecord.elapsed_s), 0.0),
            func.coalesce(func.sum(SampleRecord.non_finite), 0),
        ).where(SampleRecord.job_id == job.id)
    ).one()
    return JobProgress(
        done=int(done), total=job.total, elapsed_s=float(elapsed), non_finite=int(non_finite)
    )


def stored_sample_indices(session: Session, job_id: str, indices: Iterable[int]) -> set[int]:
    wanted = list(indices)
    if not wanted:
        return set()
    rows = session.scalars(
        select(SampleRecord.sample_index).where(
            SampleRecord.job_id == job_id,
            SampleRecord.sample_index >= min(wanted),
            SampleRecord.sample_index <= max(wanted),
        )
    )
    return set(rows) & set(wanted)


def insert_sample(session: Session, values: dict[str, Any]) -> bool:
    """Insert one sample row unless (job, sample index) is stored; True when inserted."""
    values = {"created_at": utcnow(), **values}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(SampleRecord).values(**values)
    elif dialect == "sqlite":
        statement = sqlite.insert(SampleRecord).values(**values)
    else:  # pragma: no cover - only the two supported backends
        raise NotImplementedError(f"unsupported database dialect {dialect!r}")
    statement = statement.on_conflict_do_nothing(
        index_elements=["job_id", "sample_index"]
    ).returning(SampleRecord.sample_index)
    # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
    return session.execute(statement).first() is not None


def page_samples(
    session: Session, job_id: str, *, after: int | None, limit: int
) -> Sequence[SampleRecord]:
    query = select(SampleRecord).where(SampleRecord.job_id == job_id)
    if after is not None:
        query = query.where(SampleRecord.sample_index > after)
    return session.scalars(query.order_by(SampleRecord.sample_index).limit(limit)).all()


def all_samples(session: Session, job_id: str) -> Sequence[SampleRecord]:
    query = select(SampleRecord).where(SampleRecord.job_id == job_id)
    return session.scalars(query.order_by(SampleRecord.sample_index)).all()


def mark_running(session: Session, job_id: str, now: datetime | None = None) -> None:
    started = session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id, JobRecord.status == "queued")
        .values(status="running", started_at=now or utcnow())
        .returning(JobRecord.total, JobRecord.model_id)
    ).first()
    if started is not None:
        job_log.info("job %s started: %d inputs, model %s", job_id, started[0], started[1])


def finish_if_complete(session: Session, job_id: str) -> bool:
    """Mark the job succeeded when every sample row is stored; True when it is complete."""
    job = get_job(session, job_id)
    if job_progress(session, job).done < job.total:
        return False
    finished = session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id, JobRecord.status.in_(ACTIVE_STATUSES))
        .values(status="succeeded", finished_at=utcnow())
        .returning(JobRecord.id)
    ).first()
    if finished is not None:
        job_log.info("job %s succeeded: %d inputs", job_id, job.total)
    return True


def mark_failed(session: Session, job_id: str, error: str) -> None:
    failed = session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id, JobRecord.status.not_in(FINAL_STATUSES))
        .values(status="failed", error=error[:4000], finished_at=utcnow())
        .returning(JobRecord.id)
    ).first()
    if failed is not None:
        job_log.warning("job %s failed: %s", job_id, error[:500])


def cancel_job(session: Session, job_id: str) -> JobRecord:
    job = get_job(session, job_id)
    cancelled = session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id, JobRecord.status.not_in(FINAL_STATUSES))
        .values(status="cancelled", finished_at=utcnow())
        .returning(JobRecord.id)
    ).first()
    if cancelled is None:
        raise ConflictError(
            f"job {job_id!r} is already {job.status}; only queued or running jobs can be cancelled"
        )
    session.refresh(job)
    return job
