"""From a searched DSRS radius to a reported one: the certifying check and the coverage of
every smaller radius (docs/math.md §5.1).

The searches (:mod:`dsrs_core.radius.search`) are fast and may trust their own quadrature;
what is *reported* is only a radius ``r`` for which

1. a fresh check at ``r`` (no warm start, so the result does not depend on the search path)
   finds multipliers ``λ`` and the certifying quadrature proves ``L(λ; r) > 1/2``
   (:func:`dsrs_core.radius.dual_bound.certified_dual_bound`), and
2. every radius below ``r`` is covered:

   * when ``(λ1 p + λ2 q)⁺`` is radially non-increasing, ``L(λ; ·)`` is non-increasing in
     the radius (layer-cake argument, docs/math.md §5.1), so ``L(λ; r') ≥ L(λ; r) > 1/2``
     for every ``r' ≤ r`` (:func:`multipliers_monotone`);
   * otherwise the bound at ``r`` covers ``[r − s/c, r]`` where ``s`` is its slack above
     1/2 and ``c`` the total-variation Lipschitz constant of shifts of P
     (:func:`shift_lipschitz`); further checks are placed below until a covered radius
     reaches one already proven (the NP radius) or a monotone certificate.

Candidates are tried from the largest down; the first that passes is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import exp, lgamma, log, sqrt

from scipy.special import betaln

from dsrs_core.noise.families import RadialNoise
from dsrs_core.radius.dual_bound import (
    DSRS_DUAL_MARGIN,
    CheckOutcome,
    Intervals,
    certified_dual_bound,
    check_radius,
)
from dsrs_core.radius.neyman_pearson import accept_estimate
from dsrs_core.radius.region_masses import SigmaPair
from dsrs_core.radius.threshold_region import ThresholdPair

__all__ = [
    "MAX_COVER_CHECKS",
    "ProvenRadius",
    "multipliers_monotone",
    "prove_radius",
    "shift_lipschitz",
]

#: Most extra checks spent covering ``[previous proven radius, r]`` for one candidate.
MAX_COVER_CHECKS = 24


@dataclass(frozen=True)
class ProvenRadius:
    """The reported radius, its case, how smaller radii are covered and why not larger."""

    radius: float
    case: str
    coverage: str
    reason: str
    checks: int
    multipliers: tuple[float, float] | None = None


def shift_lipschitz(noise: RadialNoise) -> float:
    """``c`` with ``TV(P, P_u) ≤ c‖u‖`` for every shift ``u`` (docs/math.md §5.1).

    ``TV(P, P_u) = Pr[|z₁| < ‖u‖/2]`` for radially decreasing ``p``; the marginal ``z₁``
    is a scale mixture of symmetric unimodal laws, so its density peaks at 0 with value
    ``ι_h(1/2) E[1/(2ρ)] = ι_h(1/2) Γ(a − ½) / (2√2 σ Γ(a))`` (``ι_h`` the Beta(h, h)
    density). Infinite for ``a ≤ 1/2``.
    """
    a, h = noise.shape, noise.beta_param
    if not a > 0.5:
        return float("inf")
    log_iota = (h - 1.0) * log(0.25) - float(betaln(h, h))
    return exp(log_iota + lgamma(a - 0.5) - lgamma(a)) / (2.0 * sqrt(2.0) * noise.scale)


def multipliers_monotone(pair: SigmaPair | ThresholdPair, lam: tuple[float, float]) -> bool:
    """Whether ``(λ1 p + λ2 q)⁺`` is radially non-increasing, so that the dual bound at
    these multipliers is non-increasing in the radius (docs/math.md §5.1). Exact sign and
    scale tests, no numerics."""
    lam1, lam2 = lam
    if isinstance(pair, ThresholdPair):
        # Inside the ball the weight is μ p, outside λ1 p (μ = λ1 + ν λ2).
        return lam1 <= 0.0 or lam2 >= 0.0
    if (lam1 >= 0.0 and lam2 >= 0.0) or (lam1 <= 0.0 and lam2 <= 0.0):
        return True
    sigma, beta = pair.p.scale, pair.q.scale
    if lam1 > 0.0:  # λ2 < 0: the negative Q term must decay no slower (β ≥ σ)
        return beta >= sigma
    return beta <= sigma  # λ1 < 0 < λ2


def _proven_at(
    pair: SigmaPair | ThresholdPair, r: float, iv: Intervals, mode: str
) -> tuple[CheckOutcome, float, str]:
    """Fresh check at ``r`` and the certifying bound of its multipliers: (outcome, bound,
    reason); bound is nan when not proven."""
    outcome = check_radius(pair, r, iv, mode, None)
    if not outcome.certified or outcome.multipliers is None:
        return outcome, float("nan"), outcome.reason or "not certified"
    try:
        est = certified_dual_bound(pair, r, outcome.multipliers, iv)
    except (ArithmeticError, ValueError) as err:
        return outcome, float("nan"), f"certifying quadrature failed: {err}"
    ok, bound, why = accept_estimate(est, DSRS_DUAL_MARGIN)
    if not ok:
        return outcome, float("nan"), f"certifying check: {why}"
    return outcome, bound, ""


def _cover_below(
    pair: SigmaPair | ThresholdPair,
    iv: Intervals,
    mode: str,
    r: float,
    bound: float,
    floor: float,
    lipschitz: float,
) -> tuple[float, bool, int]:
    """Cover ``[floor, r]`` by proven checks when the multipliers at ``r`` (proven bound
    ``bound``) are not monotone (docs/math.md §5.1): ``(lowest radius covered, whether a
    monotone certificate covers everything below it, checks)``.

    A check at ``x`` with slack ``s`` above ``1/2 + margin`` covers ``[x − s/c, x + s/c]``
    (both sides). The next check is placed one reach ``s/c`` *below* the covered end, so
    that when the slack grows as ``x`` falls its coverage still joins the covered interval
    from below and each check covers about twice as much as the last; when a placement
    does not join (or is not proven) the next check is placed at the covered end itself.
    """
    slack = bound - DSRS_DUAL_MARGIN - 0.5
    covered, reach, checks = r - slack / lipschitz, slack / lipschitz, 0
    while covered > floor and checks < MAX_COVER_CHECKS:
        point = max(covered - reach, floor) if reach > 0.0 else covered
        if not point > 0.0:
            point = 0.5 * covered
        sub, sub_bound, sub_why = _proven_at(pair, point, iv, mode)
        checks += 1
        if sub_why:
            if reach == 0.0:
                break  # not proven at the covered end itself: give up
            reach = 0.0
            continue
        assert sub.multipliers is not None
        sub_slack = sub_bound - DSRS_DUAL_MARGIN - 0.5
        if point + sub_slack / lipschitz < covered:
            reach = 0.0  # a gap above the placement: next check at the covered end
            continue
        if multipliers_monotone(pair, sub.multipliers):
            return 0.0, True, checks
        covered, reach = point - sub_slack / lipschitz, sub_slack / lipschitz
    return covered, False, checks


def prove_radius(
    pair: SigmaPair | ThresholdPair,
    iv: Intervals,
    mode: str,
    candidates: Sequence[float],
    floor: float,
) -> ProvenRadius:
    """The largest of ``candidates`` (radii the search certified, any order) that the
    certifying check proves with every smaller radius covered; ``floor`` (a radius proven
    otherwise, e.g. the NP radius) when none is.
    """
    lipschitz = shift_lipschitz(pair.p)
    checks, reason = 0, "no candidate above the proven radius"
    stuck = float("inf")  # where a chain of checks below a larger candidate gave up
    for r in sorted((c for c in candidates if c > floor), reverse=True):
        if r > stuck:
            # Its chain would have to cover the same gap below ``stuck`` (one repeat of the
            # chain per candidate was most of the time of a failing proof, issue 23).
            continue
        outcome, bound, why = _proven_at(pair, r, iv, mode)
        checks += 1
        if why:
            reason = f"r={r:.6g}: {why}"
            continue
        assert outcome.multipliers is not None
        if multipliers_monotone(pair, outcome.multipliers):
            return ProvenRadius(r, outcome.case, "monotone", reason, checks, outcome.multipliers)
        covered, monotone, used = _cover_below(pair, iv, mode, r, bound, floor, lipschitz)
        checks += used
        if covered <= floor:
            coverage = "lipschitz+monotone" if monotone else "lipschitz"
            return ProvenRadius(r, outcome.case, coverage, reason, checks, outcome.multipliers)
        reason = f"r={r:.6g}: smaller radii not covered (down to {covered:.6g})"
        stuck = covered
    return ProvenRadius(floor, "", "", reason, checks)
