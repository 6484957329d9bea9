"""Database tables (SQLAlchemy 2 declarative). Tables are not API schemas.

``samples`` keeps the raw Monte-Carlo counts and the per-sample seed beside the bounds and
radii, so every radius can be recomputed (for example for another alpha) without sampling.
The schema itself is created by Alembic (``alembic/versions``), never by ``create_all``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from dsrs_client.contract import JobParameters

__all__ = [
    "ApiKeyRecord",
    "Base",
    "ChunkLeaseRecord",
    "InputSetRecord",
    "JobRecord",
    "ModelRecord",
    "SampleRecord",
    "TenantRecord",
    "utcnow",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JobParametersJSON(TypeDecorator[JobParameters]):
    """A job's typed :class:`~dsrs_client.contract.JobParameters`, stored as JSON: written
    and read through the contract, so every reader gets them validated and typed."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return JobParameters.model_validate(value).model_dump(mode="json")

    def process_result_value(self, value: Any, dialect: Dialect) -> JobParameters | None:
        return None if value is None else JobParameters.model_validate(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TenantRecord(Base):
    """Who owns models, input sets and jobs; quotas left ``None`` take the settings'."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    max_jobs_in_flight: Mapped[int | None] = mapped_column(Integer, default=None)
    max_samples_per_job: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ApiKeyRecord(Base):
    """An API key of a tenant. Only the sha256 of the key is stored (keys are 256-bit
    random, so a plain hash cannot be reversed by guessing); ``prefix`` names it."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class ModelRecord(Base):
    """An uploaded base classifier, content addressed by the sha256 of its file (and of
    the architecture and normalisation it is used with) within its owner's models."""

    __tablename__ = "models"
    __table_args__ = (
        UniqueConstraint("owner_id", "content_key", name="uq_models_owner_content_key"),
        # NULL owners are distinct in the constraint above: the admin's models need this.
        Index(
            "uq_models_admin_content_key",
            "content_key",
            unique=True,
            sqlite_where=text("owner_id IS NULL"),
            postgresql_where=text("owner_id IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: The tenant; ``None`` for models of the admin or of a service without auth.
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(16))
    architecture: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    #: sha256 over file digest, architecture and normalisation: same key, same classifier.
    content_key: Mapped[str] = mapped_column(String(64))
    mean: Mapped[list[float] | None] = mapped_column(JSON)
    std: Mapped[list[float] | None] = mapped_column(JSON)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    input_shape: Mapped[list[int]] = mapped_column(JSON)
    num_classes: Mapped[int] = mapped_column(Integer)
    storage_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class InputSetRecord(Base):
    """An uploaded array of inputs (stored canonically as .npy), with optional labels."""

    __tablename__ = "input_sets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(Integer)
    sample_shape: Mapped[list[int]] = mapped_column(JSON)
    has_labels: Mapped[bool] = mapped_column(Boolean)
    #: Smallest and largest input value (None: uploaded before they were recorded).
    value_min: Mapped[float | None] = mapped_column(Float, default=None)
    value_max: Mapped[float | None] = mapped_column(Float, default=None)
    storage_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class JobRecord(Base):
    """One certification job: a model, a list of inputs and the parameters."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_created", "status", "created_at"),
        Index("ix_jobs_owner_status", "owner_id", "status"),
        Index("ix_jobs_name", "name"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id"))
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"))
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    tags: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    #: What looked wrong at submission (shown with the job; it still runs).
    warnings: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    mode: Mapped[str] = mapped_column(String(16))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    parameters: Mapped[JobParameters] = mapped_column(JobParametersJSON)
    seed: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(Integer)
    chunk_size: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class SampleRecord(Base):
    """The raw counts, bounds and radii of one input of one job; key (job, sample index)."""

    __tablename__ = "samples"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    sample_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_index: Mapped[int] = mapped_column(Integer)
    label: Mapped[int | None] = mapped_column(Integer)
    counted_label: Mapped[int] = mapped_column(Integer)
    prediction: Mapped[int | None] = mapped_column(Integer)
    selection_counts: Mapped[list[int] | None] = mapped_column(JSON)
    p_count: Mapped[int] = mapped_column(Integer)
    p_n: Mapped[int] = mapped_column(Integer)
    q_count: Mapped[int | None] = mapped_column(Integer)
    q_n: Mapped[int | None] = mapped_column(Integer)
    q_percentile: Mapped[float | None] = mapped_column(Float)
    q_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    # Sequential sampling (docs/sequential.md): the look each run stopped at (p_n / q_n are
    # then the draws used); NULL for fixed-N jobs.
    p_look: Mapped[int | None] = mapped_column(Integer, default=None)
    q_look: Mapped[int | None] = mapped_column(Integer, default=None)
    seed: Mapped[int] = mapped_column(BigInteger)
    alpha: Mapped[float] = mapped_column(Float)
    p_lower: Mapped[float] = mapped_column(Float)
    p_upper: Mapped[float] = mapped_column(Float)
    q_lower: Mapped[float | None] = mapped_column(Float)
    q_upper: Mapped[float | None] = mapped_column(Float)
    np_radius: Mapped[float] = mapped_column(Float)
    dsrs_radius: Mapped[float | None] = mapped_column(Float)
    #: Same-cost NP baseline (job option ``baseline``): ``equal-budget``: the extra N draws
    #: under P, the lower bound of the pooled 2N draws at the full alpha, its NP radius;
    #: ``sequential-np``: its own sequential run's draws (not pooled), its lower bound at its
    #: stopping look ``baseline_look`` (full alpha), its NP radius (docs/sequential.md §7).
    baseline_extra_count: Mapped[int | None] = mapped_column(Integer, default=None)
    baseline_extra_n: Mapped[int | None] = mapped_column(Integer, default=None)
    baseline_p_lower: Mapped[float | None] = mapped_column(Float, default=None)
    baseline_np_radius: Mapped[float | None] = mapped_column(Float, default=None)
    baseline_look: Mapped[int | None] = mapped_column(Integer, default=None)
    #: Proof mode (job option ``check: "proven"``, docs/math.md §7.5): the outcome of the
    #: NP radius's proof, the radius proven, the enclosure of the NP dual bound minus 1/2,
    #: the proof's CPU seconds and why it is not proven / not covered
    #: (``dsrs_core.evaluation.proof_check.PROOF_ROW_FIELDS``); NULL for ``check: "verified"``.
    check_outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    proven_np_radius: Mapped[float | None] = mapped_column(Float, default=None)
    proof_margin_lower: Mapped[float | None] = mapped_column(Float, default=None)
    proof_margin_upper: Mapped[float | None] = mapped_column(Float, default=None)
    proof_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    proof_reason: Mapped[str | None] = mapped_column(Text, default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    #: Draws of this input whose logits were NaN or infinite (counted for no class, so
    #: against the one certified); NULL for rows written before they were counted.
    non_finite: Mapped[int | None] = mapped_column(Integer, default=None)
    elapsed_s: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ChunkLeaseRecord(Base):
    """Which worker holds a chunk of a job, its last sign of life, and how many workers
    took the chunk and died on it (:mod:`dsrs_worker.chunk_leases`)."""

    __tablename__ = "chunk_leases"
    __table_args__ = (Index("ix_chunk_leases_finished_heartbeat", "finished", "heartbeat_at"),)

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    chunk_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``host:pid:token`` of the worker process holding the chunk.
    holder: Mapped[str] = mapped_column(String(200))
    #: Workers that took the chunk (1 + takeovers of a lease whose holder fell silent).
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    requeued_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
