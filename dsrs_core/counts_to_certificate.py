"""From counts (or intervals) to certificates: the pure, torch-free half of ``certify()``.

CONTRACT (other packages call exactly this; the Q to sample before the Q draws is chosen
by :func:`dsrs_core.sampling.draw_plan.plan_q_draws`):

* :func:`certificate_from_counts` — bounds, prediction / abstain, NP and DSRS radii.

Recompute API (no counts needed; used by ``dsrs reproduce``):

* :func:`dsrs_radius_from_intervals` — DSRS radius search from ``[pL, pU]``, ``[qL, qU]``;
* :func:`np_fallback_radius` — the ``x+`` fall-back: plain NP on the DSRS radius grid.
"""

from __future__ import annotations

from dsrs_core.config import CertificationConfig, RadiusSearch
from dsrs_core.errors import InvalidParameterError
from dsrs_core.noise.families import RadialNoise, ThresholdedNoise
from dsrs_core.radius.certifying_check import prove_radius
from dsrs_core.radius.dual_bound import CheckOutcome, Intervals, check_radius
from dsrs_core.radius.neyman_pearson import P_LOWER_ONE, np_radius
from dsrs_core.radius.region_masses import SigmaPair
from dsrs_core.radius.search import (
    SearchResult,
    galloping_grid_search,
    grid_search,
    precise_search,
)
from dsrs_core.radius.threshold_region import ThresholdPair
from dsrs_core.results import Certificate, SampleCounts
from dsrs_core.sampling.confidence import clopper_pearson
from dsrs_core.sampling.draw_plan import build_p_noise, build_q_noise, plan_q_draws
from dsrs_core.sampling.looks import LookSchedule, run_schedules

__all__ = [
    "certificate_from_counts",
    "count_intervals",
    "dsrs_radius_from_intervals",
    "intervals_consistent",
    "np_fallback_radius",
]

#: A dual bound above 1 + this proves that no classifier meets both intervals.
INCONSISTENCY_TOLERANCE = 1e-6
#: Reason recorded for such intervals; the DSRS radius then stays at the NP radius.
INCONSISTENT = (
    "inconsistent intervals: no classifier has P and Q agreement in both intervals "
    "(a confidence bound failed); DSRS radius not raised above NP"
)


def intervals_consistent(q: RadialNoise | ThresholdedNoise, intervals: Intervals) -> bool:
    """Closed-form consistency test (docs/math.md §7.1). For a thresholded Q with
    percentile π every classifier has ``π·E_Q f ≤ E_P f ≤ π·E_Q f + 1 − π``; intervals
    outside that band cannot come from one classifier. (For Q given by sigma, intervals
    are found inconsistent when a dual bound exceeds 1 during the search.)"""
    if not isinstance(q, ThresholdedNoise):
        return True
    pi = float(q.percentile)
    tol = INCONSISTENCY_TOLERANCE
    return (
        intervals.p_lower <= pi * intervals.q_upper + 1.0 - pi + tol
        and intervals.p_upper >= pi * intervals.q_lower - tol
    )


def dsrs_radius_from_intervals(
    p: RadialNoise,
    q: RadialNoise | ThresholdedNoise,
    intervals: Intervals,
    search: RadiusSearch,
    start: float,
) -> SearchResult:
    """Largest certified DSRS radius above ``start`` (the proven NP radius) (§4, §5).

    Parameters
    ----------
    p, q : noise objects
        P and Q (Q a :class:`RadialNoise` with P's ``d, k`` or a :class:`ThresholdedNoise`).
    intervals : Intervals
        ``[pL, pU]`` of the P run and ``[qL, qU]`` of the Q run.
    search : RadiusSearch
        ``grid`` (unit) or ``precise`` (tolerance); ``mode`` exact / original.
    start : float
        A radius already certified (NP radius, or 0).

    Returns
    -------
    SearchResult
        ``radius ≥ start``; ``reason`` says why it is not larger. Instances with
        ``pL ≤ 1/2`` are not searched (``V(r) < 1/2`` near 0, §5).
    """
    if not intervals.p_lower > 0.5:
        return SearchResult(start, 0, "p_lower <= 1/2: DSRS cannot certify", False)
    if intervals.p_lower >= 1.0:
        return SearchResult(start, 0, P_LOWER_ONE, False)
    if not intervals_consistent(q, intervals):
        return SearchResult(start, 0, INCONSISTENT, False, inconsistent=True)
    pair = ThresholdPair(p, q) if isinstance(q, ThresholdedNoise) else SigmaPair(p, q)
    inconsistent: list[float] = []

    def check(r: float, hint: CheckOutcome | None) -> CheckOutcome:
        outcome = check_radius(pair, r, intervals, search.mode, hint)
        if outcome.bound > 1.0 + INCONSISTENCY_TOLERANCE:
            # V(r) ≤ 1 whenever some classifier meets both intervals (docs/math.md §7.1).
            inconsistent.append(outcome.bound)
            return CheckOutcome(False, outcome.bound, outcome.case, None, INCONSISTENT)
        return outcome

    if search.method == "grid" and search.mode == "exact":
        found = galloping_grid_search(check, start, search.grid_unit(p.sigma))
    elif search.method == "grid":  # ``original``: the original's walk, step by step
        found = grid_search(check, start, search.grid_unit(p.sigma))
    else:
        found = precise_search(check, start, search.search_tolerance(p.sigma))
    if inconsistent:
        return SearchResult(start, found.checks, INCONSISTENT, False, inconsistent=True)
    if not found.improved:
        return found
    proof = prove_radius(pair, intervals, search.mode, found.certified, start)
    reason = found.reason
    if proof.radius < found.radius:
        reason = f"certifying check: {proof.reason}"
    return SearchResult(
        proof.radius,
        found.checks + proof.checks,
        reason,
        proof.radius > start,
        proof.case,
        found.certified,
        proof.multipliers,
        proof.coverage,
    )


def np_fallback_radius(
    p: RadialNoise, p_lower: float, search: RadiusSearch, start: float
) -> SearchResult:
    """``x+`` fall-back (§4.3(e)): plain NP with ``p_lower`` (pooled or fresh), reported on
    the same grid as DSRS (``original``: the grid of §5; ``precise``: NP radius itself)."""
    radius = np_radius(p, p_lower)
    if search.method == "precise":
        best = max(start, radius.radius)
        return SearchResult(best, 1, radius.reason or "fall-back: NP radius", best > start, "i")

    def check(r: float, hint: CheckOutcome | None) -> CheckOutcome:
        ok = r <= radius.radius
        return CheckOutcome(ok, float("nan"), "i", None, "" if ok else "fall-back NP radius")

    return grid_search(check, start, search.grid_unit(p.sigma))


def count_intervals(
    counts: SampleCounts, config: CertificationConfig
) -> tuple[tuple[float, float], tuple[float, float] | None]:
    """Clopper–Pearson intervals of the P run and (when drawn) the Q run.

    Fixed-N: each run at its :func:`dsrs_core.sampling.confidence.split_alpha` share. Sequential:
    at the level of the look the run stopped at (``counts.p_look`` / ``q_look``;
    :func:`dsrs_core.sampling.looks.run_schedules`), whose draws ``p_n`` / ``q_n`` must be that
    look's size. The Q interval is None when there are no Q draws.
    """
    p_schedule, q_schedule = run_schedules(config)
    p_interval = _run_interval(p_schedule, counts.p_count, counts.p_n, counts.p_look)
    if q_schedule is None or counts.q_count is None or not counts.q_n:
        return p_interval, None
    return p_interval, _run_interval(q_schedule, counts.q_count, counts.q_n, counts.q_look)


def _run_interval(
    schedule: LookSchedule, count: int, n: int, look: int | None
) -> tuple[float, float]:
    if look is None:
        if len(schedule.sizes) > 1:
            raise InvalidParameterError("sequential counts need the look the run stopped at")
        return clopper_pearson(count, n, schedule.alpha)
    if schedule.sizes[look] != n:
        raise InvalidParameterError(
            f"{n} draws do not match look {look} of the schedule (sizes {schedule.sizes})"
        )
    return schedule.interval(look, count)


def certificate_from_counts(
    counts: SampleCounts, config: CertificationConfig, dimension: int
) -> Certificate:
    """Certificate of one input from its raw counts (``dimension`` = d of the input).

    Parameters
    ----------
    counts : SampleCounts
        P draws (``p_count`` of ``p_n`` agree with ``label``) and, for DSRS, Q draws
        (``q_percentile`` = the percentile actually sampled for a thresholded Q;
        ``q_fallback`` = the Q budget was spent on fresh P draws, ``x+``).
    config : CertificationConfig
    dimension : int
        Input dimension ``d``.

    Returns
    -------
    Certificate
        Clopper–Pearson bounds of :func:`count_intervals`; ``prediction = label``
        if ``pL > 1/2`` else None (abstain, radii 0); NP radius (§3) from the P interval;
        DSRS radius (§4, §5) when ``config.q`` is set. For the ``x+`` fall-back both P runs
        are valid at their own levels, so the larger of the two lower bounds is used
        (sound, docs/math.md §7.2 item 11) and certified by NP.
    """
    p = build_p_noise(config.p, dimension)
    (p_lower, p_upper), q_interval = count_intervals(counts, config)
    q_lower, q_upper = q_interval if q_interval is not None else (None, None)
    has_q = q_interval is not None
    reasons: list[str] = []
    inconsistent = False
    if counts.q_fallback and has_q:
        assert q_lower is not None and q_upper is not None
        p_lower, p_upper = max(p_lower, q_lower), min(p_upper, q_upper)
        reasons.append("x+ fall-back: second P run, max of the two lower bounds")
    abstain = not p_lower > 0.5
    np_result = np_radius(p, p_lower) if not abstain else None
    np_value = np_result.radius if np_result else 0.0
    if np_result and np_result.reason:
        reasons.append(f"NP: {np_result.reason}")
    dsrs_value: float | None = None
    if config.q is not None:
        if abstain:
            dsrs_value = 0.0
        elif counts.q_fallback:
            dsrs_value = np_value
        elif not has_q:
            dsrs_value = np_value
            reasons.append("no Q draws: DSRS radius = NP radius")
        else:
            assert q_lower is not None and q_upper is not None
            percentile = counts.q_percentile
            if config.q.threshold is not None and percentile is None:
                percentile = plan_q_draws(config.q, p_lower, p_upper).percentile
            q = build_q_noise(p, config.q, percentile)
            result = dsrs_radius_from_intervals(
                p, q, Intervals(p_lower, p_upper, q_lower, q_upper), config.search, np_value
            )
            dsrs_value = max(result.radius, np_value)
            inconsistent = result.inconsistent
            reasons.append(f"DSRS: {result.reason}")
    if abstain:
        reasons.insert(0, "p_lower <= 1/2: abstain")
    return Certificate(
        prediction=None if abstain else counts.label,
        p_lower=p_lower,
        p_upper=p_upper,
        q_lower=q_lower,
        q_upper=q_upper,
        np_radius=np_value,
        dsrs_radius=dsrs_value,
        counts=counts,
        alpha=config.alpha,
        reason="; ".join(reasons),
        inconsistent_intervals=inconsistent,
    )
