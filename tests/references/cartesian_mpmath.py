"""A second independent reference for Gaussian P: Cartesian coordinates, mpmath throughout.

No import from ``dsrs_core`` and none from the polar reference (``polar_quadpack``):
a different method, in different coordinates, with different special functions and
adaptive quadrature in mpmath (docs/math.md §10). For P = N(0, σ²I_d) and δ = r e₁ write
``z₁ = σu`` (``u ~ N(0, 1)``) and ``‖z‖² = σ²(u² + S)`` with ``S ~ χ²_{d−1}`` independent.
Then ``p(z − δ)/p(z) = exp(ru/σ − r²/2σ²)`` depends on u alone and ``q/p`` on ``u² + S``
alone, so the dual bound of weak duality

    L(λ; r) = E[min(0, p(z − δ)/p(z) − λ1 − λ2 q(z)/p(z))] + λ1 p̂ + λ2 q̂

is a one-dimensional integral over u whose inner expectation over S is in closed form
(regularised incomplete gamma functions):

* Q = N(0, β²I_d): ``q/p = (σ/β)^d e^{κ(u² + S)}``, ``κ = 1/2 − σ²/(2β²)``; the negative
  set in S is a half-line, and ``E[e^{κS}; S ∈ H] = (β/σ)^{d−1} Pr[χ²_{d−1} ∈ (σ/β)² H]``.
* Q = P restricted to the ball ``{‖z‖² ≤ σ² v_b}`` of P-mass π: ``q/p = 1{u² + S ≤ v_b}/π``.

The outer integral is split at every kink (sign changes found on a grid and refined by
``mpmath.findroot``) and integrated by tanh–sinh (``mpmath.quad``), which also returns an
error estimate. For any λ the value is a lower bound on the DSRS value V(r), so a value
above 1/2 confirms a certificate at r.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath as mp

__all__ = ["GaussianSetting", "dual_value", "np_closed_form_value"]

#: Working precision (decimal digits) and the half-width of the u range (in units of σ;
#: the normal mass beyond it is below 1e-340).
DPS = 25
U_MAX = 40
#: Grid on which sign changes of the kink functions are looked for.
KINK_GRID = 4001


@dataclass(frozen=True)
class GaussianSetting:
    """P = N(0, σ²I_d); Q = N(0, β²I_d) (``sigma_q``) or P in its ``percentile`` ball."""

    d: int
    sigma: float
    sigma_q: float | None = None
    percentile: float | None = None


def _far_above(m: int, x) -> bool:
    """x lies 60 standard deviations above the mean of χ²_m: the upper tail is below
    e^(−1800) (Chernoff), and mpmath's series would not converge there."""
    return x > m + 60 * mp.sqrt(2 * m) + 200


def _chi2_lower(m: int, x):
    """Pr[χ²_m ≤ x]."""
    if x <= 0:
        return mp.mpf(0)
    if _far_above(m, x):
        return mp.mpf(1)
    return mp.gammainc(mp.mpf(m) / 2, 0, x / 2, regularized=True)


def _chi2_upper(m: int, x):
    """Pr[χ²_m > x]."""
    if x <= 0:
        return mp.mpf(1)
    if _far_above(m, x):
        return mp.mpf(0)
    return mp.gammainc(mp.mpf(m) / 2, x / 2, mp.inf, regularized=True)


def ball_level(st: GaussianSetting):
    """``v_b`` with Pr[χ²_d ≤ v_b] = π: the thresholded Q's ball is ‖z‖² ≤ σ² v_b."""
    assert st.percentile is not None
    target = mp.mpf(st.percentile)
    d = st.d
    lo, hi = mp.mpf(0), mp.mpf(d) + 60 * mp.sqrt(d) + 200
    for _ in range(400):  # bisection: slow, plain and certain to converge
        mid = (lo + hi) / 2
        if _chi2_lower(d, mid) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo < mp.mpf(10) ** (-DPS + 3) * hi:
            break
    return (lo + hi) / 2


def _refine(fun, lo, hi):
    try:
        return mp.findroot(fun, (lo, hi), solver="anderson")
    except (ValueError, ZeroDivisionError):
        return (lo + hi) / 2


def _kinks(functions, lo, hi) -> list:
    """Points in (lo, hi) where one of ``functions`` changes sign (grid + findroot)."""
    grid = mp.linspace(lo, hi, KINK_GRID)
    out = []
    for fun in functions:
        values = [fun(u) for u in grid]
        for i in range(len(grid) - 1):
            if values[i] == 0:
                out.append(grid[i])
            elif values[i] * values[i + 1] < 0:
                out.append(_refine(fun, grid[i], grid[i + 1]))
    return out


def dual_value(
    st: GaussianSetting,
    r: float,
    lam1: float,
    lam2: float,
    p_hat: float,
    q_hat: float,
) -> tuple[float, float]:
    """``(L(λ; r), error estimate)`` as defined in the module docstring."""
    with mp.workdps(DPS):
        sigma, r_ = mp.mpf(st.sigma), mp.mpf(r)
        l1, l2 = mp.mpf(lam1), mp.mpf(lam2)
        m = st.d - 1

        def shifted_ratio(u):
            return mp.exp(r_ * u / sigma - r_ * r_ / (2 * sigma * sigma))

        def a_of(u):
            return shifted_ratio(u) - l1

        kink_functions = [a_of]
        if l2 == 0:

            def inner(u):
                return min(mp.mpf(0), a_of(u))

        elif st.percentile is not None:
            v_b, pi = ball_level(st), mp.mpf(st.percentile)

            def inner(u):
                a = a_of(u)
                s_b = v_b - u * u
                inside = _chi2_lower(m, s_b)
                outside = _chi2_upper(m, s_b)
                return inside * min(mp.mpf(0), a - l2 / pi) + outside * min(mp.mpf(0), a)

            kink_functions += [lambda u: a_of(u) - l2 / pi, lambda u: u * u - v_b]
        else:
            assert st.sigma_q is not None
            beta = mp.mpf(st.sigma_q)
            kappa = mp.mpf(1) / 2 - sigma * sigma / (2 * beta * beta)
            scale = (sigma / beta) ** 2
            log_norm = st.d * mp.log(sigma / beta)

            def c_of(u):
                """q/p at S = 0 times λ2: the negative set is {c e^{κS} > A}."""
                return l2 * mp.exp(log_norm + kappa * u * u)

            def inner(u):
                a, c = a_of(u), c_of(u)
                weight = c * mp.exp(-log_norm) * (sigma / beta)  # c (β/σ)^(d−1)
                # The negative set in S, {c e^{κS} > A}: all S, none, {S < s} or {S > s}.
                if a / c <= 0 or kappa == 0:
                    everything = c > 0 if a / c <= 0 else c > a
                    return a - weight if everything else mp.mpf(0)
                s = mp.log(a / c) / kappa
                if (c > 0) != (kappa > 0):  # {S < s}
                    return a * _chi2_lower(m, s) - weight * _chi2_lower(m, s * scale)
                return a * _chi2_upper(m, s) - weight * _chi2_upper(m, s * scale)

            kink_functions += [lambda u: a_of(u) - c_of(u)]

        lo, hi = mp.mpf(-U_MAX), mp.mpf(U_MAX)
        fixed = [lo, hi, *[mp.mpf(x) for x in (-8, -4, -2, -1, 0, 1, 2, 4, 8)]]
        points = sorted(set(fixed) | set(_kinks(kink_functions, lo, hi)))

        def integrand(u):
            return inner(u) * mp.npdf(u)

        body, error = mp.quad(integrand, points, error=True)
        value = body + l1 * mp.mpf(p_hat) + l2 * mp.mpf(q_hat)
        return float(value), float(error)


def np_closed_form_value(st: GaussianSetting, r: float, p_lower: float) -> float:
    """The closed-form Gaussian NP value ``Φ(Φ⁻¹(pL) − r/σ)``, computed in mpmath: used to
    test this module's integration (for λ2 = 0 its dual value must equal it)."""
    with mp.workdps(DPS):
        x = mp.sqrt(2) * mp.erfinv(2 * mp.mpf(p_lower) - 1)
        return float(mp.ncdf(x - mp.mpf(r) / st.sigma))
