"""Chunk leases (:mod:`dsrs_worker.chunk_leases`): a chunk whose holder fell silent is taken over
and sent again; one whose workers died ``chunk_max_attempts`` times fails the job with the
reason; a live holder's chunk is not taken twice. (The same with real killed worker
processes: ``tests/integration/test_worker_kill.py``.)"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from dsrs_models.demo import DEMO_WEIGHTS_PATH
from dsrs_settings import Settings
from dsrs_store import repository
from dsrs_store.tables import ChunkLeaseRecord, JobRecord, utcnow
from dsrs_worker import chunk_leases
from dsrs_worker.chunk_leases import (
    UNCLAIMED,
    Claim,
    claim_chunk,
    holding_chunk,
    silent_chunks,
    unclaimed_chunks,
)
from dsrs_worker.chunk_service import fail_overdue_jobs
from tests.polling import wait_until
from tests.support.factories import open_store, seed_model_file
from tests.worker.test_worker_limits import add_job


def as_holder(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setattr(chunk_leases, "holder_name", lambda: name)


def leased_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings_overrides: int):  # type: ignore[no-untyped-def]
    """A store with one job whose chunk 0 is taken by ``host:1:a``."""
    settings = Settings(storage_dir=tmp_path / "var", device="cpu", **settings_overrides)
    factory = open_store(settings)
    job_id = add_job(factory, seed_model_file(settings, factory, DEMO_WEIGHTS_PATH), 4)
    as_holder(monkeypatch, "host:1:a")
    with factory() as session:
        assert claim_chunk(session, settings, job_id, 0) is Claim.TAKEN
    return settings, factory, job_id


def fall_silent(factory, job_id: str, seconds: float) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        session.execute(
            update(ChunkLeaseRecord)
            .where(ChunkLeaseRecord.job_id == job_id)
            .values(heartbeat_at=utcnow() - timedelta(seconds=seconds))
        )
        session.commit()


def test_a_silent_chunk_is_sent_again_taken_over_and_finally_fails_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, factory, job_id = leased_job(
        tmp_path, monkeypatch, chunk_lease_s=60, chunk_max_attempts=2
    )
    with factory() as session:
        assert silent_chunks(session, settings) == []  # its heartbeat is fresh
    as_holder(monkeypatch, "host:2:b")
    with factory() as session:
        assert claim_chunk(session, settings, job_id, 0) is Claim.HELD_ELSEWHERE

    fall_silent(factory, job_id, 61)  # worker a died mid-chunk
    with factory() as session:
        assert silent_chunks(session, settings) == [(job_id, 0)]
        assert silent_chunks(session, settings) == []  # sent once per lease period
        assert claim_chunk(session, settings, job_id, 0) is Claim.TAKEN  # b takes over
        assert session.get(ChunkLeaseRecord, (job_id, 0)).attempts == 2

    fall_silent(factory, job_id, 61)  # worker b died on it too: the second death
    as_holder(monkeypatch, "host:3:c")
    with factory() as session:
        assert claim_chunk(session, settings, job_id, 0) is Claim.POISONED
        job = repository.get_job(session, job_id)
        assert job.status == "failed"
        assert "chunk 0 stopped its worker 2 times" in job.error, job.error
        assert "DSRS_CHUNK_MAX_ATTEMPTS=2" in job.error
        assert silent_chunks(session, settings) == []  # a failed job is not sent again


def test_a_held_chunk_beats_and_is_finished_afterwards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, factory, job_id = leased_job(tmp_path, monkeypatch, chunk_lease_s=4)
    with factory() as session:
        first_beat = session.get(ChunkLeaseRecord, (job_id, 0)).heartbeat_at

    def lease() -> tuple:
        with factory() as session:
            record = session.get(ChunkLeaseRecord, (job_id, 0))
            return record.heartbeat_at, record.finished

    with holding_chunk(factory, settings, job_id, 0):
        # it beats every lease/4 = 1 s; the deadline only bounds a hang
        _, finished = wait_until(lease, lambda state: state[0] > first_beat, timeout=60)
        assert not finished
    with factory() as session:
        assert session.get(ChunkLeaseRecord, (job_id, 0)).finished
        assert claim_chunk(session, settings, job_id, 0) is Claim.FINISHED


def test_a_chunk_whose_run_raised_is_left_to_be_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, factory, job_id = leased_job(tmp_path, monkeypatch, chunk_lease_s=60)
    with pytest.raises(ConnectionError), holding_chunk(factory, settings, job_id, 0):
        raise ConnectionError("the database went away")
    fall_silent(factory, job_id, 61)
    with factory() as session:
        assert not session.get(ChunkLeaseRecord, (job_id, 0)).finished
        assert silent_chunks(session, settings) == [(job_id, 0)]


def submitted_ago(factory, job_id: str, seconds: float) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        session.execute(
            update(JobRecord)
            .where(JobRecord.id == job_id)
            .values(created_at=utcnow() - timedelta(seconds=seconds))
        )
        session.commit()


def test_a_chunk_never_claimed_is_sent_again_until_a_worker_claims_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24: a task that failed before its claim (no lease) left its job queued forever."""
    settings = Settings(
        storage_dir=tmp_path / "var", device="cpu", chunk_unclaimed_s=300, chunk_lease_s=60
    )
    factory = open_store(settings)
    job_id = add_job(factory, seed_model_file(settings, factory, DEMO_WEIGHTS_PATH), 4)
    with factory() as session:
        assert unclaimed_chunks(session, settings) == []  # just submitted: its message waits
    submitted_ago(factory, job_id, 301)
    with factory() as session:
        assert unclaimed_chunks(session, settings) == [(job_id, 0)]
        assert unclaimed_chunks(session, settings) == []  # sent once per period
        assert silent_chunks(session, settings) == []  # not a dead worker's chunk
        lease = session.get(ChunkLeaseRecord, (job_id, 0))
        assert (lease.holder, lease.attempts) == (UNCLAIMED, 0)
        session.execute(
            update(ChunkLeaseRecord).values(requeued_at=utcnow() - timedelta(seconds=301))
        )
        session.commit()
        assert unclaimed_chunks(session, settings) == [(job_id, 0)]  # still unclaimed
    as_holder(monkeypatch, "host:1:a")
    with factory() as session:
        assert claim_chunk(session, settings, job_id, 0) is Claim.TAKEN
        assert session.get(ChunkLeaseRecord, (job_id, 0)).attempts == 1  # not a death
        session.execute(
            update(ChunkLeaseRecord).values(requeued_at=utcnow() - timedelta(seconds=301))
        )
        session.commit()
        assert unclaimed_chunks(session, settings) == []  # claimed now


def test_a_job_past_its_limit_since_submission_fails_even_if_it_never_started(
    tmp_path: Path,
) -> None:
    settings = Settings(storage_dir=tmp_path / "var", device="cpu", job_time_limit_s=600)
    factory = open_store(settings)
    job_id = add_job(factory, seed_model_file(settings, factory, DEMO_WEIGHTS_PATH), 4)
    with factory() as session:
        assert fail_overdue_jobs(session, settings) == 0
    submitted_ago(factory, job_id, 601)
    with factory() as session:
        assert fail_overdue_jobs(session, settings) == 1
        job = repository.get_job(session, job_id)
        assert job.status == "failed" and job.started_at is None
        assert "s ago, the limit is 600 s (DSRS_JOB_TIME_LIMIT_S)" in job.error, job.error
        assert unclaimed_chunks(session, settings) == []  # a failed job is not sent again
