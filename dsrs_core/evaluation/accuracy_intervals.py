"""Error bars of job-level figures over the test set (docs/math.md §6).

Certified accuracy and ACR are computed on a finite test set, so they are estimates of the
figures on the data distribution the test set was drawn from. The certificate of each
input is taken as given; the intervals here only cover the sampling of the test inputs.

* Proportions (certified accuracy at a radius, benign accuracy): two-sided
  Clopper–Pearson interval on the count (:func:`dsrs_core.sampling.confidence.clopper_pearson`, the
  same exact binomial interval the certificates use), coverage at least ``confidence``.
* ACR: Student-t interval of the mean radius, ``mean ± t_{n−1, (1+c)/2} · s / √n`` with
  the sample standard deviation ``s`` (ddof 1). It is the standard interval of a mean (the
  radii are bounded, so the central limit theorem applies); its coverage is approximate
  for small test sets with skewed radii. The lower end is clipped at 0 (an ACR cannot be
  negative), which only ever makes the interval shorter on the impossible side.

Pure numpy / scipy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import sqrt

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import t as student_t

from dsrs_client.contract.defaults import DEFAULT_CONFIDENCE
from dsrs_core.errors import InvalidParameterError
from dsrs_core.evaluation.radius_counting import RADIUS_MATCH_TOLERANCE, radius_in_files
from dsrs_core.sampling.confidence import clopper_pearson

__all__ = [
    "ACR_INTERVAL_METHOD",
    "DEFAULT_CONFIDENCE",
    "PROPORTION_INTERVAL_METHOD",
    "CertifiedFigures",
    "Estimate",
    "acr_interval",
    "certified_accuracy_intervals",
    "certified_figures",
    "proportion_interval",
]

PROPORTION_INTERVAL_METHOD = "Clopper-Pearson (exact binomial) on the count"
ACR_INTERVAL_METHOD = "Student t on the mean radius (clipped at 0)"


@dataclass(frozen=True)
class Estimate:
    """A figure with its confidence interval; ``lower``/``upper`` are None when the test
    set is too small to give one (no inputs, or a single input for the ACR)."""

    value: float
    lower: float | None
    upper: float | None
    confidence: float
    method: str


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise InvalidParameterError(f"confidence must lie in (0, 1), got {confidence!r}")


def proportion_interval(count: int, total: int, confidence: float = DEFAULT_CONFIDENCE) -> Estimate:
    """``count / total`` with its two-sided Clopper–Pearson interval.

    Parameters
    ----------
    count : int
        Successes (inputs certified at the radius, or benignly correct).
    total : int
        All inputs of the test set (the denominator of the figure).
    confidence : float
        Coverage of the interval, in (0, 1).
    """
    _check_confidence(confidence)
    if total == 0:
        return Estimate(0.0, None, None, confidence, PROPORTION_INTERVAL_METHOD)
    lower, upper = clopper_pearson(count, total, 1.0 - confidence)
    return Estimate(count / total, lower, upper, confidence, PROPORTION_INTERVAL_METHOD)


def certified_accuracy_intervals(
    radii: ArrayLike, at: Sequence[float], confidence: float = DEFAULT_CONFIDENCE
) -> list[Estimate]:
    """Certified accuracy at each radius of ``at`` with its Clopper–Pearson interval.

    ``radii`` are the counted radii of all inputs (NaN, or a negative number, where none
    counts: :func:`dsrs_core.evaluation.radius_counting.counted_radii`); an input counts at
    ``R`` when its radius is at least ``R − RADIUS_MATCH_TOLERANCE``, the rule of
    :func:`dsrs_core.evaluation.radius_counting.certified_accuracy`.
    """
    values = np.asarray(radii, dtype=float)
    return [
        proportion_interval(
            int(np.count_nonzero(values >= r - RADIUS_MATCH_TOLERANCE)), values.size, confidence
        )
        for r in at
    ]


def acr_interval(radii: ArrayLike, confidence: float = DEFAULT_CONFIDENCE) -> Estimate:
    """ACR (mean of the non-negative radii) with its Student-t interval.

    Parameters
    ----------
    radii : sequence of float
        Counted radius of every input; NaN or negative (nothing counts) adds 0, as in
        :func:`dsrs_core.evaluation.radius_counting.average_certified_radius`.
    confidence : float
        Coverage of the interval, in (0, 1).
    """
    _check_confidence(confidence)
    values = np.maximum(radius_in_files(radii), 0.0)
    if values.size == 0:
        return Estimate(0.0, None, None, confidence, ACR_INTERVAL_METHOD)
    mean = float(values.mean())
    if values.size < 2:
        return Estimate(mean, None, None, confidence, ACR_INTERVAL_METHOD)
    half = (
        float(student_t.ppf(0.5 + confidence / 2.0, values.size - 1))
        * float(values.std(ddof=1))
        / sqrt(values.size)
    )
    return Estimate(mean, max(mean - half, 0.0), mean + half, confidence, ACR_INTERVAL_METHOD)


@dataclass(frozen=True)
class CertifiedFigures:
    """The figures of one certificate over a test set, each with its interval.

    ``benign`` is the benign accuracy of the smoothed classifier (the paper's R = 0
    column, :mod:`dsrs_core.evaluation.benign_accuracy`), None when it is not known.
    """

    radii: tuple[float, ...]
    accuracy: tuple[Estimate, ...]
    acr: Estimate
    benign: Estimate | None
    inputs: int


def certified_figures(
    radii: ArrayLike,
    at: Sequence[float],
    benign_correct: Sequence[bool] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> CertifiedFigures:
    """Certified accuracy at ``at``, ACR and benign accuracy with their intervals.

    Parameters
    ----------
    radii : sequence of float
        Counted radius of every input (NaN or negative: never counts, e.g. an abstention).
    at : sequence of float
        Radii at which certified accuracy is given.
    benign_correct : sequence of bool, optional
        Whether the smoothed classifier predicts each input correctly.
    confidence : float
        Coverage of every interval.
    """
    benign = (
        proportion_interval(sum(benign_correct), len(benign_correct), confidence)
        if benign_correct is not None
        else None
    )
    return CertifiedFigures(
        radii=tuple(float(r) for r in at),
        accuracy=tuple(certified_accuracy_intervals(radii, at, confidence)),
        acr=acr_interval(radii, confidence),
        benign=benign,
        inputs=int(np.size(radii)),
    )
