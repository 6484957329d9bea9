"""The true DSRS value near a radius, from the independent references alone.

By strong duality the DSRS value is ``V(r) = max_λ L(λ; r)`` (docs/math.md §4.1), and ``L``
is concave in ``λ`` (with ``p̂``, ``q̂`` chosen by the signs of ``λ``, each term
``min(λ pL, λ pU)`` is concave). :func:`best_dual` maximises the polar reference's ``L``
(tests/references/polar_quadpack.py) by Nelder–Mead from a given start; a concave
function has no local maxima but the global one, so the value found is ``V(r)`` to the
optimiser's tolerance. :func:`truth_below` then says whether the truth lies below ``r``:
``V(r) < 1/2`` at the best multipliers found, confirmed by the Cartesian mpmath reference for
Gaussian P. No code of ``dsrs_core`` is used (the start may come from anywhere).
"""

from __future__ import annotations

from scipy.optimize import minimize

from tests.references.cartesian_mpmath import GaussianSetting
from tests.references.cartesian_mpmath import dual_value as cartesian_dual_value
from tests.references.polar_quadpack import Setting, dual_value

__all__ = ["best_dual", "reference_dual", "truth_below"]


def reference_dual(st: Setting, r: float, lam: tuple[float, float], iv) -> float:
    """``L(λ; r)`` with the sign-selected interval ends (``iv`` = (pL, pU, qL, qU)); the
    Cartesian mpmath reference for Gaussian P, the polar one otherwise."""
    l1, l2 = lam
    p_hat = iv[0] if l1 >= 0 else iv[1]
    q_hat = iv[2] if l2 >= 0 else iv[3]
    if st.k == 0:
        gaussian = GaussianSetting(st.d, st.s, st.s_q, st.pi)
        return cartesian_dual_value(gaussian, r, l1, l2, p_hat, q_hat)[0]
    return dual_value(st, r, l1, l2, p_hat, q_hat)


def best_dual(
    st: Setting, r: float, start: tuple[float, float], iv
) -> tuple[float, tuple[float, float]]:
    """``(max_λ L(λ; r), argmax)`` of the polar reference, Nelder–Mead from ``start``."""

    def negative(x) -> float:
        l1, l2 = float(x[0]), float(x[1])
        p_hat = iv[0] if l1 >= 0 else iv[1]
        q_hat = iv[2] if l2 >= 0 else iv[3]
        return -dual_value(st, r, l1, l2, p_hat, q_hat)

    scale = max(abs(start[0]), abs(start[1]), 1.0)
    simplex = [
        list(start),
        [start[0] + 0.05 * scale, start[1]],
        [start[0], start[1] + 0.05 * scale],
    ]
    found = minimize(
        negative,
        list(start),
        method="Nelder-Mead",
        options={"initial_simplex": simplex, "xatol": 1e-5, "fatol": 1e-9, "maxfev": 200},
    )
    lam = (float(found.x[0]), float(found.x[1]))
    return -float(found.fun), lam


def truth_below(st: Setting, r: float, start: tuple[float, float], iv) -> tuple[bool, float]:
    """Whether the true DSRS radius is below ``r``: the reference's best dual value at
    ``r`` (returned) is below 1/2."""
    _, lam = best_dual(st, r, start, iv)
    value = reference_dual(st, r, lam, iv)
    return value < 0.5, value
