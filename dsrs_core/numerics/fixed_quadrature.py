"""Fixed-node quadrature for expectations over the radial law ``t ~ Gamma(a, 1)``.

Every certification integral is ``E_t[f(t)]`` or a restriction of it to an interval
(docs/math.md §0, §7.4 item 1). The rules here integrate ``f`` against the Gamma(a)
density, not renormalised:

* whole line: generalised Gauss–Laguerre with parameter ``a − 1`` (weights / Γ(a));
* ``[0, x]``: Gauss–Jacobi on ``(1 + s)^(a−1)`` (handles non-integer ``a``), times ``e^(−t)``;
* ``[x, y]`` with ``x > 0``: Gauss–Legendre times the density;
* ``[x, ∞)``: Gauss–Laguerre on ``t − x`` times ``(t/x)^(a−1)``-type factor.

:func:`split_rule` glues segments at kinks of the integrand (the threshold ``b`` of a
thresholded Q and the points where a min/max switches branch), so each piece is smooth and
converges spectrally; callers check convergence by evaluating with ``n`` and ``2n`` nodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from math import lgamma, log

import numpy as np
from numpy.typing import NDArray
from scipy.special import (
    gammainccinv,
    gammaincinv,
    roots_genlaguerre,
    roots_jacobi,
    roots_laguerre,
    roots_legendre,
)

from dsrs_core.errors import NumericalError

__all__ = ["LARGE_SHAPE", "NEGLECTED_TAIL", "QuadratureRule", "gamma_rule", "split_rule"]

#: Above this shape the Laguerre/Jacobi weights of scipy overflow (e.g. the Gaussian with
#: d = 784 has a = 392); the law is then nearly normal and is integrated by Gauss–Legendre
#: on the range between its NEGLECTED_TAIL quantiles.
LARGE_SHAPE = 30.0
#: Probability left out at each end for LARGE_SHAPE laws (errs by at most 2e-18 per mass,
#: covered by the dual margins).
NEGLECTED_TAIL = 1e-18


@dataclass(frozen=True)
class QuadratureRule:
    """Nodes ``t`` and weights ``w`` with ``Σ w f(t) ≈ ∫ f(t) γ_a(t) dt`` over the rule's
    range (weights already include the Gamma(a) density)."""

    nodes: NDArray[np.float64]
    weights: NDArray[np.float64]

    def expect(self, values: NDArray[np.float64]) -> float:
        """``Σ w_j values_j``."""
        return float(self.weights @ values)


def _finite_rule(
    t: NDArray[np.float64], w: NDArray[np.float64], what: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(w))):
        raise NumericalError(f"{what} quadrature rule is not finite")
    return t, w


@lru_cache(maxsize=64)
def _genlaguerre(n: int, alpha: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    with np.errstate(all="ignore"):
        t, w = roots_genlaguerre(n, alpha)
    return _finite_rule(t, w, "generalised Gauss-Laguerre")


@lru_cache(maxsize=64)
def _support(a: float) -> tuple[float, float]:
    return float(gammaincinv(a, NEGLECTED_TAIL)), float(gammainccinv(a, NEGLECTED_TAIL))


@lru_cache(maxsize=64)
def _jacobi(n: int, beta: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    with np.errstate(all="ignore"):
        s, w = roots_jacobi(n, 0.0, beta)
    return _finite_rule(s, w, "Gauss-Jacobi")


@lru_cache(maxsize=16)
def _legendre(n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    s, w = roots_legendre(n)
    return s, w


@lru_cache(maxsize=16)
def _laguerre(n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    s, w = roots_laguerre(n)
    return s, w


@lru_cache(maxsize=64)
def gamma_rule(a: float, n: int) -> QuadratureRule:
    """Generalised Gauss–Laguerre rule for ``E_t[f]``, ``t ~ Gamma(a, 1)`` (§7.4 item 1).

    Exact for polynomials of degree ``2n − 1``; the weights sum to 1. For shapes above
    :data:`LARGE_SHAPE`, Gauss–Legendre on the central range instead.
    """
    if a > LARGE_SHAPE:
        return _middle_rule(a, *_support(a), n)
    t, w = _genlaguerre(n, a - 1.0)
    weights = w * np.exp(-lgamma(a))
    return QuadratureRule(np.asarray(t, dtype=np.float64), np.asarray(weights, dtype=np.float64))


def _head_rule(a: float, x: float, n: int) -> QuadratureRule:
    # ∫_0^x f(t) t^(a−1) e^(−t)/Γ(a) dt, t = x(1+s)/2: (x/2)^a ∫ (1+s)^(a−1) e^(−t) f ds.
    s, w = _jacobi(n, a - 1.0)
    t = 0.5 * x * (1.0 + s)
    weights = w * np.exp(a * log(0.5 * x) - lgamma(a) - t)
    return QuadratureRule(t, weights)


def _middle_rule(a: float, x: float, y: float, n: int) -> QuadratureRule:
    s, w = _legendre(n)
    half = 0.5 * (y - x)
    t = x + half * (1.0 + s)
    weights = w * half * np.exp((a - 1.0) * np.log(t) - t - lgamma(a))
    return QuadratureRule(t, weights)


def _tail_rule(a: float, x: float, n: int) -> QuadratureRule:
    # ∫_x^∞ f γ_a = ∫_0^∞ e^(−s) [f(x+s) (x+s)^(a−1) e^(−x)/Γ(a)] ds.
    s, w = _laguerre(n)
    t = x + s
    weights = w * np.exp((a - 1.0) * np.log(t) - x - lgamma(a))
    return QuadratureRule(t, weights)


@lru_cache(maxsize=256)
def split_rule(a: float, cuts: tuple[float, ...], n: int) -> QuadratureRule:
    """Rule for ``E_t[f]`` over ``[0, ∞)`` split at the sorted positive ``cuts``.

    Use it when ``f`` has kinks or jumps at the cuts; ``n`` nodes per piece. Cuts that are
    not finite and positive are ignored; with no cut this is :func:`gamma_rule`.
    """
    points = sorted({float(c) for c in cuts if np.isfinite(c) and c > 0.0})
    if a > LARGE_SHAPE:
        lo, hi = _support(a)
        edges = [lo] + [c for c in points if lo < c < hi] + [hi]
        return _concat([_middle_rule(a, x, y, n) for x, y in pairwise(edges)])
    if not points:
        return gamma_rule(a, n)
    pieces = [_head_rule(a, points[0], n)]
    for lo, hi in pairwise(points):
        pieces.append(_middle_rule(a, lo, hi, n))
    pieces.append(_tail_rule(a, points[-1], n))
    return _concat(pieces)


def _concat(pieces: list[QuadratureRule]) -> QuadratureRule:
    return QuadratureRule(
        np.concatenate([p.nodes for p in pieces]), np.concatenate([p.weights for p in pieces])
    )


@lru_cache(maxsize=256)
def segment_rule(a: float, lo: float, hi: float, n: int) -> QuadratureRule:
    """Rule for ``E_t[f; lo ≤ t ≤ hi]`` (``hi`` may be ``inf``; not renormalised)."""
    if a > LARGE_SHAPE:
        s_lo, s_hi = _support(a)
        lo, hi = max(lo, s_lo), min(hi, s_hi)
        if not lo < hi:
            return QuadratureRule(np.zeros(1), np.zeros(1))
        return _middle_rule(a, lo, hi, n)
    if lo <= 0.0:
        if np.isinf(hi):
            return gamma_rule(a, n)
        return _head_rule(a, hi, n)
    if np.isinf(hi):
        return _tail_rule(a, lo, n)
    return _middle_rule(a, lo, hi, n)


def gauss_split_rule(a: float, t_break: float, n: int) -> QuadratureRule | None:
    """:func:`split_rule` at the single kink ``t_break`` (``n`` nodes on each side), or
    None when the kink lies outside the central range that holds all but
    :data:`NEGLECTED_TAIL` of the law at each end (there a piece would be mostly empty).
    The Gauss counterpart of :func:`dsrs_core.numerics.adaptive_quadrature.dense_split_rule`
    for shapes where Gauss–Laguerre rules converge."""
    lo, hi = _support(a)
    if not lo < t_break < hi:
        return None
    return split_rule(a, (float(t_break),), n)


__all__ += ["gauss_split_rule", "segment_rule"]
