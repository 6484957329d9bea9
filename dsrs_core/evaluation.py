"""Job-level statistics of certified radii (dsrs-math.md §6)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["RADIUS_MATCH_TOLERANCE", "average_certified_radius", "certified_accuracy"]

#: A radius counts as reaching R when it is at least R − 1e-5, as in the original's
#: evaluation script (dsrs-math.md §6); this only absorbs the printing of grid radii.
RADIUS_MATCH_TOLERANCE = 1e-5


def certified_accuracy(radii: Sequence[float], at: Sequence[float]) -> list[float]:
    """Fraction of all instances whose radius is at least each R in ``at``.

    Instances that abstained or were misclassified must be passed with radius 0 (or a
    negative number when they should not count even at R = 0).
    """
    values = np.asarray(radii, dtype=float)
    if values.size == 0:
        return [0.0 for _ in at]
    return [float(np.mean(values >= r - RADIUS_MATCH_TOLERANCE)) for r in at]


def average_certified_radius(radii: Sequence[float]) -> float:
    """ACR: the arithmetic mean of the radii over all instances, zeros included."""
    values = np.asarray(radii, dtype=float)
    return float(values.mean()) if values.size else 0.0
