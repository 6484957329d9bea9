"""Adaptive quadrature of the certifying check: ``E_t[ψ(t)]`` for ``t ~ Gamma(a, 1)`` with an
error estimate, never on the node set of the searches (docs/math.md §7.4).

The certification integrands are smooth in ``u = √t`` except at *kinks*: points where a
level set touches the sphere of radius ``ρ`` (the argument of ``I`` crosses 0 or 1, with a
square-root singularity of ``I`` for small ``d``), where ``min``/``max`` switch branch, and
the threshold ``b`` of a thresholded Q. The fixed Gauss rules of the searches do not split
there, so their ``n``-versus-``2n`` spread is not an error bound (issue 12). Here:

* the variable is ``u = √t`` (the Gamma(a) density ``2u^(2a−1) e^(−u²)/Γ(a)`` is then
  analytic for every integer ``2a = d − 2k``, also for ``a ≤ 1.5``);
* ``[u_min, u_max]`` holds all but :data:`TAIL_MASS` of the law at each end; the left-out
  mass times ``sup |ψ|`` is added to the error (a bound, not an estimate);
* every piece is mapped by ``u = u0 + (u1 − u0)(3s² − 2s³)``, whose derivative vanishes at
  both ends, so a square-root kink *at* a piece end becomes analytic;
* pieces whose 16- and 32-node Gauss–Legendre values differ by more than their share of
  the tolerance are bisected (up to :data:`MAX_DEPTH` times), so kinks inside pieces are
  isolated adaptively; the error estimate is ``QUADRATURE_SAFETY · Σ |G16 − G32|`` over
  the accepted pieces (the 32-node value is used), plus the tails.

The estimate is the standard a-posteriori one (as QUADPACK's); it is reliable for
piecewise-analytic integrands once every kink is isolated, which the bisection does. It is
not an interval-arithmetic proof: docs/math.md §7.4 says what this does and does not prove.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from math import lgamma, log, sqrt

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammainccinv, gammaincinv, roots_legendre

from dsrs_core.errors import NumericalError
from dsrs_core.numerics.fixed_quadrature import QuadratureRule

__all__ = [
    "MAX_DEPTH",
    "MAX_PIECES",
    "QUADRATURE_SAFETY",
    "SMALL_SHAPE",
    "TAIL_MASS",
    "Estimate",
    "dense_rule",
    "dense_split_rule",
    "radial_expectation",
    "radial_support",
]

#: Below this shape the fixed Gauss–Laguerre rules of the searches converge slowly (the
#: integrands have square-root behaviour at t = 0 and kinks near the bulk); the searches
#: then use :func:`dense_rule` instead (issue 12: NP radius 0 for a ≤ 1.5).
SMALL_SHAPE = 4.0

#: Probability of the radial law left out at each end; bounded, not estimated.
TAIL_MASS = 1e-16
#: Most bisections of one initial piece.
MAX_DEPTH = 40
#: Most pieces refined at once; beyond it the remaining pieces are accepted with their
#: disagreement counted in the error (which then fails closed if it is too large).
MAX_PIECES = 2048
#: Relative rounding level of a piece's weighted sum (about 100 ulp).
ROUNDING_FLOOR = 2e-14
#: Factor on the summed 16/32-node disagreement taken as the error of the 32-node values.
QUADRATURE_SAFETY = 2.0
#: Initial pieces: equal-probability cells of the radial law (plus caller breakpoints).
INITIAL_PIECES = 8
_LOW, _HIGH = 16, 32

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Estimate:
    """``value`` of ``E_t[ψ]`` and ``error``, an upper estimate of ``|value − truth|``."""

    value: float
    error: float
    pieces: int


@lru_cache(maxsize=4)
def _legendre01(n: int) -> tuple[Array, Array]:
    s, w = roots_legendre(n)
    return 0.5 * (s + 1.0), 0.5 * w


@lru_cache(maxsize=256)
def _support(a: float) -> tuple[float, float]:
    lo = float(gammaincinv(a, TAIL_MASS))
    hi = float(gammainccinv(a, TAIL_MASS))
    return sqrt(max(lo, 0.0)), sqrt(hi)


def radial_support(a: float) -> tuple[float, float]:
    """``(u_min, u_max)`` in ``u = √t``: all but :data:`TAIL_MASS` of Gamma(a) at each end."""
    return _support(a)


def _nodes(lo: Array, hi: Array, n: int, a: float) -> tuple[Array, Array]:
    """Nodes ``t`` and weights (Gamma(a) density included) of ``n``-point rules on the pieces
    ``[lo_i, hi_i]`` in ``u``, shape ``(pieces, n)``."""
    s, w = _legendre01(n)
    g = s * s * (3.0 - 2.0 * s)
    dg = 6.0 * s * (1.0 - s)
    width = (hi - lo)[:, None]
    u = lo[:, None] + width * g[None, :]
    log_density = (2.0 * a - 1.0) * np.log(np.maximum(u, 1e-300)) - u * u - lgamma(a) + log(2.0)
    weights = w[None, :] * dg[None, :] * width * np.exp(log_density)
    return u * u, weights


def _composite_rule(a: float, edges: Array, n: int) -> QuadratureRule:
    """``n`` mapped Gauss–Legendre nodes (Gamma(a) weights) on each cell between ``edges``
    (in ``u = √t``)."""
    t, w = _nodes(edges[:-1], edges[1:], n, a)
    return QuadratureRule(t.ravel(), w.ravel())


@lru_cache(maxsize=64)
def dense_rule(a: float, pieces: int = 48, n: int = 16) -> QuadratureRule:
    """A fixed composite rule for the *searches* at small shapes: ``pieces`` cells of equal
    width in ``u = √t`` over the support, ``n`` mapped Gauss–Legendre nodes each (kinks
    inside a cell cost accuracy, not soundness: the certifying check is separate)."""
    u_min, u_max = _support(a)
    return _composite_rule(a, np.linspace(u_min, u_max, pieces + 1), n)


def dense_split_rule(
    a: float, t_break: float | Sequence[float] | Array, pieces: int = 48, n: int = 16
) -> QuadratureRule | None:
    """:func:`dense_rule` with more cell edges at the kinks ``t_break`` (one or several; for
    the searches: the far masses of a sigma pair have a kink where ``Λ`` changes sign,
    docs/math.md §4.4, and in low dimension where level sets touch spheres); ``None`` when
    no kink lies inside the support. Unlike
    :func:`dsrs_core.numerics.fixed_quadrature.split_rule` (Gauss–Laguerre pieces) it also
    serves shapes below :data:`SMALL_SHAPE`."""
    u_min, u_max = _support(a)
    u_break = np.sqrt(np.maximum(np.atleast_1d(np.asarray(t_break, dtype=np.float64)), 0.0))
    inside = u_break[(u_min < u_break) & (u_break < u_max)]
    if inside.size == 0:
        return None
    return _composite_rule(a, np.union1d(np.linspace(u_min, u_max, pieces + 1), inside), n)


def radial_expectation(
    a: float,
    psi: Callable[[Array], Array],
    sup_abs: float,
    tolerance: float,
    breaks_t: tuple[float, ...] = (),
    t_range: tuple[float, float] = (0.0, float("inf")),
) -> Estimate:
    """``E_t[ψ(t); t ∈ t_range]``, ``t ~ Gamma(a, 1)``, adaptively (module docstring).

    Parameters
    ----------
    a : float
        Shape of the radial law.
    psi : callable
        Vectorised integrand ``t -> ψ(t)`` (any array shape).
    sup_abs : float
        An upper bound on ``|ψ|`` (bounds the left-out tails).
    tolerance : float
        Target for the error estimate; pieces are bisected until their share is met.
    breaks_t : tuple of float
        Known kinks (in ``t``) to start with as piece ends.
    t_range : (float, float)
        Integrate over this range of ``t`` only (not renormalised).

    Returns
    -------
    Estimate
        Raises :class:`NumericalError` if a value is not finite.
    """
    u_min, u_max = _support(a)
    tail = 0.0
    lo_u = max(u_min, sqrt(max(t_range[0], 0.0)))
    hi_u = min(u_max, sqrt(t_range[1]) if np.isfinite(t_range[1]) else u_max)
    if lo_u == u_min and u_min > 0.0:
        tail += TAIL_MASS
    if hi_u == u_max:
        tail += TAIL_MASS
    if not hi_u > lo_u:
        return Estimate(0.0, tail * sup_abs, 0)
    quantiles = np.sqrt(gammaincinv(a, np.linspace(0.0, 1.0, INITIAL_PIECES + 1)[1:-1]))
    cuts = [lo_u, hi_u]
    cuts += [q for q in quantiles if lo_u < q < hi_u]
    cuts += [sqrt(b) for b in breaks_t if b > 0.0 and np.isfinite(b) and lo_u < sqrt(b) < hi_u]
    edges = np.unique(np.array(cuts, dtype=np.float64))
    lo, hi = edges[:-1], edges[1:]
    total, error, accepted = 0.0, 0.0, 0
    budget = tolerance / QUADRATURE_SAFETY
    for depth in range(MAX_DEPTH + 1):
        t16, w16 = _nodes(lo, hi, _LOW, a)
        t32, w32 = _nodes(lo, hi, _HIGH, a)
        values = psi(np.concatenate([t16.ravel(), t32.ravel()]))
        if not np.all(np.isfinite(values)):
            raise NumericalError("non-finite integrand in the certifying quadrature")
        terms32 = values[t16.size :].reshape(t32.shape) * w32
        v16 = (values[: t16.size].reshape(t16.shape) * w16).sum(axis=1)
        v32 = terms32.sum(axis=1)
        diff = np.abs(v16 - v32)
        # A piece's share of the tolerance is proportional to its width (in u), but never
        # below the rounding of its own sums (bisecting cannot reduce that).
        share = budget * (hi - lo) / (hi_u - lo_u)
        share = np.maximum(share, ROUNDING_FLOOR * np.abs(terms32).sum(axis=1))
        # ... nor below an absolute floor: a piece whose two values agree to budget/MAX_PIECES
        # is accepted whatever its width (its disagreement still enters the error). Without
        # it, pieces of width ~1e-9 next to the sign change of Λ, where the integrand is
        # noisy at ~1e-7 from the rounding of the nodes themselves, were bisected to
        # MAX_DEPTH, 40 integrand calls (0.5 s per check at d = 2, issue 23).
        share = np.maximum(share, budget / MAX_PIECES)
        last = depth == MAX_DEPTH or 2 * lo.size > MAX_PIECES
        done = (diff <= share) | last
        total += float(v32[done].sum())
        error += float(diff[done].sum())
        accepted += int(done.sum())
        if np.all(done):
            break
        lo, hi = lo[~done], hi[~done]
        mid = 0.5 * (lo + hi)
        lo, hi = np.concatenate([lo, mid]), np.concatenate([mid, hi])
    return Estimate(total, QUADRATURE_SAFETY * error + tail * sup_abs, accepted)
