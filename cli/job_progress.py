"""Watch one or several jobs together until they are final: rich progress bars on a
terminal, and progress *lines* otherwise (``| tee``, CI logs), where a bar would print
nothing until the end."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dsrs_cli.terminal_text import markup

if TYPE_CHECKING:
    from dsrs_client.contract import JobOut
    from dsrs_client.sync_client import DsrsClient

__all__ = ["LINE_INTERVAL_S", "watch_jobs"]

#: Off a terminal: one line per job at most this often (and on every status change).
LINE_INTERVAL_S = 10.0


def watch_jobs(
    dsrs: DsrsClient,
    job_ids: Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    poll_interval: float = 0.5,
    timeout: float | None = None,
    show: bool = True,
) -> list[JobOut]:
    """Poll every job until all are final; one progress bar per job on stderr (progress
    lines when stderr is not a terminal).

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
    name_of = dict(zip(job_ids, names, strict=True))
    latest: dict[str, JobOut] = {}
    pending = list(dict.fromkeys(job_ids))
    console = Console(stderr=True)
    # `| tee` (stdout piped) or a log (stderr redirected): lines, which every reader sees.
    lines = show and not (console.is_terminal and sys.stdout.isatty())
    printed: dict[str, tuple[str, float]] = {}

    def line(job_id: str, name: str, job: JobOut) -> None:
        status, when = printed.get(job_id, ("", float("-inf")))
        if job.status == status and time.monotonic() - when < LINE_INTERVAL_S:
            return
        printed[job_id] = (job.status, time.monotonic())
        done, total = job.progress.done, job.progress.total
        console.print(f"{name}: {job.status} {done}/{total} inputs", highlight=False)

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
        console=console,
        disable=not show or lines,
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
                if lines:
                    line(job_id, name_of[job_id], job)
                if waits[job_id].pause_after(job) is None:
                    pending.remove(job_id)
            if not pending:
                return [latest[j] for j in job_ids]
            time.sleep(poll_interval)
