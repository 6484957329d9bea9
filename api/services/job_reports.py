"""Read-side views of a job: status with progress and ETA, result pages, the summary."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
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
from dsrs_core.accuracy_intervals import (
    ACR_INTERVAL_METHOD,
    DEFAULT_CONFIDENCE,
    PROPORTION_INTERVAL_METHOD,
    Estimate,
    certified_figures,
)
from dsrs_core.benign_accuracy import smoothed_prediction_correct
from dsrs_core.equal_budget import SAME_RUN, same_cost_baseline
from dsrs_core.evaluation import counted_radii, forward_passes, largest_radius
from dsrs_store import repository
from dsrs_store.tables import JobRecord, SampleRecord, utcnow

__all__ = [
    "DEFAULT_RADIUS_STEP",
    "JobRadii",
    "benign_correct",
    "cancel_job",
    "job_radii",
    "job_status",
    "job_status_snapshot",
    "list_job_statuses",
    "results_csv",
    "results_page",
    "results_page_snapshot",
    "summary",
    "table_radii",
]

DEFAULT_RADIUS_STEP = 0.25
_INPUT_SUMMARY_CAPACITY = 4096
_INPUT_SUMMARIES: OrderedDict[str, dict[str, object]] = OrderedDict()
_INPUT_SUMMARIES_LOCK = threading.Lock()
MAX_RADII = 200


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
    NP baseline the job has (equal budget when it was drawn, else the same run)."""
    job = repository.get_job(session, job_id)
    rows = repository.all_samples(session, job_id)
    radii_of = job_radii(job, rows)
    largest = max(largest_radius(r) for r in (radii_of.np, radii_of.dsrs, radii_of.equal_budget)
                  if r is not None)
    at = table_radii(radii, largest)
    np_figures = certified_figures(radii_of.np, at, radii_of.benign, confidence)
    dsrs_figures = (
        certified_figures(radii_of.dsrs, at, None, confidence)
        if radii_of.dsrs is not None
        else None
    )
    equal_figures = (
        certified_figures(radii_of.equal_budget, at, None, confidence)
        if radii_of.equal_budget is not None
        else None
    )
    baseline = equal_figures if equal_figures is not None else np_figures
    return Summary(
        job_id=job.id,
        status=job.status,
        samples=len(rows),
        total=job.total,
        labelled=radii_of.labelled,
        metric="certified_accuracy" if radii_of.labelled else "certified_fraction",
        abstain_rate=(sum(row.prediction is None for row in rows) / len(rows)) if rows else 0.0,
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
            for i, r in enumerate(at)
        ],
        acr_np=np_figures.acr.value,
        acr_dsrs=dsrs_figures.acr.value if dsrs_figures else None,
        acr_np_equal_budget=equal_figures.acr.value if equal_figures else None,
        acr_np_interval=_interval(np_figures.acr),
        acr_dsrs_interval=_interval(dsrs_figures.acr) if dsrs_figures else None,
        acr_np_equal_budget_interval=_interval(equal_figures.acr) if equal_figures else None,
        benign_accuracy=np_figures.benign.value if np_figures.benign else None,
        benign_accuracy_interval=_interval(np_figures.benign) if np_figures.benign else None,
        baseline=same_cost_baseline(job.parameters.baseline) if equal_figures else SAME_RUN,
        acr_gain=dsrs_figures.acr.value - baseline.acr.value if dsrs_figures else None,
        confidence=confidence,
        interval_methods={
            "certified_accuracy": PROPORTION_INTERVAL_METHOD,
            "benign_accuracy": PROPORTION_INTERVAL_METHOD,
            "acr": ACR_INTERVAL_METHOD,
        },
        forward_passes=forward_passes(
            [row.p_n for row in rows], [row.q_n for row in rows], _selection_draws(job)
        )
        + sum(row.baseline_extra_n or 0 for row in rows),
        forward_passes_baseline=sum(row.baseline_extra_n or 0 for row in rows),
        forward_passes_budget=len(rows) * job.parameters.draws_per_input(job.mode),
    )


def _selection_draws(job: JobRecord) -> int:
    """Selection draws per input: ``n_selection`` in predict mode, none in evaluate mode."""
    return job.parameters.n_selection if job.mode == "predict" else 0


def _interval(estimate: Estimate) -> Interval:
    return Interval(lower=estimate.lower, upper=estimate.upper)


@dataclass(frozen=True)
class JobRadii:
    """The counted radii of a job's rows (NaN: never counts; dsrs_core.evaluation) per
    certificate — NP of the same run, DSRS (None without Q), the same-cost NP baseline
    (``equal_budget``: the equal-budget or the sequential-np one, as the job's ``baseline``
    says; None unless every row has it) — and, with labels, whether each input is benignly
    correct."""

    np: NDArray[np.float64]
    dsrs: NDArray[np.float64] | None
    equal_budget: NDArray[np.float64] | None
    benign: list[bool] | None
    labelled: bool


def job_radii(job: JobRecord, rows: Sequence[SampleRecord]) -> JobRadii:
    """:class:`JobRadii` of ``rows`` with the one counting rule (:func:`counted_radii`).

    The baseline certificate predicts the counted class when its own lower bound (pooled,
    or its own sequential run's) is above 1/2, and abstains otherwise, independently of the
    job's P run."""
    labelled = bool(rows) and all(row.label is not None for row in rows)
    predictions = [row.prediction for row in rows]
    labels = [row.label for row in rows]
    np_radius = [row.np_radius for row in rows]
    dsrs = None
    if job.parameters.q is not None:
        dsrs = counted_radii(predictions, labels, np_radius, [row.dsrs_radius for row in rows])
    equal = None
    if rows and all(row.baseline_np_radius is not None for row in rows):
        pooled_predictions = [
            row.counted_label if (row.baseline_p_lower or 0.0) > 0.5 else None for row in rows
        ]
        equal = counted_radii(pooled_predictions, labels, [row.baseline_np_radius for row in rows])
    return JobRadii(
        np=counted_radii(predictions, labels, np_radius),
        dsrs=dsrs,
        equal_budget=equal,
        benign=benign_correct(job, rows) if labelled else None,
        labelled=labelled,
    )


def benign_correct(job: JobRecord, rows: Sequence[SampleRecord]) -> list[bool]:
    """Per row: does the smoothed classifier predict the label (labelled rows only)."""
    mode = "predict" if job.mode == "predict" else "evaluate"
    return [
        bool(smoothed_prediction_correct(mode, row.label, row.counted_label, row.p_count, row.p_n))
        for row in rows
    ]


def table_radii(radii: Sequence[float] | None, largest: float) -> list[float]:
    """``radii`` checked and sorted, or by default ``0, 0.25, …`` up to ``largest``."""
    if radii:
        values = sorted({float(r) for r in radii})
        if len(values) > MAX_RADII or not 0 <= values[0] <= values[-1] <= MAX_RADIUS:
            raise InvalidRequestError(
                f"radii must be at most {MAX_RADII} finite numbers in [0, {MAX_RADIUS:g}]"
            )
        return values
    steps = min(int(largest / DEFAULT_RADIUS_STEP) + 1, MAX_RADII)
    return [round(i * DEFAULT_RADIUS_STEP, 10) for i in range(steps)]
