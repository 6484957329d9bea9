"""Several jobs side by side (``GET /v1/compare``, the dashboard's compare page).

Numbers are recomputed from the stored rows with the summary's radii
(:func:`dsrs_api.job_reports.job_radii`, the one counting rule of
:mod:`dsrs_core.evaluation`) and the engine's interval methods
(:mod:`dsrs_core.accuracy_intervals`), so they equal the summary's and ``dsrs compare``'s.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session

from dsrs_api.errors import InvalidRequestError
from dsrs_api.job_reports import JobRadii, job_radii, table_radii
from dsrs_client.contract import CertificateFigures, ComparedJob, Comparison, EstimateOut
from dsrs_client.contract.labels import TARGET_FORM_NOTE, is_target_form, sampling_label
from dsrs_core.accuracy_intervals import (
    ACR_INTERVAL_METHOD,
    PROPORTION_INTERVAL_METHOD,
    Estimate,
    certified_figures,
)
from dsrs_core.equal_budget import EQUAL_BUDGET, SAME_RUN
from dsrs_core.evaluation import certified_accuracy, largest_radius
from dsrs_store import repository
from dsrs_store.tables import JobRecord

__all__ = [
    "CURVE_POINTS",
    "MAX_COMPARED_JOBS",
    "MAX_COMPARED_ROWS",
    "compare_jobs",
    "job_label",
    "selected_job_ids",
]

MAX_COMPARED_JOBS = 20
#: Stored rows one comparison may read in all (bounds its memory and time).
MAX_COMPARED_ROWS = 400_000
CURVE_POINTS = 201


def job_label(job: JobRecord, used: int | None = None, budget: int | None = None) -> str:
    """What distinguishes a job in a comparison: id prefix, P, Q and the budget (with the
    sampling rule and the share of the fixed-N passes a sequential job used)."""
    p = job.parameters
    parts = [job.id[:8], f"σ={p.noise.sigma:g}"]
    if p.noise.k:
        parts.append(f"k={p.noise.k}")
    if p.q is not None and p.q.sigma is not None:
        parts.append(f"σ_Q={p.q.sigma:g}")
    elif p.q is not None:
        parts.append(f"Q th={p.q.threshold}")
    parts.append(f"N={p.n}")
    if p.sequential is not None:
        parts.append(sampling_label(p, used, budget))
    return " ".join(parts)


def _notes(jobs: Sequence[JobRecord]) -> list[str]:
    """The target-form note, when such a job is compared with a fixed-N one."""
    target_form = [job.id[:8] for job in jobs if is_target_form(job.parameters)]
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
    if radii.equal_budget is not None:
        found.append(
            (
                f"NP, equal budget (N={2 * p.n}, α={p.alpha:g})",
                "np",
                EQUAL_BUDGET,
                radii.equal_budget,
            )
        )
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
) -> Comparison:
    """Figures of every job in ``job_ids`` (in that order) at common radii."""
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
    found = []
    passes: dict[str, tuple[int, int]] = {}  # forward passes used, and the fixed-N budget
    for job in jobs_found:
        rows = repository.all_samples(session, job.id)
        used = sum(row.p_n + (row.q_n or 0) + (row.baseline_extra_n or 0) for row in rows)
        passes[job.id] = (used, len(rows) * job.parameters.draws_per_input("evaluate"))
        radii_of = job_radii(job, rows)
        found.append((job, len(rows), radii_of, _certificates(job, radii_of)))
    largest = max(
        (largest_radius(values) for *_, certificates in found for *_, values in certificates),
        default=0.0,
    )
    at = table_radii(radii, largest)
    top = max(largest, at[-1]) * 1.05
    grid = [round(float(r), 6) for r in np.linspace(0.0, top, CURVE_POINTS)]
    jobs = []
    for job, samples, radii_of, certificates in found:
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
                label=job_label(job, *passes[job.id]),
                status=job.status,
                mode=job.mode,
                samples=samples,
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
        jobs=jobs,
        notes=_notes([job for job, *_ in found]),
    )
