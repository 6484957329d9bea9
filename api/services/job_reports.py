"""Read-side views of a job: status with progress and ETA, result pages, the summary."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Sequence

from sqlalchemy.orm import Session

from dsrs_api.errors import InvalidRequestError
from dsrs_client.contract import (
    MAX_COUNT,
    MAX_RADIUS,
    CertifiedAccuracyRow,
    Interval,
    JobOut,
    JobProgressOut,
    JobTimings,
    ResultsPage,
    SampleOut,
    Summary,
    write_result_csv,
)
from dsrs_core.evaluation.accuracy_intervals import (
    ACR_INTERVAL_METHOD,
    DEFAULT_CONFIDENCE,
    PROPORTION_INTERVAL_METHOD,
    Estimate,
)
from dsrs_core.evaluation.job_summary import (
    MAX_TABLE_RADII,
    JobShape,
    ResultColumns,
    job_figures,
)
from dsrs_core.evaluation.proof_check import proof_counts
from dsrs_store import repository
from dsrs_store.tables import JobRecord, utcnow

__all__ = [
    "cancel_job",
    "checked_radii",
    "job_status",
    "job_status_snapshot",
    "list_job_statuses",
    "results_csv",
    "results_page",
    "results_page_snapshot",
    "summary",
]

_INPUT_SUMMARY_CAPACITY = 4096
_INPUT_SUMMARIES: OrderedDict[str, dict[str, object]] = OrderedDict()
_INPUT_SUMMARIES_LOCK = threading.Lock()


def job_status(session: Session, job_id: str) -> JobOut:
    return job_status_snapshot(session, job_id)[0]


def job_status_snapshot(session: Session, job_id: str) -> tuple[JobOut, JobRecord]:
    """The status and the job row it was built from (read first: when that row says
    ``succeeded``, every count read after it is final)."""
    job = repository.get_job(session, job_id, defer_inputs=True)
    return _job_out(session, job), job


def list_job_statuses(
    session: Session,
    *,
    status: str | None,
    limit: int,
    offset: int,
    name: str | None = None,
    tags: Sequence[str] = (),
) -> list[JobOut]:
    jobs = repository.list_jobs(
        session, status=status, limit=limit, offset=offset, name=name, tags=tags
    )
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
        name=job.name,
        tags=job.tags or [],
        warnings=[*(job.warnings or []), *_non_finite_warning(progress.non_finite)],
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
            non_finite_draws=progress.non_finite,
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


def _non_finite_warning(draws: int) -> list[str]:
    if not draws:
        return []
    warning = (
        f"the model answered NaN or infinite logits for {draws} noisy draw(s): each was "
        "counted as an abstention (for no class), so inputs where it happened often abstain "
        "or get smaller radii; check the model's numerical stability under this noise"
    )
    return [warning]


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
        value = int(cursor) if len(cursor) <= 12 else -1
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_COUNT:  # sample indices are 32-bit: no page ends later
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
    write_result_csv(page.items, buffer)
    return buffer.getvalue()


def summary(
    session: Session,
    job_id: str,
    radii: Sequence[float] | None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Summary:
    """Certified accuracy at ``radii`` and ACR of every certificate of the job with their
    intervals over the test set, benign accuracy, and the DSRS gain against the strongest
    NP baseline the job has (equal budget when it was drawn, else the same run): the
    figures of :func:`dsrs_core.evaluation.job_summary.job_figures`."""
    job = repository.get_job(session, job_id)
    rows = repository.all_samples(session, job_id)
    figures = job_figures(
        ResultColumns.from_rows(rows),
        JobShape.of(job.parameters, job.mode),
        checked_radii(radii),
        confidence,
    )
    np_figures, dsrs_figures, equal_figures = figures.np, figures.dsrs, figures.same_cost
    return Summary(
        job_id=job.id,
        status=job.status,
        samples=figures.inputs,
        total=job.total,
        labelled=figures.radii.labelled,
        metric="certified_accuracy" if figures.radii.labelled else "certified_fraction",
        abstain_rate=figures.abstained / figures.inputs if figures.inputs else 0.0,
        certified_accuracy=[
            CertifiedAccuracyRow(
                radius=r,
                np=np_figures.accuracy[i].value,
                dsrs=dsrs_figures.accuracy[i].value if dsrs_figures else None,
                np_equal_budget=equal_figures.accuracy[i].value if equal_figures else None,
                np_interval=_interval(np_figures.accuracy[i]),
                dsrs_interval=_interval(dsrs_figures.accuracy[i]) if dsrs_figures else None,
                np_equal_budget_interval=(
                    _interval(equal_figures.accuracy[i]) if equal_figures else None
                ),
            )
            for i, r in enumerate(figures.at)
        ],
        acr_np=np_figures.acr.value,
        acr_dsrs=dsrs_figures.acr.value if dsrs_figures else None,
        acr_np_equal_budget=equal_figures.acr.value if equal_figures else None,
        acr_np_interval=_interval(np_figures.acr),
        acr_dsrs_interval=_interval(dsrs_figures.acr) if dsrs_figures else None,
        acr_np_equal_budget_interval=_interval(equal_figures.acr) if equal_figures else None,
        benign_accuracy=np_figures.benign.value if np_figures.benign else None,
        benign_accuracy_interval=_interval(np_figures.benign) if np_figures.benign else None,
        baseline=figures.baseline,
        acr_gain=figures.acr_gain,
        confidence=confidence,
        interval_methods={
            "certified_accuracy": PROPORTION_INTERVAL_METHOD,
            "benign_accuracy": PROPORTION_INTERVAL_METHOD,
            "acr": ACR_INTERVAL_METHOD,
        },
        forward_passes=figures.forward_passes,
        forward_passes_baseline=figures.forward_passes_baseline,
        forward_passes_budget=figures.forward_passes_budget,
        proof_outcomes=(
            proof_counts(row.check_outcome for row in rows)
            if job.parameters.check == "proven"
            else None
        ),
    )


def _interval(estimate: Estimate) -> Interval:
    return Interval(lower=estimate.lower, upper=estimate.upper)


def checked_radii(radii: Sequence[float] | None) -> list[float] | None:
    """Requested table radii checked and sorted (400 unless at most
    :data:`MAX_TABLE_RADII` numbers in ``[0, MAX_RADIUS]``); None or empty: the default
    (:func:`dsrs_core.evaluation.job_summary.table_radii`)."""
    if not radii:
        return None
    values = sorted({float(r) for r in radii})
    if len(values) > MAX_TABLE_RADII or not 0 <= values[0] <= values[-1] <= MAX_RADIUS:
        raise InvalidRequestError(
            f"radii must be at most {MAX_TABLE_RADII} finite numbers in [0, {MAX_RADIUS:g}]"
        )
    return values
