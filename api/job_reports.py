"""Read-side views of a job: status with progress and ETA, result pages, the summary."""

from __future__ import annotations

import csv
import io
import threading
from collections import OrderedDict
from collections.abc import Sequence

from sqlalchemy.orm import Session

from dsrs_api.errors import InvalidRequestError
from dsrs_client.contract import (
    CertifiedAccuracyRow,
    JobOut,
    JobProgressOut,
    JobTimings,
    ResultsPage,
    SampleOut,
    Summary,
)
from dsrs_core.evaluation import (
    average_certified_radius,
    certified_accuracy,
    counted_radii,
    forward_passes,
    largest_radius,
)
from dsrs_store import repository
from dsrs_store.tables import JobRecord, utcnow

__all__ = [
    "DEFAULT_RADIUS_STEP",
    "cancel_job",
    "job_status",
    "job_status_snapshot",
    "list_job_statuses",
    "results_csv",
    "results_page",
    "results_page_snapshot",
    "summary",
]

DEFAULT_RADIUS_STEP = 0.25
_INPUT_SUMMARY_CAPACITY = 4096
_INPUT_SUMMARIES: OrderedDict[str, dict[str, object]] = OrderedDict()
_INPUT_SUMMARIES_LOCK = threading.Lock()
MAX_RADII = 200
CSV_COLUMNS = tuple(SampleOut.model_fields)


def job_status(session: Session, job_id: str) -> JobOut:
    return job_status_snapshot(session, job_id)[0]


def job_status_snapshot(session: Session, job_id: str) -> tuple[JobOut, JobRecord]:
    """The status and the job row it was built from (read first: when that row says
    ``succeeded``, every count read after it is final)."""
    job = repository.get_job(session, job_id, defer_inputs=True)
    return _job_out(session, job), job


def list_job_statuses(
    session: Session, *, status: str | None, limit: int, offset: int
) -> list[JobOut]:
    jobs = repository.list_jobs(session, status=status, limit=limit, offset=offset)
    return [_job_out(session, job) for job in jobs]


def cancel_job(session: Session, job_id: str) -> JobOut:
    job = repository.cancel_job(session, job_id)
    session.commit()
    return _job_out(session, job)


def _job_out(session: Session, job: JobRecord) -> JobOut:
    progress = repository.job_progress(session, job)
    end = job.finished_at or utcnow()
    wall = (end - job.started_at).total_seconds() if job.started_at else None
    eta = None
    if job.status == "running" and progress.done and wall is not None:
        eta = wall / progress.done * (progress.total - progress.done)
    return JobOut(
        id=job.id,
        model_id=job.model_id,
        status=job.status,  # type: ignore[arg-type]
        mode=job.mode,
        inputs=_inputs_without_indices(job),
        parameters=job.parameters,
        seed=job.seed,
        progress=JobProgressOut(
            done=progress.done,
            total=progress.total,
            fraction=progress.done / progress.total if progress.total else 0.0,
        ),
        eta_seconds=eta,
        timings=JobTimings(
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            wall_seconds=wall,
            sampling_seconds=progress.elapsed_s,
            seconds_per_sample=progress.elapsed_s / progress.done if progress.done else None,
        ),
        error=job.error,
    )


def _inputs_without_indices(job: JobRecord) -> dict[str, object]:
    """The job's inputs as shown (count and first indices instead of every index). A job's
    inputs never change: kept per job so that status polls do not load and parse the
    whole index list of a large job each time."""
    with _INPUT_SUMMARIES_LOCK:
        cached = _INPUT_SUMMARIES.get(job.id)
    if cached is not None:
        return dict(cached)
    summary = _summarise_inputs(job)
    with _INPUT_SUMMARIES_LOCK:
        _INPUT_SUMMARIES[job.id] = summary
        while len(_INPUT_SUMMARIES) > _INPUT_SUMMARY_CAPACITY:
            _INPUT_SUMMARIES.popitem(last=False)
    return dict(summary)


def _summarise_inputs(job: JobRecord) -> dict[str, object]:
    inputs = dict(job.inputs)
    indices = inputs.pop("indices", [])
    inputs.pop("storage_path", None)
    inputs["count"] = len(indices)
    inputs["first_indices"] = indices[:10]
    return inputs


def _parse_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    try:
        value = int(cursor)
    except ValueError:
        value = -1
    if value < 0:
        raise InvalidRequestError(
            f"cursor must be a value of next_cursor from an earlier page, got {cursor!r}"
        )
    return value


def results_page(session: Session, job_id: str, *, cursor: str | None, limit: int) -> ResultsPage:
    return results_page_snapshot(session, job_id, cursor=cursor, limit=limit)[0]


def results_page_snapshot(
    session: Session, job_id: str, *, cursor: str | None, limit: int
) -> tuple[ResultsPage, JobRecord]:
    """A page and the job row read before it (404 unless the caller's job; when the row
    says ``succeeded``, every row of the page was already stored: the page is final)."""
    job = repository.get_job(session, job_id, defer_inputs=True)
    rows = repository.page_samples(session, job_id, after=_parse_cursor(cursor), limit=limit)
    next_cursor = str(rows[-1].sample_index) if len(rows) == limit else None
    page = ResultsPage(
        job_id=job_id,
        items=[SampleOut.model_validate(row) for row in rows],
        next_cursor=next_cursor,
    )
    return page, job


def results_csv(page: ResultsPage) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in page.items:
        values = item.model_dump()
        writer.writerow(
            " ".join(map(str, values[c]))
            if c == "selection_counts" and values[c]
            else ("" if values[c] is None else values[c])
            for c in CSV_COLUMNS
        )
    return buffer.getvalue()


def summary(session: Session, job_id: str, radii: Sequence[float] | None) -> Summary:
    job = repository.get_job(session, job_id)
    rows = repository.all_samples(session, job_id)
    labelled = bool(rows) and all(row.label is not None for row in rows)
    predictions = [row.prediction for row in rows]
    labels = [row.label for row in rows]
    np_radius = [row.np_radius for row in rows]
    np_radii = counted_radii(predictions, labels, np_radius)
    dsrs_radii = counted_radii(predictions, labels, np_radius, [row.dsrs_radius for row in rows])
    uses_q = job.parameters.q is not None
    at = _radii(radii, max(largest_radius(np_radii), largest_radius(dsrs_radii)))
    np_acc = certified_accuracy(np_radii, at)
    dsrs_acc = certified_accuracy(dsrs_radii, at)
    return Summary(
        job_id=job.id,
        status=job.status,
        samples=len(rows),
        total=job.total,
        labelled=labelled,
        metric="certified_accuracy" if labelled else "certified_fraction",
        abstain_rate=(sum(row.prediction is None for row in rows) / len(rows)) if rows else 0.0,
        certified_accuracy=[
            CertifiedAccuracyRow(radius=r, np=a, dsrs=b if uses_q else None)
            for r, a, b in zip(at, np_acc, dsrs_acc, strict=True)
        ],
        acr_np=average_certified_radius(np_radii),
        acr_dsrs=average_certified_radius(dsrs_radii) if uses_q else None,
        forward_passes=forward_passes(
            [row.p_n for row in rows], [row.q_n for row in rows], _selection_draws(job)
        ),
        forward_passes_budget=len(rows) * job.parameters.draws_per_input(job.mode),
    )


def _selection_draws(job: JobRecord) -> int:
    """Selection draws per input: ``n_selection`` in predict mode, none in evaluate mode."""
    return job.parameters.n_selection if job.mode == "predict" else 0


def _radii(radii: Sequence[float] | None, largest: float) -> list[float]:
    if radii:
        values = sorted({float(r) for r in radii})
        if len(values) > MAX_RADII or values[0] < 0:
            raise InvalidRequestError(f"radii must be at most {MAX_RADII} non-negative numbers")
        return values
    steps = min(int(largest / DEFAULT_RADIUS_STEP) + 1, MAX_RADII)
    return [round(i * DEFAULT_RADIUS_STEP, 10) for i in range(steps)]
