"""The stopping rules' DSRS checks, answered from earlier checks of the same job where a
proven inequality decides (docs/sequential.md §4, "Cost per look"; issue 23 item 3).

Every input of a job shares P, Q and the radii its rule asks about (the levels), so one
cache per (P, Q) pair serves all inputs and looks. Per radius ``r`` it keeps

* **dual planes** — from every certified check, its multipliers ``λ`` and the part of its
  bound (D) that does not depend on the intervals, ``C = bound − λ1·p̂ − λ2·q̂``. (D) holds
  for any multipliers and is affine in the sign-selected ends ``p̂``, ``q̂`` with the same
  quadrature allowance (dsrs-math.md §4.1; docs/math.md §4), so
  ``C + λ1·p̂' + λ2·q̂' − DSRS_DUAL_MARGIN > 1/2`` is the check's own acceptance at those
  multipliers for other intervals: a certificate, the same standard as the search check.
* **failed corners** — the lower corners ``(pL, qL)`` of checks that failed. If
  ``[a, 1]×[b, 1] ⊇ B0`` (``a ≤ pL0``, ``b ≤ qL0``) the DSRS problem of the larger box has
  more feasible classifiers, so its value ``V`` is at most that of ``B0`` (proven: a
  minimum over a larger set). The set of corners ``(a, b)`` whose one-sided box has
  ``V ≤ 1/2`` is convex (``V`` of the one-sided box is an inf-projection of the convex
  value function of the problem), so the segment between two failed corners fails too.

A query is answered from the planes ("certified"), else from the failed corners ("not
certified"), else by the engine (:func:`dsrs_core.radius.dual_bound.check_radius`), whose
outcome is added. A two-sided box ``[pL, pU]×[qL, qU]`` (the interval now) is answered "not
certified" when its one-sided box ``[pL, 1]×[qL, 1]`` would be: that box contains it, so this
errs only towards "not certified now" — a lower level now, hence going on longer, never
stopping sooner. Otherwise a corner answer differs from a fresh check only where the
engine's answers would not be monotone in the box although the value they bound is (a
failure at a box, a certificate at a larger one): the corners take the engine's failures
as the value's. Only failures that evaluated (D) below 1/2 are kept, not failed solves.
None of this enters a reported radius: it is computed from the final counts and verified
(docs/sequential.md §3).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field
from math import exp, isfinite

from dsrs_core.noise.families import GaussianNoise, RadialNoise
from dsrs_core.numerics.root_finding import monotone_root
from dsrs_core.radius.dual_bound import CLEAR_FAILURE, DSRS_DUAL_MARGIN, Intervals, check_radius
from dsrs_core.radius.neyman_pearson import (
    LOG_K_LIMIT,
    NP_DUAL_MARGIN,
    QUADRATURE_SPREAD_LIMIT,
    np_certified_bound,
    np_masses,
    search_rule,
)
from dsrs_core.radius.region_masses import SigmaPair
from dsrs_core.radius.threshold_region import ThresholdPair

__all__ = ["CheckCache", "NPThresholds"]


@dataclass
class _Radius:
    """What earlier checks at one radius proved."""

    #: ``(λ1, λ2, C, excess)`` of certified checks: (D) must exceed ``1/2 + margin`` by
    #: ``excess`` (see :meth:`CheckCache.certifies`).
    planes: list[tuple[float, float, float, float]] = field(default_factory=list)
    #: Failed lower corners ``(pL, qL)`` that no other failed corner dominates, by ``pL``.
    corners: list[tuple[float, float]] = field(default_factory=list)


def _plane_value(lam1: float, lam2: float, constant: float, iv: Intervals) -> float:
    p_hat = iv.p_lower if lam1 >= 0.0 else iv.p_upper
    q_hat = iv.q_lower if lam2 >= 0.0 else iv.q_upper
    return constant + lam1 * p_hat + lam2 * q_hat


class CheckCache:
    """The DSRS search check of one (P, Q) pair at given intervals, with the reuse of the
    module docstring. ``checks`` counts the engine calls, ``answered`` the reused answers."""

    def __init__(self, pair: SigmaPair | ThresholdPair, mode: str = "exact") -> None:
        self.pair = pair
        self.mode = mode
        self._radii: dict[float, _Radius] = {}
        self.checks = 0
        self.answered = 0

    def certifies(self, r: float, iv: Intervals) -> bool:
        known = self._radii.setdefault(r, _Radius())
        if self.mode == "exact":  # ``original`` adds conditions (D) alone does not carry
            for lam1, lam2, constant, excess in known.planes:
                if _plane_value(lam1, lam2, constant, iv) - DSRS_DUAL_MARGIN > 0.5 + excess:
                    self.answered += 1
                    return True
            if _fails(known.corners, iv.p_lower, iv.q_lower):
                self.answered += 1
                return False
        self.checks += 1
        outcome = check_radius(self.pair, r, iv, self.mode)
        if outcome.certified and outcome.multipliers is not None:
            lam1, lam2 = outcome.multipliers
            constant = outcome.bound - _plane_value(lam1, lam2, 0.0, iv)
            # A bound within CLEAR_FAILURE of the acceptance came from the fixed rules'
            # acceptance or the certifying quadrature, whose bounds move with the intervals
            # exactly; a larger one may come from the search's clear pass, which asks
            # CLEAR_FAILURE more of its rules (dual_bound._verify): ask it of the reuse too.
            excess = (
                CLEAR_FAILURE if outcome.bound - DSRS_DUAL_MARGIN > 0.5 + CLEAR_FAILURE else 0.0
            )
            known.planes.append((lam1, lam2, constant, excess))
        elif outcome.reason == "dual bound <= 1/2":  # evaluated below 1/2, not a failed solve
            _add_corner(known.corners, iv.p_lower, iv.q_lower)
        return outcome.certified


def _fails(corners: list[tuple[float, float]], a: float, b: float) -> bool:
    """Whether ``(a, b)`` lies below a failed corner or a segment between two neighbours
    (``corners``: a staircase, ``pL`` increasing and ``qL`` decreasing)."""
    at = bisect_left(corners, (a, -1.0))
    if at < len(corners) and corners[at][1] >= b:  # the first corner with pL >= a
        return True
    if 0 < at < len(corners):
        (a0, b0), (a1, b1) = corners[at - 1], corners[at]
        return b <= b0 + (b1 - b0) * (a - a0) / (a1 - a0)
    return False


def _add_corner(corners: list[tuple[float, float]], a: float, b: float) -> None:
    """Insert a failed corner and drop the corners it dominates."""
    if any(a <= a0 and b <= b0 for a0, b0 in corners):
        return
    corners[:] = [(a0, b0) for a0, b0 in corners if not (a0 <= a and b0 <= b)]
    insort(corners, (a, b))


class NPThresholds:
    """The NP check at a radius ``r`` as one comparison: (NP-D) at a fixed ``κ`` is affine
    in ``pL`` (docs/math.md §3), ``Ps(κ) + e^(−κ)(pL − Pm(κ))``, so with ``κ_r`` where
    ``Ps(κ_r) = 1/2`` (the NP set of the ``pL`` just certifying ``r``) and the certifying
    quadrature's value at ``pL = 1`` and its error, every ``pL`` is decided by the
    acceptance of :func:`dsrs_core.radius.neyman_pearson.np_certifies` at ``κ_r`` — a
    certificate, the standard of the reported NP radius. Per radius: one ``κ`` solve and one
    certifying quadrature for the whole job, where the rule solved an NP radius per
    distinct ``pL``. A ``pL`` just below the threshold is not certified at ``r`` by any
    ``κ``, up to the quadrature's error estimate (``κ_r`` is optimal there).

    :meth:`certifies` returns None (the caller solves the NP radius) for Gaussian P (closed
    form already) or when the solve or the quadrature failed.
    """

    def __init__(self, p: RadialNoise) -> None:
        self.p = p
        self._entries: dict[float, tuple[float, float, float] | None] = {}

    def certifies(self, p_lower: float, r: float) -> bool | None:
        if r not in self._entries:
            self._entries[r] = self._entry(r)
        entry = self._entries[r]
        if entry is None:
            return None
        kappa, value_at_one, error = entry
        # (NP-D) at pL as the engine writes it: the bound at pL = 1 less e^(−κ) (1 − pL), no
        # cancellation of e^(−κ) against the pL-free part when pL is close to 1
        bound = value_at_one - exp(-kappa) * (1.0 - p_lower)
        return bound - error - NP_DUAL_MARGIN > 0.5

    def _entry(self, r: float) -> tuple[float, float, float] | None:
        p = self.p
        if isinstance(p, GaussianNoise) or p.k == 0 or not r > 0.0:
            return None
        rule = search_rule(p)

        def shifted(kappa: float) -> tuple[float, float]:
            m = np_masses(p, r, kappa, rule)
            return m.shifted_mass, m.ds_dkappa

        try:
            kappa = monotone_root(
                shifted, 0.5, 0.0, -LOG_K_LIMIT, LOG_K_LIMIT, increasing=False
            ).mid
            est = np_certified_bound(p, r, kappa, 1.0)
        except (ArithmeticError, ValueError):  # NumericalError, BracketError: solve it per pL
            return None
        if not (isfinite(est.value) and isfinite(est.error)):
            return None
        if est.error > QUADRATURE_SPREAD_LIMIT:
            return None
        return kappa, est.value, est.error
