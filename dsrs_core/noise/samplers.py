"""Exact samplers of the noise families on the device (docs/math.md §1).

One of the modules of ``dsrs_core`` that import torch. A sampler is built from the
engine's noise object (:mod:`dsrs_core.noise.families`, which owns the scale convention and the
radial law) by :func:`sampler_for`; everything random takes an explicit
``torch.Generator``.

Noise families (``d`` = input dimension, user sigma ``s``):

* Gaussian ``N(0, s² I)``.
* Generalized Gaussian ``GG(d, k, s)``: ``ε = σ √(2t) · g/‖g‖`` with ``t ~ Gamma(a, 1)``,
  ``a = d/2 − k``, ``g ~ N(0, I_d)`` and internal scale ``σ`` (``noise.scale``, §1.2).
  torch's Gamma sampler takes no generator, so ``t`` is drawn as ``½‖h‖²`` with
  ``h ~ N(0, I_{2a})`` from the generator: a chi-square with ``2a`` degrees of freedom is
  exactly ``2·Gamma(a)``, and ``2a = d − 2k`` is always an integer. It costs ``d − 2k``
  extra normals per draw (at most as many as the direction). ``k = 0`` is the Gaussian and
  is sampled as such.
* Thresholded ``Q``: P's family conditioned on ``t ≤ b``, ``b = F_a⁻¹(π)`` for a
  percentile ``π`` (§1.3). Exact inverse-CDF sampling ``t = F_a⁻¹(u π)``, ``u ~ U(0, 1)``
  from the generator (no rejection loop, hence no data-dependent host round trip). On a
  GPU ``F_a`` (``torch.special.gammainc``) is inverted by a fixed-length bisection on
  ``[0, b]`` in float64 on the device; on the CPU, where host and device are the same,
  by ``scipy.special.gammaincinv``. ``t`` is clamped to ``[0, b]`` so ``‖ε‖ ≤ T`` holds
  exactly.

Noise is generated into a buffer in place; on the CPU the elementwise steps run in pieces
below torch's parallel grain (see ``_row_chunks``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import torch
from scipy.special import gammaincinv as _gammaincinv
from scipy.stats import gamma as _gamma

from dsrs_core.errors import InvalidParameterError
from dsrs_core.noise.families import RadialNoise, ThresholdedNoise

__all__ = [
    "GaussianSampler",
    "GeneralGaussianSampler",
    "NoiseSampler",
    "ThresholdedGeneralGaussianSampler",
    "sampler_for",
]

#: Bisection steps of the thresholded inverse CDF on [0, b]: b·2⁻⁶⁴ is below float64
#: resolution, so more steps change nothing.
_BISECTION_STEPS = 64

#: Values per CPU noise call (torch's ``at::internal::GRAIN_SIZE``), see _row_chunks.
_CPU_NOISE_CHUNK = 32_768

#: Largest number of radial normals (rows × 2a) drawn at once by the GG sampler.
_RADIAL_CHUNK = 1 << 22


class NoiseSampler(Protocol):
    """Fills a buffer ``(m, *input_shape)`` in place with i.i.d. noise vectors.

    With ``center`` (shape ``input_shape``) the buffer receives ``center + noise``: the
    shift is fused into the last pass over the buffer.
    """

    def sample_(
        self,
        out: torch.Tensor,
        generator: torch.Generator,
        center: torch.Tensor | None = None,
    ) -> torch.Tensor: ...


@dataclass(frozen=True)
class GaussianSampler:
    """``N(0, sigma² I)``."""

    sigma: float

    def sample_(
        self,
        out: torch.Tensor,
        generator: torch.Generator,
        center: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Fill ``out`` with noise (plus ``center``); returns ``out``."""
        for start, stop in _row_chunks(out):
            piece = out[start:stop].normal_(0.0, self.sigma, generator=generator)
            if center is not None:
                piece.add_(center)
        return out


@dataclass(frozen=True)
class GeneralGaussianSampler:
    """``GG`` with internal scale ``scale`` and radial shape ``shape`` (= d/2 − k).

    ``ε = scale · √(2t) · g/‖g‖``, ``t = ½ Σ_{j<2a} h_j²`` (so ``t ~ Gamma(a, 1)``),
    ``g, h`` standard normal from the generator.
    """

    scale: float
    shape: float

    def __post_init__(self) -> None:
        if not (self.shape > 0 and float(2 * self.shape).is_integer()):
            raise InvalidParameterError(
                f"GG radial shape must be a positive multiple of 1/2, got {self.shape!r}"
            )

    def sample_(
        self,
        out: torch.Tensor,
        generator: torch.Generator,
        center: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Fill ``out`` with noise (plus ``center``); returns ``out``."""
        rows = out.shape[0]
        t = _chi_square_half(rows, int(2 * self.shape), out.device, out.dtype, generator)
        return _scale_directions_(out, self.scale * torch.sqrt(2.0 * t), generator, center)


@dataclass(frozen=True)
class ThresholdedGeneralGaussianSampler:
    """``GG`` (or Gaussian, ``shape = d/2``) conditioned on ``t ≤ b = F_a⁻¹(percentile)``.

    All draws satisfy ``‖ε‖ ≤ T = scale · √(2b)``.
    """

    scale: float
    shape: float
    percentile: float

    def __post_init__(self) -> None:
        if not self.shape > 0:
            raise InvalidParameterError(f"radial shape must be positive, got {self.shape!r}")
        if not 0.0 < self.percentile < 1.0:
            raise InvalidParameterError(
                f"threshold percentile must lie in (0, 1), got {self.percentile!r}"
            )

    @cached_property
    def threshold_t(self) -> float:
        """``b`` in t-units (docs/math.md §1.3)."""
        return float(_gamma.ppf(self.percentile, self.shape))

    @property
    def threshold_radius(self) -> float:
        """``T = scale · √(2b)``: the largest possible ‖ε‖."""
        return self.scale * math.sqrt(2.0 * self.threshold_t)

    def sample_(
        self,
        out: torch.Tensor,
        generator: torch.Generator,
        center: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Fill ``out`` with noise (plus ``center``); returns ``out``."""
        rows = out.shape[0]
        target = torch.rand(rows, dtype=torch.float64, device=out.device, generator=generator)
        target.mul_(self.percentile)
        b = self.threshold_t
        if out.device.type == "cpu":
            # The host is the device: scipy's inverse (accurate to ~1e-12 relative) costs
            # no transfer and is ~20x cheaper than the bisection.
            t = torch.from_numpy(_gammaincinv(float(self.shape), target.numpy()))
        else:
            t = _gamma_quantile_bisect(float(self.shape), target, b)
        # Clamping to b makes the support constraint hold exactly despite rounding.
        t = t.clamp_(0.0, b)
        return _scale_directions_(out, self.scale * torch.sqrt(2.0 * t), generator, center)


def _gamma_quantile_bisect(shape: float, target: torch.Tensor, upper: float) -> torch.Tensor:
    """``F_a⁻¹(target)`` on ``[0, upper]`` by bisection on the device (float64).

    ``F_a`` is ``torch.special.gammainc``; :data:`_BISECTION_STEPS` halvings of
    ``[0, upper]`` reach float64 resolution. A fixed step count means no host round trip.
    """
    shape_t = torch.full_like(target, shape)
    low = torch.zeros_like(target)
    high = torch.full_like(target, upper)
    for _ in range(_BISECTION_STEPS):
        middle = 0.5 * (low + high)
        below = torch.special.gammainc(shape_t, middle) < target
        low = torch.where(below, middle, low)
        high = torch.where(below, high, middle)
    return high


def _row_chunks(out: torch.Tensor) -> list[tuple[int, int]]:
    """Row ranges over which the full-dimension noise steps run.

    On a GPU: the whole buffer (one launch per step). On the CPU: pieces of at most
    :data:`_CPU_NOISE_CHUNK` values, below torch's parallelisation grain, so the
    elementwise noise steps run on the calling thread. They are memory-bound and cheap
    there; split across OpenMP threads they pay a barrier per step, which costs ten times
    the work itself when the cores are shared with other processes (measured: 20 ms
    against 2.7 ms for a 256×3×32×32 GG batch on 2 busy cores). The generator stream,
    hence the counts for a seed, depends on this split; it is fixed per device type.
    Radii (one scalar per row) are drawn for the whole buffer first.
    """
    rows = out.shape[0]
    step = rows if out.device.type != "cpu" else max(1, _CPU_NOISE_CHUNK // max(1, out[0].numel()))
    return [(start, min(rows, start + step)) for start in range(0, max(rows, 1), max(step, 1))]


def _chi_square_half(
    rows: int, dof: int, device: torch.device, dtype: torch.dtype, generator: torch.Generator
) -> torch.Tensor:
    """``½ χ²_dof`` (i.e. Gamma(dof/2, 1)) per row, float64, from the generator."""
    work_dtype = dtype if dtype in (torch.float32, torch.float64) else torch.float32
    result = torch.empty(rows, dtype=torch.float64, device=device)
    # Bounded memory on any device; on the CPU also below the parallel grain (_row_chunks).
    limit = _CPU_NOISE_CHUNK if device.type == "cpu" else _RADIAL_CHUNK
    step = max(1, limit // dof)
    normals = torch.empty((min(rows, step), dof), dtype=work_dtype, device=device)
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        piece = normals[: stop - start].normal_(generator=generator)
        torch.linalg.vector_norm(piece, dim=1, dtype=torch.float64, out=result[start:stop])
    return result.square_().mul_(0.5)


def _scale_directions_(
    out: torch.Tensor,
    radii: torch.Tensor,
    generator: torch.Generator,
    center: torch.Tensor | None,
) -> torch.Tensor:
    """Fill ``out`` with ``center`` + uniform directions times ``radii`` (one per row)."""
    # The norm of d standard normals in float32 has relative error ~1e-7 even for
    # ImageNet's d; reduced-precision buffers are reduced in float32, float64 in float64.
    norm_dtype = torch.float64 if out.dtype == torch.float64 else torch.float32
    dims = tuple(range(1, out.dim()))  # any memory layout (channels-last too), no copy
    for start, stop in _row_chunks(out):
        piece = out[start:stop].normal_(generator=generator)
        norms = torch.linalg.vector_norm(piece, dim=dims, dtype=norm_dtype)
        factor = (radii[start:stop] / norms).to(out.dtype).view((-1,) + (1,) * len(dims))
        if center is None:
            piece.mul_(factor)
        else:
            # One fused pass: piece = center + piece * factor.
            torch.addcmul(center, piece, factor, out=piece)
    return out


def sampler_for(noise: RadialNoise | ThresholdedNoise) -> NoiseSampler:
    """The exact sampler of a noise object of the engine (P, or Q as planned).

    Parameters
    ----------
    noise : RadialNoise or ThresholdedNoise
        Built by :func:`dsrs_core.sampling.draw_plan.build_p_noise` /
        :func:`~dsrs_core.sampling.draw_plan.build_q_noise`; its ``scale`` and ``shape`` are
        the sampler's.

    Returns
    -------
    NoiseSampler
    """
    if isinstance(noise, ThresholdedNoise):
        return ThresholdedGeneralGaussianSampler(
            noise.base.scale, noise.base.shape, float(noise.percentile)
        )
    if noise.k == 0:
        return GaussianSampler(noise.scale)
    return GeneralGaussianSampler(noise.scale, noise.shape)
