"""Searching the largest certified DSRS radius (docs/math.md §5).

The searches are fast and heuristic: they walk up while the search check (fixed
quadrature rules) certifies, and return every radius it certified in
``SearchResult.certified``. They do not prove anything by themselves: a radius is reported
only after :func:`dsrs_core.radius_proof.prove_radius` has proven it with the certifying
quadrature and covered every smaller radius (docs/math.md §5.1). Numerical trouble in a
check means "not certified at that radius" and ends the search, with the reason recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import floor

from dsrs_core.dsrs_bound import CheckOutcome
from dsrs_core.errors import InvalidParameterError, NumericalError

__all__ = [
    "MAX_SEARCH_CHECKS",
    "PRECISE_FIRST_STEP",
    "SearchResult",
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
