"""Settings only the workers read: where the classifier runs, Celery's task limits, chunk
leases and the job time limit."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dsrs_store.shared_settings import SharedSettings

__all__ = ["WorkerSettings"]


class WorkerSettings(SharedSettings):
    """Environment variable = ``DSRS_`` + field name, upper case."""

    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where the base classifier runs in a worker."
    )
    torch_threads: int | None = Field(
        default=None, gt=0, description="torch intra-op threads per worker process."
    )
    task_soft_time_limit_s: int = Field(default=3000, gt=0)
    task_time_limit_s: int = Field(default=3600, gt=0)
    broker_visibility_timeout_s: int = Field(
        default=3900,
        gt=0,
        description="Seconds before a chunk taken by a worker that died is delivered "
        "again (Redis visibility timeout); longer than task_time_limit_s.",
    )
    chunk_lease_s: int = Field(
        default=60,
        ge=4,
        le=3600,
        description="A worker renews the lease of the chunk it runs every quarter of this; "
        "a chunk whose lease is this old (its worker died) is sent again.",
    )
    chunk_max_attempts: int = Field(
        default=3,
        ge=1,
        le=100,
        description="A chunk whose worker died this many times fails its job.",
    )
    job_time_limit_s: int = Field(
        default=86_400,
        gt=0,
        description="A job still unfinished this long after it started is marked failed.",
    )
