"""``/v1/tenants``: the admin creates tenants and issues their API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from dsrs_api.authentication import require_admin
from dsrs_api.dependencies import get_session
from dsrs_api.routes.tenant_schemas import ApiKeyOut, TenantCreate, TenantOut
from dsrs_store import tenants

router = APIRouter(prefix="/v1/tenants", tags=["tenants"], dependencies=[Depends(require_admin)])

SessionDep = Annotated[Session, Depends(get_session)]


@router.post("", response_model=TenantOut, status_code=201)
def create_tenant(session: SessionDep, body: TenantCreate) -> TenantOut:
    record = tenants.add_tenant(
        session,
        body.name,
        max_jobs_in_flight=body.max_jobs_in_flight,
        max_samples_per_job=body.max_samples_per_job,
    )
    session.commit()
    return TenantOut.model_validate(record)


@router.get("", response_model=list[TenantOut])
def list_tenants(session: SessionDep) -> list[TenantOut]:
    return [TenantOut.model_validate(t) for t in tenants.list_tenants(session)]


@router.post("/{tenant_id}/keys", response_model=ApiKeyOut, status_code=201)
def create_key(session: SessionDep, tenant_id: str) -> ApiKeyOut:
    issued = tenants.issue_api_key(session, tenant_id)
    session.commit()
    record = issued.record
    return ApiKeyOut(
        id=record.id,
        tenant_id=record.tenant_id,
        prefix=record.prefix,
        key=issued.key,
        created_at=record.created_at,
    )
