"""Certify one chunk of a job: the plain function behind the Celery task and the
embedded in-process runner.

Safe to run twice or concurrently for the same chunk: the job row is re-read, finished
jobs return at once, samples already stored are skipped, and every row is written with an
idempotent insert keyed by (job, sample index). The per-sample seed depends only on the
job seed and the sample index, so how a job is chunked never changes its results.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dsrs_client.contract import FINAL_STATUSES
from dsrs_core.evaluation.job_config import certification_config
from dsrs_core.evaluation.proof_check import proof_row_fields, prove_certificate
from dsrs_core.results import Certificate, certificate_fields
from dsrs_core.sampling.seeds import equal_budget_seed, sample_seed
from dsrs_settings.worker import WorkerSettings
from dsrs_store import repository
from dsrs_store.chunks import chunk_range
from dsrs_store.errors import NotFoundError
from dsrs_store.tables import JobRecord, utcnow
from dsrs_worker.classifiers import ClassifierCache
from dsrs_worker.devices import process_device
from dsrs_worker.job_inputs import load_chunk_inputs

__all__ = ["ChunkOutcome", "certify_chunk", "fail_overdue_jobs"]

log = logging.getLogger(__name__)

_DEFAULT_CACHE = ClassifierCache()

#: A lost database connection (server restarted, backend terminated, network cut): the
#: chunk is run again from the stored rows instead of failing the job.
DISCONNECTS = (OperationalError, InterfaceError)
DB_RETRY_ATTEMPTS = 6
DB_RETRY_FIRST_DELAY_S = 0.5

T = TypeVar("T")


@dataclass(frozen=True)
class ChunkOutcome:
    job_id: str
    chunk_index: int
    written: int
    skipped: int
    job_status: str


def certify_chunk(
    session_factory: sessionmaker[Session],
    settings: WorkerSettings,
    job_id: str,
    chunk_index: int,
    *,
    classifiers: ClassifierCache | None = None,
) -> ChunkOutcome:
    """Certify the samples of chunk ``chunk_index`` of job ``job_id`` not yet stored.

    A lost database connection does not fail the job: the chunk starts again (rows already
    committed are skipped), see :func:`with_db_retries`.
    """
    return with_db_retries(
        lambda: _certify_chunk_once(
            session_factory, settings, job_id, chunk_index, classifiers=classifiers
        ),
        f"chunk {chunk_index} of job {job_id}",
    )


def with_db_retries(run: Callable[[], T], what: str) -> T:
    """``run()``, again after a lost database connection, up to ``DB_RETRY_ATTEMPTS`` times
    with exponential back-off (``what`` names it in the log)."""
    for attempt in range(DB_RETRY_ATTEMPTS):
        try:
            return run()
        except DISCONNECTS as error:
            if attempt + 1 == DB_RETRY_ATTEMPTS:
                raise
            delay = DB_RETRY_FIRST_DELAY_S * 2**attempt
            log.warning(
                "%s lost its database connection (%s); again in %.1f s",
                what,
                type(error).__name__,
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable")


def _certify_chunk_once(
    session_factory: sessionmaker[Session],
    settings: WorkerSettings,
    job_id: str,
    chunk_index: int,
    *,
    classifiers: ClassifierCache | None,
) -> ChunkOutcome:
    with session_factory() as session:
        try:
            job = repository.get_job(session, job_id)
        except NotFoundError:
            log.warning("job %s does not exist; chunk %s dropped", job_id, chunk_index)
            return ChunkOutcome(job_id, chunk_index, 0, 0, "missing")
        if job.status in FINAL_STATUSES:
            return ChunkOutcome(job_id, chunk_index, 0, 0, job.status)
        if _out_of_time(session, settings, job):
            session.commit()
            return ChunkOutcome(job_id, chunk_index, 0, 0, "failed")
        positions = list(chunk_range(job.total, job.chunk_size, chunk_index))
        stored = repository.stored_sample_indices(session, job_id, positions)
        todo = [p for p in positions if p not in stored]
        repository.mark_running(session, job_id)
        session.commit()
        try:
            written = _certify_positions(
                session, settings, job, todo, classifiers or _DEFAULT_CACHE
            )
            repository.finish_if_complete(session, job_id)
            session.commit()
        except DISCONNECTS:
            raise  # not the job's fault: retried by certify_chunk
        except Exception as error:
            session.rollback()
            repository.mark_failed(session, job_id, f"{type(error).__name__}: {error}")
            session.commit()
            log.exception("chunk %s of job %s failed", chunk_index, job_id)
            raise
        status = repository.get_job(session, job_id).status
        return ChunkOutcome(job_id, chunk_index, written, len(positions) - written, status)


def _certify_positions(
    session: Session,
    settings: WorkerSettings,
    job: JobRecord,
    positions: list[int],
    classifiers: ClassifierCache,
) -> int:
    if not positions:
        return 0
    from dsrs_models.inference_sandbox import InferenceStopped

    device = process_device(settings.device)
    model = repository.get_model(session, job.model_id)
    chunk = load_chunk_inputs(settings, job.inputs, positions)
    written = 0

    def stopped() -> bool:
        return _stopped(session, settings, job.id)

    with classifiers.for_chunk(settings, model, device, should_stop=stopped) as classifier:
        for row, position in enumerate(chunk.positions):
            if stopped():
                break
            try:
                values = _certified_row(job, chunk, row, position, classifier, device)
            except InferenceStopped:
                break  # cancelled (or failed elsewhere) while the model ran
            written += repository.insert_sample(session, values)
            session.commit()
    return written


def _certified_row(
    job: JobRecord, chunk: Any, row: int, position: int, classifier: Any, device: Any
) -> dict[str, Any]:
    """The result row of input ``row`` of ``chunk`` (position ``position`` in the job)."""
    import torch

    from dsrs_core.certify_on_device import certify, equal_budget_baseline, sequential_np_baseline
    from dsrs_core.evaluation.equal_budget import EQUAL_BUDGET, SEQUENTIAL_NP

    config = certification_config(job.parameters)
    label = chunk.labels[row]
    seed = sample_seed(job.seed, position)
    started = time.perf_counter()
    _take_non_finite(classifier)  # start this input's count from zero
    certificate = certify(
        classifier,
        torch.from_numpy(chunk.inputs[row]),
        config,
        label=label if job.mode == "evaluate" else None,
        seed=seed,
        device=device,
        batch_size=job.parameters.batch_size,
    )
    values = _sample_values(
        job.id, position, chunk.dataset_indices[row], label, certificate, seed, 0.0
    )
    baselines = {EQUAL_BUDGET: equal_budget_baseline, SEQUENTIAL_NP: sequential_np_baseline}
    draw_baseline = baselines.get(job.parameters.baseline)
    if draw_baseline is not None and config.q is not None:
        baseline = draw_baseline(
            classifier,
            torch.from_numpy(chunk.inputs[row]),
            config,
            certificate,
            seed=equal_budget_seed(job.seed, position),
            device=device,
            batch_size=job.parameters.batch_size,
        )
        values.update(baseline.row_fields())
    values["elapsed_s"] = time.perf_counter() - started
    values["non_finite"] = _take_non_finite(classifier)
    if job.parameters.check == "proven":
        # Proof mode (docs/math.md §7.5): CPU seconds per input, bounded by its deadline;
        # not counted in elapsed_s (the sampling time), recorded in proof_seconds.
        proof = prove_certificate(certificate, config, int(chunk.inputs[row].size))
        values.update(proof_row_fields(proof))
    return values


def _take_non_finite(classifier: Any) -> int | None:
    """Draws with non-finite logits since the last call (None: the classifier does not
    count them)."""
    take = getattr(classifier, "take_non_finite", None)
    return None if take is None else take()


def _stopped(session: Session, settings: WorkerSettings, job_id: str) -> bool:
    """Whether the job was cancelled, failed elsewhere, or has just run out of time (then
    it is marked failed here) since this chunk started."""
    session.expire_all()
    job = repository.get_job(session, job_id)
    if job.status in FINAL_STATUSES:
        return True
    if _out_of_time(session, settings, job):
        session.commit()
        return True
    return False


def _out_of_time(session: Session, settings: WorkerSettings, job: JobRecord) -> bool:
    """Mark ``job`` failed when it was submitted more than ``job_time_limit_s`` ago (the
    clock starts at submission: a job whose chunks never start is bounded too)."""
    elapsed = (utcnow() - job.created_at).total_seconds()
    if elapsed <= settings.job_time_limit_s:
        return False
    done = repository.job_progress(session, job).done
    repository.mark_failed(
        session,
        job.id,
        f"job time limit exceeded: submitted {elapsed:.0f} s ago, the limit is "
        f"{settings.job_time_limit_s} s (DSRS_JOB_TIME_LIMIT_S); {done} of {job.total} "
        "samples were certified and are kept",
    )
    return True


def fail_overdue_jobs(session: Session, settings: WorkerSettings) -> int:
    """Mark failed every unfinished job submitted more than ``job_time_limit_s`` ago
    (whether or not a chunk of it ever ran); how many were."""
    cutoff = utcnow() - timedelta(seconds=settings.job_time_limit_s)
    overdue = session.scalars(
        select(JobRecord)
        .where(JobRecord.status.not_in(FINAL_STATUSES), JobRecord.created_at < cutoff)
        .limit(1000)
    ).all()
    failed = sum(_out_of_time(session, settings, job) for job in overdue)
    session.commit()
    return failed


def _sample_values(
    job_id: str,
    position: int,
    dataset_index: int,
    label: int | None,
    certificate: Certificate,
    seed: int,
    elapsed: float,
) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "sample_index": position,
        "dataset_index": dataset_index,
        "label": label,
        **certificate_fields(certificate),
        "seed": seed,
        "elapsed_s": elapsed,
    }
