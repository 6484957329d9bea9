"""Which noises a certification draws from: P, and the Q planned from the P interval
(docs/math.md §1.4, §4.4–4.5).

* :func:`build_p_noise` — the smoothing noise P of a spec, for the input dimension;
* :func:`plan_q_draws` — before the Q draws: which Q to sample, given the P interval
  (a static percentile, the heuristic ``H(pL)``, or the ``x+`` fall-back to P);
* :func:`build_q_noise` — the Q noise object for a spec and the sampled percentile.

Torch-free; the samplers (:mod:`dsrs_core.noise.samplers`) are built from these objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import log

from dsrs_core.config import NoiseSpec, QSpec
from dsrs_core.errors import InvalidParameterError
from dsrs_core.noise.families import RadialNoise, ThresholdedNoise, make_noise, with_sigma

__all__ = [
    "FALLBACK_P_UPPER",
    "MAX_HEURISTIC_PERCENTILE",
    "QPlan",
    "build_p_noise",
    "build_q_noise",
    "heuristic_percentile",
    "plan_q_draws",
]

#: ``x+`` falls back to P draws when the P upper bound reaches this (§1.4; the certifier's
#: test in the original).
FALLBACK_P_UPPER = 1.0 - 1e-8
#: ``H(pL) ≥ 1`` has no quantile (§1.4, §7.1); the heuristic is capped here. Any Q chosen
#: from the P run is legitimate (the Q run is a fresh sample), so the cap is sound.
MAX_HEURISTIC_PERCENTILE = 0.999


@dataclass(frozen=True)
class QPlan:
    """What the Q draws are: Q itself, or (``fallback``) P again (docs/math.md §1.4 ``x+``).

    ``percentile`` is the radial percentile of a thresholded Q (None for Q given by sigma
    or for the fall-back).
    """

    percentile: float | None
    fallback: bool


def heuristic_percentile(p_lower: float) -> float:
    """``H(pL) = 0.6 + 0.08 (−ln(1 − pL) − 5)`` for ``pL ≥ 1/2``, else 0.5 (§1.4), capped
    at :data:`MAX_HEURISTIC_PERCENTILE`."""
    if p_lower < 0.5:
        return 0.5
    if p_lower >= 1.0:
        return MAX_HEURISTIC_PERCENTILE
    return min(0.6 + 0.08 * (-log(1.0 - p_lower) - 5.0), MAX_HEURISTIC_PERCENTILE)


def plan_q_draws(q: QSpec | None, p_lower: float, p_upper: float) -> QPlan:
    """Decide the Q to sample from the P interval (docs/math.md §1.4).

    Static percentile → that percentile; ``x`` → ``H(pL)``; ``x+`` → ``H(pL)`` unless
    ``pU ≥ 1 − 1e-8``, then ``QPlan(None, fallback=True)`` (the Q budget is spent on fresh P
    draws, sampled from P explicitly). Q given by sigma (or no Q) → ``QPlan(None, False)``.
    """
    if q is None or q.threshold is None:
        return QPlan(None, False)
    if isinstance(q.threshold, str):
        if q.threshold == "x+" and p_upper >= FALLBACK_P_UPPER:
            return QPlan(None, True)
        return QPlan(heuristic_percentile(p_lower), False)
    return QPlan(float(q.threshold), False)


def build_p_noise(spec: NoiseSpec, dimension: int) -> RadialNoise:
    """The smoothing noise P of ``spec`` for inputs of dimension ``dimension``."""
    spec.check_dimension(dimension)
    return make_noise(spec.family, dimension, spec.sigma, spec.k)


def build_q_noise(
    p: RadialNoise, q: QSpec, percentile: float | None
) -> RadialNoise | ThresholdedNoise:
    """Q for DSRS: P's family with ``q.sigma`` (§4.4) or P restricted to the ball of the
    sampled ``percentile`` (§4.5)."""
    if q.sigma is not None:
        return with_sigma(p, q.sigma)
    if percentile is None:
        raise InvalidParameterError("a thresholded Q needs the percentile that was sampled")
    return ThresholdedNoise(base=p, percentile=percentile)
