"""``/v1/jobs``: submit, list, read, page results, summarise and cancel jobs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api import job_reports
from api.authentication import Principal
from api.dependencies import get_dispatcher, get_principal, get_session, get_settings
from api.dispatch import JobDispatcher
from api.job_submission import submit_job
from api.pagination import Offset
from api.schemas import JobCreate, JobOut, ResultsPage, Summary
from store.settings import Settings

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
DispatcherDep = Annotated[JobDispatcher, Depends(get_dispatcher)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
Status = Literal["queued", "running", "succeeded", "failed", "cancelled"]


@router.post(
    "",
    response_model=JobOut,
    status_code=202,
    responses={429: {"description": "The tenant's quota (jobs in flight, samples) is used"}},
)
def create_job(
    session: SessionDep,
    settings: SettingsDep,
    dispatcher: DispatcherDep,
    principal: PrincipalDep,
    body: JobCreate,
) -> JobOut:
    job = submit_job(session, settings, dispatcher, body, owner_id=principal.tenant_id)
    return job_reports.job_status(session, job.id)


@router.get("", response_model=list[JobOut])
def list_jobs(
    session: SessionDep,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[JobOut]:
    return job_reports.list_job_statuses(session, status=status, limit=limit, offset=offset)


@router.get("/{job_id}", response_model=JobOut)
def get_job(session: SessionDep, job_id: str) -> Response:
    return _json(job_reports.job_status(session, job_id))


@router.get(
    "/{job_id}/results",
    response_model=ResultsPage,
    responses={200: {"content": {"text/csv": {}}}},
)
def get_results(
    session: SessionDep,
    job_id: str,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    format: Literal["json", "csv"] = "json",
) -> ResultsPage | Response:
    page = job_reports.results_page(session, job_id, cursor=cursor, limit=limit)
    if format == "csv":
        headers = {"X-Next-Cursor": page.next_cursor} if page.next_cursor else {}
        return Response(job_reports.results_csv(page), media_type="text/csv", headers=headers)
    return _json(page)


@router.get("/{job_id}/summary", response_model=Summary)
def get_summary(
    session: SessionDep,
    job_id: str,
    radii: Annotated[list[float] | None, Query(description="Radii to report (repeatable)")] = None,
) -> Summary:
    return job_reports.summary(session, job_id, radii)


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel_job(session: SessionDep, job_id: str) -> JobOut:
    return job_reports.cancel_job(session, job_id)


def _json(body: BaseModel) -> Response:
    """``body`` as JSON, serialised once by pydantic's core (a polled endpoint: the model
    was validated when it was built; FastAPI would validate and encode it again)."""
    return Response(body.model_dump_json(), media_type="application/json")
