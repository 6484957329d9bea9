"""Several jobs side by side (``GET /v1/compare``, the dashboard's compare page).

Numbers are recomputed from the stored rows with the summary's counting rule
(:func:`dsrs_api.job_reports.counted_radius`) and the engine's interval methods
(:mod:`dsrs_core.accuracy_intervals`), so they equal the summary's and ``dsrs compare``'s.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session

from dsrs_api.comparison_schemas import (
    CertificateFigures,
    ComparedJob,
    Comparison,
    EstimateOut,
)
from dsrs_api.errors import InvalidRequestError
from dsrs_api.job_reports import (
    DEFAULT_RADIUS_STEP,
    MAX_RADII,
    benign_correct,
    counted_equal_budget_radius,
    counted_radius,
)
from dsrs_core.accuracy_intervals import (
    ACR_INTERVAL_METHOD,
    PROPORTION_INTERVAL_METHOD,
    Estimate,
    certified_figures,
)
from dsrs_core.equal_budget import EQUAL_BUDGET
from dsrs_core.evaluation import certified_accuracy
from dsrs_store import repository
from dsrs_store.tables import JobRecord, SampleRecord

__all__ = ["CURVE_POINTS", "MAX_COMPARED_JOBS", "compare_jobs", "job_label"]

MAX_COMPARED_JOBS = 20
CURVE_POINTS = 201


def job_label(job: JobRecord) -> str:
    """What distinguishes a job in a comparison: id prefix, P, Q and the budget."""
    p = job.parameters
    noise = p.get("noise") or {}
    q = p.get("q") or {}
    parts = [job.id[:8], f"σ={noise.get('sigma')}"]
    if noise.get("k"):
        parts.append(f"k={noise['k']}")
    if q.get("sigma") is not None:
        parts.append(f"σ_Q={q['sigma']}")
    elif q.get("threshold") is not None:
        parts.append(f"Q th={q['threshold']}")
    parts.append(f"N={p.get('n')}")
    return " ".join(parts)


def _estimate(estimate: Estimate) -> EstimateOut:
    return EstimateOut(value=estimate.value, lower=estimate.lower, upper=estimate.upper)


class _JobRadii:
    def __init__(self, job: JobRecord, rows: Sequence[SampleRecord]) -> None:
        self.job = job
        self.rows = rows
        self.labelled = bool(rows) and all(row.label is not None for row in rows)
        alpha = float(job.parameters.get("alpha", 0.0))
        n = job.parameters.get("n")
        self.uses_q = job.parameters.get("q") is not None
        alpha_p = alpha / 2 if self.uses_q else alpha
        self.methods: list[tuple[str, str, str | None, list[float]]] = [
            (
                f"NP, same run (N={n}, α={alpha_p:g})",
                "np",
                "same-run",
                [counted_radius(row, row.np_radius, self.labelled) for row in rows],
            )
        ]
        equal = [counted_equal_budget_radius(row, self.labelled) for row in rows]
        if rows and None not in equal:
            self.methods.append(
                (
                    f"NP, equal budget (N={2 * int(n or 0)}, α={alpha:g})",
                    "np",
                    EQUAL_BUDGET,
                    [r for r in equal if r is not None],
                )
            )
        if self.uses_q:
            self.methods.append(
                (
                    f"DSRS (N={n}+{n}, α={alpha_p:g}×2)",
                    "dsrs",
                    None,
                    [
                        counted_radius(
                            row, max(row.np_radius, row.dsrs_radius or 0.0), self.labelled
                        )
                        for row in rows
                    ],
                )
            )

    def benign_correct(self) -> list[bool] | None:
        return benign_correct(self.job, self.rows) if self.labelled else None


def _table_radii(radii: Sequence[float] | None, largest: float) -> list[float]:
    if radii:
        values = sorted({float(r) for r in radii})
        if len(values) > MAX_RADII or values[0] < 0:
            raise InvalidRequestError(f"radii must be at most {MAX_RADII} non-negative numbers")
        return values
    steps = max(min(int(largest / DEFAULT_RADIUS_STEP + 1e-9), MAX_RADII), 1)
    return [round(i * DEFAULT_RADIUS_STEP, 10) for i in range(1, steps + 1)]


def compare_jobs(
    session: Session,
    job_ids: Sequence[str],
    radii: Sequence[float] | None,
    confidence: float,
) -> Comparison:
    """Figures of every job in ``job_ids`` (in that order) at common radii."""
    ids = list(dict.fromkeys(job_ids))
    if not ids:
        raise InvalidRequestError("give at least one job_id to compare")
    if len(ids) > MAX_COMPARED_JOBS:
        raise InvalidRequestError(f"at most {MAX_COMPARED_JOBS} jobs can be compared at once")
    if not 0.0 < confidence < 1.0:
        raise InvalidRequestError(f"confidence must lie in (0, 1), got {confidence}")
    found = [
        _JobRadii(job, repository.all_samples(session, job.id))
        for job in (repository.get_job(session, job_id) for job_id in ids)
    ]
    largest = max(
        (max(values, default=0.0) for job in found for *_, values in job.methods), default=0.0
    )
    at = _table_radii(radii, largest)
    top = max(largest, at[-1]) * 1.05
    grid = [round(float(r), 6) for r in np.linspace(0.0, top, CURVE_POINTS)]
    jobs = []
    for radii_of in found:
        benign_correct = radii_of.benign_correct()
        certificates = []
        benign = None
        for name, kind, baseline, values in radii_of.methods:
            figures = certified_figures(values, at, benign_correct, confidence)
            benign = figures.benign
            certificates.append(
                CertificateFigures(
                    name=name,
                    kind=kind,  # type: ignore[arg-type]
                    baseline=baseline,
                    accuracy=[_estimate(e) for e in figures.accuracy],
                    acr=_estimate(figures.acr),
                    curve=[round(v, 6) for v in certified_accuracy(values, grid)],
                )
            )
        job = radii_of.job
        jobs.append(
            ComparedJob(
                job_id=job.id,
                label=job_label(job),
                status=job.status,
                mode=job.mode,
                samples=len(radii_of.rows),
                total=job.total,
                labelled=radii_of.labelled,
                parameters=job.parameters,
                benign=_estimate(benign) if benign is not None else None,
                certificates=certificates,
            )
        )
    return Comparison(
        radii=at,
        curve_radii=grid,
        confidence=confidence,
        accuracy_interval=PROPORTION_INTERVAL_METHOD,
        acr_interval=ACR_INTERVAL_METHOD,
        jobs=jobs,
    )
