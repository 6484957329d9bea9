"""Certified accuracy and ACR of result rows computed on the client (recertify, local runs),
by the service summary's rules (:mod:`dsrs_core.evaluation.job_summary`: which radius
counts, the default table radii)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsrs_client.contract import SampleOut

__all__ = ["AccuracyTable", "accuracy_table"]


@dataclass(frozen=True)
class AccuracyTable:
    """Certified accuracy (fraction of all inputs) at each radius, and ACR."""

    radii: list[float]
    np: list[float]
    dsrs: list[float] | None
    acr_np: float
    acr_dsrs: float | None


def accuracy_table(
    samples: Sequence[SampleOut], radii: Sequence[float] | None = None
) -> AccuracyTable:
    """Certified accuracy of ``samples`` at ``radii`` (default ``0, 0.25, …``,
    :func:`~dsrs_core.evaluation.job_summary.table_radii`) and ACR."""
    from dsrs_core.evaluation.job_summary import ResultColumns, job_radii, table_radii
    from dsrs_core.evaluation.radius_counting import average_certified_radius, certified_accuracy

    uses_q = any(s.dsrs_radius is not None for s in samples)
    counted = job_radii(ResultColumns.from_rows(samples), uses_q=uses_q, mode=None)
    at = list(radii) if radii else table_radii(counted.largest())
    return AccuracyTable(
        radii=at,
        np=certified_accuracy(counted.np, at),
        dsrs=certified_accuracy(counted.dsrs, at) if counted.dsrs is not None else None,
        acr_np=average_certified_radius(counted.np),
        acr_dsrs=average_certified_radius(counted.dsrs) if counted.dsrs is not None else None,
    )
