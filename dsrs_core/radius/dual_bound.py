"""DSRS certification at one radius through the weak-duality bound (docs/math.md §4).

For any multipliers ``(λ1, λ2)`` and ``R = R(λ1, λ2) = {p_δ < λ1 p + λ2 q}``,

    V(r) ≥ L(λ1, λ2) = P_δ(R) + λ1 (p̂ − P(R)) + λ2 (q̂ − Q(R)),                    (D)
    p̂ = pL if λ1 ≥ 0 else pU,   q̂ = qL if λ2 ≥ 0 else qU

(§4.1). :func:`check_radius` is the *search* check: it passes when
``L − DSRS_DUAL_MARGIN > 1/2`` with ``L`` from fixed rules (the smaller of its ``n``- and
``2n``-node values minus the allowance of :func:`dsrs_core.radius.neyman_pearson.accept_bound`).
It is fast and heuristic; a radius is *reported* only after
:func:`certified_dual_bound` (the certifying quadrature, §7.4) has proven (D) at its
multipliers (:mod:`dsrs_core.radius.certifying_check`, §5.1). The search for good multipliers
follows the original's STEP 1 (§4.3) to pick the KKT case:
i (NP), ii (Q only), iii/iv/v (two-sided corners), and solves that case (corners by
Newton on ``(ln|λ1|, ln|λ2|)``). Because (D) holds for any multipliers, a wrong case or
an unconverged solve only costs tightness, never soundness.

Modes: ``exact`` certifies with the best dual bound found. ``original`` additionally
requires what the original requires (§4.3(d) relaxation ``Ps(K3) − ε ≥ 1/2`` in case ii;
for thresholded Q no certification in case v or when ``p_out < ε``), so it is never above
``exact`` and matches the published radii.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from math import exp, isfinite, log

import numpy as np

from dsrs_core.errors import BracketError, NumericalError
from dsrs_core.numerics.adaptive_quadrature import (
    SMALL_SHAPE,
    Estimate,
    dense_rule,
    dense_split_rule,
    radial_expectation,
    radial_support,
)
from dsrs_core.numerics.fixed_quadrature import QuadratureRule, gamma_rule, gauss_split_rule
from dsrs_core.numerics.root_finding import monotone_root
from dsrs_core.radius.neyman_pearson import (
    CERTIFY_TOLERANCE,
    QUADRATURE_SAFETY,
    accept_bound,
    accept_estimate,
)
from dsrs_core.radius.region_masses import RegionMasses, SigmaPair
from dsrs_core.radius.threshold_region import ThresholdPair

__all__ = [
    "DSRS_DUAL_MARGIN",
    "LOG_MULTIPLIER_LIMIT",
    "MASS_FTOL",
    "MULTIPLIER_XTOL",
    "ORIGINAL_EPS",
    "CheckOutcome",
    "Intervals",
    "certified_dual_bound",
    "check_radius",
    "dual_value",
    "search_nodes",
    "sigma_kinks",
    "verify_nodes",
]

#: Subtracted from the dual bound (D) before comparing with 1/2 (errs low), on top of the
#: quadrature allowance QUADRATURE_SAFETY · |L_n − L_2n| (see neyman_pearson). Dominates
#: the rounding of the masses (~1e-13 · |λ|) and the boundary error of R (enters only
#: through ROOT_RELATIVE_TOLERANCE, ≲ 1e-12 in P_δ).
DSRS_DUAL_MARGIN = 1e-8
#: The original's DUAL_EPS (§4.7): its margin in naive cases and thresholded checks; used
#: only by ``original`` mode to reproduce the original's decisions.
ORIGINAL_EPS = 1e-8
#: Multipliers are searched with ``|ln|λ|| ≤`` this (the original: τ1 ±32 − 10 offset).
LOG_MULTIPLIER_LIMIT = 60.0
#: Tolerances of the single-multiplier solves. Only the case selection and the quality of
#: the multipliers depend on them (a multiplier off by ε changes (D) by O(ε²)); the masses
#: themselves carry ~1e-13 of rounding.
MULTIPLIER_XTOL = 1e-8
MASS_FTOL = 1e-11
#: From this dimension on (and for shapes ``a ≥ SMALL_SHAPE``) the search rules split where
#: ``Λ`` changes sign are two Gauss pieces of ``n`` nodes (``gauss_split_rule``) instead of
#: the dense composite rule (``24n/16`` cells of 16 nodes: 1,552 and 3,088 nodes at
#: d = 150528). The Beta(h, h) angle law is then so concentrated that the far masses vanish
#: well before that edge; (D) on them is within 2e-9 (n = 32) and 2e-10 (n = 64) of the
#: certifying quadrature at d = 784 and 150528 (σ_Q = 1.25σ, case iv; docs/math.md §4.4).
#: Not below: at d = 64 the two pieces move with the edge enough that the corner's Newton
#: stalled and the ascent spent up to 0.4 s per check.
GAUSS_SPLIT_DIMENSION = 256
#: Precision, in ``ln|λ|``, of the start of the corners iv and v (``negative_partner``).
PARTNER_XTOL = 1e-3
_CORNER_STEPS = 40
#: A search-check value this far below 1/2 fails without a second evaluation.
CLEAR_FAILURE = 1e-3
#: Fixed-rule values that disagree by more than this are not trusted to *fail* a radius:
#: the certifying quadrature is asked instead (it may pass it).
SEARCH_SPREAD_TRUST = 1e-9
#: The ascent stops when its Newton model predicts less than this rise (1/1000 of the dual
#: margin): the line search then only chased rounding, up to 40 evaluations per step.
ASCENT_NEGLIGIBLE = 1e-11
#: Halvings of an ascent step before the ascent gives up (far from the optimum the Newton
#: step can be 1e6 times too long; 20 halvings lost 0.05 of radius at d = 3).
ASCENT_HALVINGS = 40
#: Fixed-rule values at most this far apart decide a search check alone when they are
#: CLEAR_FAILURE beyond 1/2 (with QUADRATURE_SAFETY times their spread): see _verify.
SEARCH_SPREAD_CLEAR = 1e-2
#: Up to this dimension the quadrature of a sigma pair starts its pieces at the kinks of
#: the per-sphere fractions (``SigmaPair.kinks``): the Beta(h, h) law has ``x^h``-type ends,
#: so for small ``h`` a kink inside a piece cost the certifying quadrature its 40 bisection
#: levels (0.2–0.3 s per check at d = 2, issue 23); from d ≈ 64 on they no longer matter.
KINK_BREAKS_MAX_DIMENSION = 16


def search_nodes(d: int) -> int:
    """Quadrature nodes of the multiplier solves and the case selection.

    The multipliers only need to be near-optimal (a mass error ε moves them by
    O(ε / ∂P/∂λ) and (D) by the square of that), but the case selection compares masses
    with the interval ends as the original does, so the search uses the verification rule.
    """
    return verify_nodes(d)


def verify_nodes(d: int) -> int:
    """Nodes of the certifying evaluation of (D) (a 2n-node evaluation is added).

    MNIST-size inputs: 32 nodes are accurate to ~5e-9 and 64 to ~2e-12 (measured on the
    §8.1 example), so the verified bound loses at most ~1e-8 to the quadrature allowance;
    the sharper angle law of ImageNet-size inputs needs 64.
    """
    return 32 if d <= 20_000 else 64


_CORNER_RESIDUAL = 1e-13


@dataclass(frozen=True)
class Intervals:
    """The four bounds DSRS uses: ``[pL, pU]`` under P and ``[qL, qU]`` under Q."""

    p_lower: float
    p_upper: float
    q_lower: float
    q_upper: float


@dataclass(frozen=True)
class CheckOutcome:
    """Result of one DSRS check at radius ``r``.

    ``bound`` is the certified lower bound on ``V(r)`` (the smaller quadrature value, nan
    when unavailable), ``case`` the KKT case of §4.1 selected by STEP 1, ``multipliers``
    the ``(λ1, λ2)`` behind ``bound`` (a warm start for the next radius), ``reason`` why
    the radius is not certified.
    """

    certified: bool
    bound: float
    case: str
    multipliers: tuple[float, float] | None = None
    reason: str = ""
    details: dict[str, float] = field(default_factory=dict)


def dual_value(masses: RegionMasses, lam1: float, lam2: float, iv: Intervals) -> float:
    """(D): ``P_δ(R) + λ1 (p̂ − P(R)) + λ2 (q̂ − Q(R))`` with the sign-selected ends."""
    p_hat = iv.p_lower if lam1 >= 0.0 else iv.p_upper
    q_hat = iv.q_lower if lam2 >= 0.0 else iv.q_upper
    value = masses.shifted_mass
    if lam1 != 0.0:
        value += lam1 * (p_hat - masses.p_mass)
    if lam2 != 0.0:
        value += lam2 * (q_hat - masses.q_mass)
    return value


@lru_cache(maxsize=16)
def certified_dual_bound(
    pair: SigmaPair | ThresholdPair, r: float, lam: tuple[float, float], iv: Intervals
) -> Estimate:
    """(D) at ``lam`` by the certifying quadrature (docs/math.md §7.4): ``value`` is
    ``E_t[ψ] + λ1 p̂ + λ2 q̂`` and ``error`` its quadrature error estimate. The search
    rules are never used here. Memoised (a pure function of its arguments): the proof
    step's fresh check often asks for the estimate its search check has just made."""
    lam1, lam2 = lam
    psi = pair.dual_integrand(r, lam1, lam2)
    breaks: tuple[float, ...] = ()
    if isinstance(pair, ThresholdPair):
        mu = lam1 + pair.q.nu * lam2
        breaks = pair.kinks(lam1, mu)
        sup = 1.0 + abs(mu) + abs(lam1)
    else:
        kinks = sigma_kinks(pair, r, lam, True)
        if kinks is not None:
            breaks = tuple(np.unique(np.concatenate([*kinks, *pair.edge_grading(lam1, lam2)])))
        sup = 1.0 + abs(lam1) + abs(lam2)
    est = radial_expectation(pair.p.shape, psi, sup, CERTIFY_TOLERANCE, breaks)
    p_hat = iv.p_lower if lam1 >= 0.0 else iv.p_upper
    q_hat = iv.q_lower if lam2 >= 0.0 else iv.q_upper
    value = est.value
    if lam1 != 0.0:
        value += lam1 * p_hat
    if lam2 != 0.0:
        value += lam2 * q_hat
    return Estimate(value, est.error, est.pieces)


@lru_cache(maxsize=16)
def sigma_kinks(
    pair: SigmaPair, r: float, lam: tuple[float, float], fold: bool = True
) -> tuple[np.ndarray, np.ndarray] | None:
    """Kinks (in ``t``) of the P-side and Q-side integrands at ``(r, λ)`` up to
    :data:`KINK_BREAKS_MAX_DIMENSION` (``SigmaPair.kinks``, docs/math.md §4.4; ``fold``:
    with the fold, a kink of ``P_δ(R)`` only), plus the edge where ``Λ`` changes sign;
    ``None`` above that dimension. Only piece ends of quadratures depend on them.
    Memoised: the search check's two rules and the certifying quadrature ask for the same
    ``(r, λ)``."""
    if pair.p.d > KINK_BREAKS_MAX_DIMENSION:
        return None
    t_max = radial_support(pair.p.shape)[1] ** 2
    p_kinks, q_kinks = pair.kinks(r, lam[0], lam[1], t_max, fold)
    edge = pair.sign_change(lam[0], lam[1])
    if edge is not None:
        p_kinks = np.append(p_kinks, edge / pair.p.radius_sq(1.0))
        q_kinks = np.append(q_kinks, edge / pair.q.radius_sq(1.0))
    return p_kinks, q_kinks


def _solve_log_multiplier(
    fun: Callable[[float], tuple[float, float]], target: float, x0: float = 0.0
) -> float:
    """``x = ln λ`` with increasing ``fun(x)[0] = target`` (bracket ±LOG_MULTIPLIER_LIMIT)."""
    bracket = monotone_root(
        fun,
        target,
        x0,
        -LOG_MULTIPLIER_LIMIT,
        LOG_MULTIPLIER_LIMIT,
        increasing=True,
        xtol=MULTIPLIER_XTOL,
        ftol=MASS_FTOL,
    )
    return bracket.mid


class _Engine:
    """The pair-specific pieces the check needs."""

    verify_n: int = 32
    pair: SigmaPair | ThresholdPair

    def masses(self, r: float, lam1: float, lam2: float, n: int) -> RegionMasses:
        """``P(R)``, ``Q(R)``, ``P_δ(R)`` of ``R(λ1, λ2)`` with ``n`` nodes."""
        raise NotImplementedError

    def np_multiplier(self, r: float, p_target: float, n: int) -> float:
        """``λ1`` with ``P(R(λ1, 0)) = p_target`` (the NP set of §3)."""
        raise NotImplementedError


class _SigmaEngine(_Engine):
    pair: SigmaPair

    def __init__(self, pair: SigmaPair) -> None:
        self.pair = pair
        self.a = pair.p.shape

    @staticmethod
    def _dense_pieces(n: int) -> int:
        """Cells of the composite search rules in place of an ``n``-node Gauss rule."""
        return 24 * n // 16

    def rule(self, n: int) -> QuadratureRule:
        if self.a < SMALL_SHAPE:
            return dense_rule(self.a, self._dense_pieces(n), 16)
        return gamma_rule(self.a, n)

    def rules(
        self, n: int, lam1: float, lam2: float, r: float, fold: bool
    ) -> tuple[QuadratureRule, QuadratureRule]:
        """The rules for P's and Q's radial laws. Where ``Λ`` changes sign inside the
        support, composite rules split at that edge: the far masses have a kink there, and
        the fixed rules then solved the corner of case v (σ_Q > σ) on masses several
        hundredths off (issue 12: radius 3.28 where 3.6 holds).

        At small shapes in low dimension the dense rules also split at every kink of the
        integrands (:func:`sigma_kinks`; ``fold``: with the kink of ``P_δ(R)`` alone).
        Without them the masses were 1e-4 to 2e-3 off and not smooth in λ: the corner's
        Newton stalled, the ascent's line search chased noise (0.3–0.6 s per check at
        d = 2) and the ``n``/``2n`` spread sent every passing check to the certifying
        quadrature (issue 23)."""
        rule = self.rule(n)
        # Not for the single-multiplier solves (λ1 λ2 = 0, far masses only): a bracketed
        # root of one mass needs no smoothness, and locating the kinks was half of their cost.
        split = self.a < SMALL_SHAPE and (fold or lam1 * lam2 != 0.0)
        kinks = sigma_kinks(self.pair, r, (lam1, lam2), fold) if split else None
        if kinks is not None:
            pieces = self._dense_pieces(n)
            p_rule = dense_split_rule(self.a, kinks[0], pieces)
            q_rule = dense_split_rule(self.a, kinks[1], pieces)
            return p_rule or rule, q_rule or rule
        edge = self.pair.sign_change(lam1, lam2)
        if edge is None:
            return rule, rule
        t_p = edge / (2.0 * self.pair.p.scale**2)
        t_q = edge / (2.0 * self.pair.q.scale**2)
        if self.a >= SMALL_SHAPE and self.pair.p.d >= GAUSS_SPLIT_DIMENSION:
            p_rule = gauss_split_rule(self.a, t_p, n)
            q_rule = gauss_split_rule(self.a, t_q, n)
        else:
            pieces = self._dense_pieces(n)
            p_rule = dense_split_rule(self.a, t_p, pieces)
            q_rule = dense_split_rule(self.a, t_q, pieces)
        return p_rule or rule, q_rule or rule

    def masses(
        self,
        r: float,
        lam1: float,
        lam2: float,
        n: int,
        jacobian: bool = False,
        shifted: bool = True,
        sides: str = "pq",
        rules: tuple[QuadratureRule, QuadratureRule] | None = None,
    ) -> RegionMasses:
        p_rule, q_rule = rules or self.rules(n, lam1, lam2, r, shifted)
        return self.pair.masses(
            r, lam1, lam2, p_rule, q_rule, jacobian=jacobian, shifted=shifted, sides=sides
        )

    def np_multiplier(self, r: float, p_target: float, n: int, x0: float = 0.0) -> float:
        def fun(x: float) -> tuple[float, float]:
            lam = exp(x)
            m = self.masses(r, lam, 0.0, n, jacobian=True, shifted=False, sides="p")
            assert m.jacobian is not None  # asked for
            return m.p_mass, m.jacobian[0] * lam

        return exp(_solve_log_multiplier(fun, p_target, x0))

    def q_multiplier(self, r: float, q_target: float, n: int, x0: float = 0.0) -> float:
        def fun(x: float) -> tuple[float, float]:
            lam = exp(x)
            m = self.masses(r, 0.0, lam, n, jacobian=True, shifted=False, sides="q")
            assert m.jacobian is not None  # asked for
            return m.q_mass, m.jacobian[3] * lam

        return exp(_solve_log_multiplier(fun, q_target, x0))

    def negative_partner(
        self, r: float, lam: tuple[float, float], free: int, target: float, n: int, x0: float
    ) -> float:
        """The negative multiplier ``λ_free = −e^x`` that meets its own constraint
        (``P(R) = target`` for ``free = 0``, ``Q(R) = target`` for 1) with the other entry
        of ``lam`` fixed: the start of the corners iv and v (§4.4 STEP 2). The mass falls
        as ``x`` grows (R shrinks); solved to 1e-3 in ``x`` (a start only)."""
        side = "pq"[free]

        def fun(x: float) -> tuple[float, float]:
            pair = [lam[0], lam[1]]
            pair[free] = -exp(x)
            m = self.masses(r, pair[0], pair[1], n, jacobian=True, shifted=False, sides=side)
            assert m.jacobian is not None  # asked for
            mass = m.p_mass if free == 0 else m.q_mass
            return -mass, m.jacobian[3 * free] * exp(x)

        bracket = monotone_root(
            fun,
            -target,
            x0,
            -LOG_MULTIPLIER_LIMIT,
            LOG_MULTIPLIER_LIMIT,
            increasing=True,
            xtol=PARTNER_XTOL,
            ftol=MASS_FTOL,
        )
        return -exp(bracket.mid)

    def corner(
        self,
        r: float,
        targets: tuple[float, float],
        signs: tuple[float, float],
        start: tuple[float, float],
        n: int,
    ) -> tuple[tuple[float, float], bool]:
        """Newton on ``(ln|λ1|, ln|λ2|)`` for ``P(R) = p̂``, ``Q(R) = q̂`` (§4.4 STEP 2).

        Returns the last iterate even when not converged ((D) holds for any multipliers)
        and whether the residual reached :data:`_CORNER_RESIDUAL`.
        """
        theta = np.array([log(abs(start[0])), log(abs(start[1]))])
        sign = np.array(signs)
        target = np.array(targets)

        # Gauss pieces split at the sign change of Λ move with it, and the masses on them
        # then jump by up to ~1e-8 between nearby λ: the Newton crept 40 steps at a linear
        # rate. The corner therefore keeps the rules of its start (the edge moves little,
        # and at these dimensions the far masses vanish near it, GAUSS_SPLIT_DIMENSION).
        frozen = None
        if self.pair.p.d >= GAUSS_SPLIT_DIMENSION:
            lam1, lam2 = sign * np.exp(theta)
            frozen = self.rules(n, float(lam1), float(lam2), r, False)

        def residual(th: np.ndarray) -> tuple[np.ndarray, RegionMasses]:
            lam = sign * np.exp(th)
            m = self.masses(r, lam[0], lam[1], n, jacobian=True, shifted=False, rules=frozen)
            return np.array([m.p_mass, m.q_mass]) - target, m

        res, m = residual(theta)
        converged = False
        for _ in range(_CORNER_STEPS):
            norm = float(np.max(np.abs(res)))
            if norm < _CORNER_RESIDUAL:
                converged = True
                break
            lam = sign * np.exp(theta)
            jac = np.array(m.jacobian).reshape(2, 2) * lam[np.newaxis, :]
            try:
                step = -np.linalg.solve(jac, res)
            except np.linalg.LinAlgError:
                break
            if not np.all(np.isfinite(step)):
                break
            longest = float(np.max(np.abs(step)))
            if longest > 3.0:
                step *= 3.0 / longest
            alpha = 1.0
            for _ in range(12):
                cand = np.clip(theta + alpha * step, -LOG_MULTIPLIER_LIMIT, LOG_MULTIPLIER_LIMIT)
                res_new, m_new = residual(cand)
                if float(np.max(np.abs(res_new))) < (1.0 - 1e-4 * alpha) * norm:
                    theta, res, m = cand, res_new, m_new
                    break
                alpha *= 0.5
            else:
                break
        lam = sign * np.exp(theta)
        return (float(lam[0]), float(lam[1])), converged

    def ascent(
        self,
        r: float,
        targets: tuple[float, float],
        signs: tuple[float, float],
        starts: list[tuple[float, float]],
        n: int,
    ) -> tuple[float, float]:
        """The maximiser of (D) over the case's orthant, when the corner's Newton did not
        converge (§4.4 STEP 2).

        (D) is concave in λ: its gradient is ``(p̂ − P(R), q̂ − Q(R))`` and its Hessian
        ``−J`` (``J`` the symmetric Jacobian of the masses). Damped Newton steps in λ
        itself (not in logs), kept in the orthant, each accepted only when it raises (D)
        on the search rule, from the best of ``starts``. Where the residual of the
        corner's Newton grew before it could fall (case v with σ_Q > σ; a start far from
        the optimum) that Newton stopped at its start.
        """
        sign = np.array(signs)
        target = np.array(targets)

        def evaluate(lam: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
            m = self.masses(r, lam[0], lam[1], n, jacobian=True, shifted=True)
            grad = target - np.array([m.p_mass, m.q_mass])
            return m.shifted_mass + float(lam @ grad), grad, np.array(m.jacobian).reshape(2, 2)

        best = None
        for start in starts:
            lam0 = np.array(start, dtype=np.float64)
            point = (*evaluate(lam0), lam0)
            if np.isfinite(point[0]) and (best is None or point[0] > best[0]):
                best = point
        if best is None:
            return starts[0]
        value, grad, jac, lam = best
        for _ in range(_CORNER_STEPS):
            if float(np.max(np.abs(grad))) < _CORNER_RESIDUAL:
                break
            try:
                step = np.linalg.solve(jac, grad)
            except np.linalg.LinAlgError:
                step = grad
            if not np.all(np.isfinite(step)) or float(step @ grad) <= 0.0:
                step = grad  # not an ascent direction: steepest ascent instead
            elif 0.5 * float(step @ grad) < ASCENT_NEGLIGIBLE:
                break  # converged: what is left to gain is far below the dual margin
            alpha = 1.0
            for _ in range(ASCENT_HALVINGS):
                cand = lam + alpha * step
                cand = np.where(sign * cand < 0.0, 0.0, cand)  # stay in the orthant
                value_new, grad_new, jac_new = evaluate(cand)
                if np.isfinite(value_new) and value_new > value:
                    lam, value, grad, jac = cand, value_new, grad_new, jac_new
                    break
                alpha *= 0.5
            else:
                break
        return float(lam[0]), float(lam[1])


class _ThresholdEngine(_Engine):
    pair: ThresholdPair

    def __init__(self, pair: ThresholdPair) -> None:
        self.pair = pair

    def masses(self, r: float, lam1: float, lam2: float, n: int) -> RegionMasses:
        return self.pair.masses(r, lam1, lam2, n)

    def np_multiplier(self, r: float, p_target: float, n: int, x0: float = 0.0) -> float:
        def fun(x: float) -> tuple[float, float]:
            return self.pair.full_mass(r, x, n, True)

        return exp(_solve_log_multiplier(fun, p_target, x0))

    def inner_multiplier(self, r: float, target: float, n: int, x0: float = 0.0) -> float:
        """``μ`` with ``P(R ∩ ball) = target``."""
        return exp(_solve_log_multiplier(lambda x: self.pair.inner_mass(r, x, n, True), target, x0))

    def outer_multiplier(self, r: float, target: float, n: int, x0: float = 0.0) -> float:
        """``λ1`` with ``P(R \\ ball) = target``."""
        return exp(_solve_log_multiplier(lambda x: self.pair.outer_mass(r, x, n, True), target, x0))


def _verify(
    engine: _Engine, r: float, lam: tuple[float, float], iv: Intervals, n: int
) -> tuple[bool, float, str]:
    """The search check of (D) at ``lam``: ``verify_nodes`` and twice as many nodes of the
    fixed rules; where the two disagree by more than :data:`SEARCH_SPREAD_TRUST` and do not
    pass, the certifying quadrature decides instead (the fixed rules do not split at kinks,
    e.g. the edge of ``Λ > 0`` in cases iv and v, which is why mixed-sign multipliers are
    never failed on the fixed rules alone). ``n`` (the search nodes) is not used here."""
    n = engine.verify_n
    # Mixed signs: Λ > 0 on part of the radii only; the masses have a kink at its edge, and
    # the fixed rules are trusted to fail the radius only when their two values agree and
    # lie clearly below 1/2 (the rules of a sigma pair are split at that edge,
    # _SigmaEngine.rules; issue 23: the certifying quadrature on every failing search
    # check of cases iv and v was most of the engine's time in low dimension).
    mixed = lam[0] * lam[1] < 0.0
    coarse = dual_value(engine.masses(r, lam[0], lam[1], n), lam[0], lam[1], iv)
    if not mixed and isfinite(coarse) and coarse - DSRS_DUAL_MARGIN <= 0.5 - CLEAR_FAILURE:
        return False, coarse, "dual bound <= 1/2"
    fine = dual_value(engine.masses(r, lam[0], lam[1], 2 * n), lam[0], lam[1], iv)
    ok, bound, why = accept_bound(coarse, fine, DSRS_DUAL_MARGIN)
    trusted = isfinite(coarse) and isfinite(fine) and abs(coarse - fine) <= SEARCH_SPREAD_TRUST
    if ok or (trusted and not mixed):
        return ok, bound, why
    # Clear either way: both values and QUADRATURE_SAFETY times their spread (at most
    # SEARCH_SPREAD_CLEAR) lie CLEAR_FAILURE beyond 1/2. The search may decide these alone:
    # a wrong failure costs tightness only, and every radius the search passes is verified
    # by the certifying quadrature before it is reported (radius_proof). In low dimension
    # the fixed rules are 1e-4 to 2e-3 apart (kinks where level sets touch spheres), and the
    # certifying quadrature on every such check was most of the engine's time (issue 23).
    spread = abs(coarse - fine) if isfinite(coarse) and isfinite(fine) else float("inf")
    if spread <= SEARCH_SPREAD_CLEAR:
        allowance = QUADRATURE_SAFETY * spread + DSRS_DUAL_MARGIN
        if max(coarse, fine) + allowance <= 0.5 - CLEAR_FAILURE:
            return False, max(coarse, fine), "dual bound <= 1/2"
        trusted_pass = engine.pair.p.shape >= SMALL_SHAPE  # dense rules: only to fail
        if trusted_pass and min(coarse, fine) - allowance > 0.5 + CLEAR_FAILURE:
            return True, min(coarse, fine) - QUADRATURE_SAFETY * spread, ""
    est = certified_dual_bound(engine.pair, r, lam, iv)
    return accept_estimate(est, DSRS_DUAL_MARGIN)


def _np_value(engine: _Engine, r: float, p_target: float, n: int) -> tuple[float, float]:
    """NP dual value at ``p_target`` (``λ2 = 0``) and its multiplier."""
    lam1 = engine.np_multiplier(r, p_target, n)
    m = engine.masses(r, lam1, 0.0, n)
    return m.shifted_mass + lam1 * (p_target - m.p_mass), lam1


def check_radius(
    pair: SigmaPair | ThresholdPair,
    r: float,
    iv: Intervals,
    mode: str = "exact",
    hint: CheckOutcome | None = None,
) -> CheckOutcome:
    """Certify ``V(r) > 1/2`` for the DSRS problem of §4.1 at shift norm ``r``.

    Parameters
    ----------
    pair : SigmaPair or ThresholdPair
        P and Q (§4.4 or §4.5).
    r : float
        Shift norm, ``r > 0``.
    iv : Intervals
        ``[pL, pU]``, ``[qL, qU]``.
    mode : {"exact", "original"}
        See the module docstring.
    hint : CheckOutcome, optional
        Outcome at a nearby radius (warm starts for the solves).

    Returns
    -------
    CheckOutcome
        Never raises for numerical trouble: a failed solve is "not certified" with the
        reason recorded.
    """
    if hint is None:
        return _fresh_check(pair, r, iv, mode)
    return _check(pair, r, iv, mode, hint)


@lru_cache(maxsize=32)
def _fresh_check(
    pair: SigmaPair | ThresholdPair, r: float, iv: Intervals, mode: str
) -> CheckOutcome:
    """A check without warm start, memoised (a pure function of its arguments): the proof
    step's fresh check at the search's first radius repeated that check (issue 23: a
    quarter of a certificate's time at d = 2, where a certificate is often one check)."""
    return _check(pair, r, iv, mode, None)


def _check(
    pair: SigmaPair | ThresholdPair,
    r: float,
    iv: Intervals,
    mode: str,
    hint: CheckOutcome | None,
) -> CheckOutcome:
    n = search_nodes(pair.p.d)
    try:
        engine: _Engine = (
            _ThresholdEngine(pair) if isinstance(pair, ThresholdPair) else _SigmaEngine(pair)
        )
        engine.verify_n = verify_nodes(pair.p.d)
        if isinstance(engine, _ThresholdEngine):
            return _check_threshold(engine, r, iv, mode, n, hint)
        assert isinstance(engine, _SigmaEngine)
        return _check_sigma(engine, r, iv, mode, n, hint)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as err:
        # NumericalError is an ArithmeticError; anything numerical fails closed here.
        return CheckOutcome(
            False, float("nan"), "?", None, f"numerical failure: {type(err).__name__}: {err}"
        )


def _finish(
    engine: _Engine,
    r: float,
    iv: Intervals,
    candidates: list[tuple[float, float]],
    n: int,
    case: str,
    original_ok: bool = True,
    original_reason: str = "",
    details: dict[str, float] | None = None,
) -> CheckOutcome:
    """Verify candidates in order (the solved case first) until one certifies.

    Every candidate is a valid multiplier pair for (D), so trying several is sound; the
    first is the optimum of the selected KKT case, the others guard against a wrong case.
    """
    details = details or {}
    outcome = CheckOutcome(False, float("nan"), case, None, "no candidate", details)
    for lam in candidates:
        ok, bound, reason = _verify(engine, r, lam, iv, n)
        if ok:
            if not original_ok:
                return CheckOutcome(False, bound, case, lam, original_reason, details)
            return CheckOutcome(True, bound, case, lam, "", details)
        if outcome.multipliers is None or (isfinite(bound) and bound > outcome.bound):
            outcome = CheckOutcome(False, bound, case, lam, reason, details)
    return outcome


def _hint_value(hint: CheckOutcome | None, key: str, default: float = 0.0) -> float:
    if hint is None:
        return default
    value = hint.details.get(key)
    return default if value is None or not isfinite(value) else value


def _case_ii(
    engine: _Engine,
    r: float,
    iv: Intervals,
    mode: str,
    p_star: float,
    candidates: list[tuple[float, float]],
    n: int,
    details: dict[str, float],
) -> CheckOutcome:
    """Case ii (Q lower bound only). ``exact``: the Q-only dual candidate. ``original``:
    additionally the original's relaxation, plain NP at P-mass ``p*`` (§4.3(d))."""
    if mode != "original":
        return _finish(engine, r, iv, candidates, n, "ii", details=details)
    relaxed, _ = _np_value(engine, r, p_star, engine.verify_n)
    details["relaxed"] = relaxed
    return _finish(
        engine,
        r,
        iv,
        candidates,
        n,
        "ii",
        relaxed - ORIGINAL_EPS >= 0.5,
        "original case-ii relaxation <= 1/2",
        details,
    )


def _check_sigma(
    engine: _SigmaEngine,
    r: float,
    iv: Intervals,
    mode: str,
    n: int,
    hint: CheckOutcome | None,
) -> CheckOutcome:
    # STEP 1 (§4.3): plain NP set at pL and its Q mass q*.
    x1 = log(engine.np_multiplier(r, iv.p_lower, n, _hint_value(hint, "log_lam1_np")))
    lam1_np = exp(x1)
    q_star = engine.masses(r, lam1_np, 0.0, n, shifted=False, sides="q").q_mass
    np_candidate = (lam1_np, 0.0)
    details = {"q_star": q_star, "log_lam1_np": x1}
    if q_star >= iv.q_upper:
        case = "iv"
        lam2_q = None
    elif q_star >= iv.q_lower:
        return _finish(engine, r, iv, [np_candidate], n, "i", details=details)
    else:
        x2 = log(engine.q_multiplier(r, iv.q_lower, n, _hint_value(hint, "log_lam2_q")))
        lam2_q = exp(x2)
        details["log_lam2_q"] = x2
        p_star = engine.masses(r, 0.0, lam2_q, n, shifted=False, sides="p").p_mass
        details["p_star"] = p_star
        q_candidate = (0.0, lam2_q)
        if p_star < iv.p_lower:
            case = "iii"
        elif p_star > iv.p_upper:
            case = "v"
        else:
            return _case_ii(engine, r, iv, mode, p_star, [q_candidate, np_candidate], n, details)
    # Corner cases (§4.4 STEP 2): Newton from the single-constraint solutions. The second
    # multiplier starts at 1 % of the first in units of (β/σ)^(d−2k), taken in logs and
    # within the searched range (the power overflows at d = 150528 with σ_Q = 1.25 σ).
    log_ratio = engine.pair.p.log_norm_ratio_unit * (
        log(engine.pair.q.scale) - log(engine.pair.p.scale)
    )

    def scaled(lam: float, log_factor: float) -> float:
        x = log(0.01 * lam) + log_factor
        return exp(min(max(x, -LOG_MULTIPLIER_LIMIT), LOG_MULTIPLIER_LIMIT))

    fallback = [np_candidate] + ([(0.0, lam2_q)] if lam2_q is not None else [])
    if case == "iii":
        assert lam2_q is not None
        targets, signs, start = (iv.p_lower, iv.q_lower), (1.0, 1.0), (lam1_np, lam2_q)
    elif case == "iv":
        if iv.q_upper >= 1.0:
            return _finish(engine, r, iv, fallback, n, case, details=details)
        targets, signs = (iv.p_lower, iv.q_upper), (1.0, -1.0)
        start = (lam1_np, -scaled(lam1_np, log_ratio))
    else:
        assert lam2_q is not None
        targets, signs = (iv.p_upper, iv.q_lower), (-1.0, 1.0)
        start = (-scaled(lam2_q, -log_ratio), lam2_q)
    if hint is not None and hint.multipliers is not None and hint.case == case:
        h1, h2 = hint.multipliers
        if np.sign(h1) == signs[0] and np.sign(h2) == signs[1]:
            start = (h1, h2)
    elif case in ("iv", "v"):
        # The 1 % start can be orders of magnitude off (σ_Q = 1.25σ, a = 12: λ2 = −132
        # where the optimum has −0.05), and the corner's Newton then wandered ~30 steps to
        # a useless point before the ascent recovered (issue 23: 100–230 ms per check at
        # d ≥ 64). Instead the negative multiplier meets its own constraint with the
        # positive one at its single-constraint solution: a few cheap one-sided solves.
        free = 1 if case == "iv" else 0
        try:
            partner = engine.negative_partner(
                r, start, free, targets[free], n, log(abs(start[free]))
            )
            start = (start[0], partner) if free else (partner, start[1])
        except (BracketError, NumericalError):
            pass  # keep the 1 % start
    corner, converged = engine.corner(r, targets, signs, start, n)
    candidates = [corner]
    if not converged:
        # The Newton on the equalities stalled: maximise (D) itself, from the corner's
        # last iterate or a single-constraint solution (on the orthant's edge).
        in_orthant = [
            lam for lam in fallback if all(s * x >= 0.0 for s, x in zip(signs, lam, strict=True))
        ]
        starts = [corner, *in_orthant]
        candidates.insert(0, engine.ascent(r, targets, signs, starts, n))
    return _finish(engine, r, iv, candidates + fallback, n, case, details=details)


def _check_threshold(
    engine: _ThresholdEngine,
    r: float,
    iv: Intervals,
    mode: str,
    n: int,
    hint: CheckOutcome | None,
) -> CheckOutcome:
    nu = engine.pair.q.nu
    x1 = log(engine.np_multiplier(r, iv.p_lower, n, _hint_value(hint, "log_lam1_np")))
    lam1_np = exp(x1)
    q_star = nu * engine.pair.inner_mass(r, x1, n)[0]
    p_star = iv.q_lower / nu  # exact for a thresholded Q (§4.5 note)
    details = {"q_star": q_star, "p_star": p_star, "log_lam1_np": x1}
    np_candidate = (lam1_np, 0.0)
    if q_star >= iv.q_lower and q_star < iv.q_upper:
        return _finish(engine, r, iv, [np_candidate], n, "i", details=details)
    q_only: list[tuple[float, float]] = []
    if 0.0 < iv.q_lower < 1.0:
        mu_ii = engine.inner_multiplier(r, iv.q_lower / nu, n, _hint_value(hint, "log_mu_ii"))
        details["log_mu_ii"] = log(mu_ii)
        q_only.append((0.0, mu_ii / nu))
    if q_star >= iv.q_upper:
        case, q_hat = "iv", iv.q_upper
    elif p_star < iv.p_lower:
        case, q_hat = "iii", iv.q_lower
    elif p_star > iv.p_upper:
        if mode == "original":
            return CheckOutcome(
                False,
                float("nan"),
                "v",
                None,
                "original: case v unsupported for thresholded Q",
                details,
            )
        return _finish(engine, r, iv, [*q_only, np_candidate], n, "v", details=details)
    else:
        return _case_ii(engine, r, iv, mode, p_star, [*q_only, np_candidate], n, details)
    p_out = iv.p_lower - q_hat / nu
    details["p_out"] = p_out
    fallback = [np_candidate, *q_only]
    if p_out < ORIGINAL_EPS or q_hat >= 1.0:
        if mode == "original":
            return CheckOutcome(
                False,
                float("nan"),
                case,
                None,
                "original: p_out < eps (lambda1 would be <= 0)",
                details,
            )
        return _finish(engine, r, iv, fallback, n, case, details=details)
    try:
        if case == "iii" and q_only:
            mu = q_only[0][1] * nu
        else:
            mu = engine.inner_multiplier(r, q_hat / nu, n, _hint_value(hint, "log_mu"))
        lam1 = engine.outer_multiplier(r, p_out, n, _hint_value(hint, "log_lam1"))
        details["log_mu"], details["log_lam1"] = log(mu), log(lam1)
    except BracketError as err:
        if mode == "original":
            return CheckOutcome(False, float("nan"), case, None, f"original: {err}", details)
        return _finish(engine, r, iv, fallback, n, case, details=details)
    return _finish(engine, r, iv, [(lam1, (mu - lam1) / nu), *fallback], n, case, details=details)
