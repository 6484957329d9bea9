"""Noise families of randomized smoothing, one class each, found by name (docs/math.md §1).

All families here are *radial*: ``z = √(2t)·scale·u`` with ``t ~ Gamma(a, 1)`` and ``u``
uniform on the unit sphere, and density ``p(z) = C · g(‖z‖)`` with the strictly decreasing
radial profile ``g(u) = u^(−2k) exp(−u²/(2 scale²))`` (§1.2). Everything the radius engine
and the samplers need is exposed as plain attributes:

* ``d``, ``k``, ``sigma`` (user-facing), ``scale`` (internal σ), ``shape`` (``a = d/2 − k``),
  ``beta_param`` (``h = (d − 1)/2``);
* :meth:`RadialNoise.log_profile` ``ln g`` as a function of ``v = u²`` and its inverse
  :meth:`RadialNoise.level_inverse` (the master inversion (U));
* :class:`ThresholdedNoise` (Q = P restricted to a ball, §1.3) adds ``percentile``,
  ``threshold_t`` (``b`` in t-units), ``threshold_sq`` (``T²``) and ``nu`` (``1/π``).

This module never imports torch; the torch samplers read these attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from math import log, sqrt

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammainc, gammaincinv

from dsrs_core.errors import InvalidParameterError
from dsrs_core.numerics.special import log_lambert_w

__all__ = [
    "NOISE_FAMILIES",
    "GaussianNoise",
    "GeneralizedGaussianNoise",
    "RadialNoise",
    "ThresholdedNoise",
    "make_noise",
    "with_sigma",
]


#: Floor of ``y = B_c/ρ² − 1`` in :meth:`RadialNoise.level_offset` (keeps ``ln(1 + y)``
#: finite when the level set collapses to the origin; only reached for ``c/k < −700``).
_Y_FLOOR = -1.0 + 1e-15


#: Most Newton steps of :meth:`RadialNoise.level_offset` (quadratic convergence from a
#: start within a factor 2 of the root; it stops earlier once the step is below 1e-15).
_OFFSET_NEWTON_STEPS = 6


def _check_sigma(sigma: float) -> None:
    if not (isinstance(sigma, (int, float)) and 0.0 < float(sigma) < float("inf")):
        raise InvalidParameterError(f"sigma must be a positive finite number, got {sigma!r}")


def _check_dimension_and_k(d: int, k: int) -> None:
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 2:
        raise InvalidParameterError(f"dimension d must be an integer >= 2, got {d!r}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise InvalidParameterError(f"k must be an integer, got {k!r}")
    if not 0 <= 2 * k < d:
        raise InvalidParameterError(f"k must satisfy 0 <= k < d/2 = {d / 2:g}, got k={k}")


@dataclass(frozen=True, kw_only=True)
class RadialNoise:
    """Common protocol of the radial noise families (docs/math.md §1.1–1.2).

    Parameters
    ----------
    d : int
        Input dimension.
    k : int
        Generalised-Gaussian exponent, ``0 ≤ k < d/2`` (0: Gaussian).
    sigma : float
        User-facing noise level: ``E‖ε‖² = sigma² d``.
    """

    d: int
    k: int
    sigma: float
    name: str = field(default="radial", init=False)

    def __post_init__(self) -> None:
        _check_dimension_and_k(self.d, self.k)
        _check_sigma(self.sigma)

    @property
    def shape(self) -> float:
        """Shape ``a = d/2 − k`` of the radial law ``t = ‖z‖²/(2 scale²) ~ Gamma(a)``."""
        return self.d / 2.0 - self.k

    @property
    def scale(self) -> float:
        """Internal scale σ = ``sigma · √(d/(d − 2k))`` (§1.2 scale convention)."""
        return self.sigma * sqrt(self.d / (self.d - 2.0 * self.k))

    @property
    def beta_param(self) -> float:
        """``h = (d − 1)/2``: the angle law ``(1 + ⟨u, e⟩)/2 ~ Beta(h, h)`` (§0)."""
        return (self.d - 1) / 2.0

    @property
    def log_norm_ratio_unit(self) -> float:
        """``d − 2k``: ``ln(C_β/C_σ) = (d − 2k)(ln σ − ln β)`` between two scales (§1.2)."""
        return float(self.d - 2 * self.k)

    def radius_sq(self, t: ArrayLike) -> NDArray[np.float64]:
        """``‖z‖² = 2 scale² t`` for radial-law values ``t``."""
        return 2.0 * self.scale**2 * np.asarray(t, dtype=np.float64)

    def log_profile(self, v: ArrayLike) -> NDArray[np.float64]:
        """``ln g(√v) = −k ln v − v/(2 scale²)`` (§1.2), ``v = ‖z‖²``."""
        v = np.asarray(v, dtype=np.float64)
        out = -v / (2.0 * self.scale**2)
        if self.k:
            out = out - self.k * np.log(v)
        return out

    def level_inverse(self, level: ArrayLike) -> NDArray[np.float64]:
        """``U(ℓ)``: the ``v = u²`` with ``ln g(u) = ℓ`` (master inversion (U) of §1.2).

        ``ln g(u) ≤ ℓ ⇔ u² ≥ U(ℓ)``. ``ℓ = −inf`` gives ``+inf``; ``ℓ = +inf`` gives 0.
        """
        level = np.asarray(level, dtype=np.float64)
        s2 = 2.0 * self.scale**2
        if self.k == 0:
            with np.errstate(invalid="ignore"):
                return np.maximum(-s2 * level, 0.0)
        return s2 * self.k * log_lambert_w(-level / self.k - log(s2 * self.k))

    def level_inverse_slope(self, level: ArrayLike) -> NDArray[np.float64]:
        """``dU/dℓ`` (negative), for Newton steps."""
        level = np.asarray(level, dtype=np.float64)
        s2 = 2.0 * self.scale**2
        if self.k == 0:
            return np.full(level.shape, -s2)
        w = log_lambert_w(-level / self.k - log(s2 * self.k))
        return -s2 * w / (1.0 + w)

    def level_offset(self, t: ArrayLike, c: ArrayLike) -> NDArray[np.float64]:
        """``B_c(t) − 2 scale² t``: how far the level set ``g(u) = e^(−c) g(ρ)`` lies from
        ``ρ² = 2 scale² t``, computed without cancellation (relation (B) of §1.2).

        With ``w = t/k`` and ``B_c = 2k scale² w (1 + y)``, ``y`` solves
        ``w y + ln(1 + y) = c/k``; Newton from the direct Lambert-W value. Accurate to a
        few ulp of the offset itself even when ``c`` is tiny (small radii).
        """
        t = np.asarray(t, dtype=np.float64)
        c = np.asarray(c, dtype=np.float64)
        s2 = 2.0 * self.scale**2
        if self.k == 0:  # B_c = 2 scale² (t + c), but never below the origin
            return np.maximum(s2 * c, -s2 * t)
        w = t / self.k
        target = c / self.k
        # First-order start y0 = τ/(w+1) lies left of the root (ln(1+y) ≤ y) and Newton on
        # the concave increasing w y + ln(1+y) − τ then converges monotonically from the left.
        y = target / (w + 1.0)
        far = y < -0.5
        if np.any(far):  # level set near the origin: start from the direct Lambert-W value
            direct = log_lambert_w(np.log(w) + w + target) / w - 1.0
            y = np.where(far, direct, y)
        y = np.maximum(y, _Y_FLOOR)
        steps = _OFFSET_NEWTON_STEPS
        for i in range(steps):
            step = (w * y + np.log1p(y) - target) / (w + 1.0 / (1.0 + y))
            y = np.maximum(y - step, _Y_FLOOR)
            if i == 0 and float(np.max(np.abs(step))) <= 1e-5:
                steps = 3  # quadratic convergence: two more steps reach 1e-20
            if i + 1 >= steps:
                break
        return s2 * self.k * w * y

    def level_offset_slope(self, v: ArrayLike, gap: ArrayLike) -> NDArray[np.float64]:
        """``dB_c/dc = 2 scale² w/(1 + w)`` with ``w = B_c/(2 scale² k)`` at the level set
        ``B_c = v + gap`` (``2 scale²`` for ``k = 0``); used for Newton steps only."""
        v = np.asarray(v, dtype=np.float64)
        s2 = 2.0 * self.scale**2
        if self.k == 0:
            return np.full(np.broadcast(v, gap).shape, s2)
        w = (v + np.asarray(gap, dtype=np.float64)) / (s2 * self.k)
        return s2 * w / (1.0 + w)

    def radial_cdf(self, t: float) -> float:
        """``F_a(t)``: probability that the radial variable is at most ``t``."""
        return float(gammainc(self.shape, t))

    def radial_quantile(self, percentile: float) -> float:
        """``F_a⁻¹(π)``: the radial-law quantile."""
        return float(gammaincinv(self.shape, percentile))


@dataclass(frozen=True, kw_only=True)
class GaussianNoise(RadialNoise):
    """``N(0, sigma² I_d)`` (docs/math.md §1.1): the radial family with ``k = 0``."""

    k: int = 0
    name: str = field(default="gaussian", init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.k != 0:
            raise InvalidParameterError("the Gaussian family has k = 0")


@dataclass(frozen=True, kw_only=True)
class GeneralizedGaussianNoise(RadialNoise):
    """``GG(d, k, σ)`` with density ``∝ ‖z‖^(−2k) e^(−‖z‖²/(2σ²))`` (docs/math.md §1.2).

    ``sigma`` is the paper's user-facing level; ``scale = sigma √(d/(d−2k))``.
    """

    name: str = field(default="general-gaussian", init=False)


@dataclass(frozen=True, kw_only=True)
class ThresholdedNoise:
    """Q = P conditioned on the ball ``‖z‖ ≤ T`` (docs/math.md §1.3).

    Parameters
    ----------
    base : RadialNoise
        The smoothing noise P (same scale).
    percentile : float
        ``π ∈ (0, 1)``: ``b = F_a⁻¹(π)``, ``T = scale √(2b)``, ``ν = 1/π``.
    """

    base: RadialNoise
    percentile: float
    name: str = field(default="thresholded", init=False)

    def __post_init__(self) -> None:
        if not (0.0 < float(self.percentile) < 1.0):
            raise InvalidParameterError(
                f"threshold percentile must lie in (0, 1), got {self.percentile!r}"
            )
        if not 0.0 < self.threshold_t < float("inf"):
            raise InvalidParameterError(
                f"percentile {self.percentile!r} gives no usable radial threshold"
            )

    @cached_property
    def threshold_t(self) -> float:
        """``b = F_a⁻¹(π)``: the threshold in t-units (radial Gamma variable)."""
        return self.base.radial_quantile(float(self.percentile))

    @property
    def threshold_sq(self) -> float:
        """``T² = 2 scale² b``: squared radius of the ball."""
        return 2.0 * self.base.scale**2 * self.threshold_t

    @property
    def nu(self) -> float:
        """``ν = 1/F_a(b) = 1/π``: density factor of Q inside the ball."""
        return 1.0 / float(self.percentile)

    @property
    def scale(self) -> float:
        """Internal scale of P (and of Q inside the ball)."""
        return self.base.scale

    @property
    def shape(self) -> float:
        """Shape ``a`` of P's radial law (Q's radial law is it truncated at ``b``)."""
        return self.base.shape

    @property
    def log_nu(self) -> float:
        """``ln ν = −ln π``."""
        return -log(float(self.percentile))


#: Registry of P families by the names used in files and configs (never ``eval``).
NOISE_FAMILIES: dict[str, Callable[..., RadialNoise]] = {
    "gaussian": lambda d, sigma, k=0: GaussianNoise(d=d, sigma=sigma, k=k),
    "general-gaussian": lambda d, sigma, k=0: GeneralizedGaussianNoise(d=d, k=k, sigma=sigma),
}


def make_noise(family: str, d: int, sigma: float, k: int = 0) -> RadialNoise:
    """Build a noise family by name (see :data:`NOISE_FAMILIES`)."""
    try:
        factory = NOISE_FAMILIES[family]
    except KeyError:
        raise InvalidParameterError(
            f"unknown noise family {family!r}; known: {', '.join(sorted(NOISE_FAMILIES))}"
        ) from None
    return factory(d, sigma, k)


def with_sigma(noise: RadialNoise, sigma: float) -> RadialNoise:
    """The same family and ``(d, k)`` with another user-facing sigma (Q of §4.4)."""
    return type(noise)(d=noise.d, k=noise.k, sigma=sigma)
