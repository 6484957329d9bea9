"""Special functions of the radius engine, vectorised and overflow-free (docs/math.md §4.6).

* :func:`log_lambert_w` — ``Wl(z) = W(e^z)``, the unique ``w > 0`` with ``w + ln w = z``.
* :func:`symmetric_beta_cdf` / :func:`symmetric_beta_pdf` — ``I(x) = I_x(h, h)`` and its
  derivative, extended by 0 / 1 outside ``[0, 1]`` (the angle law of (G1), (G2)).
* :func:`signed_log_sum` — ``ln(s1 e^x1 + s2 e^x2)`` with ``-inf`` when the sum is ≤ 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betainc, betaln

__all__ = [
    "LAMBERT_NEWTON_STEPS",
    "log_lambert_w",
    "signed_log_sum",
    "symmetric_beta_cdf",
    "symmetric_beta_pdf",
]

#: Newton steps of :func:`log_lambert_w`. The start is within 0.45 of the root in
#: ``y = ln w`` and Newton on the convex increasing ``e^y + y − z`` converges
#: quadratically, so 7 steps reach machine precision (checked in the tests against
#: ``scipy.special.lambertw`` over ``z ∈ [−700, 1e6]``).
LAMBERT_NEWTON_STEPS = 7


def log_lambert_w(z: ArrayLike) -> NDArray[np.float64]:
    """``Wl(z) = W(e^z)``: the solution ``w > 0`` of ``w + ln w = z`` (docs/math.md §0, (U)).

    Parameters
    ----------
    z : array_like of float
        Any real values; ``+inf`` gives ``+inf`` and ``-inf`` gives 0.

    Returns
    -------
    ndarray of float64
        ``w``, accurate to a few ulp. Computed by Newton's method on ``y = ln w``
        (``e^y + y = z``), which never overflows (§7.4 item 2).
    """
    z = np.asarray(z, dtype=np.float64)
    finite = np.isfinite(z)
    zf = np.where(finite, z, 0.0)
    # Start: y = z − ln(1 + e^z) below 1 (exact as z → −∞), ln(z − ln z) above.
    large = zf > 1.0
    safe_z = np.where(large, zf, 2.0)
    y = np.where(large, np.log(safe_z - np.log(safe_z)), zf - np.logaddexp(0.0, zf))
    for _ in range(LAMBERT_NEWTON_STEPS):
        ey = np.exp(y)
        y = y - (ey + y - zf) / (ey + 1.0)
    w = np.exp(y)
    if not finite.all():
        w = np.where(np.isposinf(z), np.inf, w)
        w = np.where(np.isneginf(z), 0.0, w)
        w = np.where(np.isnan(z), np.nan, w)
    return w


def symmetric_beta_cdf(x: ArrayLike, h: float) -> NDArray[np.float64]:
    """``I(x) = I_x(h, h)``, the CDF of Beta(h, h), with ``I = 0`` for ``x ≤ 0`` and
    ``I = 1`` for ``x ≥ 1`` (docs/math.md §0). ``nan`` inputs are not allowed."""
    xc = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    return betainc(h, h, xc)


def symmetric_beta_pdf(x: ArrayLike, h: float) -> NDArray[np.float64]:
    """Density of Beta(h, h) at ``x`` (0 outside ``(0, 1)``); the derivative of
    :func:`symmetric_beta_cdf`, used for Newton steps only (never for a bound)."""
    x = np.asarray(x, dtype=np.float64)
    inside = (x > 0.0) & (x < 1.0)
    xi = np.where(inside, x, 0.5)
    log_pdf = (h - 1.0) * (np.log(xi) + np.log1p(-xi)) - betaln(h, h)
    return np.where(inside, np.exp(log_pdf), 0.0)


def signed_log_sum(
    log_a: ArrayLike, sign_a: float, log_b: ArrayLike, sign_b: float
) -> NDArray[np.float64]:
    """``ln(sign_a e^log_a + sign_b e^log_b)``, ``-inf`` where the sum is ≤ 0 (§4.6).

    ``sign_a``, ``sign_b`` are in {−1, 0, 1}; a zero sign drops its term.
    """
    la = np.asarray(log_a, dtype=np.float64)
    lb = np.asarray(log_b, dtype=np.float64)
    if sign_a == 0.0 and sign_b == 0.0:
        return np.full(np.broadcast(la, lb).shape, -np.inf)
    if sign_b == 0.0:
        return la + 0.0 if sign_a > 0 else np.full(np.broadcast(la, lb).shape, -np.inf)
    if sign_a == 0.0:
        return lb + 0.0 if sign_b > 0 else np.full(np.broadcast(la, lb).shape, -np.inf)
    if sign_a > 0 and sign_b > 0:
        return np.logaddexp(la, lb)
    if sign_a < 0 and sign_b < 0:
        return np.full(np.broadcast(la, lb).shape, -np.inf)
    pos, neg = (la, lb) if sign_a > 0 else (lb, la)
    diff = neg - pos  # result = pos + ln(1 − e^diff), defined for diff < 0
    ok = diff < 0.0
    safe = np.where(ok, diff, -1.0)
    # ln(1 − e^d): log1p(−e^d) is accurate for d < −ln 2, log(−expm1(d)) above.
    val = np.where(safe < -0.6931471805599453, np.log1p(-np.exp(safe)), np.log(-np.expm1(safe)))
    return np.where(ok, pos + val, -np.inf)
