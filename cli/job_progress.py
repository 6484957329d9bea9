"""Watch one or several jobs together with rich progress bars until they are final."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsrs_api.schemas import JobOut
    from dsrs_client.sync_client import DsrsClient

__all__ = ["watch_jobs"]

FINAL = ("succeeded", "failed", "cancelled")


def watch_jobs(
    dsrs: DsrsClient,
    job_ids: Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    poll_interval: float = 0.5,
    timeout: float | None = None,
    show: bool = True,
) -> list[JobOut]:
    """Poll every job until all are final; one progress bar per job (on stderr).

    Returns the final :class:`JobOut` of each job, in order. Raises
    :class:`client.JobTimeoutError` for the first job still unfinished at ``timeout``.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from dsrs_client.errors import JobTimeoutError

    names = list(labels) if labels is not None else list(job_ids)
    deadline = None if timeout is None else time.monotonic() + timeout
    latest: dict[str, JobOut] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not show,
    ) as progress:
        tasks = {
            job_id: progress.add_task(name, total=None, status="…")
            for job_id, name in zip(job_ids, names, strict=True)
        }
        while True:
            for job_id in job_ids:
                if job_id in latest and latest[job_id].status in FINAL:
                    continue
                job = dsrs.get_job(job_id)
                latest[job_id] = job
                progress.update(
                    tasks[job_id],
                    total=job.progress.total,
                    completed=job.progress.done,
                    status=job.status,
                )
            if all(latest[j].status in FINAL for j in job_ids):
                return [latest[j] for j in job_ids]
            if deadline is not None and time.monotonic() >= deadline:
                waiting = next(j for j in job_ids if latest[j].status not in FINAL)
                raise JobTimeoutError(waiting, float(timeout or 0.0), latest[waiting].status)
            time.sleep(poll_interval)
