"""Proof mode for the Neyman–Pearson radius: an interval-arithmetic enclosure of the NP
dual bound (docs/math.md §7.5), opt-in.

Every radius the engine reports is *verified* by the certifying check (a-posteriori error
estimate, docs/math.md §7.4). This module *proves* an NP radius: it encloses

    L(λ; r) = E_t[F_δ(t)] − λ E_t[F_P(t)] + λ pL        (λ = e^(−κ), weak duality (D))

in arb ball arithmetic (python-flint, an optional dependency imported only when a proof
is asked for), with per-sphere fractions ``F = I_{x(t)}(h, h)`` whose arguments ``x(t)`` are
closed forms (Lambert W). On a cell ``[t0, t1]`` with midpoint ``tm`` of the radial law:

* where the enclosure of ``x`` over the cell lies inside (0, 1), second order:
  ``∫ F dμ ∈ F(tm) μ + F'([t0, t1]) (M₊ + M₋)``, ``M± = ∫_{t ≷ tm} (t − tm) dμ``, with
  ``F' = β_h(x) x'`` enclosed over the whole cell (``x'`` by arb's Taylor arithmetic in
  centred form, the Beta density by its unimodality);
* otherwise first order: ``I`` is increasing, so ``∫ F dμ ∈ μ [I(x_lo), I(x_hi)]``;
* the radial law outside ``[F_a⁻¹(1e-20), F_a⁻¹(1 − 1e-20)]`` contributes ``[0, 1]`` times
  its (enclosed) mass.

Cells are bisected where the enclosure is widest until its width is below ``epsilon``.
A Gaussian P (``k = 0``) needs no integral: ``V_NP(r) = Φ(Φ⁻¹(pL) − r/σ)`` (§3.2) is
enclosed directly (arb's ``erfc`` and ``erfcinv``), at every dimension.
The NP radius sits at ``L ≈ 1/2 + 1e-9`` by design, below the width such an enclosure
reaches in seconds, so :func:`prove_np_radius` tries the verified radius and then radii
backed off by :data:`PROOF_BACKOFFS` with the *same* multiplier; since ``L(λ; ·)`` is
non-increasing in the radius for ``λ > 0`` (layer cake, docs/math.md §5.1, a proof), the
first radius whose enclosure lies above 1/2 is proven together with every smaller one.
"""

from __future__ import annotations

import importlib.util
import itertools
import time
from dataclasses import dataclass, replace
from math import exp
from types import ModuleType
from typing import TYPE_CHECKING, TypeAlias

from scipy.special import gammainccinv, gammaincinv

from dsrs_core.errors import InvalidParameterError
from dsrs_core.noise.families import GaussianNoise, RadialNoise
from dsrs_core.numerics.root_finding import DeadlineExceeded, check_deadline
from dsrs_core.radius.neyman_pearson import np_certified_bound, np_radius

if TYPE_CHECKING:  # python-flint is optional: imported at run time only by _flint()
    import flint

    Arb: TypeAlias = flint.arb
    ArbSeries: TypeAlias = flint.arb_series

__all__ = [
    "FELL_BACK",
    "NOT_COVERED",
    "NOT_PROVEN",
    "PROOF_BACKOFFS",
    "PROOF_CPU_SECONDS",
    "PROOF_DIMENSION_LIMIT",
    "PROOF_OUTCOMES",
    "PROVEN",
    "NPProof",
    "enclose_np_dual",
    "proof_available",
    "prove_np_radius",
    "prove_verified_np",
]

#: What proof mode says of one radius: ``proven`` (the verified radius itself), ``fell
#: back`` (a smaller radius is proven), ``not proven`` (no enclosure above 1/2, or the CPU
#: deadline passed: the radius stands verified only), ``not covered`` (out of proof mode's
#: scope, or python-flint missing; the radius stands verified only). The contract's
#: ``CheckOutcome`` spells the same (tested equal).
PROVEN, FELL_BACK, NOT_PROVEN, NOT_COVERED = "proven", "fell back", "not proven", "not covered"
PROOF_OUTCOMES = (PROVEN, FELL_BACK, NOT_PROVEN, NOT_COVERED)

#: Relative back-offs of the radius tried after the verified radius itself.
PROOF_BACKOFFS = (1e-6, 1e-5, 1e-4, 1e-3)
#: Largest dimension proof mode covers (arb's incomplete Beta and Gamma functions at
#: ``a, h ≈ 75,000`` cost milliseconds each: 86 s for width 4e-5 at d = 150528).
PROOF_DIMENSION_LIMIT = 3072
#: CPU seconds (of the calling thread) one input's proof may spend, the NP multiplier's
#: solve included; past it the input is ``not proven`` (measured: ~2 s at d = 3072).
PROOF_CPU_SECONDS = 60.0
#: Probability of the radial law outside the cells at each end (enclosed and added).
TAIL = 1e-20
#: Working precision (bits).
PRECISION = 128


@dataclass(frozen=True)
class NPProof:
    """Outcome of proof mode for one NP radius.

    ``status``: one of :data:`PROOF_OUTCOMES`. ``radius``: the proven radius (the verified
    one, or the smaller one proof mode fell back to; nan when nothing is proven).
    ``lower``, ``upper`` enclose ``L(λ; r)`` (``V_NP(r)`` for a Gaussian P) at the last
    radius ``r`` tried (nan when no enclosure was made), ``cells`` the cells of the last
    enclosure (0 for the Gaussian closed form), ``seconds`` CPU time, ``reason`` why it is
    not proven or not covered.
    """

    status: str
    radius: float
    lower: float
    upper: float
    cells: int
    seconds: float
    reason: str = ""


#: Why a proof cannot be made without python-flint.
FLINT_MISSING = "proof mode needs python-flint (pip install 'dsrs[proof]')"


def _flint() -> ModuleType:
    try:
        import flint
    except ImportError as err:  # optional dependency
        raise InvalidParameterError(FLINT_MISSING) from err
    return flint


def proof_available() -> bool:
    """Whether python-flint is installed here (proof mode's optional dependency); found
    without importing it (the API asks, and never runs a proof)."""
    return importlib.util.find_spec("flint") is not None


class _Enclosure:
    """``L(λ; r)`` for P = ``noise`` in ball arithmetic (see the module docstring)."""

    def __init__(
        self,
        noise: RadialNoise,
        r: float,
        lam: float,
        p_lower: float,
        deadline: float | None = None,
    ) -> None:
        flint = _flint()
        self.deadline = deadline
        self.arb, self.arb_series = flint.arb, flint.arb_series
        arb = self.arb
        flint.ctx.prec = PRECISION
        self.k = noise.k
        self.a = arb(noise.d) / 2 - noise.k
        self.h = (arb(noise.d) - 1) / 2
        self.sigma2 = arb(noise.scale) ** 2
        self.r = arb(r)
        self.lam = arb(lam)
        self.log_lam = self.lam.log()
        self.p_lower = arb(p_lower)
        self.log_beta = 2 * self.h.lgamma() - (2 * self.h).lgamma()
        self._gamma: dict[tuple[int, float], Arb] = {}

    def _x(self, t: ArbSeries, shifted: bool) -> ArbSeries:
        """The argument of ``I`` on the sphere of radial value ``t`` (P or shifted side)."""
        v = 2 * self.sigma2 * t
        rho = v.sqrt()
        c = v / (2 * self.sigma2) + (self.k * v.log() if self.k else 0)
        c = c + self.log_lam if shifted else c - self.log_lam
        if self.k:
            scale = 2 * self.sigma2 * self.k
            w = scale * type(t).lambertw((c / self.k - scale.log()).exp())
        else:
            w = 2 * self.sigma2 * c
        if shifted:
            return (w - v - self.r**2) / (4 * rho * self.r) + self.arb(0.5)
        return (v + self.r**2 - w) / (4 * rho * self.r) + self.arb(0.5)

    def _incbeta(self, x: Arb) -> Arb:
        """``I_x(h, h)`` over the ball ``x`` (increasing, clipped to [0, 1])."""
        arb = self.arb
        values = []
        for end in (x.lower(), x.upper()):
            if end <= 0:
                values.append(arb(0))
            elif end >= 1:
                values.append(arb(1))
            else:
                values.append(end.beta_lower(self.h, self.h, regularized=True))
        return values[0].union(values[1])

    def _density(self, x: Arb) -> Arb:
        """The Beta(h, h) density over the ball ``x ⊂ (0, 1)``: unimodal at 1/2, so its range
        is spanned by the values at the ends (and at 1/2 when ``x`` holds it)."""

        def at(point: Arb) -> Arb:
            return ((self.h - 1) * (point.log() + (1 - point).log()) - self.log_beta).exp()

        out = at(x.lower()).union(at(x.upper()))
        half = self.arb(0.5)
        return out.union(at(half)) if x.contains(half) else out

    def _gamma_p(self, shift: int, t: float) -> Arb:
        key = (shift, t)
        if key not in self._gamma:
            self._gamma[key] = self.arb(t).gamma_lower(self.a + shift, regularized=1)
        return self._gamma[key]

    def _cell(self, t0: float, t1: float) -> tuple[Arb, Arb]:
        """Enclosures of ``∫_cell F_δ dμ`` and ``∫_cell F_P dμ``."""
        check_deadline(self.deadline)
        arb = self.arb
        tm = 0.5 * (t0 + t1)
        p0, pm, p1 = (self._gamma_p(0, t) for t in (t0, tm, t1))
        q0, qm, q1 = (self._gamma_p(1, t) for t in (t0, tm, t1))
        mass = p1 - p0
        m_plus = self.a * (q1 - qm) - arb(tm) * (p1 - pm)
        m_minus = self.a * (qm - q0) - arb(tm) * (pm - p0)
        half = arb(0, 0.5 * (t1 - t0))
        out = []
        for shifted in (True, False):
            try:
                over = self._x(self.arb_series([arb(tm) + half, 1], prec=3), shifted).coeffs()
                at = self._x(self.arb_series([arb(tm), 1], prec=2), shifted).coeffs()
                x_cell = at[0] + over[1] * half
                slope = at[1] + 2 * over[2] * half
            except (ValueError, ZeroDivisionError, IndexError):  # the ball reaches t ≤ 0
                x_cell = slope = arb("nan")
            if not (x_cell.is_finite() and slope.is_finite()):
                out.append(arb(0).union(arb(1)) * mass)
            elif x_cell.lower() > 0 and x_cell.upper() < 1:
                value = at[0].beta_lower(self.h, self.h, regularized=True)
                derivative = self._density(x_cell) * slope
                out.append(value * mass + derivative * m_plus + derivative * m_minus)
            else:
                out.append(self._incbeta(x_cell) * mass)
        return out[0], out[1]

    def run(self, epsilon: float, max_cells: int) -> tuple[Arb, int]:
        """Refine until the enclosure is narrower than ``epsilon``, lies above 1/2 (the
        proof needs no more), or has ``max_cells`` cells."""
        arb = self.arb
        a = float(self.a.mid())
        t_min, t_max = float(gammaincinv(a, TAIL)), float(gammainccinv(a, TAIL))
        tail = self._gamma_p(0, t_min) + (1 - self._gamma_p(0, t_max))
        edges = [t_min, *(float(gammaincinv(a, i / 64)) for i in range(1, 64)), t_max]
        cells = {(t0, t1): self._cell(t0, t1) for t0, t1 in itertools.pairwise(edges)}
        while True:
            shifted = sum((c[0] for c in cells.values()), arb(0))
            far = sum((c[1] for c in cells.values()), arb(0))
            unknown = arb(0).union(tail)
            bound = shifted + unknown - self.lam * (far + unknown) + self.lam * self.p_lower
            if bound > arb(0.5) or 2 * float(bound.rad()) < epsilon or len(cells) >= max_cells:
                return bound, len(cells)
            lam_mid = self.lam.mid()
            widest = sorted(
                cells, key=lambda c: -float(cells[c][0].rad() + lam_mid * cells[c][1].rad())
            )
            for t0, t1 in widest[: max(1, len(widest) // 4)]:
                del cells[(t0, t1)]
                tm = 0.5 * (t0 + t1)
                cells[(t0, tm)] = self._cell(t0, tm)
                cells[(tm, t1)] = self._cell(tm, t1)


def enclose_np_dual(
    noise: RadialNoise,
    r: float,
    lam: float,
    p_lower: float,
    epsilon: float = 1e-6,
    max_cells: int = 4000,
    deadline: float | None = None,
) -> tuple[float, float, int]:
    """``(lower, upper, cells)``: an enclosure of ``L(λ; r)`` (rounded outwards to floats),
    refined to width ``epsilon`` or until it lies above 1/2. Raises
    :class:`~dsrs_core.numerics.root_finding.DeadlineExceeded` once :func:`time.thread_time`
    passes ``deadline``."""
    if not (r > 0.0 and lam > 0.0):
        raise InvalidParameterError("the enclosure needs r > 0 and a multiplier > 0")
    bound, cells = _Enclosure(noise, r, lam, p_lower, deadline).run(epsilon, max_cells)
    lower, upper = bound.lower(), bound.upper()
    # arb endpoints are exact binary numbers; nudge outwards past the float rounding.
    lo, hi = float(lower.mid()), float(upper.mid())
    return _down(lo), _up(hi), cells


def _down(x: float) -> float:
    import numpy as np

    return float(np.nextafter(np.nextafter(x, -np.inf), -np.inf))


def _up(x: float) -> float:
    import numpy as np

    return float(np.nextafter(np.nextafter(x, np.inf), np.inf))


def _gaussian_value(noise: RadialNoise, r: float, p_lower: float) -> tuple[float, float]:
    """An enclosure of ``V_NP(r) = Φ(Φ⁻¹(pL) − r/σ)`` (§3.2), rounded outwards to floats."""
    flint = _flint()
    flint.ctx.prec = PRECISION
    arb = flint.arb
    root2 = arb(2).sqrt()
    z = -root2 * (2 * arb(p_lower)).erfcinv()  # Φ⁻¹(pL)
    value = ((arb(r) / arb(noise.scale) - z) / root2).erfc() / 2
    return _down(float(value.lower().mid())), _up(float(value.upper().mid()))


def prove_np_radius(
    noise: RadialNoise,
    p_lower: float,
    radius: float,
    kappa: float,
    epsilon: float = 1e-6,
    backoffs: tuple[float, ...] = PROOF_BACKOFFS,
    deadline: float | None = None,
) -> NPProof:
    """Prove the verified NP radius ``radius`` (multiplier ``e^(−κ)``), or a smaller one.

    Tries ``radius`` and then ``radius (1 − β)`` for β in ``backoffs`` with the same
    multiplier; the first whose enclosure of ``L`` lies above 1/2 is proven (and every
    smaller radius with it, by monotonicity). Radii where the engine's own estimate of
    ``L`` (the certifying quadrature, used only to choose) is not ``epsilon`` above 1/2 are
    skipped: an enclosure of width ``epsilon`` could not prove them. A Gaussian P (``k =
    0``; ``kappa`` unused) is proven from the closed form at any dimension. Radius 0 is
    proven (it claims nothing); a generalized Gaussian above :data:`PROOF_DIMENSION_LIMIT`
    and a missing python-flint are ``not covered``; a ``deadline`` (a
    :func:`time.thread_time` value) passed is ``not proven`` (fails closed).
    """
    started = time.process_time()
    nan = float("nan")
    if not radius > 0.0:
        return NPProof(PROVEN, 0.0, nan, nan, 0, 0.0, "radius 0: nothing to prove")
    gaussian = isinstance(noise, GaussianNoise) or noise.k == 0
    if not gaussian and noise.d > PROOF_DIMENSION_LIMIT:
        reason = f"proof mode covers a generalized Gaussian P at d <= {PROOF_DIMENSION_LIMIT}"
        return NPProof(NOT_COVERED, nan, nan, nan, 0, 0.0, reason)
    if not proof_available():
        return NPProof(NOT_COVERED, nan, nan, nan, 0, 0.0, FLINT_MISSING)
    lam = exp(-kappa)
    lower = upper = nan
    cells = 0
    reason = "no enclosure above 1/2: the radius is verified, not proven"
    try:
        for beta in (0.0, *backoffs):
            r = radius * (1.0 - beta)
            if gaussian:
                lower, upper = _gaussian_value(noise, r, p_lower)
            else:
                if (
                    beta != backoffs[-1]
                    and np_certified_bound(noise, r, kappa, p_lower, deadline).value < 0.5 + epsilon
                ):
                    continue
                lower, upper, cells = enclose_np_dual(
                    noise, r, lam, p_lower, epsilon, deadline=deadline
                )
            if lower > 0.5:
                status = PROVEN if beta == 0.0 else FELL_BACK
                return NPProof(status, r, lower, upper, cells, time.process_time() - started)
            if upper < 0.5 and not gaussian:
                break  # this multiplier cannot prove any radius above 1/2 here
    except DeadlineExceeded as error:
        reason = f"proof deadline passed ({error})"
    return NPProof(NOT_PROVEN, nan, lower, upper, cells, time.process_time() - started, reason)


def prove_verified_np(
    noise: RadialNoise, p_lower: float, radius: float, cpu_seconds: float
) -> NPProof:
    """Proof mode for a verified NP radius ``radius`` of ``p_lower`` computed earlier (a
    stored certificate, a radius file) within ``cpu_seconds`` of thread CPU time, the
    multiplier's solve included: the NP solve is run again for its multiplier (a solve
    that gives another radius is ``not proven``), then :func:`prove_np_radius`."""
    started = time.process_time()
    deadline = time.thread_time() + cpu_seconds
    nan = float("nan")
    if not radius > 0.0:
        return NPProof(PROVEN, 0.0, nan, nan, 0, 0.0, "radius 0: nothing to prove")
    try:
        solved = np_radius(noise, p_lower, deadline=deadline)
    except DeadlineExceeded as error:
        seconds = time.process_time() - started
        return NPProof(NOT_PROVEN, nan, nan, nan, 0, seconds, f"proof deadline passed ({error})")
    if solved.radius != radius:
        return NPProof(
            NOT_PROVEN,
            nan,
            nan,
            nan,
            0,
            time.process_time() - started,
            f"the NP radius solved again ({solved.radius!r}) is not the one given ({radius!r})",
        )
    proof = prove_np_radius(noise, p_lower, radius, solved.kappa, deadline=deadline)
    return replace(proof, seconds=time.process_time() - started)
