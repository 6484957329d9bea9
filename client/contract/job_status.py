"""The names of a job's states, and which of them are final."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["ACTIVE_STATUSES", "FINAL_STATUSES", "JOB_STATUSES", "JobStatus"]

#: queued → running → succeeded | failed | cancelled (a queued job may also be cancelled).
JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]

JOB_STATUSES: tuple[JobStatus, ...] = get_args(JobStatus)
#: Not finished yet: progress may still change.
ACTIVE_STATUSES: tuple[JobStatus, ...] = ("queued", "running")
#: Nothing changes any more after these.
FINAL_STATUSES: tuple[JobStatus, ...] = ("succeeded", "failed", "cancelled")
