"""Searching the largest certified DSRS radius (docs/math.md §5).

The searches are fast and heuristic: they walk up while the search check (fixed
quadrature rules) certifies, and return every radius it certified in
``SearchResult.certified``. They do not prove anything by themselves: a radius is reported
only after :func:`dsrs_core.radius.certifying_check.prove_radius` has proven it with the certifying
quadrature and covered every smaller radius (docs/math.md §5.1). Numerical trouble in a
check means "not certified at that radius" and ends the search, with the reason recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import floor, isfinite

from dsrs_core.errors import InvalidParameterError, NumericalError
from dsrs_core.radius.dual_bound import CheckOutcome

__all__ = [
    "MAX_SEARCH_CHECKS",
    "PRECISE_FIRST_STEP",
    "SearchResult",
    "galloping_grid_search",
    "grid_search",
    "precise_search",
]

#: First step of the precise search, in tolerances (then doubled while certified).
PRECISE_FIRST_STEP = 16.0
#: Upper limit on checks per search (a grid of 0.01 up to radius 20 needs 2000).
MAX_SEARCH_CHECKS = 5000

Check = Callable[[float, "CheckOutcome | None"], CheckOutcome]


@dataclass(frozen=True)
class SearchResult:
    """Largest certified radius found, the number of checks and why it stopped there."""

    radius: float
    checks: int
    reason: str
    improved: bool
    case: str = ""
    certified: tuple[float, ...] = ()
    multipliers: tuple[float, float] | None = None
    coverage: str = ""
    inconsistent: bool = False


def _safe_check(check: Check, r: float, hint: CheckOutcome | None) -> CheckOutcome:
    try:
        return check(r, hint)
    except NumericalError as err:  # checks should not raise; fail closed if one does
        return CheckOutcome(False, float("nan"), "?", None, f"numerical failure: {err}")


def grid_search(check: Check, start: float, unit: float) -> SearchResult:
    """The original's grid (§5): ``j = ⌊start/unit⌋``, check ``(j+1)·unit``, ``(j+2)·unit``,
    … while they certify; return the last certified grid radius, or ``start``.

    Parameters
    ----------
    check : callable
        ``(r, hint) -> CheckOutcome``; ``hint`` is the outcome of the last check.
    start : float
        Radius already proven (the NP radius), ``≥ 0``.
    unit : float
        Grid step ``> 0``.
    """
    if not unit > 0.0:
        raise InvalidParameterError(f"grid unit must be positive, got {unit!r}")
    j = floor(start / unit)
    best, hint, checks, case = start, None, 0, ""
    reason = "search limit reached"
    improved = False
    passed: list[float] = []
    while checks < MAX_SEARCH_CHECKS:
        r = (j + 1) * unit
        out = _safe_check(check, r, hint)
        checks += 1
        if not out.certified:
            reason = f"r={r:.6g}: {out.reason} (case {out.case})"
            break
        best, hint, case, improved = r, out, out.case, True
        passed.append(r)
        j += 1
    return SearchResult(best if improved else start, checks, reason, improved, case, tuple(passed))


def precise_search(check: Check, start: float, tolerance: float) -> SearchResult:
    """Doubling then bisection above ``start`` (§5 ``precise``, without its unchecked
    return): the result is certified and within ``tolerance`` of the first failing radius
    found (or ``start`` when ``start + PRECISE_FIRST_STEP·tolerance`` already fails and
    the bisection below it finds nothing)."""
    if not tolerance > 0.0:
        raise InvalidParameterError(f"tolerance must be positive, got {tolerance!r}")
    lo, hint, checks, case = start, None, 0, ""
    step = PRECISE_FIRST_STEP * tolerance
    hi = None
    reason = "search limit reached"
    passed: list[float] = []
    while checks < MAX_SEARCH_CHECKS:
        r = lo + step
        out = _safe_check(check, r, hint)
        checks += 1
        if out.certified:
            lo, hint, case = r, out, out.case
            passed.append(r)
            step *= 2.0
        else:
            hi, reason = r, f"r={r:.6g}: {out.reason} (case {out.case})"
            break
    while hi is not None and hi - lo > tolerance and checks < MAX_SEARCH_CHECKS:
        mid = 0.5 * (lo + hi)
        out = _safe_check(check, mid, hint)
        checks += 1
        if out.certified:
            lo, hint, case = mid, out, out.case
            passed.append(mid)
        else:
            hi, reason = mid, f"r={mid:.6g}: {out.reason} (case {out.case})"
    return SearchResult(lo, checks, reason, lo > start, case, tuple(passed))


#: A galloping jump aims this many grid units below the radius where the extrapolated
#: bound reaches 1/2, so that the jump lands on a passing radius more often than not.
GALLOP_AIM_BELOW = 0.25
#: A jump goes at most this many times as far above the highest pass as that pass lies
#: above the start (a nearly flat bound extrapolates to huge radii).
GALLOP_GROWTH = 4


def galloping_grid_search(check: Check, start: float, unit: float) -> SearchResult:
    """The grid of :func:`grid_search` in fewer checks (``exact`` mode, docs/math.md §5):
    after two passing grid radii, jump to the grid radius where the line through their
    bounds reaches 1/2 (:data:`GALLOP_AIM_BELOW` units short of it); after a failure,
    check where the line through the bounds of the highest pass and the lowest failure
    crosses 1/2 (regula falsi on grid indices; bisection where a bound is missing). The
    result is a passing grid radius whose next grid radius fails. Unlike the walk it does
    not check every grid radius below it, which costs nothing in soundness: every reported
    radius is verified and every smaller radius covered by
    ``certifying_check.prove_radius`` (§5.1). Issue 23:
    at d = 2 a walk of 9 steps of 0.05σ cost 0.4 s per certificate.
    """
    if not unit > 0.0:
        raise InvalidParameterError(f"grid unit must be positive, got {unit!r}")
    j0 = floor(start / unit)
    lo, hi = j0, None  # highest passing index (j0: the start), lowest failing index
    points: list[tuple[float, float]] = []  # (radius, bound) of passes, increasing
    hint: CheckOutcome | None = None
    checks, case, reason = 0, "", "search limit reached"
    passed: list[float] = []
    hi_bound = float("nan")
    while checks < MAX_SEARCH_CHECKS and (hi is None or hi - lo > 1):
        if hi is not None:
            # Between a pass and a failure: where the line through their bounds crosses
            # 1/2 (on the grid, strictly between them), or the middle without bounds.
            j = (lo + hi) // 2
            if points and points[-1][0] == lo * unit and isfinite(hi_bound):
                r_lo, b_lo = points[-1]
                if b_lo > hi_bound:
                    cross = r_lo + (b_lo - 0.5) / (b_lo - hi_bound) * (hi * unit - r_lo)
                    # Kept off the ends by an eighth of the bracket (at least one index), so
                    # the bracket shrinks geometrically also where the line is a poor model.
                    margin = max(1, (hi - lo) // 8)
                    j = min(max(floor(cross / unit), lo + margin), hi - margin)
        elif len(points) < 2:
            j = lo + 1
        else:
            (r1, b1), (r2, b2) = points[-2], points[-1]
            slope = (b2 - b1) / (r2 - r1)
            j = lo + 1
            if isfinite(slope) and slope < 0.0:
                target = r2 + (b2 - 0.5) / -slope
                j = max(j, floor(target / unit - GALLOP_AIM_BELOW))
            j = min(j, lo + GALLOP_GROWTH * (lo - j0))  # at most GALLOP_GROWTH times as far
        r = j * unit
        out = _safe_check(check, r, hint)
        checks += 1
        if out.certified:
            lo, hint, case = j, out, out.case
            passed.append(r)
            if isfinite(out.bound):
                points.append((r, out.bound))
                points.sort()
        else:
            hi, hi_bound = j, out.bound
            reason = f"r={r:.6g}: {out.reason} (case {out.case})"
    improved = lo > j0
    best = lo * unit if improved else start
    return SearchResult(best, checks, reason, improved, case, tuple(sorted(passed)))
