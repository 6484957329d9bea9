"""Chunk leases: a chunk whose worker died is redone within about ``2 × chunk_lease_s``,
and a chunk that keeps killing its workers fails the job instead of running forever.

The broker alone redelivers a chunk of a dead worker only after its visibility timeout
(an hour by default), and redelivers a chunk that crashes its worker forever. So each
chunk a Celery worker takes is recorded in ``chunk_leases`` (PostgreSQL, not the broker):

* :func:`claim_chunk` — the worker takes the chunk: a new lease, or the lease of a holder
  that fell silent (no heartbeat for ``chunk_lease_s``: it died mid-chunk), which counts
  one more attempt. When a chunk has already been taken ``chunk_max_attempts`` times and
  its holder died again, the job fails with that reason. A chunk that another live worker
  holds, or that is finished, is skipped (duplicate deliveries are harmless);
* :func:`holding_chunk` — while the chunk runs, a thread renews the heartbeat every
  quarter of ``chunk_lease_s``; the lease is marked finished when the run returns (a run
  that raised leaves it to fall silent, so the chunk is sent again);
* :func:`silent_chunks` — every worker's main process (:mod:`dsrs_worker.chunk_sweeper`) looks
  for leases of unfinished jobs whose holder fell silent and sends those chunks again;
* :func:`unclaimed_chunks` — the same sweep finds the chunks of unfinished jobs that no
  worker claimed within ``chunk_unclaimed_s`` of the job's submission (the message was
  lost, or its task failed before the claim: database or broker away, a failing import),
  records them as sent (a lease with no holder, :data:`UNCLAIMED`) and sends them again,
  and again every ``chunk_unclaimed_s`` until a worker claims them. Taking such a lease
  counts the first attempt, not a death.

Rows already written are skipped when a chunk is redone, so a redo only costs the samples
the dead worker had not committed.
"""

from __future__ import annotations

import enum
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dsrs_client.contract import FINAL_STATUSES
from dsrs_settings.worker import WorkerSettings
from dsrs_store import repository
from dsrs_store.chunks import chunk_count
from dsrs_store.tables import ChunkLeaseRecord, JobRecord, utcnow

__all__ = [
    "UNCLAIMED",
    "Claim",
    "claim_chunk",
    "holder_name",
    "holding_chunk",
    "silent_chunks",
    "unclaimed_chunks",
]

log = logging.getLogger(__name__)

_TOKEN = uuid.uuid4().hex[:8]
#: The holder of a lease the sweeper wrote for a chunk it sent again before any claim.
UNCLAIMED = ""


class Claim(enum.Enum):
    TAKEN = "taken"
    HELD_ELSEWHERE = "held by another live worker"
    FINISHED = "finished"
    POISONED = "failed the job: it stopped its workers too often"


def holder_name() -> str:
    """This process as a lease holder (host, pid and a per-process token)."""
    return f"{socket.gethostname()[:150]}:{os.getpid()}:{_TOKEN}"


def claim_chunk(session: Session, settings: WorkerSettings, job_id: str, chunk_index: int) -> Claim:
    """Take chunk ``chunk_index`` of ``job_id`` for this process (see the module docstring)."""
    holder = holder_name()
    now = utcnow()
    lease = session.get(ChunkLeaseRecord, (job_id, chunk_index), with_for_update=True)
    if lease is None:
        session.add(
            ChunkLeaseRecord(
                job_id=job_id,
                chunk_index=chunk_index,
                holder=holder,
                attempts=1,
                heartbeat_at=now,
                finished=False,
            )
        )
        try:
            session.commit()
        except IntegrityError:  # another worker took it at the same moment
            session.rollback()
            return claim_chunk(session, settings, job_id, chunk_index)
        return Claim.TAKEN
    if lease.finished:
        session.commit()
        return Claim.FINISHED
    silent = now - lease.heartbeat_at > timedelta(seconds=settings.chunk_lease_s)
    if lease.holder == UNCLAIMED:
        lease.attempts += 1  # the first worker to take it (the sweeper sent it again)
    elif lease.holder != holder and not silent:
        session.commit()
        return Claim.HELD_ELSEWHERE
    elif lease.holder != holder:
        lease.attempts += 1  # its holder fell silent mid-chunk
        if lease.attempts > settings.chunk_max_attempts:
            lease.finished = True
            repository.mark_failed(
                session,
                job_id,
                f"chunk {chunk_index} stopped its worker {lease.attempts - 1} times (the "
                "process was killed or crashed while certifying it, e.g. out of memory); "
                f"limit DSRS_CHUNK_MAX_ATTEMPTS={settings.chunk_max_attempts}. Rows already "
                "certified are kept.",
            )
            session.commit()
            return Claim.POISONED
    lease.holder = holder
    lease.heartbeat_at = now
    lease.requeued_at = None
    session.commit()
    return Claim.TAKEN


@contextmanager
def holding_chunk(
    session_factory: sessionmaker[Session], settings: WorkerSettings, job_id: str, chunk_index: int
) -> Iterator[None]:
    """Renew this process's lease on the chunk while the block runs; finish it after."""
    holder = holder_name()
    mine = (
        ChunkLeaseRecord.job_id == job_id,
        ChunkLeaseRecord.chunk_index == chunk_index,
        ChunkLeaseRecord.holder == holder,
    )
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(settings.chunk_lease_s / 4):
            try:
                with session_factory() as session:
                    session.execute(
                        update(ChunkLeaseRecord).where(*mine).values(heartbeat_at=utcnow())
                    )
                    session.commit()
            except Exception:  # noqa: BLE001 - a missed beat is retried at the next one
                log.warning("heartbeat of chunk %s of job %s failed", chunk_index, job_id)

    thread = threading.Thread(target=beat, name=f"lease-{job_id}-{chunk_index}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
    # Only a chunk that ran to its end is finished; one whose run raised (e.g. the database
    # stayed away) falls silent and is sent again, counting one more attempt.
    with session_factory() as session:
        session.execute(update(ChunkLeaseRecord).where(*mine).values(finished=True))
        session.commit()


def silent_chunks(session: Session, settings: WorkerSettings) -> list[tuple[str, int]]:
    """Chunks of unfinished jobs whose holder fell silent and that were not sent again
    in the last ``chunk_lease_s``; marks them as sent now."""
    now = utcnow()
    cutoff = now - timedelta(seconds=settings.chunk_lease_s)
    rows = session.execute(
        select(ChunkLeaseRecord.job_id, ChunkLeaseRecord.chunk_index)
        .join(JobRecord, JobRecord.id == ChunkLeaseRecord.job_id)
        .where(
            ChunkLeaseRecord.finished.is_(False),
            ChunkLeaseRecord.holder != UNCLAIMED,
            ChunkLeaseRecord.heartbeat_at < cutoff,
            (ChunkLeaseRecord.requeued_at.is_(None)) | (ChunkLeaseRecord.requeued_at < cutoff),
            JobRecord.status.not_in(FINAL_STATUSES),
        )
        .limit(1000)
        .with_for_update(of=ChunkLeaseRecord, skip_locked=True)
    ).all()
    chunks = [(job_id, int(chunk_index)) for job_id, chunk_index in rows]
    for job_id, chunk_index in chunks:
        session.execute(
            update(ChunkLeaseRecord)
            .where(ChunkLeaseRecord.job_id == job_id, ChunkLeaseRecord.chunk_index == chunk_index)
            .values(requeued_at=now)
        )
    session.commit()
    return chunks


def unclaimed_chunks(session: Session, settings: WorkerSettings) -> list[tuple[str, int]]:
    """Chunks of unfinished jobs submitted more than ``chunk_unclaimed_s`` ago that no
    worker has claimed and that were not sent again in the last ``chunk_unclaimed_s``;
    marks them as sent now (a lease held by :data:`UNCLAIMED`). At most 1000 per call."""
    now = utcnow()
    cutoff = now - timedelta(seconds=settings.chunk_unclaimed_s)
    chunks: list[tuple[str, int]] = []
    # Chunks sent again before, still unclaimed.
    rows = session.execute(
        select(ChunkLeaseRecord)
        .join(JobRecord, JobRecord.id == ChunkLeaseRecord.job_id)
        .where(
            ChunkLeaseRecord.holder == UNCLAIMED,
            ChunkLeaseRecord.finished.is_(False),
            ChunkLeaseRecord.requeued_at < cutoff,
            JobRecord.status.not_in(FINAL_STATUSES),
        )
        .limit(1000)
        .with_for_update(of=ChunkLeaseRecord, skip_locked=True)
    ).scalars()
    for lease in rows:
        lease.requeued_at = now
        chunks.append((lease.job_id, lease.chunk_index))
    # Chunks never claimed nor sent again: no lease at all.
    leases = select(func.count()).where(ChunkLeaseRecord.job_id == JobRecord.id).scalar_subquery()
    chunks_of_job = (JobRecord.total + JobRecord.chunk_size - 1) / JobRecord.chunk_size
    jobs = session.execute(
        select(JobRecord.id, JobRecord.total, JobRecord.chunk_size)
        .where(
            JobRecord.status.not_in(FINAL_STATUSES),
            JobRecord.created_at < cutoff,
            leases < chunks_of_job,
        )
        .order_by(JobRecord.created_at)
        .limit(100)
    ).all()
    for job_id, total, chunk_size in jobs:
        leased = set(
            session.scalars(
                select(ChunkLeaseRecord.chunk_index).where(ChunkLeaseRecord.job_id == job_id)
            )
        )
        for chunk_index in range(chunk_count(total, chunk_size)):
            if chunk_index in leased or len(chunks) >= 1000:
                continue
            session.add(
                ChunkLeaseRecord(
                    job_id=job_id,
                    chunk_index=chunk_index,
                    holder=UNCLAIMED,
                    attempts=0,
                    heartbeat_at=now,
                    requeued_at=now,
                    finished=False,
                )
            )
            chunks.append((job_id, chunk_index))
    try:
        session.commit()
    except IntegrityError:  # a worker claimed one of them meanwhile: the next sweep retries
        session.rollback()
        return []
    return chunks
