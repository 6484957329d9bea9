"""Several jobs side by side (``GET /v1/compare``, the dashboard's compare page).

Numbers are recomputed from the stored rows with the summary's radii
(:func:`dsrs_core.evaluation.job_summary.job_radii`, the one counting rule of
:mod:`dsrs_core.evaluation.radius_counting`) and the engine's interval methods
(:mod:`dsrs_core.evaluation.accuracy_intervals`), so they equal the summary's and
``dsrs compare``'s.

Every job is computed on the inputs all compared jobs have, unless ``inputs="own"``
(:mod:`dsrs_core.evaluation.common_inputs`). An input is its built-in dataset, split and index,
or its uploaded input set and index (:func:`input_key`); a job that holds an input twice counts
its first row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session

from dsrs_api.errors import InvalidRequestError
from dsrs_api.services.job_reports import checked_radii
from dsrs_client.contract import CertificateFigures, ComparedJob, Comparison, EstimateOut
from dsrs_client.contract.labels import TARGET_FORM_NOTE, is_target_form, sampling_label
from dsrs_core.evaluation.accuracy_intervals import (
    ACR_INTERVAL_METHOD,
    PROPORTION_INTERVAL_METHOD,
    Estimate,
    certified_figures,
)
from dsrs_core.evaluation.common_inputs import (
    COMMON,
    InputCoverage,
    NoCommonInputsError,
    common_inputs,
)
from dsrs_core.evaluation.equal_budget import SAME_RUN, SEQUENTIAL_NP, same_cost_baseline
from dsrs_core.evaluation.job_summary import (
    JobRadii,
    JobShape,
    ResultColumns,
    forward_passes_spent,
    job_radii,
    table_radii,
)
from dsrs_core.evaluation.radius_counting import certified_accuracy, largest_radius
from dsrs_store import repository
from dsrs_store.tables import JobRecord, SampleRecord

__all__ = [
    "CURVE_POINTS",
    "MAX_COMPARED_JOBS",
    "MAX_COMPARED_ROWS",
    "compare_jobs",
    "input_key",
    "job_label",
    "selected_job_ids",
]

MAX_COMPARED_JOBS = 20
#: Stored rows one comparison may read in all (bounds its memory and time).
MAX_COMPARED_ROWS = 400_000
CURVE_POINTS = 201


def job_label(job: JobRecord, used: int | None = None, budget: int | None = None) -> str:
    """What names a job in a comparison: its name, else a short description (P, Q and the
    budget); a sequential job's label adds its sampling rule and the share of the fixed-N
    forward passes it used."""
    p = job.parameters
    if job.name:
        return (
            job.name if p.sequential is None else f"{job.name}, {sampling_label(p, used, budget)}"
        )
    parts = [f"σ={p.noise.sigma:g}"]
    if p.noise.k:
        parts.append(f"k={p.noise.k}")
    if p.q is not None and p.q.sigma is not None:
        parts.append(f"σ_Q={p.q.sigma:g}")
    elif p.q is not None:
        parts.append(f"Q th={p.q.threshold}")
    parts.append(f"N={p.n}")
    if p.sequential is not None:
        parts.append(sampling_label(p, used, budget))
    if p.check == "proven":
        parts.append("check=proven")
    return " ".join(parts)


def _distinct_labels(jobs: Sequence[JobRecord], passes: dict[str, tuple[int, int]]) -> list[str]:
    """:func:`job_label` of each job (``passes``: forward passes used and the fixed-N budget,
    by job id); labels that two jobs share get the id prefix."""
    labels = [job_label(job, *passes[job.id]) for job in jobs]
    return [
        f"{label} ({job.id[:8]})" if labels.count(label) > 1 else label
        for job, label in zip(jobs, labels, strict=True)
    ]


def input_key(job: JobRecord, row: SampleRecord) -> tuple[object, ...]:
    """What identifies the input of ``row`` across jobs: built-in dataset, split and index,
    or uploaded input set and index."""
    inputs = job.inputs
    if inputs.get("source") == "upload":
        return ("upload", inputs.get("input_set_id"), row.dataset_index)
    return ("builtin", inputs.get("dataset"), inputs.get("split"), row.dataset_index)


def _rows_by_input(job: JobRecord, rows: Sequence[SampleRecord]) -> dict[tuple, SampleRecord]:
    """The job's rows by input key; an input held twice keeps its first row."""
    found: dict[tuple, SampleRecord] = {}
    for row in rows:
        found.setdefault(input_key(job, row), row)
    return found


def _notes(jobs: Sequence[JobRecord], labels: Sequence[str]) -> list[str]:
    """The target-form note, when such a job is compared with a fixed-N one."""
    target_form = [
        label for job, label in zip(jobs, labels, strict=True) if is_target_form(job.parameters)
    ]
    fixed = any(job.parameters.sequential is None for job in jobs)
    return [f"{', '.join(target_form)}: {TARGET_FORM_NOTE}"] if target_form and fixed else []


def _estimate(estimate: Estimate) -> EstimateOut:
    return EstimateOut(value=estimate.value, lower=estimate.lower, upper=estimate.upper)


def _certificates(job: JobRecord, radii: JobRadii) -> list[tuple[str, str, str | None, np.ndarray]]:
    """``(name, kind, baseline, counted radii)`` of every certificate the job holds."""
    p = job.parameters
    alpha_p = p.alpha / 2 if p.q is not None else p.alpha
    found: list[tuple[str, str, str | None, np.ndarray]] = [
        (f"NP, same run (N={p.n}, α={alpha_p:g})", "np", SAME_RUN, radii.np)
    ]
    if radii.same_cost is not None:
        baseline = same_cost_baseline(p.baseline)
        name = (
            f"NP, sequential same cost (N≤{2 * p.n}, α={p.alpha:g})"
            if baseline == SEQUENTIAL_NP
            else f"NP, equal budget (N={2 * p.n}, α={p.alpha:g})"
        )
        found.append((name, "np", baseline, radii.same_cost))
    if radii.dsrs is not None:
        found.append((f"DSRS (N={p.n}+{p.n}, α={alpha_p:g}×2)", "dsrs", None, radii.dsrs))
    return found


def selected_job_ids(
    session: Session, job_ids: Sequence[str], name: str | None, tags: Sequence[str]
) -> list[str]:
    """The jobs a comparison covers: ``job_ids`` in their order, then the jobs of ``name``
    carrying every tag in ``tags`` (the job list's filter and order, newest first; the
    caller's own jobs only, as the list). :func:`compare_jobs` drops repeats."""
    job_ids = [repository.resolve_id(session, "job", job_id) for job_id in job_ids]
    if name is None and not tags:
        return job_ids
    chosen = repository.list_jobs(session, limit=MAX_COMPARED_JOBS + 1, name=name, tags=tags)
    selection = " and ".join(
        ([f"name {name!r}"] if name is not None else []) + [f"tag {tag!r}" for tag in tags]
    )
    if not chosen:
        raise InvalidRequestError(f"no job has {selection}: see GET /v1/jobs?name=&tag=")
    if len(chosen) > MAX_COMPARED_JOBS:
        raise InvalidRequestError(
            f"more than {MAX_COMPARED_JOBS} jobs have {selection}; at most "
            f"{MAX_COMPARED_JOBS} jobs can be compared at once: narrow the selection"
        )
    return [*job_ids, *(job.id for job in chosen)]


def compare_jobs(
    session: Session,
    job_ids: Sequence[str],
    radii: Sequence[float] | None,
    confidence: float,
    inputs: str = COMMON,
) -> Comparison:
    """Figures of every job in ``job_ids`` (in that order) at common radii, on the inputs
    every job has (``inputs="common"``) or each on its own (``"own"``)."""
    ids = list(dict.fromkeys(job_ids))
    if not ids:
        raise InvalidRequestError("give at least one job_id (or a name or tag) to compare")
    if len(ids) > MAX_COMPARED_JOBS:
        raise InvalidRequestError(f"at most {MAX_COMPARED_JOBS} jobs can be compared at once")
    if not 0.0 < confidence < 1.0:
        raise InvalidRequestError(f"confidence must lie in (0, 1), got {confidence}")
    jobs_found = [repository.get_job(session, job_id) for job_id in ids]
    stored = sum(repository.job_progress(session, job).done for job in jobs_found)
    if stored > MAX_COMPARED_ROWS:
        raise InvalidRequestError(
            f"these jobs hold {stored} result rows; one comparison reads at most "
            f"{MAX_COMPARED_ROWS}: compare fewer jobs at once"
        )
    by_input = [
        (job, _rows_by_input(job, repository.all_samples(session, job.id))) for job in jobs_found
    ]
    passes = {}  # forward passes used, and the fixed-N budget of the same inputs
    for job, held in by_input:
        columns = ResultColumns.from_rows(list(held.values()))
        used, _, budget = forward_passes_spent(columns, JobShape.of(job.parameters, "evaluate"))
        passes[job.id] = (used, budget)
    labels = _distinct_labels(jobs_found, passes)
    named = [(label, held) for label, (_, held) in zip(labels, by_input, strict=True)]
    try:
        # Jobs that have no result yet (all still queued) compare as empty, not as disjoint.
        shared, coverage = (
            common_inputs(named, inputs)
            if any(held for _, held in named)
            else (set(), InputCoverage(inputs, 0, tuple((label, 0) for label, _ in named)))
        )
    except NoCommonInputsError as error:
        raise InvalidRequestError(str(error)) from None
    found = []
    for job, held in by_input:
        rows = [row for key, row in held.items() if inputs != COMMON or key in shared]
        radii_of = job_radii(
            ResultColumns.from_rows(rows), uses_q=job.parameters.q is not None, mode=job.mode
        )
        found.append((job, len(held), len(rows), radii_of, _certificates(job, radii_of)))
    largest = max(
        (largest_radius(values) for *_, certificates in found for *_, values in certificates),
        default=0.0,
    )
    at = checked_radii(radii) or table_radii(largest)
    top = max(largest, at[-1]) * 1.05
    grid = [round(float(r), 6) for r in np.linspace(0.0, top, CURVE_POINTS)]
    jobs = []
    for label, (job, samples, compared, radii_of, certificates) in zip(labels, found, strict=True):
        figures = []
        benign = None
        for name, kind, baseline, values in certificates:
            computed = certified_figures(values, at, radii_of.benign, confidence)
            benign = computed.benign
            figures.append(
                CertificateFigures(
                    name=name,
                    kind=kind,  # type: ignore[arg-type]
                    baseline=baseline,
                    accuracy=[_estimate(e) for e in computed.accuracy],
                    acr=_estimate(computed.acr),
                    curve=[round(v, 6) for v in certified_accuracy(values, grid)],
                )
            )
        jobs.append(
            ComparedJob(
                job_id=job.id,
                label=label,
                status=job.status,
                mode=job.mode,
                samples=samples,
                compared_inputs=compared,
                total=job.total,
                labelled=radii_of.labelled,
                parameters=job.parameters.model_dump(mode="json"),
                benign=_estimate(benign) if benign is not None else None,
                certificates=figures,
            )
        )
    return Comparison(
        radii=at,
        curve_radii=grid,
        confidence=confidence,
        accuracy_interval=PROPORTION_INTERVAL_METHOD,
        acr_interval=ACR_INTERVAL_METHOD,
        inputs=inputs,  # type: ignore[arg-type]
        common_inputs=coverage.common,
        inputs_note=coverage.note(),
        jobs=jobs,
        notes=_notes(jobs_found, labels),
    )
