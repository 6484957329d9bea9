"""``GET /v1/compare``: jobs side by side with error bars (:mod:`dsrs_api.job_comparison`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from dsrs_api.dependencies import get_session
from dsrs_api.job_comparison import MAX_COMPARED_JOBS, compare_jobs, selected_job_ids
from dsrs_client.contract import Comparison

__all__ = ["router"]

router = APIRouter(prefix="/v1/compare", tags=["jobs"])

SessionDep = Annotated[Session, Depends(get_session)]


@router.get("", response_model=Comparison)
def compare(
    session: SessionDep,
    job_id: Annotated[
        list[str] | None, Query(description=f"Jobs to compare (1 to {MAX_COMPARED_JOBS} in all)")
    ] = None,
    name: Annotated[
        str | None, Query(max_length=200, description="Also compare the jobs of this name")
    ] = None,
    tag: Annotated[
        list[str] | None,
        Query(max_length=32, description="Also compare the jobs with every tag given"),
    ] = None,
    radii: Annotated[
        list[float] | None, Query(description="Table radii (default 0.25, 0.5, …)")
    ] = None,
    confidence: Annotated[float, Query(gt=0.0, lt=1.0, description="Interval coverage")] = 0.95,
) -> Comparison:
    """Certified accuracy at radii and ACR of each job's certificates with confidence
    intervals over the test set, benign accuracy, and curves on a common radius grid. The
    jobs are those named by ``job_id`` and those ``name``/``tag`` select as the job list
    does."""
    jobs = selected_job_ids(session, job_id or (), name, tag or ())
    return compare_jobs(session, jobs, radii, confidence)
