"""Settings only the workers read: where the classifier runs, the limits of uploaded
models at inference, Celery's task limits, chunk leases and the job time limit."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dsrs_settings.shared import SharedSettings

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
    inference_memory_bytes: int = Field(
        default=4 * 1024**3,
        gt=0,
        description="Memory an uploaded (ONNX) model may use while it runs a chunk, beyond "
        "what its process maps at start (RLIMIT_AS of the child that runs it).",
    )
    inference_batch_timeout_s: float = Field(
        default=300.0,
        gt=0,
        description="Longest forward pass of one batch of an uploaded (ONNX) model.",
    )
    inference_chunk_timeout_s: float = Field(
        default=2700.0,
        gt=0,
        description="Model time of one chunk of an uploaded (ONNX) model (wall clock; the "
        "CPU limit of its child is this times its threads).",
    )
    chunk_unclaimed_s: int = Field(
        default=300,
        ge=4,
        le=86_400,
        description="A chunk of an unfinished job that no worker has claimed this long "
        "after the job was submitted (or after it was last sent) is sent again: its "
        "message was lost or its task failed before the claim.",
    )
    job_time_limit_s: int = Field(
        default=86_400,
        gt=0,
        description="A job still unfinished this long after it was submitted is marked "
        "failed (queued or running).",
    )
