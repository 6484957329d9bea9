"""Certified accuracy and ACR of result rows computed on the client (recertify, local runs),
by the engine's rule of which radius counts (:mod:`dsrs_core.evaluation`), as the
service's summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsrs_client.contract import SampleOut

__all__ = ["DEFAULT_RADIUS_STEP", "AccuracyTable", "accuracy_table", "default_radii"]

DEFAULT_RADIUS_STEP = 0.25


@dataclass(frozen=True)
class AccuracyTable:
    """Certified accuracy (fraction of all inputs) at each radius, and ACR."""

    radii: list[float]
    np: list[float]
    dsrs: list[float] | None
    acr_np: float
    acr_dsrs: float | None


def default_radii(largest: float, step: float = DEFAULT_RADIUS_STEP) -> list[float]:
    """``0, step, 2·step, …`` up to ``largest``."""
    return [round(i * step, 10) for i in range(int(largest / step + 1e-9) + 1)]


def accuracy_table(
    samples: Sequence[SampleOut], radii: Sequence[float] | None = None
) -> AccuracyTable:
    """Certified accuracy of ``samples`` at ``radii`` (default ``0, 0.25, …``) and ACR."""
    from dsrs_core.evaluation import (
        average_certified_radius,
        certified_accuracy,
        counted_radii,
        largest_radius,
    )

    uses_q = any(s.dsrs_radius is not None for s in samples)
    predictions, labels = [s.prediction for s in samples], [s.label for s in samples]
    np_radius = [s.np_radius for s in samples]
    np_radii = counted_radii(predictions, labels, np_radius)
    dsrs_radii = counted_radii(predictions, labels, np_radius, [s.dsrs_radius for s in samples])
    at = (
        list(radii)
        if radii
        else default_radii(max(largest_radius(np_radii), largest_radius(dsrs_radii)))
    )
    return AccuracyTable(
        radii=at,
        np=certified_accuracy(np_radii, at),
        dsrs=certified_accuracy(dsrs_radii, at) if uses_q else None,
        acr_np=average_certified_radius(np_radii),
        acr_dsrs=average_certified_radius(dsrs_radii) if uses_q else None,
    )
