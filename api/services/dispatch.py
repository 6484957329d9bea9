"""Hand chunk work to whoever runs it: Celery workers (by task name) or, in the embedded
mode, a background thread that calls the same service function the worker task calls.

In the embedded mode a chunk whose run raised (the database away longer than the
service's own retries, a failing import) is run again after a back-off, up to
``EMBEDDED_CHUNK_RETRIES`` times; then its job is marked failed with the error, so no job
stays queued forever (docs/operations.md)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from dsrs_api.errors import DispatchError
from dsrs_settings import Settings
from dsrs_settings.task_names import CERTIFY_CHUNK_TASK

__all__ = ["CeleryDispatcher", "InProcessDispatcher", "JobDispatcher", "make_dispatcher"]

log = logging.getLogger(__name__)

ChunkRunner = Callable[[sessionmaker[Session], Settings, str, int], object]

#: Runs again of an embedded chunk whose run raised (after 5, 10, 20, 40, 60 s).
EMBEDDED_CHUNK_RETRIES = 5
EMBEDDED_RETRY_MAX_DELAY_S = 60.0


class JobDispatcher(Protocol):
    def enqueue(self, job_id: str, chunks: int) -> None: ...

    def close(self) -> None: ...


class CeleryDispatcher:
    """Sends ``dsrs.certify_chunk(job_id, chunk_index)`` messages; imports no task code."""

    def __init__(self, settings: Settings) -> None:
        from celery import Celery

        self.queue = settings.queue
        self.app = Celery("dsrs-api", broker=settings.broker_url, set_as_current=False)
        self.app.conf.update(
            task_ignore_result=True,
            broker_connection_retry_on_startup=True,
            broker_transport_options={"socket_connect_timeout": 5},
        )

    def enqueue(self, job_id: str, chunks: int) -> None:
        try:
            for chunk_index in range(chunks):
                self.app.send_task(
                    CERTIFY_CHUNK_TASK,
                    args=(job_id, chunk_index),
                    queue=self.queue,
                    retry=True,
                    retry_policy={"max_retries": 2},
                )
        except Exception as error:  # kombu / redis connection errors
            raise DispatchError(f"could not reach the job broker: {error}") from error

    def ping(self) -> None:
        with self.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)

    def close(self) -> None:
        self.app.close()


class InProcessDispatcher:
    """Runs chunks one after another on a background thread (embedded mode)."""

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        runner: ChunkRunner | None = None,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self._runner = runner
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dsrs-jobs")

    def _resolve(self) -> ChunkRunner:
        with self._lock:
            if self._runner is None:
                # The function the worker's task body calls, imported when the first job
                # runs, so that importing the API never imports the worker (or torch).
                from dsrs_worker.chunk_service import certify_chunk

                self._runner = certify_chunk
            return self._runner

    def enqueue(self, job_id: str, chunks: int) -> None:
        for chunk_index in range(chunks):
            self._executor.submit(self._run, job_id, chunk_index)

    def _run(self, job_id: str, chunk_index: int, attempt: int = 0) -> None:
        try:
            self._resolve()(self.session_factory, self.settings, job_id, chunk_index)
        except Exception as error:  # noqa: BLE001 - run again, then recorded on the job
            log.warning("chunk %s of job %s failed: %s", chunk_index, job_id, error)
            if attempt < EMBEDDED_CHUNK_RETRIES:
                delay = min(EMBEDDED_RETRY_MAX_DELAY_S, 5.0 * 2**attempt)
                timer = threading.Timer(
                    delay, self._submit, (self._run, job_id, chunk_index, attempt + 1)
                )
                timer.daemon = True
                timer.start()
            else:
                self._record_failure(job_id, chunk_index, error)

    def _submit(self, *call: object) -> None:
        with contextlib.suppress(RuntimeError):  # shut down meanwhile: the service is stopping
            self._executor.submit(*call)  # type: ignore[arg-type]

    def _record_failure(self, job_id: str, chunk_index: int, error: Exception) -> None:
        from dsrs_store import repository

        try:
            with self.session_factory() as session:
                repository.mark_failed(
                    session,
                    job_id,
                    f"chunk {chunk_index} failed {EMBEDDED_CHUNK_RETRIES + 1} times; last: "
                    f"{type(error).__name__}: {error}",
                )
                session.commit()
        except Exception:  # the database is still away: nothing to record the failure on
            log.exception("job %s could not be marked failed", job_id)

    def ping(self) -> None:
        return None

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def make_dispatcher(
    settings: Settings, session_factory: sessionmaker[Session]
) -> CeleryDispatcher | InProcessDispatcher:
    if settings.embedded:
        return InProcessDispatcher(settings, session_factory)
    return CeleryDispatcher(settings)
