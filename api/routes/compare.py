"""``GET /v1/compare``: jobs side by side with error bars (:mod:`dsrs_api.services.job_comparison`),
and ``GET /v1/compare/download``: the same comparison as a file (the table as CSV,
Markdown or LaTeX as ``dsrs compare`` writes it; the curves as PNG or SVG)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from dsrs_api.dependencies import SessionDep
from dsrs_api.services.job_comparison import MAX_COMPARED_JOBS, compare_jobs, selected_job_ids
from dsrs_client.contract import DEFAULT_CONFIDENCE, Comparison
from dsrs_core.evaluation.common_inputs import InputMode

__all__ = ["DOWNLOAD_TYPES", "router"]

router = APIRouter(prefix="/v1/compare", tags=["jobs"])


#: Download format -> (media type, file extension).
DOWNLOAD_TYPES = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "markdown": ("text/markdown; charset=utf-8", "md"),
    "latex": ("application/x-latex; charset=utf-8", "tex"),
    "png": ("image/png", "png"),
    "svg": ("image/svg+xml", "svg"),
}


def _comparison(
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
        list[float] | None,
        Query(description="Table radii (default 0, 0.25, … to the largest radius)"),
    ] = None,
    confidence: Annotated[float, Query(gt=0.0, lt=1.0, description="Interval coverage")] = (
        DEFAULT_CONFIDENCE
    ),
    inputs: Annotated[
        InputMode,
        Query(
            description="common: every job on the inputs all compared jobs have (an empty "
            "overlap is a 400); own: every job on all of its own inputs"
        ),
    ] = "common",
) -> Comparison:
    jobs = selected_job_ids(session, job_id or (), name, tag or ())
    return compare_jobs(session, jobs, radii, confidence, inputs)


ComparisonDep = Annotated[Comparison, Depends(_comparison)]


@router.get("", response_model=Comparison)
def compare(comparison: ComparisonDep) -> Comparison:
    """Certified accuracy at radii and ACR of each job's certificates with confidence
    intervals over the test set, benign accuracy, and curves on a common radius grid. The
    jobs are those named by ``job_id`` and those ``name``/``tag`` select as the job list
    does. By default every job is computed on the inputs all of them have."""
    return comparison


@router.get(
    "/download",
    response_class=Response,
    responses={200: {"content": {media: {} for media, _ in DOWNLOAD_TYPES.values()}}},
)
def download(
    comparison: ComparisonDep,
    format: Annotated[
        Literal["csv", "markdown", "latex", "png", "svg"],
        Query(description="csv, markdown or latex: the table; png or svg: the curves"),
    ],
) -> Response:
    """The comparison ``GET /v1/compare`` gives (same parameters) as a file: the table as
    ``dsrs compare --format`` writes it, or the certified-accuracy curves as a figure."""
    from dsrs_cli.plots.comparison import plot_comparison
    from dsrs_cli.tables.comparison import TableFormat, render_table
    from dsrs_cli.tables.job_comparison import comparison_rows

    media, extension = DOWNLOAD_TYPES[format]
    if format in ("png", "svg"):
        body = plot_comparison(comparison, format)  # type: ignore[arg-type]
    else:
        title = f"{len(comparison.jobs)} job(s)"
        table = render_table(
            comparison_rows(comparison), TableFormat(format), title, [comparison.inputs_note]
        )
        body = table.encode()
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="dsrs-comparison.{extension}"'},
    )
