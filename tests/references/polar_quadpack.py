"""An independent reference for the radius engine: no import from ``dsrs_core``.

Different method, no shared code (docs/math.md §10): the engine integrates one-dimensional
Lambert-W / Beta formulas; this module integrates the *two-dimensional* density
inequality directly, in polar coordinates around the origin, with QUADPACK's adaptive
Gauss–Kronrod rules (``scipy.integrate.quad``) and ``brentq`` for the sign change:

    L(λ) = E_t E_x[min(0, p(z − δ)/p(z) − λ1 − λ2 q(z)/p(z))] + λ1 p̂ + λ2 q̂,

with ``z = ρ u``, ``ρ = σ√(2t)``, ``t ~ Gamma(d/2 − k)``, ``x = (1 + ⟨u, δ/r⟩)/2 ~
Beta(h, h)`` and ``‖z − δ‖² = ρ² + r² − 2ρr(2x − 1)``. For any λ this is a lower bound on
the DSRS value ``V(r)`` (weak duality), so ``L > 1/2`` *confirms* a certificate at ``r``.

Explicit classifiers give the other side: a classifier ``f`` whose masses lie in the
intervals is feasible, so ``V(r) ≤ E_{P_δ} f``; the radius where its smoothed score falls
to 1/2 (the *witness radius*) bounds every sound certificate from above.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from math import exp, isfinite, lgamma, log, log1p, sqrt

import numpy as np
from scipy.integrate import IntegrationWarning
from scipy.integrate import quad as _scipy_quad
from scipy.optimize import brentq
from scipy.special import betainc, betaln, gammainc, gammaincinv
from scipy.stats import norm

EPSABS, EPSREL, LIMIT = 1e-13, 1e-12, 400


def quad(*args, **kwargs):
    """scipy's adaptive quad without its round-off notes (they only say that a tolerance
    far below the comparisons made here was not reached)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IntegrationWarning)
        return _scipy_quad(*args, **kwargs)


@dataclass(frozen=True)
class Setting:
    """P = GG(d, k, s) (k = 0: Gaussian) with user-facing s; Q = same family with user
    sigma ``s_q`` or P restricted to the ball of radial percentile ``pi``."""

    d: int
    k: int
    s: float
    s_q: float | None = None
    pi: float | None = None

    @property
    def a(self) -> float:
        return self.d / 2 - self.k

    @property
    def h(self) -> float:
        return (self.d - 1) / 2

    @property
    def sigma(self) -> float:
        return self.s * sqrt(self.d / (self.d - 2 * self.k))

    @property
    def beta(self) -> float:
        assert self.s_q is not None
        return self.s_q * sqrt(self.d / (self.d - 2 * self.k))

    @property
    def b(self) -> float:
        assert self.pi is not None
        return float(gammaincinv(self.a, self.pi))


def _t_range(a: float) -> tuple[float, float, list[float]]:
    lo = float(gammaincinv(a, 1e-15))
    hi = float(gammaincinv(a, 1.0 - 1e-15))
    points = [float(gammaincinv(a, q)) for q in (0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99)]
    return lo, hi, points


def _gamma_logpdf(a: float, t: float) -> float:
    return (a - 1.0) * log(t) - t - lgamma(a)


def _beta_window(h: float, lo: float, hi: float) -> tuple[float, float, list[float]]:
    sd = 0.5 / sqrt(2.0 * h + 1.0)
    a, b = max(lo, 0.5 - 40.0 * sd), min(hi, 0.5 + 40.0 * sd)
    pts = [p for p in (0.5 - 3 * sd, 0.5, 0.5 + 3 * sd) if a < p < b]
    return a, b, pts


def _log_ratio_shift(st: Setting, rho: float, r: float, x: float) -> float:
    """ln p(z − δ) − ln p(z) at ‖z‖ = ρ, angle coordinate x."""
    w2 = rho * rho + r * r - 2.0 * rho * r * (2.0 * x - 1.0)
    w2 = max(w2, 1e-300)
    out = -(w2 - rho * rho) / (2.0 * st.sigma**2)
    if st.k:
        out -= st.k * (log(w2) - 2.0 * log(rho))
    return out


def _log_q_ratio(st: Setting, t: float) -> float:
    """ln(q(z)/p(z)) at radial value t of P (−inf outside a thresholded Q's ball)."""
    if st.pi is not None:
        return -log(st.pi) if t <= st.b else float("-inf")
    rho2 = 2.0 * st.sigma**2 * t
    m = st.d - 2 * st.k
    return m * (log(st.sigma) - log(st.beta)) - rho2 / (2 * st.beta**2) + t


def _log_level(lam1: float, lam2: float, log_q: float) -> float | None:
    """ln B for B = λ1 + λ2 e^(log_q) (None when B ≤ 0), without overflow: q/p is
    astronomically large or small away from P's bulk when σ_Q ≠ σ."""
    if lam2 == 0.0 or log_q == float("-inf"):
        return log(lam1) if lam1 > 0.0 else None
    x = log(abs(lam2)) + log_q
    if lam2 > 0.0:
        if lam1 > 0.0:
            return float(np.logaddexp(log(lam1), x))
        if lam1 == 0.0:
            return x
        y = log(-lam1)
        return x + log1p(-exp(y - x)) if x > y else None
    if not lam1 > 0.0:
        return None
    y = log(lam1)
    return y + log1p(-exp(x - y)) if y > x else None


def _outer(st: Setting, r: float, t: float, lam1: float, lam2: float) -> float:
    """p_t(t) E_x[min(0, ratio_δ − B)] at radial value t (p_t: P's radial density), the
    Q term weighted in log space."""
    log_pdf = _gamma_logpdf(st.a, t)
    log_q = _log_q_ratio(st, t) if lam2 != 0.0 else float("-inf")
    log_b = _log_level(lam1, lam2, log_q)
    if log_b is None:
        return 0.0
    shifted, below = _sphere_parts(st, r, t, log_b)
    out = exp(log_pdf) * (shifted - lam1 * below)
    if lam2 != 0.0 and log_q > float("-inf"):
        out -= lam2 * exp(log_pdf + log_q) * below
    return out


def _sphere_parts(
    st: Setting, r: float, t: float, log_b: float, complement: bool = False
) -> tuple[float, float]:
    """On the sphere of radial value t, for the set {ratio_δ < B} = {x < x0}, ln B =
    ``log_b``: (its P_δ mass per unit P mass of the sphere, its angle probability I(x0));
    with ``complement`` the second entry is 1 − I(x0), computed as I(1 − x0)."""
    rho = st.sigma * sqrt(2.0 * t)

    def g(x: float) -> float:
        return _log_ratio_shift(st, rho, r, x) - log_b

    if g(0.0) >= 0.0:
        return 0.0, (1.0 if complement else 0.0)
    x0 = 1.0 if g(1.0) < 0.0 else brentq(g, 0.0, 1.0, xtol=1e-15, rtol=1e-15, maxiter=400)
    h = st.h
    lbeta = betaln(h, h)

    # x = sin²θ: the Beta(h, h) weight becomes 2 sin^(2h−1)θ cos^(2h−1)θ / B(h, h), smooth
    # for 2h − 1 = d − 2 ≥ 0 (no endpoint singularity for small d).
    def f(theta: float) -> float:
        sn, cs = np.sin(theta), np.cos(theta)
        if sn <= 0.0 or cs <= 0.0:
            return 0.0 if h > 0.5 else exp(_log_ratio_shift(st, rho, r, sn * sn) - lbeta) * 2.0
        lw = (2.0 * h - 1.0) * (log(sn) + log(cs)) + log(2.0) - lbeta
        return exp(_log_ratio_shift(st, rho, r, sn * sn) + lw)

    lo, hi, pts = _beta_window(h, 0.0, x0)
    shifted = 0.0
    if hi > lo:
        th_lo, th_hi = float(np.arcsin(sqrt(lo))), float(np.arcsin(sqrt(hi)))
        th_pts = [float(np.arcsin(sqrt(p))) for p in pts]
        shifted = quad(
            f, th_lo, th_hi, points=th_pts or None, epsabs=EPSABS, epsrel=EPSREL, limit=LIMIT
        )[0]
    return shifted, float(betainc(h, h, 1.0 - x0 if complement else x0))


def dual_value(
    st: Setting, r: float, lam1: float, lam2: float, p_hat: float, q_hat: float
) -> float:
    """L(λ) of the module docstring (p̂, q̂ chosen by the caller by the signs of λ)."""
    lo, hi, pts = _t_range(st.a)
    if st.pi is not None and lo < st.b < hi:
        pts = sorted([*pts, st.b])
    if st.s_q is not None and lam2 != 0.0:
        # Q's own bulk, in P's radial variable (t_P = t_Q β²/σ²): far from P's when d is
        # large, and its mass enters through λ2.
        # Q's radial law is the same Gamma(a): its range is P's, rescaled.
        scale = (st.beta / st.sigma) ** 2
        q_points = [lo * scale, hi * scale] + [p * scale for p in pts]
        lo, hi = min(lo, lo * scale), max(hi, hi * scale)
        pts = [p for p in sorted(set(pts + q_points)) if lo < p < hi]

    def outer(t: float) -> float:
        return _outer(st, r, t, lam1, lam2)

    body = quad(outer, lo, hi, points=pts, epsabs=EPSABS, epsrel=EPSREL, limit=LIMIT)[0]
    return body + lam1 * p_hat + lam2 * q_hat


def np_value(st: Setting, r: float, p_lower: float) -> float:
    """The exact Neyman–Pearson value V_NP(r) = P_δ(A) for the set A = {p_δ < B p} with
    P(A) = pL (B found by brentq): an upper bound on every sound NP certificate's value,
    so V_NP(r) < 1/2 shows that no radius ≥ r is certifiable from pL."""
    a = st.a
    lo, hi, pts = _t_range(a)

    def expect(index: int, big_b: float) -> float:
        def fun(t: float) -> float:
            return _sphere_parts(st, r, t, log(big_b))[index] * exp(_gamma_logpdf(a, t))

        return quad(fun, lo, hi, points=pts, epsabs=EPSABS, epsrel=EPSREL, limit=LIMIT)[0]

    log_b = brentq(lambda lb: expect(1, exp(lb)) - p_lower, -60.0, 60.0, xtol=1e-12, maxiter=400)
    return expect(0, exp(log_b))


def np_dual_value(st: Setting, r: float, lam1: float, p_lower: float) -> float:
    """The NP dual bound ``P_δ(A) + λ1 (pL − P(A))``, ``A = {p_δ < λ1 p}``, a lower bound on
    V_NP(r) for any ``λ1 > 0``, written as ``E_t[P_δ part + λ1 (1 − I(x0))] − λ1 (1 − pL)``
    so that it keeps its digits when ``pL`` is within 1e-9 of 1 (``λ1`` ~ 1e7): the form
    of :func:`dual_value` loses ``λ1`` times the rounding of P(A) ≈ 1."""
    lo, hi, pts = _t_range(st.a)
    log_b = log(lam1)

    def outer(t: float) -> float:
        shifted, above = _sphere_parts(st, r, t, log_b, complement=True)
        return exp(_gamma_logpdf(st.a, t)) * (shifted + lam1 * above)

    body = quad(outer, lo, hi, points=pts, epsabs=EPSABS, epsrel=EPSREL, limit=LIMIT)[0]
    return body - lam1 * (1.0 - p_lower)


# ----------------------------------------------------------------------------- classifiers


def _sphere_cdf(h: float, y: float) -> float:
    return float(betainc(h, h, min(max(y, 0.0), 1.0)))


def _radial_expect(st: Setting, fun, scale: float, upto: float | None = None) -> float:
    """E_t[fun(ρ)], ρ = scale √(2t), over P's radial law (t ≤ upto if given)."""
    a = st.a
    lo, hi, pts = _t_range(a)
    if upto is not None:
        hi = min(hi, upto)
        pts = [p for p in pts if p < hi]
    if not hi > lo:
        return 0.0

    def g(t: float) -> float:
        return fun(scale * sqrt(2.0 * t)) * exp(_gamma_logpdf(a, t))

    return quad(g, lo, hi, points=pts or None, epsabs=EPSABS, epsrel=EPSREL, limit=LIMIT)[0]


def halfspace_masses(st: Setting, c: float) -> tuple[float, float]:
    """P and Q masses of f = 1{z₁ ≤ c}."""
    if st.k == 0 and st.d > 50_000:
        p = float(norm.cdf(c / st.sigma))
    else:
        p = _radial_expect(st, lambda rho: _sphere_cdf(st.h, 0.5 + c / (2 * rho)), st.sigma)
    if st.s_q is None and st.pi is None:
        return p, float("nan")
    if st.pi is not None:
        inside = _radial_expect(
            st, lambda rho: _sphere_cdf(st.h, 0.5 + c / (2 * rho)), st.sigma, upto=st.b
        )
        return p, inside / st.pi
    if st.k == 0 and st.d > 50_000:
        return p, float(norm.cdf(c / st.beta))
    return p, _radial_expect(st, lambda rho: _sphere_cdf(st.h, 0.5 + c / (2 * rho)), st.beta)


def halfspace_witness_radius(c: float) -> float:
    """Radius where the smoothed score of 1{z₁ ≤ c} reaches 1/2: P's marginal is
    symmetric, so the score Pr[z₁ ≤ c − r] is above 1/2 exactly while r < c."""
    return c


def ball_masses(st: Setting, radius: float) -> tuple[float, float]:
    """P and Q masses of f = 1{‖z‖ ≤ R}."""
    tp = radius * radius / (2 * st.sigma**2)
    p = float(gammainc(st.a, tp))
    if st.pi is not None:
        return p, float(gammainc(st.a, min(tp, st.b))) / st.pi
    return p, float(gammainc(st.a, radius * radius / (2 * st.beta**2)))


def ball_score(st: Setting, radius: float, r: float) -> float:
    """E_{P_δ} 1{‖z‖ ≤ R} with ‖δ‖ = r: Pr[‖w + δ‖ ≤ R], w ~ P."""
    if r == 0.0:
        return ball_masses(st, radius)[0]

    def frac(rho: float) -> float:
        return _sphere_cdf(st.h, (radius * radius - (rho - r) ** 2) / (4 * rho * r))

    return _radial_expect(st, frac, st.sigma)


def ball_witness_radius(st: Setting, radius: float) -> float:
    """Radius where the smoothed score of the ball classifier falls to 1/2."""
    if not ball_score(st, radius, 0.0) > 0.5:
        return 0.0
    hi = radius
    return float(brentq(lambda r: ball_score(st, radius, r) - 0.5, 1e-12, hi, xtol=1e-12))


def confirmed(value: float, slack: float = 1e-7) -> bool | None:
    """True: the reference proves V > 1/2; False: the dual at these multipliers is below
    1/2 (not a violation by itself); None: too close to call."""
    if not isfinite(value):
        return None
    if value > 0.5 + slack:
        return True
    if value < 0.5 - slack:
        return False
    return None


__all__ = [
    "Setting",
    "ball_masses",
    "ball_score",
    "ball_witness_radius",
    "confirmed",
    "dual_value",
    "halfspace_masses",
    "halfspace_witness_radius",
    "np_dual_value",
    "np_value",
]
