"""The Celery application of the worker, built by :func:`make_celery_app` (never at import).

The task body only forwards ids to :func:`dsrs_worker.chunk_service.certify_chunk`, the same
function the embedded mode runs in-process, while it holds the chunk's lease
(:mod:`dsrs_worker.chunk_leases`: a chunk of a worker that died is sent again by a surviving
worker's sweeper within about two lease periods; one that keeps killing its workers fails
the job). Whatever raises before the lease is taken (the claim after its database retries,
a failing import) sends the task again with back-off (``CLAIM_RETRIES`` times); should
that fail too (broker away), the sweeper sends the unclaimed chunk again
(``chunk_unclaimed_s``); docs/operations.md says which part guarantees what. Tasks are
acknowledged late (a chunk whose worker died is also delivered again by the broker after
its visibility timeout, and its stored samples are skipped), each process takes one
message at a time, and soft/hard time limits bound a chunk.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict
from typing import Any

from celery import Celery
from celery.signals import worker_ready
from sqlalchemy.orm import Session, sessionmaker

from dsrs_settings.task_names import CERTIFY_CHUNK_TASK
from dsrs_settings.worker import WorkerSettings
from dsrs_store.database import make_engine, make_session_factory
from dsrs_worker.chunk_leases import Claim, claim_chunk, holding_chunk
from dsrs_worker.chunk_service import certify_chunk, with_db_retries
from dsrs_worker.chunk_sweeper import start_chunk_sweeper
from dsrs_worker.classifiers import ClassifierCache

__all__ = ["WorkerContext", "make_celery_app"]

log = logging.getLogger(__name__)

#: Times a task whose claim raised is sent again (after 5, 10, 20, 40, 60, 60 ... s).
CLAIM_RETRIES = 10
CLAIM_RETRY_MAX_DELAY_S = 60


class WorkerContext:
    """Per-process resources, created on first use inside the (forked) pool process."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self.classifiers = ClassifierCache()
        self._pid: int | None = None
        self._session_factory: sessionmaker[Session] | None = None

    def session_factory(self) -> sessionmaker[Session]:
        if self._session_factory is None or self._pid != os.getpid():
            self._session_factory = make_session_factory(make_engine(self.settings))
            self._pid = os.getpid()
            if self.settings.torch_threads is not None:
                import torch

                torch.set_num_threads(self.settings.torch_threads)
        return self._session_factory


def redelivery_options(settings: WorkerSettings) -> dict[str, Any]:
    """Redis transport options under which a chunk taken by a worker that died (SIGKILL,
    lost machine: nothing acknowledged it) is delivered again after
    ``broker_visibility_timeout_s``. Surviving workers sweep the unacknowledged messages
    every quarter of that timeout (at most every 10 s)."""
    timeout = settings.broker_visibility_timeout_s
    return {
        "visibility_timeout": timeout,
        "unacked_restore_interval": max(1, min(10, timeout // 4)),
        "unacked_restore_throttle": 1,
    }


def make_celery_app(settings: WorkerSettings) -> Celery:
    if settings.broker_url is None:
        raise ValueError("the Celery worker needs DSRS_BROKER_URL (e.g. redis://host:6379/0)")
    app = Celery("dsrs-worker", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_soft_time_limit=settings.task_soft_time_limit_s,
        task_time_limit=settings.task_time_limit_s,
        task_default_queue=settings.queue,
        broker_connection_retry_on_startup=True,
        broker_transport_options=redelivery_options(settings),
        worker_hijack_root_logger=False,
    )
    context = WorkerContext(settings)

    @app.task(name=CERTIFY_CHUNK_TASK, bind=True)
    def certify_chunk_task(task: Any, job_id: str, chunk_index: int) -> dict[str, Any]:
        what = f"the claim of chunk {chunk_index} of job {job_id}"
        try:
            factory = context.session_factory()

            def claim_it() -> Claim:
                with factory() as session:
                    return claim_chunk(session, settings, job_id, chunk_index)

            claim = with_db_retries(claim_it, what)
        except Exception as error:
            # No lease exists yet, so nothing else would redo this chunk soon: send the
            # task again rather than let Celery acknowledge a failure.
            delay = min(CLAIM_RETRY_MAX_DELAY_S, 5 * 2**task.request.retries)
            log.warning(
                "%s failed (%s: %s); again in %d s", what, type(error).__name__, error, delay
            )
            raise task.retry(exc=error, countdown=delay, max_retries=CLAIM_RETRIES) from error
        if claim is not Claim.TAKEN:
            return {"job_id": job_id, "chunk_index": chunk_index, "skipped": claim.value}
        with holding_chunk(factory, settings, job_id, chunk_index):
            outcome = certify_chunk(
                factory, settings, job_id, chunk_index, classifiers=context.classifiers
            )
        return asdict(outcome)

    def sweep_when_ready(sender: Any, **_: Any) -> None:
        if getattr(sender, "app", None) is app:
            start_chunk_sweeper(app, settings)

    worker_ready.connect(sweep_when_ready, weak=False)
    return app
