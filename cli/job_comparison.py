"""Comparison rows of service jobs: the service's ``GET /v1/compare`` answer (recomputed
there from the stored rows) as rows of :mod:`dsrs_cli.comparison_tables`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsrs_cli.comparison_tables import ComparisonRow

if TYPE_CHECKING:
    from dsrs_client.contract import Comparison, EstimateOut

__all__ = ["comparison_rows"]


def comparison_rows(
    comparison: Comparison, labels: dict[str, str] | None = None
) -> list[ComparisonRow]:
    """One row per certificate of every job; ``labels`` may rename jobs (by id)."""
    from dsrs_core.accuracy_intervals import CertifiedFigures, Estimate

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
                inputs=job.samples,
            )
            label = (labels or {}).get(job.job_id, job.label)
            rows.append(ComparisonRow(label, certificate.name, figures))
    return rows
