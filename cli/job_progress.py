"""Watch one or several jobs together with rich progress bars until they are final."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dsrs_cli.terminal_text import markup

if TYPE_CHECKING:
    from dsrs_client.contract import JobOut
    from dsrs_client.sync_client import DsrsClient

__all__ = ["watch_jobs"]


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

    from dsrs_client.job_wait import JobWait

    names = list(labels) if labels is not None else list(job_ids)
    waits = {
        job_id: JobWait(job_id, timeout, poll_interval=poll_interval, raise_on_failure=False)
        for job_id in job_ids
    }
    latest: dict[str, JobOut] = {}
    pending = list(dict.fromkeys(job_ids))
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
            job_id: progress.add_task(markup(name), total=None, status="…")
            for job_id, name in zip(job_ids, names, strict=True)
        }
        while True:
            for job_id in list(pending):
                job = dsrs.get_job(job_id)
                latest[job_id] = job
                progress.update(
                    tasks[job_id],
                    total=job.progress.total,
                    completed=job.progress.done,
                    status=markup(job.status),
                )
                if waits[job_id].pause_after(job) is None:
                    pending.remove(job_id)
            if not pending:
                return [latest[j] for j in job_ids]
            time.sleep(poll_interval)
