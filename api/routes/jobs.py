"""``/v1/jobs``: submit, list, read, page results, summarise and cancel jobs."""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session
from starlette.types import Scope

from dsrs_api.authentication import Principal
from dsrs_api.dependencies import get_dispatcher, get_principal, get_session, get_settings
from dsrs_api.id_paths import JobId
from dsrs_api.pagination import Offset
from dsrs_api.services import deletions, job_reports
from dsrs_api.services.dispatch import JobDispatcher
from dsrs_api.services.job_submission import submit_job
from dsrs_api.services.response_cache import CachedBody, ResponseCache, respond
from dsrs_client.contract import JobCreate, JobOut, JobStatus, ResultsPage, Summary
from dsrs_settings.api import ApiSettings

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
DispatcherDep = Annotated[JobDispatcher, Depends(get_dispatcher)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


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
    status: JobStatus | None = None,
    name: Annotated[str | None, Query(max_length=200, description="Only jobs of this name")] = None,
    tag: Annotated[
        list[str] | None, Query(max_length=32, description="Only jobs with every tag given")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[JobOut]:
    return job_reports.list_job_statuses(
        session, status=status, limit=limit, offset=offset, name=name, tags=tag or ()
    )


@router.get("/{job_id}", response_model=JobOut, responses={304: {"description": "Not Modified"}})
async def get_job(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    job_id: JobId,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The status. Answers carry an ETag (``If-None-Match`` → 304); a succeeded job's is
    served from memory, any other job's is at most ``LIVE_TTL_S`` old
    (dsrs_api.services.response_cache)."""
    cached = await _answer(
        request, session, principal, ("status", job_id), lambda: _status_body(session, job_id)
    )
    cached.check_owner(principal.tenant_id, job_id)
    return respond(cached, if_none_match)


@router.get(
    "/{job_id}/results",
    response_model=ResultsPage,
    responses={200: {"content": {"text/csv": {}}}, 304: {"description": "Not Modified"}},
)
async def get_results(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    job_id: JobId,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    format: Literal["json", "csv"] = "json",
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A page of rows, cached and tagged like the status (a succeeded job's pages are
    final)."""
    cached = await _answer(
        request,
        session,
        principal,
        ("results", job_id, cursor or None, limit, format),
        lambda: _results_body(session, job_id, cursor, limit, format),
    )
    cached.check_owner(principal.tenant_id, job_id)
    return respond(cached, if_none_match)


async def _answer(
    request: Request,
    session: Session,
    principal: Principal,
    key: tuple,
    compute: Callable[[], CachedBody],
) -> CachedBody:
    """The cached answer for ``key``, else ``compute()`` in a worker thread (then kept when
    final). Requests of one caller for the same key that arrive while it is computed wait
    for it instead of computing it again, and take it only when it is final (a succeeded
    job's answer does not depend on when it was read); otherwise they compute their own,
    so a live answer is never older than the request."""
    cache = _cache(request)
    cached = cache.get(key)
    if cached is not None and cached.visible_to(principal.tenant_id):
        return cached
    # Not cached, or another tenant's job: the database answers (for another tenant's job
    # the same 404, by the same queries, as for an id that does not exist).
    slots = request.app.state.database_slots
    compute = functools.partial(_closing, session, compute)
    flights: dict[tuple, asyncio.Future[CachedBody | None]] = cache.in_flight
    flight_key = (principal.tenant_id, key)
    flight = flights.get(flight_key)
    if flight is not None:
        shared = await asyncio.shield(flight)
        if shared is not None and shared.final:
            return shared
        async with slots:
            return await run_in_threadpool(compute)
    flight = asyncio.get_running_loop().create_future()
    flights[flight_key] = flight
    result: CachedBody | None = None
    try:
        async with slots:
            result = await run_in_threadpool(compute)
        cache.put(key, result)
        return result
    finally:
        if flights.get(flight_key) is flight:
            del flights[flight_key]
        if not flight.done():
            flight.set_result(result)


_SELF_ADMITTED = re.compile(r"/v1/jobs/[^/]+(/results)?")


def admits_itself(scope: Scope) -> bool:
    """The polled reads above take a database slot only around their database work
    (dsrs_api.middleware.admission): a cached answer does not wait behind slow requests."""
    return scope["method"] == "GET" and _SELF_ADMITTED.fullmatch(scope["path"]) is not None


def _closing(session: Session, compute: Callable[[], CachedBody]) -> CachedBody:
    """``compute()``, then the session's connection goes back to the pool in this same
    thread (never held by a request that waits for a thread)."""
    try:
        return compute()
    finally:
        session.close()


def _cache(request: Request) -> ResponseCache:
    return request.app.state.response_cache  # type: ignore[no-any-return]


def _status_body(session: Session, job_id: str) -> CachedBody:
    body, job = job_reports.job_status_snapshot(session, job_id)
    return CachedBody.build(
        owner_id=job.owner_id,
        body=body.model_dump_json().encode(),
        media_type="application/json",
        status=job.status,
    )


def _results_body(
    session: Session, job_id: str, cursor: str | None, limit: int, format: str
) -> CachedBody:
    page, job = job_reports.results_page_snapshot(session, job_id, cursor=cursor, limit=limit)
    if format == "csv":
        headers = {"X-Next-Cursor": page.next_cursor} if page.next_cursor else {}
        body = job_reports.results_csv(page).encode()
        media_type = "text/csv"
    else:
        headers, body, media_type = {}, page.model_dump_json().encode(), "application/json"
    return CachedBody.build(
        owner_id=job.owner_id,
        body=body,
        media_type=media_type,
        status=job.status,
        headers=headers,
    )


@router.get("/{job_id}/summary", response_model=Summary)
def get_summary(
    session: SessionDep,
    job_id: JobId,
    radii: Annotated[list[float] | None, Query(description="Radii to report (repeatable)")] = None,
    confidence: Annotated[
        float, Query(gt=0.0, lt=1.0, description="Coverage of the intervals over the test set")
    ] = 0.95,
) -> Summary:
    """Certified accuracy at radii and ACR of NP (same run; equal budget when the job has
    that baseline) and DSRS with confidence intervals, benign accuracy, and the DSRS gain
    against the named baseline."""
    return job_reports.summary(session, job_id, radii, confidence)


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel_job(request: Request, session: SessionDep, job_id: JobId) -> JobOut:
    job = job_reports.cancel_job(session, job_id)
    _cache(request).forget_job(job_id)
    return job


@router.delete(
    "/{job_id}",
    status_code=204,
    responses={409: {"description": "The job is queued or running (cancel it first)"}},
)
def delete_job(request: Request, session: SessionDep, job_id: JobId) -> Response:
    deletions.delete_job(session, job_id)
    _cache(request).forget_job(job_id)
    return Response(status_code=204)
