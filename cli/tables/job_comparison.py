"""Comparison rows of service jobs: the service's ``GET /v1/compare`` answer (recomputed
there from the stored rows) as rows of :mod:`dsrs_cli.tables.comparison`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsrs_cli.tables.comparison import ComparisonRow

if TYPE_CHECKING:
    from dsrs_client.contract import Comparison, EstimateOut

__all__ = ["comparison_rows"]


def comparison_rows(
    comparison: Comparison, labels: dict[str, str] | None = None
) -> list[ComparisonRow]:
    """One row per certificate of every job, computed on the inputs the service chose
    (``comparison.inputs``; marked when a job's own differ); ``labels`` may rename jobs."""
    from dsrs_core.accuracy_intervals import CertifiedFigures, Estimate
    from dsrs_core.common_inputs import InputCoverage

    coverage = InputCoverage(
        comparison.inputs,
        comparison.common_inputs,
        tuple((job.label, job.samples) for job in comparison.jobs),
    )

    def estimate(out: EstimateOut, method: str) -> Estimate:
        return Estimate(out.value, out.lower, out.upper, comparison.confidence, method)

    rows = []
    for job in comparison.jobs:
        benign = estimate(job.benign, comparison.accuracy_interval) if job.benign else None
        for certificate in job.certificates:
            figures = CertifiedFigures(
                radii=tuple(comparison.radii),
                accuracy=tuple(
                    estimate(e, comparison.accuracy_interval) for e in certificate.accuracy
                ),
                acr=estimate(certificate.acr, comparison.acr_interval),
                benign=benign,
                inputs=job.compared_inputs,
            )
            label = (labels or {}).get(job.job_id, job.label)
            name = coverage.label(certificate.name, job.compared_inputs)
            rows.append(ComparisonRow(label, name, figures, job.samples))
    return rows
