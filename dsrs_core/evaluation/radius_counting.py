"""Job-level statistics of certified radii (docs/math.md §6), and the one rule of which
radius counts.

Which radius counts
-------------------
An input's radius counts for certified accuracy only when the smoothed classifier
predicted (did not abstain) and, when the label is known, predicted the label. The DSRS
radius of an input is the larger of its NP and DSRS radii (the paper's evaluation takes
the maximum with the NP radius of the same P run). An input whose radius does not count
is certified at no radius at all, not even R = 0: certified accuracy at R = 0 is the
fraction of inputs predicted correctly (Cohen et al.'s convention; the original's
evaluation script prints 100% there by construction and the paper reports benign accuracy
in its place). It adds 0 to the average certified radius, whose denominator is every
input, as in the paper.

:func:`counted_radii` marks such inputs NaN. Files in the formats of the original
implementations (the DSRS ``data/`` tree, Cohen et al.'s TSV) hold a radius of 0 there,
as theirs do (:func:`radius_in_files`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "RADIUS_MATCH_TOLERANCE",
    "average_certified_radius",
    "certified_accuracy",
    "counted_radii",
    "forward_passes",
    "largest_radius",
    "radius_in_files",
]

#: A radius counts as reaching R when it is at least R − 1e-5, as in the original's
#: evaluation script (docs/math.md §6); this only absorbs the printing of grid radii.
RADIUS_MATCH_TOLERANCE = 1e-5


def counted_radii(
    prediction: ArrayLike,
    label: ArrayLike,
    np_radius: ArrayLike,
    dsrs_radius: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Per input, the radius that counts for certified accuracy (module docstring).

    Parameters
    ----------
    prediction, label : array_like
        Per input; None (or NaN) for an abstention / an unknown label.
    np_radius : array_like
        NP radius per input.
    dsrs_radius : array_like, optional
        DSRS radius per input (None or NaN where there is none). When given, the counted
        radius is the DSRS one, ``max(np_radius, dsrs_radius)``; else the NP radius.

    Returns
    -------
    ndarray of float64
        The counted radius, NaN where none counts.
    """
    prediction = np.asarray(prediction, dtype=np.float64)
    label = np.asarray(label, dtype=np.float64)
    radius = np.asarray(np_radius, dtype=np.float64)
    if dsrs_radius is not None:
        radius = np.fmax(radius, np.asarray(dsrs_radius, dtype=np.float64))
    counts = ~np.isnan(prediction) & (np.isnan(label) | (prediction == label))
    return np.where(counts, radius, np.nan)


def certified_accuracy(radii: ArrayLike, at: Sequence[float]) -> list[float]:
    """Fraction of all instances whose counted radius is at least each R in ``at``
    (``R − RADIUS_MATCH_TOLERANCE``); NaN (nothing counts) never reaches any R."""
    values = np.asarray(radii, dtype=np.float64)
    if values.size == 0:
        return [0.0 for _ in at]
    ordered = np.sort(values[~np.isnan(values)])
    below = np.searchsorted(ordered, np.asarray(at, dtype=np.float64) - RADIUS_MATCH_TOLERANCE)
    return [float(v) for v in (ordered.size - below) / values.size]


def average_certified_radius(radii: ArrayLike) -> float:
    """ACR: the mean counted radius over all instances, NaN (nothing counts) as 0."""
    values = radius_in_files(radii)
    return float(values.mean()) if values.size else 0.0


def forward_passes(p_n: ArrayLike, q_n: ArrayLike, selection_draws: int = 0) -> int:
    """Forward passes of the base classifier spent on some inputs: the P and Q draws each
    used (``q_n`` None or NaN: no Q run) plus ``selection_draws`` per input (predict mode's
    ``n_selection``). With sequential sampling this is below the fixed-N budget
    ``inputs × (n_selection + n + n)`` (docs/sequential.md §5)."""
    p = np.asarray(p_n, dtype=float)
    q = np.nan_to_num(np.asarray(q_n, dtype=float), nan=0.0)
    return int(p.sum() + q.sum()) + selection_draws * int(p.size)


def largest_radius(radii: ArrayLike) -> float:
    """The largest counted radius, 0 when none counts."""
    values = np.asarray(radii, dtype=np.float64)
    return float(np.fmax.reduce(values, initial=0.0)) if values.size else 0.0


def radius_in_files(radii: ArrayLike) -> NDArray[np.float64]:
    """Counted radii as the original implementations' files hold them: 0 where none
    counts."""
    return np.nan_to_num(np.asarray(radii, dtype=np.float64), nan=0.0)
