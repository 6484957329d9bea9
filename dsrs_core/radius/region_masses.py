"""Masses of the DSRS worst-case region ``R(λ1, λ2) = {p_δ < λ1 p + λ2 q}`` (docs/math.md §4.4).

For P = GG(d, k, σ), Q = GG(d, k, β) (same ``d, k``, another scale) and a shift of norm
``r``, seen from a point at squared radius ``s``:

    λ1 p + λ2 q = C_σ s^(−k) Λ(s),   Λ(s) = λ1 e^(−s/(2σ²)) + λ2 (σ/β)^(d−2k) e^(−s/(2β²)),
    φ(s) := −k ln s + ln Λ(s)   (−inf where Λ ≤ 0),
    z ∈ R  ⇔  ln g_σ(‖z − δ‖) < φ(‖z‖²)  ⇔  ‖z − δ‖² > U_σ(φ(‖z‖²)).

* ``P(R) = E_t[I(((ρ+r)² − U_σ(φ(ρ²)))/(4ρr))]``, ``ρ = σ√(2t)``; ``Q(R)`` the same with
  ``ρ = β√(2t)`` ((G1) of §0);
* ``P_δ(R) = E_t[Pr(‖δ + w‖² ∈ M(ρ))]`` with ``‖w‖ = ρ = σ√(2t)`` and
  ``M(ρ) = {s : φ(s) > ln g_σ(ρ²)}`` ((G2)).

Sign patterns (§4.4, handled explicitly): ``Λ > 0`` on one interval ``D`` of ``s`` (all of
``(0, ∞)`` when both multipliers are ≥ 0; ``(0, s0)`` or ``(s0, ∞)`` for mixed signs; empty
when both are ≤ 0). On ``D``, ``φ' = 0`` reduces to
``ln|λ1|(…) − cp s + ln(k + cp s) = ln|B| − cq s + ln(k + cq s)`` whose difference is monotone
for integer ``k ≥ 0``, so ``φ`` has at most one critical point, and ``φ → −∞`` where
``Λ → 0`` and at ``∞``. Hence ``M(ρ)`` is always one interval ``(s_lo, s_hi)``: ``s_lo = 0``
when ``φ`` decreases on ``D``, otherwise both ends are roots on the monotone pieces either
side of the maximiser of ``φ``. Roots are found per node by bracketed Newton in ``ln s``,
or in ``ln|s − s0|`` on a piece that ends at the sign change ``s0`` (docs/math.md §7.3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import inf, isfinite, log

import numpy as np
from numpy.typing import NDArray

from dsrs_core.errors import InvalidParameterError, NumericalError
from dsrs_core.noise.families import RadialNoise
from dsrs_core.numerics.fixed_quadrature import QuadratureRule
from dsrs_core.numerics.special import signed_log_sum, symmetric_beta_cdf, symmetric_beta_pdf

__all__ = [
    "ROOT_RELATIVE_TOLERANCE",
    "RegionMasses",
    "SigmaPair",
    "bracketed_monotone_roots",
    "level_set_radius_sq",
]

#: Precision, in ``ln s``, of the boundary of ``M(ρ)``. A boundary error ε moves
#: ``P_δ(R)`` by about ε·s·(density of ‖δ + w‖²) ≲ 1e-12, far below the dual margin.
ROOT_RELATIVE_TOLERANCE = 1e-14
_MAX_ROOT_STEPS = 200
_TINY_S = 1e-300
#: Points of the grid on the axis that brackets the kinks of :meth:`SigmaPair.kinks`, the
#: cells each bracket is split into per round, and the most rounds (64^9 = 2^54).
_KINK_GRID = 1025
_KINK_SPLIT = 64
_KINK_ROUNDS = 10
#: Relative distance of the first point of :meth:`SigmaPair.edge_grading` from the edge,
#: and the number of points (the last at 0.1 · 2^-49 ≈ 2e-16).
_GRADING_FIRST = 0.1
_GRADING_STEPS = 50

Array = NDArray[np.float64]


@dataclass(frozen=True)
class RegionMasses:
    """``P(R)``, ``Q(R)``, ``P_δ(R)`` and ``J = ∂(P(R), Q(R))/∂(λ1, λ2)`` as
    ``(∂P/∂λ1, ∂P/∂λ2, ∂Q/∂λ1, ∂Q/∂λ2)`` (None when not requested)."""

    p_mass: float
    q_mass: float
    shifted_mass: float
    jacobian: tuple[float, float, float, float] | None = None


def level_set_radius_sq(k: int, log_coef: float, decay: float, level: Array) -> Array:
    """``s`` with ``−k ln s + log_coef − decay·s = level`` (one exponential term; the
    function is decreasing in ``s``). ``s = (k/decay) Wl(…)``, or linear when ``k = 0``."""
    from dsrs_core.numerics.special import log_lambert_w

    rhs = log_coef - level
    if k == 0:
        return np.maximum(rhs / decay, 0.0)
    return (k / decay) * log_lambert_w(rhs / k - log(k / decay))


def bracketed_monotone_roots(
    fun: Callable[[Array], Array],
    slope: Callable[[Array], Array],
    level: Array,
    lo: Array,
    hi: Array,
    decreasing: bool,
    edge: float | None = None,
) -> Array:
    """Per-entry roots ``s`` of ``fun(s) = level`` with ``fun`` monotone on ``[lo, hi]``.

    Safeguarded Newton in ``u = ln s`` (bisection whenever Newton leaves the bracket);
    ``fun(lo) − level`` and ``fun(hi) − level`` must have the right signs (they may be
    ±inf). Raises :class:`NumericalError` if it does not converge.

    ``edge``: a point at or outside one end of every bracket where ``fun → −inf`` like
    ``ln|s − edge|`` (the sign change ``s0`` of ``Λ``); the variable is then
    ``u = ln|s − edge|``, in which ``fun`` is nearly linear next to the edge: Newton in
    ``ln s`` took ~23 steps per root there (docs/math.md §7.3).
    """
    sign = -1.0 if decreasing else 1.0
    level = np.broadcast_to(np.asarray(level, dtype=np.float64), np.shape(lo))
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    if edge is None:

        def s_of(u: Array) -> Array:
            return np.exp(u)

        dsdu = s_of

        def tol_of(u: Array) -> Array:
            return ROOT_RELATIVE_TOLERANCE * np.maximum(1.0, np.abs(u))

        ulo = np.log(np.maximum(lo, _TINY_S))
        uhi = np.log(np.maximum(hi, _TINY_S))
    else:
        # s = edge ± e^u; closer to the edge than ~1e-15 of it, s rounds to the edge.
        floor = max(4e-16 * abs(edge), _TINY_S)
        below = bool(np.all(hi <= edge))
        way = -1.0 if below else 1.0
        anchor = edge

        def s_of(u: Array) -> Array:
            return anchor + way * np.exp(u)

        def dsdu(u: Array) -> Array:
            return way * np.exp(u)

        def tol_of(u: Array) -> Array:
            # The tolerance of the plain variable, except where s itself (known to
            # ~1e-16·edge next to the edge) cannot resolve it: there Δu·|s − edge| ~ 8e-16·edge.
            plain = ROOT_RELATIVE_TOLERANCE * np.maximum(1.0, np.abs(u))
            return np.maximum(plain, floor * 2.0 * np.exp(-u))

        near, far = (hi, lo) if below else (lo, hi)
        ulo = np.log(np.maximum(way * (near - edge), floor))
        uhi = np.log(np.maximum(way * (far - edge), floor))
        if below:
            # s falls as u grows: the monotonicity in u is the opposite one.
            sign = -sign
    out = np.empty_like(ulo)
    # Roots within the tolerance of a bracket end (e.g. at the edge of the domain, where
    # ``φ → −inf`` only logarithmically and bisection would creep ~50 steps) are settled
    # by one evaluation next to each end.
    hi_tol = tol_of(uhi)
    lo_tol = tol_of(ulo)
    with np.errstate(invalid="ignore"):
        at_hi = sign * (fun(s_of(uhi - hi_tol)) - level) < 0.0
        at_lo = ~at_hi & (sign * (fun(s_of(ulo + lo_tol)) - level) > 0.0)
    out[at_hi], out[at_lo] = uhi[at_hi], ulo[at_lo]
    # Only the entries not yet converged are iterated (a few slow ones must not make every
    # entry bisect).
    active = np.flatnonzero(~(at_hi | at_lo))
    if active.size == 0:
        return s_of(out)
    ulo, uhi = ulo[active], uhi[active]
    u = 0.5 * (ulo + uhi)
    leaped = np.zeros(u.shape, dtype=bool)
    # Widths of the bracket one, two and three steps ago: where three steps have not halved
    # the width, the next step bisects, so the bracket halves at least every three steps
    # and the iteration cannot stall (Newton alternating between the two ends of a bracket
    # that barely shrinks, issue 23); _MAX_ROOT_STEPS covers 3 · 64 halvings.
    width_1 = np.full(u.shape, np.inf)
    width_2 = np.full(u.shape, np.inf)
    width_3 = np.full(u.shape, np.inf)
    for _ in range(_MAX_ROOT_STEPS):
        s = s_of(u)
        f = sign * (fun(s) - level[active])
        df = sign * slope(s) * dsdu(u)
        ulo = np.where(f < 0.0, u, ulo)
        uhi = np.where(f > 0.0, u, uhi)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = u - f / df
        good = np.isfinite(newton) & (newton > ulo) & (newton < uhi)
        u_new = np.where(good, newton, 0.5 * (ulo + uhi))
        # Newton beyond a bracket end (from the far side of a root next to a logarithmic
        # edge) points at that end: every other such step leaps to the geometric mean of
        # the bracket width and the tolerance from that end instead of bisecting.
        gap = uhi - ulo
        leap = ~good & np.isfinite(newton) & ~leaped
        to_hi = leap & (newton >= uhi)
        to_lo = leap & (newton <= ulo)
        hi_step = np.sqrt(gap * tol_of(uhi))
        lo_step = np.sqrt(gap * tol_of(ulo))
        u_new = np.where(to_hi & (hi_step < gap), uhi - hi_step, u_new)
        u_new = np.where(to_lo & (lo_step < gap), ulo + lo_step, u_new)
        leaped = to_hi | to_lo
        stalled = gap > 0.5 * width_3
        u_new = np.where(stalled, 0.5 * (ulo + uhi), u_new)
        leaped &= ~stalled
        width_3, width_2, width_1 = width_2, width_1, gap
        u_new = np.where(f == 0.0, u, u_new)
        tol = tol_of(u)
        # A Newton correction below the tolerance is convergence at ``u`` even when the
        # Newton point is not strictly inside the bracket (at the root, rounding of ``f``
        # often makes ``u`` itself a bracket end; bisecting on would creep ~40 steps).
        settled = np.isfinite(newton) & (np.abs(newton - u) <= tol)
        u_new = np.where(settled, u, u_new)
        done = settled | (np.abs(u_new - u) <= tol) | (uhi - ulo <= tol)
        out[active[done]] = u_new[done]
        keep = ~done
        if not np.any(keep):
            return s_of(out)
        active, u, ulo, uhi = active[keep], u_new[keep], ulo[keep], uhi[keep]
        leaped, width_1, width_2, width_3 = (
            leaped[keep],
            width_1[keep],
            width_2[keep],
            width_3[keep],
        )
    raise NumericalError("boundary of the DSRS region did not converge")


class _Phi:
    """``Λ``, ``φ`` and ``φ'`` for fixed multipliers (see the module docstring)."""

    def __init__(self, pair: SigmaPair, lam1: float, lam2: float) -> None:
        self.k = pair.p.k
        self.cp = 1.0 / (2.0 * pair.p.scale**2)
        self.cq = 1.0 / (2.0 * pair.q.scale**2)
        self.log_ratio = pair.p.log_norm_ratio_unit * (log(pair.p.scale) - log(pair.q.scale))
        self.sa = float(np.sign(lam1))
        self.sb = float(np.sign(lam2))
        self.la = log(abs(lam1)) if lam1 != 0.0 else -inf
        self.lb = log(abs(lam2)) + self.log_ratio if lam2 != 0.0 else -inf
        # Where the two terms of Λ have opposite signs and different decays, they cancel at
        # s0 = (lb − la)/(cq − cp) (possibly ≤ 0).
        mixed = self.sa * self.sb < 0.0 and self.cp != self.cq
        self.s0 = (self.lb - self.la) / (self.cq - self.cp) if mixed else None

    def log_lambda(self, s: Array) -> Array:
        """``ln Λ(s)`` (−inf where ``Λ ≤ 0``)."""
        if self.s0 is not None:
            return self.log_lambda_tilde(s) - self.cp * np.asarray(s, dtype=np.float64)
        return signed_log_sum(self.la - self.cp * s, self.sa, self.lb - self.cq * s, self.sb)

    def log_lambda_tilde(self, s: Array) -> Array:
        """``ln(Λ(s) e^(cp s)) = ln(λ1 + B e^((cp − cq) s))``.

        With mixed signs the two terms cancel at ``s0``; their log ratio is taken as
        ``(cp − cq)(s − s0)``, not as a difference of two logs of size ~``cp·s``, whose
        rounding (~1e-15 absolute) made ``ln Λ`` noisy by ~1e-15/|ratio − 1| near ``s0``
        (1e-6 at a relative distance 1e-9): the certifying quadrature could not converge
        there and bisected 40 levels deep (issue 23, d = 2).
        """
        if self.s0 is None:
            return signed_log_sum(
                np.full(np.shape(s), self.la), self.sa, self.lb + (self.cp - self.cq) * s, self.sb
            )
        # x = ln(|B| e^((cp − cq)s) / |λ1|); the positive term is λ1's when sa > 0.
        x = (self.cp - self.cq) * (np.asarray(s, dtype=np.float64) - self.s0)
        diff, base = (x, self.la) if self.sa > 0 else (-x, self.la + x)
        # ln(1 − e^d) as log(−expm1(d)): accurate in absolute terms for every d < 0; nan (or
        # an overflow) for d > 0, where Λ < 0, and −inf at d = 0: all of them −inf.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.log(-np.expm1(diff)) + base
        return np.where(diff < 0.0, out, -np.inf)

    def phi(self, s: Array) -> Array:
        """``φ(s) = −k ln s + ln Λ(s)``."""
        out = self.log_lambda(s)
        return out - self.k * np.log(s) if self.k else out

    def dphi(self, s: Array) -> Array:
        """``φ'(s)``, for Newton steps."""
        ll = self.log_lambda(s)
        # Outside the domain (Λ ≤ 0) the result is nan; callers then bisect.
        with np.errstate(over="ignore", invalid="ignore"):
            ta = self.sa * np.exp(self.la - self.cp * s - ll) if self.sa else 0.0
            tb = self.sb * np.exp(self.lb - self.cq * s - ll) if self.sb else 0.0
            return -self.k / s - (self.cp * ta + self.cq * tb)

    def level_gap(self, v: Array, gap: Array) -> tuple[Array, Array]:
        """``φ(v + gap) − ln g_σ(√v)`` and its derivative in ``gap``, without cancellation:
        ``−k ln(1 + gap/v) + ln(λ1 e^(−cp·gap) + B e^((cp − cq) v − cq·gap))``. Every term
        has the size of the result, where ``φ`` and ``ln g`` themselves are ~``k ln v``
        (~1e6 at d = 150528)."""
        s = v + gap
        near = np.abs(gap) < 0.5 * v
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(near, np.log1p(np.where(near, gap / v, 0.0)), np.log(s) - np.log(v))
            value = signed_log_sum(
                self.la - self.cp * gap,
                self.sa,
                self.lb + (self.cp - self.cq) * v - self.cq * gap,
                self.sb,
            )
            if self.k:
                value = value - self.k * ratio
            return value, self.dphi(s)

    def polish_gap(self, v: Array, root: Array) -> Array:
        """``root − v`` for a boundary ``root`` of ``M(ρ)`` (``φ(root) = ln g_σ(√v)``),
        refined by two Newton steps on :meth:`level_gap`.

        The roots are solved in ``ln s`` to ~1e-14 relative, i.e. ~1e-9 absolute at
        ``s ≈ 1.5e5`` (d = 150528), where ``P_δ``'s integrand ``I(1/2 + (gap − r²)/(4ρr))``
        then carried ~2e-10 of noise: the certifying quadrature bisected every piece of the
        bulk to its depth limit (1 s per check, issue 23). A step larger than 1e-10 of
        ``root`` (an ill-conditioned root near the maximum of ``φ``, or a root at the edge
        of the domain) is not taken."""
        gap = root - v
        for _ in range(2):
            value, slope = self.level_gap(v, gap)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                step = value / slope
                ok = np.isfinite(step) & (np.abs(step) <= 1e-10 * np.abs(root))
            gap = np.where(ok, gap - np.where(ok, step, 0.0), gap)
        return gap

    def domain(self) -> tuple[float, float]:
        """Interval ``(d_lo, d_hi)`` of ``s > 0`` with ``Λ(s) > 0`` (empty: ``d_lo ≥ d_hi``)."""
        sa, sb = self.sa, self.sb
        if sa >= 0 and sb >= 0:
            return (0.0, inf) if (sa > 0 or sb > 0) else (0.0, 0.0)
        if sa <= 0 and sb <= 0:
            return 0.0, 0.0
        if self.cp == self.cq:
            return (0.0, inf) if (sa * np.exp(self.la) + sb * np.exp(self.lb)) > 0 else (0.0, 0.0)
        s0 = self.s0  # A e^(−cp s0) + B e^(−cq s0) = 0
        assert s0 is not None  # mixed signs, cp ≠ cq
        slow_positive = (sa > 0) if self.cp < self.cq else (sb > 0)  # sign of Λ at ∞
        if s0 <= 0.0:
            return (0.0, inf) if slow_positive else (0.0, 0.0)
        return (s0, inf) if slow_positive else (0.0, s0)

    def maximiser(self, d_lo: float, d_hi: float) -> float:
        """Where ``φ`` is largest on ``D``: ``d_lo`` if ``φ`` decreases, else the unique
        critical point (scalar bisection on the sign of ``φ'`` in ``ln s``)."""
        start = max(d_lo * (1.0 + 1e-12), _TINY_S) if d_lo > 0 else _TINY_S
        if self.dphi(np.array([start]))[0] <= 0.0:
            return d_lo
        lo = log(start)
        hi_s = d_hi if isfinite(d_hi) else max(2.0 * start, 1.0)
        while not isfinite(d_hi) and self.dphi(np.array([hi_s]))[0] > 0.0:
            hi_s *= 2.0
            if hi_s > 1e300:
                raise NumericalError("no maximiser of phi found")
        hi = log(hi_s)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if self.dphi(np.array([np.exp(mid)]))[0] > 0.0:
                lo = mid
            else:
                hi = mid
            if hi - lo < 1e-15 * max(1.0, abs(mid)):
                break
        return float(np.exp(0.5 * (lo + hi)))

    def superlevel_interval(self, level: Array) -> tuple[Array, Array]:
        """``M = {s : φ(s) > level}`` as ``(s_lo, s_hi)`` per entry (``s_lo = s_hi = 0``
        when empty)."""
        s_lo = np.zeros_like(level)
        s_hi = np.zeros_like(level)
        d_lo, d_hi = self.domain()
        if not d_lo < d_hi:
            return s_lo, s_hi
        s_max = self.maximiser(d_lo, d_hi)
        if s_max == 0.0:
            phi_max = inf if self.k else float(self.log_lambda(np.array([0.0]))[0])
        else:
            phi_max = float(self.phi(np.array([s_max]))[0])
        inside = level < phi_max
        if not np.any(inside):
            return s_lo, s_hi
        lvl = level[inside]
        positive = [(self.la, self.cp)] if self.sa > 0 else []
        if self.sb > 0:
            positive.append((self.lb, self.cq))
        # Λ ≤ (#positive terms)·max term: beyond every single-term root with +ln(#terms),
        # φ < level. When all terms are positive, Λ ≥ each term: before every single-term
        # root φ > level. Both give tight Newton brackets.
        extra = log(len(positive))
        upper = np.max(
            [level_set_radius_sq(self.k, lt + extra, ct, lvl) for lt, ct in positive], axis=0
        )
        upper = upper * (1.0 + 1e-12) + 1e-300
        if isfinite(d_hi):
            upper = np.minimum(upper, d_hi)
        lower = np.full(lvl.shape, max(s_max, _TINY_S))
        if self.sa >= 0 and self.sb >= 0:
            tight = np.max(
                [level_set_radius_sq(self.k, lt, ct, lvl) for lt, ct in positive], axis=0
            )
            lower = np.maximum(lower, tight * (1.0 - 1e-12))
        lower = np.minimum(lower, upper)
        # Next to a finite edge of the domain (Λ changes sign there) φ falls like ln(s0 − s).
        hi_edge = d_hi if isfinite(d_hi) else None
        s_hi[inside] = bracketed_monotone_roots(
            self.phi, self.dphi, lvl, lower, upper, True, hi_edge
        )
        if s_max > d_lo:
            # Increasing piece (d_lo, s_max): φ → −inf at d_lo = s0 > 0, or φ(0) finite (k = 0).
            phi_start = -inf if d_lo > 0 else float(self.log_lambda(np.array([0.0]))[0])
            need = lvl >= phi_start
            roots = np.zeros_like(lvl)
            if np.any(need):
                count = int(need.sum())
                roots[need] = bracketed_monotone_roots(
                    self.phi,
                    self.dphi,
                    lvl[need],
                    np.full(count, max(d_lo, _TINY_S)),
                    np.full(count, s_max),
                    False,
                    d_lo if d_lo > 0 else None,
                )
            s_lo[inside] = roots
        elif d_lo > 0:
            s_lo[inside] = d_lo
        return s_lo, s_hi


@dataclass(frozen=True)
class SigmaPair:
    """P = ``p`` and Q = the same family with another scale (docs/math.md §4.4)."""

    p: RadialNoise
    q: RadialNoise

    def __post_init__(self) -> None:
        if (self.p.d, self.p.k) != (self.q.d, self.q.k):
            raise InvalidParameterError("P and Q must share the dimension d and exponent k")

    def sign_change(self, lam1: float, lam2: float) -> float | None:
        """The squared radius ``s > 0`` where ``Λ`` changes sign (``λ1 λ2 < 0``, σ_Q ≠ σ):
        ``R`` is empty on the spheres on one side of it, so the far masses have a kink there;
        ``None`` if ``Λ`` keeps its sign."""
        d_lo, d_hi = _Phi(self, lam1, lam2).domain()
        if d_lo < d_hi:
            for edge in (d_lo, d_hi):
                if 0.0 < edge < inf:
                    return edge
        return None

    def edge_grading(self, lam1: float, lam2: float) -> tuple[Array, Array]:
        """Squared radii approaching the sign change of ``Λ`` geometrically from the side
        where ``Λ > 0``, in P's and Q's ``t`` (empty without a sign change).

        There ``φ → −∞`` only like ``ln|s − s0|``, so a far fraction falls to 0 like a
        function of ``ln|s − s0|``: no piece that ends at ``s0`` is smooth, and the
        certifying quadrature bisected towards it 36 times, one integrand call per level
        (0.6 s per check at d = 2, σ_Q = 1.25σ, issue 23). On pieces between these points
        (each half as far from ``s0`` as the last) the integrand is smooth.
        """
        d_hi = _Phi(self, lam1, lam2).domain()[1]
        edge = self.sign_change(lam1, lam2)
        if edge is None:
            return np.empty(0), np.empty(0)
        offsets = _GRADING_FIRST * 0.5 ** np.arange(_GRADING_STEPS)
        s = edge * (1.0 - offsets) if edge == d_hi else edge * (1.0 + offsets)
        return s / self.p.radius_sq(1.0), s / self.q.radius_sq(1.0)

    def kinks(
        self, r: float, lam1: float, lam2: float, t_max: float, fold: bool = True
    ) -> tuple[Array, Array]:
        """Where the per-sphere fractions of ``P(R)``, ``P_δ(R)`` and ``Q(R)`` have kinks, in
        the radial variable ``t``: ``(P-side, Q-side)``, the P side for ``F_P`` and ``F_δ``
        (both on P's law), the Q side for ``F_Q`` (docs/math.md §4.4, kinks).

        A sphere about 0 or about ``δ`` meets ``∂R`` tangentially only on the axis through 0
        and ``δ`` (``∂R`` is ``ln g(‖z − δ‖²) = φ(‖z‖²)``; tangency to a sphere about 0 needs
        ``g' = 0``, to one about ``δ`` needs ``φ' = 0``) or, for spheres about ``δ``, on the
        sphere ``‖z‖² = s_max`` where ``φ`` is largest (the fold). So the kinks are the axis
        points ``τ δ/r`` with ``ln g((τ − r)²) = φ(τ²)`` (sphere radii ``|τ|`` about 0 and
        ``|τ − r|`` about ``δ``) and the fold ``ln g(v) = φ(s_max)``. The axis roots are
        bracketed on a grid and bisected, so two crossings closer than the grid step can be
        missed: the breaks only place piece ends for quadrature (the adaptive one still
        bisects on its own error estimate), never decide anything.

        ``t_max`` bounds the radial variable of interest (the quadrature's support);
        ``fold=False`` leaves out the fold (a kink of ``P_δ(R)`` only).
        """
        if not r > 0.0:
            raise InvalidParameterError(f"radius must be positive, got {r!r}")
        phi = _Phi(self, lam1, lam2)
        p, q = self.p, self.q
        reach = float(np.sqrt(max(p.radius_sq(t_max), q.radius_sq(t_max))))

        def side(tau: Array) -> Array:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                gap = p.log_profile((tau - r) ** 2) - phi.phi(tau * tau)
            return np.asarray(gap > 0.0)

        tau = np.linspace(-reach, reach + r, _KINK_GRID)
        above = side(tau)
        cross = np.flatnonzero(above[1:] != above[:-1])
        lo, hi, lo_side = tau[cross], tau[cross + 1], above[cross]
        # Each round splits every bracket into _KINK_SPLIT cells and keeps the first cell
        # whose right end is on the other side (a bracket of the first crossing in it).
        frac = np.linspace(0.0, 1.0, _KINK_SPLIT + 1)[1:-1]
        for _ in range(_KINK_ROUNDS):
            width = hi - lo
            if np.all(width <= ROOT_RELATIVE_TOLERANCE * np.maximum(1.0, np.abs(lo))):
                break
            inner = lo[:, None] + width[:, None] * frac[None, :]
            other = side(inner) != lo_side[:, None]
            first = np.where(other.any(axis=1), other.argmax(axis=1), frac.size)
            cells = np.concatenate([lo[:, None], inner, hi[:, None]], axis=1)
            rows = np.arange(lo.size)
            lo, hi = cells[rows, first], cells[rows, first + 1]
        roots = 0.5 * (lo + hi)
        p_side = [roots * roots, (roots - r) ** 2]
        d_lo, d_hi = phi.domain()
        if fold and d_lo < d_hi:
            s_max = phi.maximiser(d_lo, d_hi)
            if s_max > 0.0:
                v_fold = p.level_inverse(phi.phi(np.array([s_max])))
                p_side.append(v_fold[np.isfinite(v_fold)])
        p_t = np.concatenate(p_side) / p.radius_sq(1.0)
        q_t = roots * roots / q.radius_sq(1.0)
        return np.unique(p_t[p_t > 0.0]), np.unique(q_t[q_t > 0.0])

    def _far_values(
        self, phi: _Phi, r: float, v: Array, jac: bool
    ) -> tuple[Array, Array | None, Array | None]:
        """Per node at squared radius ``v``: ``I(((ρ+r)² − U_σ(φ(v)))/(4ρr))`` and, with
        ``jac``, its derivatives in ``λ1`` and ``λ2`` (integrands of P(R), Q(R))."""
        p = self.p
        rho = np.sqrt(v)
        denom = 4.0 * rho * r
        llt = phi.log_lambda_tilde(v)
        ok = np.isfinite(llt)
        if not np.any(ok):
            zeros = np.zeros_like(v)
            return zeros, (zeros if jac else None), (zeros if jac else None)
        t_p = v * phi.cp  # the same point in P's t-units
        gap = np.zeros_like(v)
        gap[ok] = p.level_offset(t_p[ok], -llt[ok])  # U_σ(φ) − s, no cancellation
        x = np.where(ok, 0.5 + (r * r - gap) / denom, -1.0)
        cdf = symmetric_beta_cdf(x, p.beta_param)
        if not jac:
            return cdf, None, None
        slope = p.level_offset_slope(v, gap)
        base = np.where(ok, symmetric_beta_pdf(x, p.beta_param) * slope / denom, 0.0)
        llt_safe = np.where(ok, llt, 0.0)
        with np.errstate(over="ignore"):
            d1 = np.where(ok, np.exp(-llt_safe), 0.0)
            d2 = np.where(ok, np.exp(phi.log_ratio + (phi.cp - phi.cq) * v - llt_safe), 0.0)
        return cdf, base * d1, base * d2

    def _shifted_values(self, phi: _Phi, r: float, t: Array) -> Array:
        """Per node ``t`` of P's radial law: ``Pr(‖δ + w‖² ∈ M(ρ))``, ``‖w‖ = ρ`` ((G2))."""
        v = self.p.radius_sq(t)
        rho = np.sqrt(v)
        denom = 4.0 * rho * r
        s_lo, s_hi = phi.superlevel_interval(self.p.log_profile(v))
        # (s − (ρ − r)²)/(4ρr) = 1/2 + (s − v − r²)/(4ρr), with s − v from the polished
        # offset (no cancellation of s ≈ v, docs/math.md §4.4).
        gap_hi, gap_lo = s_hi - v, s_lo - v
        rooted = s_hi > s_lo
        gap_hi[rooted] = phi.polish_gap(v[rooted], s_hi[rooted])
        lo_root = rooted & (s_lo > 0.0)
        gap_lo[lo_root] = phi.polish_gap(v[lo_root], s_lo[lo_root])
        r2 = r * r
        h = self.p.beta_param
        inside = symmetric_beta_cdf(0.5 + (gap_hi - r2) / denom, h) - symmetric_beta_cdf(
            0.5 + (gap_lo - r2) / denom, h
        )
        return np.maximum(inside, 0.0)

    def dual_integrand(self, r: float, lam1: float, lam2: float) -> Callable[[Array], Array]:
        """``t ↦ F_δ(t) − λ1 F_P(t) − λ2 F_Q(t)``: the integrand of
        ``P_δ(R) − λ1 P(R) − λ2 Q(R)`` over the common radial law ``t ~ Gamma(a)`` (the Q
        side at ``ρ = β√(2t)``); for the certifying quadrature (docs/math.md §7.4)."""
        if not r > 0.0:
            raise InvalidParameterError(f"radius must be positive, got {r!r}")
        phi = _Phi(self, lam1, lam2)

        def psi(t: Array) -> Array:
            t = np.asarray(t, dtype=np.float64)
            out = self._shifted_values(phi, r, t)
            if lam1 != 0.0:
                out = out - lam1 * self._far_values(phi, r, self.p.radius_sq(t), False)[0]
            if lam2 != 0.0:
                out = out - lam2 * self._far_values(phi, r, self.q.radius_sq(t), False)[0]
            return out

        return psi

    def masses(
        self,
        r: float,
        lam1: float,
        lam2: float,
        p_rule: QuadratureRule,
        q_rule: QuadratureRule,
        jacobian: bool = False,
        shifted: bool = True,
        sides: str = "pq",
    ) -> RegionMasses:
        """``P(R)``, ``Q(R)``, ``P_δ(R)`` of ``R(λ1, λ2)`` at shift norm ``r > 0``.

        ``p_rule`` / ``q_rule``: Gamma(a) rules for the P and Q radial laws (the same rule
        object serves both, the scales differ). ``sides`` names the far masses wanted
        (``"p"``, ``"q"`` or ``"pq"``); a mass not asked for is returned as nan.
        """
        if not r > 0.0:
            raise InvalidParameterError(f"radius must be positive, got {r!r}")
        phi = _Phi(self, lam1, lam2)
        nan = float("nan")
        sums = {"p": (nan, nan, nan), "q": (nan, nan, nan)}
        # One vectorised pass over the P nodes and the Q nodes together.
        parts = [
            (side, rule, noise)
            for side, rule, noise in (("p", p_rule, self.p), ("q", q_rule, self.q))
            if side in sides
        ]
        v = np.concatenate([noise.radius_sq(rule.nodes) for _, rule, noise in parts])
        cdf, d1, d2 = self._far_values(phi, r, v, jacobian)
        start = 0
        for side, rule, _ in parts:
            part = slice(start, start + rule.nodes.size)
            start += rule.nodes.size
            w = rule.weights
            sums[side] = (
                float(w @ cdf[part]),
                float(w @ d1[part]) if d1 is not None else nan,
                float(w @ d2[part]) if d2 is not None else nan,
            )
        (pm, dp1, dp2), (qm, dq1, dq2) = sums["p"], sums["q"]
        ps = float("nan")
        if shifted:
            ps = p_rule.expect(self._shifted_values(phi, r, p_rule.nodes))
        return RegionMasses(pm, qm, ps, (dp1, dp2, dq1, dq2) if jacobian else None)
