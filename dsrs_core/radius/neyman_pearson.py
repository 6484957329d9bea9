"""Neyman–Pearson (single sampling) certification for radial noise (docs/math.md §3).

For a shift of norm ``r`` and ``κ = ln K`` the NP set is ``A_K = {p/p_δ ≥ K}``; its P mass
``Pm`` and shifted mass ``Ps`` are (§3.3, with ``ρ = scale √(2t)``, ``t ~ Gamma(a)``)

    Pm(κ) = E_t[ I(((ρ + r)² − U(ln g(ρ) − κ)) / (4ρr)) ]                       (NP-m)
    Ps(κ) = E_t[ I((U(ln g(ρ) + κ) − (ρ − r)²) / (4ρr)) ]                       (NP-s)

Certification goes through weak duality (§4.1 (D) with ``λ2 = 0``, ``λ1 = e^(−κ)``): for
*any* ``κ``,

    V_NP(r) ≥ L(κ) = Ps(κ) + e^(−κ) (pL − Pm(κ))
                   = E_t[ I(x_s) + e^(−κ) I(1 − x_m) ] − e^(−κ) (1 − pL),          (NP-D)

evaluated in the second form: ``1 − Pm`` is integrated as ``E_t[I(1 − x_m)]`` (the symmetry
``1 − I(x) = I(1 − x)``), never as ``1 − Pm``. Near ``pL = 1`` (``N = 2³¹ − 1`` draws that all
agree: ``1 − pL = 3.5e-9``, ``e^(−κ) ≈ 2e7``) the first form cancels ``e^(−κ) Pm ≈ 2e7``
down to a bound of 1/2 and the certifying check could not get its error estimate below
1e-4 (NP radius 0 at d = 150528, issue 23); the second has only non-negative terms of the
size of the result (docs/math.md §3.3).

so a radius is certified when the certifying quadrature (docs/math.md §7.4) proves
``L(κ) − NP_DUAL_MARGIN > 1/2`` (its value minus its error estimate). The root finders
(on the fixed search rules) only choose ``κ`` and the trial radius; they are never trusted
for soundness. ``L`` is non-increasing in ``r`` at fixed κ (docs/math.md §5.1), so the
radius covers every smaller one.

With a ``deadline`` (a :func:`time.thread_time` value: ``GET /v1/plan`` passes one) the
solve and the certifying quadrature stop once the calling thread's CPU time passes it and
raise :class:`~dsrs_core.numerics.root_finding.DeadlineExceeded`: no radius, not even 0, is
returned. The certificate path passes none.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import exp, isfinite

import numpy as np
from scipy.stats import norm

from dsrs_core.errors import InvalidParameterError, NumericalError
from dsrs_core.noise.families import GaussianNoise, RadialNoise
from dsrs_core.numerics.adaptive_quadrature import (
    SMALL_SHAPE,
    Estimate,
    dense_rule,
    radial_expectation,
)
from dsrs_core.numerics.fixed_quadrature import QuadratureRule, gamma_rule
from dsrs_core.numerics.root_finding import check_deadline, monotone_root
from dsrs_core.numerics.special import symmetric_beta_cdf, symmetric_beta_pdf

__all__ = [
    "CERTIFY_TOLERANCE",
    "GAUSSIAN_RADIUS_BACKOFF",
    "LOG_K_LIMIT",
    "NP_DUAL_MARGIN",
    "NP_RADIUS_BACKOFFS",
    "P_LOWER_ONE",
    "QUADRATURE_SAFETY",
    "QUADRATURE_SPREAD_LIMIT",
    "NPMasses",
    "NPRadius",
    "accept_bound",
    "accept_estimate",
    "base_nodes",
    "np_certified_bound",
    "np_certifies",
    "np_dual_bound",
    "np_masses",
    "np_radius",
    "solve_log_k",
]

#: Subtracted from every dual bound before comparing with 1/2 (errs low), on top of the
#: quadrature allowance below. It dominates the rounding of the masses (~1e-13) and the
#: effect of inexact roots, which enter the dual bound only at second order.
NP_DUAL_MARGIN = 1e-9
#: The 2n-node value is taken to be off by at most QUADRATURE_SAFETY · |L_n − L_2n|
#: (true once doubling the nodes at least halves the error, as for every convergent rule
#: here: spectral for smooth integrands, ~n^-(h+1) at the clipping kinks of I for small
#: d); this is subtracted on top of NP_DUAL_MARGIN.
QUADRATURE_SAFETY = 2.0
#: Beyond this disagreement (or error estimate) a bound is not trusted at all (fail closed).
QUADRATURE_SPREAD_LIMIT = 1e-4
#: Error target of the certifying quadrature (absolute, on the dual bound).
CERTIFY_TOLERANCE = 1e-10
#: Relative reductions tried, in order, when the solved NP radius r* does not verify:
#: the certified radius is r*(1 − backoff) for the first backoff that verifies (errs low).
NP_RADIUS_BACKOFFS = (2e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
#: A verified NP bound more than this above ``1/2 + NP_DUAL_MARGIN`` (or a first backoff
#: that failed) means the solve was off and the radius is tightened by certified checks
#: (:func:`_refine`): the dense search rule of small shapes left it up to ~2e-4 low.
REFINE_SLACK = 1e-7
#: Tightening stops once the bracket is this narrow (relative) ...
REFINE_RELATIVE = 1e-7
#: ... or after this many trials (steps up, then bisections: up to 14 and 40 were needed
#: apart); the first step up is this fraction of the radius.
REFINE_TRIALS = 60
REFINE_FIRST_STEP = 1e-4
#: Relative reduction of the Gaussian closed form σ Φ⁻¹(pL) (§3.2): covers the rounding
#: of Φ⁻¹ (a few ulp) so that the radius errs low.
GAUSSIAN_RADIUS_BACKOFF = 1e-12
#: Reason recorded when ``pL = 1`` (docs/math.md §7.1): a Clopper–Pearson lower bound is
#: always below 1, so such an input is refused explicitly instead of certified.
P_LOWER_ONE = "p_lower = 1 cannot come from a Clopper-Pearson bound; no radius computed"
#: Search range of κ = ln K (the original uses ±100 for the NP radius, ±20 in checks).
LOG_K_LIMIT = 200.0


def base_nodes(noise: RadialNoise) -> int:
    """Quadrature nodes used for ``E_t`` with this noise (the check uses twice as many).

    The angle law Beta(h, h) sharpens with ``d``; 64 nodes converge to ~1e-12 for d ≤ 10⁴
    and 128 for ImageNet-size inputs (docs/math.md §7.4 item 1; re-checked at run time).
    """
    return 64 if noise.d <= 20_000 else 128


def search_rule(noise: RadialNoise) -> QuadratureRule:
    """Rule of the NP solves: Gauss–Laguerre, or :func:`dense_rule` for small shapes."""
    if noise.shape < SMALL_SHAPE:
        return dense_rule(noise.shape)
    return gamma_rule(noise.shape, base_nodes(noise))


@dataclass(frozen=True)
class NPMasses:
    """``Pm``, ``Ps`` (NP-m, NP-s) and their partial derivatives in ``κ`` and ``r``;
    ``p_complement`` is ``1 − Pm`` integrated as ``E_t[I(1 − x_m)]`` (full relative
    precision near ``Pm = 1``; ``p_mass`` is ``1 − p_complement``)."""

    p_complement: float
    shifted_mass: float
    dp_dkappa: float
    ds_dkappa: float
    dp_dr: float
    ds_dr: float

    @property
    def p_mass(self) -> float:
        """``Pm`` (to absolute rounding; use :attr:`p_complement` near ``Pm = 1``)."""
        return 1.0 - self.p_complement


def _geometry(noise: RadialNoise, rule: QuadratureRule) -> tuple[np.ndarray, np.ndarray]:
    v = noise.radius_sq(rule.nodes)
    return v, np.sqrt(v)


def _np_arguments(
    noise: RadialNoise, r: float, kappa: float, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per node ``t``: ``1 − x_m`` and ``x_s``, the arguments of ``I`` in ``1 − Pm`` (by
    symmetry) and (NP-s), the level offsets and ``4ρr`` (offsets of the level sets from
    ``ρ²``: no cancellation for small ``r`` or ``κ``; ``1 − x_m = 1/2 + (D_m − r²)/(4ρr)``,
    ``x_s = 1/2 + (D_s − r²)/(4ρr)``)."""
    rho = np.sqrt(noise.radius_sq(t))
    denom = 4.0 * rho * r
    r2 = r * r
    gap_m = noise.level_offset(t, kappa)
    gap_s = noise.level_offset(t, -kappa)
    return 0.5 + (gap_m - r2) / denom, 0.5 + (gap_s - r2) / denom, gap_m, gap_s, denom


def np_masses(
    noise: RadialNoise, r: float, kappa: float, rule: QuadratureRule, derivatives: bool = True
) -> NPMasses:
    """Evaluate (NP-m) and (NP-s) at radius ``r > 0`` and ``κ = ln K`` with ``rule``."""
    if not r > 0.0:
        raise InvalidParameterError(f"radius must be positive, got {r!r}")
    h = noise.beta_param
    xc_m, x_s, gap_m, gap_s, denom = _np_arguments(noise, r, kappa, rule.nodes)
    complement = rule.expect(symmetric_beta_cdf(xc_m, h))
    shifted = rule.expect(symmetric_beta_cdf(x_s, h))
    if not derivatives:
        return NPMasses(complement, shifted, 0.0, 0.0, 0.0, 0.0)
    v = noise.radius_sq(rule.nodes)
    r2 = r * r
    pdf_m = symmetric_beta_pdf(xc_m, h)  # the Beta(h, h) density is symmetric
    pdf_s = symmetric_beta_pdf(x_s, h)
    # dU/dℓ = −dB_c/dc (the level ℓ = ln g(ρ) − c)
    dm_dk = -noise.level_offset_slope(v, gap_m) / denom
    ds_dk = -noise.level_offset_slope(v, gap_s) / denom
    dm_dr = (r2 + gap_m) / (denom * r)
    ds_dr = -(r2 + gap_s) / (denom * r)
    return NPMasses(
        complement,
        shifted,
        rule.expect(pdf_m * dm_dk),
        rule.expect(pdf_s * ds_dk),
        rule.expect(pdf_m * dm_dr),
        rule.expect(pdf_s * ds_dr),
    )


def np_certified_bound(
    noise: RadialNoise, r: float, kappa: float, p_lower: float, deadline: float | None = None
) -> Estimate:
    """(NP-D) at ``κ`` by the certifying quadrature (docs/math.md §7.4): ``value`` is the
    bound, ``error`` its quadrature error estimate. Never uses the search rules. The
    ``deadline`` is checked before every evaluation of the integrand. The integrand is
    ``I(x_s) + e^(−κ) I(1 − x_m)`` (second form of (NP-D), module docstring): no
    cancellation when ``pL`` is close to 1."""
    if not r > 0.0:
        raise InvalidParameterError(f"radius must be positive, got {r!r}")
    h = noise.beta_param
    lam = exp(-kappa)

    def psi(t: np.ndarray) -> np.ndarray:
        check_deadline(deadline)
        xc_m, x_s, *_ = _np_arguments(noise, r, kappa, t)
        return symmetric_beta_cdf(x_s, h) + lam * symmetric_beta_cdf(xc_m, h)

    est = radial_expectation(noise.shape, psi, 1.0 + lam, CERTIFY_TOLERANCE)
    return Estimate(est.value - lam * (1.0 - p_lower), est.error, est.pieces)


def solve_log_k(
    noise: RadialNoise,
    r: float,
    p_target: float,
    rule: QuadratureRule,
    kappa0: float = 0.0,
    xtol: float = 1e-12,
    deadline: float | None = None,
) -> float:
    """``κ`` with ``Pm(κ) = p_target`` at radius ``r`` (``Pm`` decreases in ``κ``).

    Returns the upper end of the final bracket (smaller set, ``Pm ≤ p_target``), as the
    original; callers certify through (NP-D), which holds for any ``κ``. Solved on
    ``1 − Pm = 1 − p_target`` to a relative residual (:func:`_complement_ftol`), so that
    ``e^(−κ)`` times the residual stays negligible near ``p_target = 1``.
    """

    def fun(kappa: float) -> tuple[float, float]:
        m = np_masses(noise, r, kappa, rule)
        return m.p_complement, -m.dp_dkappa

    target = 1.0 - p_target
    bracket = monotone_root(
        fun,
        target,
        kappa0,
        -LOG_K_LIMIT,
        LOG_K_LIMIT,
        increasing=True,
        xtol=xtol,
        ftol=_complement_ftol(target),
        deadline=deadline,
    )
    return bracket.hi


def _complement_ftol(complement: float) -> float:
    """Residual tolerance of a solve of ``1 − Pm = complement``: 1e-14 absolute (the
    rounding of the masses), and relative (1e-13) once ``complement`` is small."""
    return min(1e-14, 1e-13 * complement)


def np_dual_bound(
    noise: RadialNoise, r: float, kappa: float, p_lower: float, rule: QuadratureRule
) -> float:
    """(NP-D): ``Ps(κ) + e^(−κ)(pL − Pm(κ))``, a lower bound on ``V_NP(r)`` for any κ."""
    m = np_masses(noise, r, kappa, rule, derivatives=False)
    return m.shifted_mass + exp(-kappa) * (m.p_complement - (1.0 - p_lower))


def np_certifies(
    noise: RadialNoise, r: float, kappa: float, p_lower: float, deadline: float | None = None
) -> tuple[bool, float, str]:
    """Whether (NP-D) at ``κ`` proves ``V_NP(r) > 1/2`` by the certifying quadrature.

    Returns ``(certified, bound, reason)``: ``bound`` is the value minus its error
    estimate, compared with ``1/2 + NP_DUAL_MARGIN``; ``reason`` explains a failure.
    """
    est = np_certified_bound(noise, r, kappa, p_lower, deadline)
    return accept_estimate(est, NP_DUAL_MARGIN)


def accept_estimate(est: Estimate, margin: float) -> tuple[bool, float, str]:
    """Decide from a certifying-quadrature estimate of a lower bound on ``V(r)``: certified
    when ``value − error − margin > 1/2``. Returns ``(certified, bound, reason)``."""
    if not (isfinite(est.value) and isfinite(est.error)):
        return False, float("nan"), "non-finite dual bound"
    if est.error > QUADRATURE_SPREAD_LIMIT:
        return False, est.value, f"quadrature not converged (error {est.error:.1e})"
    bound = est.value - est.error
    if bound - margin > 0.5:
        return True, bound, ""
    return False, bound, "dual bound <= 1/2"


def accept_bound(coarse: float, fine: float, margin: float) -> tuple[bool, float, str]:
    """Decide from the ``n``- and ``2n``-node values of a lower bound on ``V(r)``.

    The bound used is ``min(coarse, fine) − QUADRATURE_SAFETY·|coarse − fine|``; it
    certifies when it exceeds ``1/2 + margin``. Returns ``(certified, bound, reason)``.
    """
    if not (isfinite(coarse) and isfinite(fine)):
        return False, float("nan"), "non-finite dual bound"
    spread = abs(coarse - fine)
    if spread > QUADRATURE_SPREAD_LIMIT:
        return False, min(coarse, fine), f"quadrature not converged ({spread:.1e})"
    bound = min(coarse, fine) - QUADRATURE_SAFETY * spread
    if bound - margin > 0.5:
        return True, bound, ""
    return False, bound, "dual bound <= 1/2"


@dataclass(frozen=True)
class NPRadius:
    """A certified NP radius, the ``κ`` that proves it and why it is not larger."""

    radius: float
    kappa: float
    reason: str = ""


def _gaussian_start(noise: RadialNoise, p_lower: float) -> tuple[float, float]:
    # Gaussian radius with the user scale bounds the GG radius (§3.3 step 2); the Gaussian
    # NP optimum has κ = −r²/(2σ²) in internal units.
    r0 = noise.sigma * float(norm.ppf(p_lower))
    r0 *= 0.97 if noise.k else 1.0
    return r0, -(r0**2) / (2.0 * noise.scale**2)


def _newton_np(
    noise: RadialNoise, p_lower: float, rule: QuadratureRule, deadline: float | None
) -> tuple[float, float]:
    """Solve ``Pm(r, κ) = pL``, ``Ps(r, κ) = 1/2`` by damped 2-D Newton."""
    r, kappa = _gaussian_start(noise, p_lower)
    kappa = solve_log_k(noise, r, p_lower, rule, kappa, xtol=1e-4, deadline=deadline)
    for _ in range(60):
        check_deadline(deadline)
        m = np_masses(noise, r, kappa, rule)
        # f1 = Pm − pL from the complements (exact near pL = 1); the masses carry ~1e-13
        # rounding noise, 1 − Pm a relative ~1e-14. The bound (NP-D) moves by e^(−κ) f1,
        # so f1 is converged on that scale too (e^(−κ) ≈ 2e7 at pL = 1 − 3.5e-9).
        f1, f2 = (1.0 - p_lower) - m.p_complement, m.shifted_mass - 0.5
        converged_p = abs(f1) < 1e-12 and abs(f1) * exp(-kappa) < 1e-12
        if converged_p and abs(f2) < 1e-12:
            return r, kappa
        det = m.dp_dkappa * m.ds_dr - m.dp_dr * m.ds_dkappa
        if not (isfinite(det) and det != 0.0):
            raise NumericalError("singular Jacobian in the NP radius solve")
        dk = -(f1 * m.ds_dr - f2 * m.dp_dr) / det
        dr = -(m.dp_dkappa * f2 - m.ds_dkappa * f1) / det
        scale = 1.0
        # Damping: keep r positive and steps moderate (the masses are sigmoids).
        while r + scale * dr <= 0.25 * r or abs(scale * dk) > 5.0 or abs(scale * dr) > 0.5 * r:
            scale *= 0.5
            if scale < 1e-6:
                raise NumericalError("NP radius Newton step collapsed")
        r, kappa = r + scale * dr, kappa + scale * dk
        if abs(dr * scale) < 1e-12 * r and abs(dk * scale) < 1e-11:
            return r, kappa
    raise NumericalError("NP radius Newton did not converge")


def _bisect_np(
    noise: RadialNoise, p_lower: float, rule: QuadratureRule, deadline: float | None
) -> tuple[float, float]:
    """Slow fall-back: bisection on ``r`` with an inner ``κ`` solve (§3.3 steps 2–3)."""
    lo, hi = 0.0, noise.sigma * float(norm.ppf(p_lower))
    kappa_lo = 0.0
    kappa = 0.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        kappa = solve_log_k(noise, mid, p_lower, rule, kappa, deadline=deadline)
        if np_masses(noise, mid, kappa, rule, derivatives=False).shifted_mass > 0.5:
            lo, kappa_lo = mid, kappa
        else:
            hi = mid
        if hi - lo <= 1e-12 * max(hi, 1e-300):
            break
    return lo, kappa_lo


def np_radius(noise: RadialNoise, p_lower: float, *, deadline: float | None = None) -> NPRadius:
    """Certified Neyman–Pearson radius for the P lower bound ``pL`` (docs/math.md §3).

    Parameters
    ----------
    noise : RadialNoise
        The smoothing noise P.
    p_lower : float
        Lower confidence bound of ``Pr[f(x + ε) = y]``.
    deadline : float, optional
        :func:`time.thread_time` value after which the solve is abandoned (module
        docstring); None (the certificate path): no limit.

    Returns
    -------
    NPRadius
        ``radius = 0`` when ``pL ≤ 1/2``. Gaussian: closed form ``σ Φ⁻¹(pL)`` (§3.2).
        Otherwise the root ``r*`` of (NP-m) = pL, (NP-s) = 1/2 is solved by 2-D Newton
        (bisection fall-back) and ``r*(1 − backoff)`` is returned for the first entry of
        :data:`NP_RADIUS_BACKOFFS` whose (NP-D) bound verifies — the radius errs low.
        Numerical failure gives the largest verified radius (possibly 0) and a reason.

    Raises
    ------
    DeadlineExceeded
        When ``deadline`` passed before the radius was verified.
    """
    if not 0.0 <= p_lower <= 1.0:
        raise InvalidParameterError(f"p_lower must lie in [0, 1], got {p_lower!r}")
    if not p_lower > 0.5:
        return NPRadius(0.0, 0.0, "p_lower <= 1/2")
    if p_lower >= 1.0:
        # Every radius would hold (P_δ ≪ P), but no Clopper–Pearson bound is 1: refuse.
        return NPRadius(0.0, 0.0, P_LOWER_ONE)
    if isinstance(noise, GaussianNoise) or noise.k == 0:
        closed_form = float(noise.scale * norm.ppf(p_lower))
        return NPRadius(closed_form * (1.0 - GAUSSIAN_RADIUS_BACKOFF), float("nan"))
    rule = search_rule(noise)
    reason = ""
    try:
        r_star, kappa = _newton_np(noise, p_lower, rule, deadline)
    except NumericalError as first:
        try:
            r_star, kappa = _bisect_np(noise, p_lower, rule, deadline)
        except NumericalError as second:
            return NPRadius(0.0, 0.0, f"NP solve failed: {first}; {second}")
    failed: float | None = None
    for backoff in NP_RADIUS_BACKOFFS:
        r = r_star * (1.0 - backoff)
        if not r > 0.0:
            break
        ok, bound, why = _certify_at(noise, r, kappa, p_lower, deadline)
        if ok:
            if failed is None and bound - NP_DUAL_MARGIN - 0.5 <= REFINE_SLACK:
                return NPRadius(r, kappa)
            return _refine(noise, p_lower, rule, r, kappa, failed, deadline)
        failed, reason = r, why
    return NPRadius(0.0, 0.0, f"NP radius not verified: {reason}")


def _certify_at(
    noise: RadialNoise, r: float, kappa: float, p_lower: float, deadline: float | None
) -> tuple[bool, float, str]:
    try:
        return np_certifies(noise, r, kappa, p_lower, deadline)
    except ArithmeticError as err:  # includes NumericalError: fail closed
        return False, float("nan"), f"{type(err).__name__}: {err}"


def _refine(
    noise: RadialNoise,
    p_lower: float,
    rule: QuadratureRule,
    lo: float,
    kappa_lo: float,
    hi: float | None,
    deadline: float | None,
) -> NPRadius:
    """Tighten a verified radius ``lo`` whose solve was off (the search rules are inexact at
    small shapes: docs/math.md §3.3): ``hi`` is a radius that failed (None: step up from
    ``lo`` until one fails), then bisection, every radius with ``κ`` re-solved on the
    search rule and proven by the certifying check. Returns the largest proven radius."""
    step = REFINE_FIRST_STEP * lo
    for _ in range(REFINE_TRIALS):
        if hi is None:  # stepping up, doubling the step
            if step >= lo:
                break
            r = lo + step
        elif hi - lo <= REFINE_RELATIVE * lo:
            break
        else:  # bisecting
            r = 0.5 * (lo + hi)
        try:
            kappa = solve_log_k(noise, r, p_lower, rule, kappa_lo, xtol=1e-12, deadline=deadline)
        except NumericalError:
            break
        if _certify_at(noise, r, kappa, p_lower, deadline)[0]:
            lo, kappa_lo, step = r, kappa, 2.0 * step
        else:
            hi = r
    return NPRadius(lo, kappa_lo)
