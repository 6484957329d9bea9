"""The dashboard: its pages and assets, the read endpoints its pages call, input thumbnails.

Pages are one static shell (``api/static/dashboard/index.html``) whose script reads the
JSON API; every asset is served from here (no CDN) and the Content-Security-Policy header
tells the browser to fetch nothing from anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from sqlalchemy.orm import Session

from dsrs_api.dashboard.inputs import input_set_item, job_input
from dsrs_api.dashboard.overview import OverviewCache
from dsrs_api.dashboard.png import encode_png, thumbnail_pixels
from dsrs_api.dashboard.samples import SORT_KEYS, sample_table_page
from dsrs_api.dashboard.schemas import JobList, Overview, SampleTablePage
from dsrs_api.dependencies import get_session, get_settings
from dsrs_api.errors import InvalidRequestError
from dsrs_api.id_paths import InputSetId, JobId
from dsrs_api.pagination import Offset
from dsrs_api.services import job_reports
from dsrs_client.contract import JobStatus
from dsrs_settings.api import ApiSettings
from dsrs_store import repository
from dsrs_store.tables import JobRecord, ModelRecord

__all__ = ["ASSETS_DIR", "CONTENT_SECURITY_POLICY", "install_dashboard", "router"]

ASSETS_DIR = Path(__file__).resolve().parent.parent / "static" / "dashboard"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: Each page's path and the modules its script imports (announced as modulepreload, so the
#: browser fetches them with the shell instead of one import after another).
PAGES = {
    "": ("jobs_page.js",),
    "/jobs": ("jobs_page.js",),
    "/jobs/{job_id}": ("job_page.js", "plot.js", "sample_table.js", "comparison_downloads.js"),
    "/models": ("models_page.js", "upload_form.js"),
    "/models/{model_id}": ("model_page.js",),
    "/new-job": ("new_job_page.js", "budget.js"),
    "/inputs": ("inputs_page.js", "upload_form.js"),
    "/compare": ("compare_page.js", "plot.js", "comparison_downloads.js"),
}
PAGE_MODULES_MARK = "<!-- page modules -->"

router = APIRouter(tags=["dashboard"])
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]


def install_dashboard(app: FastAPI) -> None:
    """Add the dashboard's routes and its asset folder to ``app``."""
    app.state.dashboard_overviews = OverviewCache()
    app.include_router(router)
    app.mount("/dashboard/assets", StaticFiles(directory=ASSETS_DIR), name="dashboard-assets")


@lru_cache(maxsize=len(PAGES))
def _shell(modules: tuple[str, ...]) -> str:
    links = "\n".join(
        f'  <link rel="modulepreload" href="/dashboard/assets/js/{name}">' for name in modules
    )
    return (ASSETS_DIR / "index.html").read_text().replace(PAGE_MODULES_MARK, links.strip())


def _page_handler(modules: tuple[str, ...]) -> Callable[[], HTMLResponse]:
    def page() -> HTMLResponse:
        return HTMLResponse(
            _shell(modules),
            headers={
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "Cache-Control": "no-cache",
            },
        )

    return page


for _path, _modules in PAGES.items():
    router.add_api_route(
        f"/dashboard{_path}", _page_handler(_modules), methods=["GET"], include_in_schema=False
    )


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    """The server's front page is the dashboard."""
    return RedirectResponse("/dashboard", status_code=307)


@router.get("/v1/dashboard/jobs", response_model=JobList)
def list_jobs(
    session: SessionDep,
    status: JobStatus | None = None,
    model_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> JobList:
    """Jobs, newest first, filtered by status and model, with the models' names."""
    query = select(JobRecord.id).order_by(JobRecord.created_at.desc(), JobRecord.id)
    if status is not None:
        query = query.where(JobRecord.status == status)
    if model_id:
        query = query.where(JobRecord.model_id == repository.resolve_id(session, "model", model_id))
    ids = session.scalars(query.limit(limit).offset(offset)).all()
    jobs = [job_reports.job_status(session, job_id) for job_id in ids]
    model_ids = {job.model_id for job in jobs}
    names = session.execute(
        select(ModelRecord.id, ModelRecord.name).where(ModelRecord.id.in_(model_ids))
    ).all()
    return JobList(items=jobs, models=dict(names))


@router.get("/v1/dashboard/jobs/{job_id}/overview", response_model=Overview)
def overview(request: Request, session: SessionDep, job_id: JobId) -> Overview:
    """Certified accuracy curve, ACR, abstain rate, clean accuracy and the DSRS gain."""
    cache: OverviewCache = request.app.state.dashboard_overviews
    return cache.get(session, job_id)


@router.get("/v1/dashboard/jobs/{job_id}/samples", response_model=SampleTablePage)
def samples(
    session: SessionDep,
    job_id: JobId,
    sort: str = "sample_index",
    order: Literal["asc", "desc"] = "asc",
    filter: Literal["all", "abstained", "certified", "improved", "wrong"] = "all",
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 25,
) -> SampleTablePage:
    """One page of the per-sample table, sorted and filtered in the database."""
    if sort not in SORT_KEYS:
        raise InvalidRequestError(f"sort must be one of {', '.join(SORT_KEYS)}; got {sort!r}")
    return sample_table_page(
        session, job_id, sort=sort, order=order, row_filter=filter, offset=offset, limit=limit
    )


@router.get(
    "/v1/jobs/{job_id}/inputs/{index}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
    tags=["jobs"],
)
def input_thumbnail(
    session: SessionDep, settings: SettingsDep, job_id: JobId, index: int
) -> Response:
    """The job's input at position ``index`` (as in ``sample_index``) as a small PNG."""
    job = repository.get_job(session, job_id)
    upload_dir = None
    if job.inputs.get("source") == "upload":
        input_set = repository.get_input_set(session, job.inputs["input_set_id"])
        upload_dir = settings.storage_dir / input_set.storage_path
    image = job_input(settings, job.inputs, index, upload_dir)
    return Response(
        encode_png(thumbnail_pixels(image)),
        media_type="image/png",
        headers={"Cache-Control": "private, max-age=86400"},
    )


@router.get(
    "/v1/inputs/{input_set_id}/items/{index}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
    tags=["inputs"],
)
def input_set_thumbnail(
    session: SessionDep, settings: SettingsDep, input_set_id: InputSetId, index: int
) -> Response:
    """Item ``index`` of an uploaded input set as a small PNG (the dashboard's preview)."""
    input_set = repository.get_input_set(session, input_set_id)
    image = input_set_item(settings.storage_dir / input_set.storage_path, input_set.count, index)
    return Response(
        encode_png(thumbnail_pixels(image)),
        media_type="image/png",
        headers={"Cache-Control": "private, max-age=86400"},
    )
