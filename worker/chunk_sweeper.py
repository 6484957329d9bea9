"""The thread in each worker's main process that, every quarter of ``chunk_lease_s``,
sends again the chunks whose worker died (:func:`dsrs_worker.chunk_leases.silent_chunks`)
and those no worker claimed (:func:`dsrs_worker.chunk_leases.unclaimed_chunks`), and fails
the jobs past their time limit (:func:`dsrs_worker.chunk_service.fail_overdue_jobs`).

Started when the Celery worker is ready (:func:`start_chunk_sweeper`); a daemon thread, so
it ends with the process. Every worker runs one: whichever survives redoes the chunks of
the dead (leases are taken under a row lock, so a chunk sent twice runs once).

A sweep covers every job of the database, whatever queue its chunks went to, and sends
what it finds onto this worker's ``DSRS_QUEUE``: the re-send, and its WARNING line, belong
to whichever worker on the database swept first. Workers that share a database must
therefore share one queue (docs/operations.md).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from dsrs_settings.task_names import CERTIFY_CHUNK_TASK
from dsrs_settings.worker import WorkerSettings
from dsrs_store.database import make_engine, make_session_factory
from dsrs_worker.chunk_leases import silent_chunks, unclaimed_chunks
from dsrs_worker.chunk_service import fail_overdue_jobs

__all__ = ["start_chunk_sweeper"]

log = logging.getLogger(__name__)


def start_chunk_sweeper(app: Any, settings: WorkerSettings) -> threading.Thread:
    """Start the sweeping thread of this worker process (``app``: its Celery app)."""
    session_factory = make_session_factory(make_engine(settings))

    def sweep_forever() -> None:
        stop = threading.Event()
        while not stop.wait(settings.chunk_lease_s / 4):
            try:
                with session_factory() as session:
                    fail_overdue_jobs(session, settings)
                    silent = silent_chunks(session, settings)
                    unclaimed = unclaimed_chunks(session, settings)
                for chunks, why in ((silent, "its worker fell silent"), (unclaimed, "unclaimed")):
                    for job_id, chunk_index in chunks:
                        log.warning(
                            "chunk %s of job %s: %s; sending it again on queue %s",
                            chunk_index,
                            job_id,
                            why,
                            settings.queue,
                        )
                        app.send_task(
                            CERTIFY_CHUNK_TASK, args=[job_id, chunk_index], queue=settings.queue
                        )
            except Exception:
                # A chunk marked as sent whose message did not go is sent again a period
                # later (its lease stays silent, or unclaimed).
                log.exception("the sweep for chunks of dead workers failed")

    thread = threading.Thread(target=sweep_forever, name="dsrs-chunk-sweeper", daemon=True)
    thread.start()
    return thread
