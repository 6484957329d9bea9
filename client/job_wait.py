"""Waiting for a job to finish: the one rule both clients poll by.

:class:`JobWait` looks at each polled :class:`~dsrs_client.contract.JobOut` and says how long
to sleep before the next poll, or that the wait is over; the sync and async clients only do
the I/O (get the job, sleep).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dsrs_client.contract import FINAL_STATUSES, JobOut
from dsrs_client.errors import JobFailedError, JobTimeoutError

__all__ = ["JobWait"]


@dataclass
class JobWait:
    """The state of one wait for ``job_id``.

    Parameters
    ----------
    job_id : str
    timeout : float, optional
        Seconds to wait at most (default: no limit).
    on_progress : callable, optional
        Called with every polled job (for progress bars).
    poll_interval : float
        Seconds between polls.
    raise_on_failure : bool
        Raise :class:`JobFailedError` when the job ends ``failed`` or ``cancelled``.
    """

    job_id: str
    timeout: float | None = None
    on_progress: Callable[[JobOut], None] | None = None
    poll_interval: float = 1.0
    raise_on_failure: bool = True
    clock: Callable[[], float] = time.monotonic
    deadline: float | None = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = None if self.timeout is None else self.clock() + self.timeout

    def pause_after(self, job: JobOut) -> float | None:
        """Seconds to sleep before polling again, or None when ``job`` is final.

        Raises
        ------
        JobFailedError
            The job ended ``failed`` or ``cancelled`` (with ``raise_on_failure``).
        JobTimeoutError
            The job is not final and the timeout has passed.
        """
        if self.on_progress is not None:
            self.on_progress(job)
        if job.status in FINAL_STATUSES:
            if self.raise_on_failure and job.status != "succeeded":
                raise JobFailedError(job.id, job.status, job.error)
            return None
        if self.deadline is None:
            return self.poll_interval
        left = self.deadline - self.clock()
        if left <= 0:
            raise JobTimeoutError(self.job_id, float(self.timeout or 0.0), job.status)
        return max(0.0, min(self.poll_interval, left))
