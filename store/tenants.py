"""Tenants and their API keys: create them, find the tenant of a presented key, count the
jobs a tenant has in flight.

A key is ``dsrs_`` + 43 URL-safe characters (256 random bits). Only its sha256 is stored;
a presented key is hashed and looked up by that hash, and the stored hash is compared once
more in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dsrs_client.contract import ACTIVE_STATUSES
from dsrs_store.errors import NotFoundError
from dsrs_store.repository import new_id
from dsrs_store.tables import ApiKeyRecord, JobRecord, SampleRecord, TenantRecord, utcnow

__all__ = [
    "API_KEY_PREFIX",
    "IssuedKey",
    "add_tenant",
    "forward_passes_in_flight",
    "get_tenant",
    "issue_api_key",
    "jobs_in_flight",
    "key_digest",
    "list_tenants",
    "lock_tenant",
    "tenant_of_key",
]

API_KEY_PREFIX = "dsrs_"
_KEY_RANDOM_BYTES = 32
_SHOWN_PREFIX = 12


@dataclass(frozen=True)
class IssuedKey:
    """A new key: ``key`` is shown once and never stored."""

    record: ApiKeyRecord
    key: str


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def add_tenant(
    session: Session,
    name: str,
    *,
    max_jobs_in_flight: int | None = None,
    max_samples_per_job: int | None = None,
) -> TenantRecord:
    record = TenantRecord(
        id=new_id(),
        name=name,
        max_jobs_in_flight=max_jobs_in_flight,
        max_samples_per_job=max_samples_per_job,
        created_at=utcnow(),
    )
    session.add(record)
    session.flush()
    return record


def get_tenant(session: Session, tenant_id: str) -> TenantRecord:
    record = session.get(TenantRecord, tenant_id)
    if record is None:
        raise NotFoundError("tenant", tenant_id)
    return record


def lock_tenant(session: Session, tenant_id: str) -> TenantRecord:
    """The tenant row, locked until the transaction ends (PostgreSQL: FOR UPDATE), so two
    submissions of one tenant count its jobs in flight one after the other."""
    record = session.get(TenantRecord, tenant_id, with_for_update=True, populate_existing=True)
    if record is None:
        raise NotFoundError("tenant", tenant_id)
    return record


def list_tenants(session: Session) -> list[TenantRecord]:
    return list(session.scalars(select(TenantRecord).order_by(TenantRecord.created_at)))


def issue_api_key(session: Session, tenant_id: str) -> IssuedKey:
    get_tenant(session, tenant_id)
    key = API_KEY_PREFIX + secrets.token_urlsafe(_KEY_RANDOM_BYTES)
    record = ApiKeyRecord(
        id=new_id(),
        tenant_id=tenant_id,
        key_sha256=key_digest(key),
        prefix=key[:_SHOWN_PREFIX],
        created_at=utcnow(),
    )
    session.add(record)
    session.flush()
    return IssuedKey(record, key)


def tenant_of_key(session: Session, key: str) -> str | None:
    """The tenant id of an unrevoked key, or None."""
    digest = key_digest(key)
    row = session.execute(
        select(ApiKeyRecord.tenant_id, ApiKeyRecord.key_sha256).where(
            ApiKeyRecord.key_sha256 == digest, ApiKeyRecord.revoked_at.is_(None)
        )
    ).first()
    if row is None or not hmac.compare_digest(row.key_sha256, digest):
        return None
    return str(row.tenant_id)


def forward_passes_in_flight(session: Session, tenant_id: str) -> int:
    """Forward passes the tenant's queued and running jobs may still cost: inputs without
    a row yet x draws per input (the fixed-N budget)."""
    done = (
        select(func.count())
        .select_from(SampleRecord)
        .where(SampleRecord.job_id == JobRecord.id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(JobRecord.total, done, JobRecord.mode, JobRecord.parameters).where(
            JobRecord.owner_id == tenant_id, JobRecord.status.in_(ACTIVE_STATUSES)
        )
    )
    return sum(
        (total - finished) * parameters.draws_per_input(mode)
        for total, finished, mode, parameters in rows
    )


def jobs_in_flight(session: Session, tenant_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(JobRecord)
            .where(JobRecord.owner_id == tenant_id, JobRecord.status.in_(ACTIVE_STATUSES))
        )
        or 0
    )
