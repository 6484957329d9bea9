"""Masses of the DSRS region for a thresholded Q (docs/math.md §4.5).

With ``q = ν p 1{‖z‖ ≤ T}`` the region ``R = {p_δ < λ1 p + λ2 q}`` splits into

    inside the ball:  p_δ < μ p,  μ = λ1 + ν λ2;      outside:  p_δ < λ1 p,

so every mass is a sum of single-level NP-type integrals (``ρ = σ√(2t)``, ``D = 4ρr``):

    P(R ∩ ball) = E_t[I(1/2 + (r² − (B_{−ln μ}(t) − ρ²))/D); t ≤ b]       (0 if μ ≤ 0)
    P(R \\ ball) = E_t[I(1/2 + (r² − (B_{−ln λ1}(t) − ρ²))/D); t > b]     (0 if λ1 ≤ 0)
    Q(R) = ν P(R ∩ ball)
    P_δ(R) = E_t[u1 + u2],
    u1 = I(1/2 + (min(T² − ρ², B_{ln μ} − ρ²) − r²)/D),
    u2 = max(0, I(1/2 + (B_{ln λ1} − ρ² − r²)/D) − I(1/2 + (T² − ρ² − r²)/D)).

Quadrature splits at ``b`` (for the P and Q masses) and at the kinks of ``u1``/``u2``
(``B_{ln μ}(t) = T²`` and ``B_{ln λ1}(t) = T²``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import inf, log

import numpy as np

from dsrs_core.errors import InvalidParameterError
from dsrs_core.noise import RadialNoise, ThresholdedNoise
from dsrs_core.quadrature import QuadratureRule, segment_rule, split_rule
from dsrs_core.region_masses import RegionMasses
from dsrs_core.special import log_lambert_w, symmetric_beta_cdf, symmetric_beta_pdf

__all__ = ["ThresholdPair"]


@dataclass(frozen=True)
class ThresholdPair:
    """P = ``q.base`` and the thresholded Q = ``q`` (docs/math.md §1.3, §4.5)."""

    p: RadialNoise
    q: ThresholdedNoise

    def __post_init__(self) -> None:
        if self.q.base != self.p:
            raise InvalidParameterError("a thresholded Q must be built on the smoothing noise P")

    def _level_values(
        self, r: float, log_level: float, t: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per node ``t``: ``I(x)``, ``x = 1/2 + (r² − (B_{−ln λ}(t) − ρ²))/(4ρr)`` (the
        fraction of the sphere in ``{p_δ < λ p}``), the offset and ``4ρr``."""
        p = self.p
        rho = np.sqrt(p.radius_sq(t))
        denom = 4.0 * rho * r
        gap = p.level_offset(t, -log_level)
        x = 0.5 + (r * r - gap) / denom
        return symmetric_beta_cdf(x, p.beta_param), x, np.stack([gap, denom])

    def _level_mass(
        self, r: float, log_level: float, rule: QuadratureRule, derivative: bool
    ) -> tuple[float, float]:
        """``E[I(1/2 + (r² − (B_{−ln λ}(t) − ρ²))/(4ρr))]`` over ``rule`` for ``ln λ`` and
        its derivative in ``ln λ`` (the P mass of ``{p_δ < λ p}`` over the rule's range)."""
        p = self.p
        cdf, x, (gap, denom) = self._level_values(r, log_level, rule.nodes)
        mass = rule.expect(cdf)
        if not derivative:
            return mass, 0.0
        slope = p.level_offset_slope(p.radius_sq(rule.nodes), gap)
        return mass, rule.expect(symmetric_beta_pdf(x, p.beta_param) * slope / denom)

    def inner_rule(self, n: int) -> QuadratureRule:
        """Rule for ``E_t[·; t ≤ b]`` (inside the ball)."""
        return segment_rule(self.p.shape, 0.0, self.q.threshold_t, n)

    def outer_rule(self, n: int) -> QuadratureRule:
        """Rule for ``E_t[·; t > b]`` (outside the ball)."""
        return segment_rule(self.p.shape, self.q.threshold_t, inf, n)

    def full_mass(
        self, r: float, log_lam: float, n: int, derivative: bool = False
    ) -> tuple[float, float]:
        """``P({p_δ < λ p})`` over all ``t`` (``μ = λ1 = λ``, i.e. ``λ2 = 0``), split at ``b``."""
        rule = split_rule(self.p.shape, (self.q.threshold_t,), n)
        return self._level_mass(r, log_lam, rule, derivative)

    def inner_mass(
        self, r: float, log_mu: float, n: int, derivative: bool = False
    ) -> tuple[float, float]:
        """``P(R ∩ ball)`` as a function of ``ln μ`` (and its derivative)."""
        return self._level_mass(r, log_mu, self.inner_rule(n), derivative)

    def outer_mass(
        self, r: float, log_lam1: float, n: int, derivative: bool = False
    ) -> tuple[float, float]:
        """``P(R \\ ball)`` as a function of ``ln λ1`` (and its derivative)."""
        return self._level_mass(r, log_lam1, self.outer_rule(n), derivative)

    def _kink(self, log_level: float) -> float:
        """``t`` with ``B_{ln λ}(t) = T²`` (0 when there is none)."""
        b, k = self.q.threshold_t, self.p.k
        if k == 0:
            return max(b - log_level, 0.0)
        return float(k * log_lambert_w(np.array((b + k * log(b) - log_level) / k - log(k)))[()])

    def _shifted_values(self, r: float, lam1: float, mu: float, t: np.ndarray) -> np.ndarray:
        """Per node ``t``: ``u1 + u2`` of the module docstring."""
        p = self.p
        v = p.radius_sq(t)
        rho = np.sqrt(v)
        denom = 4.0 * rho * r
        r2 = r * r
        h = p.beta_param
        ball_gap = self.q.threshold_sq - v
        total = np.zeros_like(v)
        if mu > 0.0:
            gap = p.level_offset(t, log(mu))
            total += symmetric_beta_cdf(0.5 + (np.minimum(ball_gap, gap) - r2) / denom, h)
        if lam1 > 0.0:
            gap = p.level_offset(t, log(lam1))
            outside = symmetric_beta_cdf(0.5 + (gap - r2) / denom, h) - symmetric_beta_cdf(
                0.5 + (ball_gap - r2) / denom, h
            )
            total += np.maximum(outside, 0.0)
        return total

    def kinks(self, lam1: float, mu: float) -> tuple[float, ...]:
        """``b`` and the ``t`` where ``B_{ln μ}(t) = T²`` or ``B_{ln λ1}(t) = T²``."""
        levels = [log(c) for c in (mu, lam1) if c > 0.0]
        return (self.q.threshold_t, *(self._kink(c) for c in levels))

    def shifted_mass(self, r: float, lam1: float, mu: float, n: int) -> float:
        """``P_δ(R) = E_t[u1 + u2]`` (module docstring), split at the kinks."""
        rule = split_rule(self.p.shape, self.kinks(lam1, mu)[1:], n)
        return rule.expect(self._shifted_values(r, lam1, mu, rule.nodes))

    def dual_integrand(
        self, r: float, lam1: float, lam2: float
    ) -> Callable[[np.ndarray], np.ndarray]:
        """``t ↦`` integrand of ``P_δ(R) − λ1 P(R) − λ2 Q(R)`` over ``t ~ Gamma(a)``:
        ``u1 + u2 − μ I(x_μ) 1{t ≤ b} − λ1 I(x_λ1) 1{t > b}`` (docs/math.md §7.4)."""
        if not r > 0.0:
            raise InvalidParameterError(f"radius must be positive, got {r!r}")
        mu = lam1 + self.q.nu * lam2
        b = self.q.threshold_t

        def psi(t: np.ndarray) -> np.ndarray:
            t = np.asarray(t, dtype=np.float64)
            out = self._shifted_values(r, lam1, mu, t)
            inner = t <= b
            if mu > 0.0:
                out = out - mu * np.where(inner, self._level_values(r, log(mu), t)[0], 0.0)
            if lam1 > 0.0:
                out = out - lam1 * np.where(inner, 0.0, self._level_values(r, log(lam1), t)[0])
            return out

        return psi

    def masses(self, r: float, lam1: float, lam2: float, n: int) -> RegionMasses:
        """``P(R)``, ``Q(R)``, ``P_δ(R)`` of ``R(λ1, λ2)`` at shift norm ``r > 0``."""
        if not r > 0.0:
            raise InvalidParameterError(f"radius must be positive, got {r!r}")
        mu = lam1 + self.q.nu * lam2
        inner = self.inner_mass(r, log(mu), n)[0] if mu > 0.0 else 0.0
        outer = self.outer_mass(r, log(lam1), n)[0] if lam1 > 0.0 else 0.0
        shifted = self.shifted_mass(r, lam1, mu, n)
        return RegionMasses(inner + outer, self.q.nu * inner, shifted)
