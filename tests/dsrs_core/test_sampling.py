"""Exact samplers: laws checked by statistics with fixed seeds (docs/math.md §1).

Every statistical test uses a fixed seed, so it is deterministic; the thresholds are chosen
so that a correct sampler passes with overwhelming probability (p-value floors of 1e-3,
moment tolerances of 5 standard errors) while the wrong law fails (checked in the same
tests where it is cheap: e.g. the Gaussian norm law is rejected for GG draws).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from dsrs_core.certification import build_p_noise, build_q_noise
from dsrs_core.config import NoiseSpec, QSpec
from dsrs_core.errors import InvalidParameterError
from dsrs_core.noise import ThresholdedNoise
from dsrs_core.noise_samplers import (
    GaussianSampler,
    GeneralGaussianSampler,
    ThresholdedGeneralGaussianSampler,
    sampler_for,
)

KS_P_FLOOR = 1e-3


def noise_sampler(spec: NoiseSpec, d: int, percentile: float | None = None):
    """The sampler of P (or of P restricted to the ball of ``percentile``), as the engine
    builds it: spec → noise object → sampler."""
    p = build_p_noise(spec, d)
    return sampler_for(p if percentile is None else ThresholdedNoise(base=p, percentile=percentile))


def internal_scale(spec: NoiseSpec, d: int) -> float:
    return build_p_noise(spec, d).scale


def radial_shape(spec: NoiseSpec, d: int) -> float:
    return build_p_noise(spec, d).shape


def _draw(sampler, shape, n, seed=0, dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    out = torch.empty((n, *shape), dtype=dtype)
    sampler.sample_(out, generator)
    return out


def _radial_t(noise: torch.Tensor, scale: float) -> np.ndarray:
    squared = noise.reshape(noise.shape[0], -1).double().square().sum(1).numpy()
    return squared / (2.0 * scale**2)


def test_internal_scale_and_shape_follow_the_user_convention():
    # docs/math.md §1.2: MNIST d=784, k=380 has factor 5.715476; CIFAR-10 factor 16.
    assert internal_scale(NoiseSpec("general-gaussian", 1.0, 380), 784) == pytest.approx(
        5.715476, abs=1e-6
    )
    assert internal_scale(NoiseSpec("general-gaussian", 0.5, 1530), 3072) == pytest.approx(8.0)
    assert radial_shape(NoiseSpec("general-gaussian", 1.0, 380), 784) == 12.0
    assert internal_scale(NoiseSpec("gaussian", 0.25), 64) == 0.25
    with pytest.raises(InvalidParameterError):
        internal_scale(NoiseSpec("general-gaussian", 1.0, 32), 64)


def test_sampler_choice_by_spec():
    assert isinstance(noise_sampler(NoiseSpec("gaussian", 0.5), 64), GaussianSampler)
    # k = 0 GG is the Gaussian with the same scale.
    assert noise_sampler(NoiseSpec("general-gaussian", 0.5, 0), 64) == GaussianSampler(0.5)
    gg = noise_sampler(NoiseSpec("general-gaussian", 0.5, 20), 64)
    assert isinstance(gg, GeneralGaussianSampler) and gg.shape == 12.0
    th = noise_sampler(NoiseSpec("general-gaussian", 0.5, 20), 64, percentile=0.3)
    assert isinstance(th, ThresholdedGeneralGaussianSampler) and th.percentile == 0.3


def test_gg_mean_squared_norm_is_user_sigma_squared_times_d():
    spec = NoiseSpec("general-gaussian", 0.7, 20)
    shape, d, n = (1, 8, 8), 64, 40_000
    noise = _draw(noise_sampler(spec, d), shape, n, seed=1)
    squared = noise.reshape(n, -1).double().square().sum(1).numpy()
    # ‖ε‖² = 2σ_int² t, t ~ Gamma(a): sd of the mean is 2σ_int²·√a/√n.
    scale, a = internal_scale(spec, d), radial_shape(spec, d)
    standard_error = 2 * scale**2 * math.sqrt(a) / math.sqrt(n)
    assert abs(squared.mean() - spec.sigma**2 * d) < 5 * standard_error


@pytest.mark.parametrize(
    ("shape", "k"),
    [((1, 8, 8), 20), ((1, 7, 9), 10), ((3, 4, 4), 0)],
    ids=["integer-a", "half-integer-a", "gaussian"],
)
def test_radial_law_is_gamma(shape, k):
    d = math.prod(shape)
    spec = NoiseSpec("general-gaussian", 0.5, k)
    scale, a = internal_scale(spec, d), radial_shape(spec, d)
    t = _radial_t(_draw(noise_sampler(spec, d), shape, 20_000, seed=2), scale)
    assert stats.kstest(t, stats.gamma(a).cdf).pvalue > KS_P_FLOOR
    # The test has power: the Gamma law of a neighbouring shape is rejected.
    assert stats.kstest(t, stats.gamma(a + 1).cdf).pvalue < KS_P_FLOOR


def test_gg_radial_law_is_not_the_gaussian_one():
    spec = NoiseSpec("general-gaussian", 0.5, 20)
    t = _radial_t(_draw(noise_sampler(spec, 64), (64,), 20_000, seed=3), internal_scale(spec, 64))
    assert stats.kstest(t, stats.gamma(32).cdf).pvalue < KS_P_FLOOR


def test_directions_are_uniform_on_the_sphere():
    d, n = 16, 40_000
    noise = _draw(GeneralGaussianSampler(1.3, 3.0), (d,), n, seed=4).double()
    u = noise / noise.norm(dim=1, keepdim=True)
    # E u = 0 and E u uᵀ = I/d; each coordinate has variance 1/d.
    assert u.mean(0).abs().max().item() < 5 / math.sqrt(n * d)
    second = (u.T @ u / n).numpy()
    assert np.abs(np.diag(second) - 1 / d).max() < 5 * math.sqrt(2 / (d * d * n))
    off_diagonal = second - np.diag(np.diag(second))
    assert np.abs(off_diagonal).max() < 6 / (d * math.sqrt(n))
    # (1 + <u, e>)/2 ~ Beta(h, h) with h = (d - 1)/2 for a fixed unit vector e.
    e = torch.ones(d, dtype=torch.float64) / math.sqrt(d)
    projected = ((1 + u @ e) / 2).numpy()
    h = (d - 1) / 2
    assert stats.kstest(projected, stats.beta(h, h).cdf).pvalue > KS_P_FLOOR


@pytest.mark.parametrize("percentile", [0.05, 0.3842, 0.9])
def test_thresholded_support_and_conditional_law(percentile):
    spec = NoiseSpec("general-gaussian", 1.0, 20)
    d = 64
    sampler = noise_sampler(spec, d, percentile=percentile)
    scale, a = internal_scale(spec, d), radial_shape(spec, d)
    b = stats.gamma(a).ppf(percentile)
    assert sampler.threshold_t == pytest.approx(b)
    assert sampler.threshold_radius == pytest.approx(scale * math.sqrt(2 * b))
    noise = _draw(sampler, (1, 8, 8), 20_000, seed=5)
    norms = noise.reshape(len(noise), -1).double().norm(dim=1).numpy()
    # float32 storage of the draws: allow its rounding, nothing more.
    assert norms.max() <= sampler.threshold_radius * (1 + 1e-6)
    t = _radial_t(noise, scale)

    def truncated(v: np.ndarray) -> np.ndarray:
        return np.minimum(stats.gamma(a).cdf(v) / percentile, 1.0)

    assert stats.kstest(t, truncated).pvalue > KS_P_FLOOR
    assert stats.kstest(t, stats.gamma(a).cdf).pvalue < KS_P_FLOOR


def test_thresholded_gaussian_uses_shape_d_over_2():
    sampler = noise_sampler(NoiseSpec("gaussian", 0.5), 12, percentile=0.5)
    t = _radial_t(_draw(sampler, (12,), 20_000, seed=6), 0.5)
    assert stats.kstest(t, lambda v: np.minimum(stats.gamma(6).cdf(v) / 0.5, 1)).pvalue > (
        KS_P_FLOOR
    )


@pytest.mark.parametrize("shape", [0.5, 6.0, 12.0, 392.0])
def test_device_bisection_matches_scipy_inverse(shape):
    # The GPU path of the thresholded sampler, run on the CPU against scipy.
    from dsrs_core.noise_samplers import _gamma_quantile_bisect

    upper = stats.gamma(shape).ppf(0.6)
    target = torch.linspace(0.0, 0.6, 101, dtype=torch.float64)
    t = _gamma_quantile_bisect(shape, target, upper).numpy()
    expected = stats.gamma(shape).ppf(target.numpy())
    # target 0 gives upper·2⁻⁶⁴ instead of 0: the absolute tolerance covers that.
    assert np.allclose(t, expected, rtol=1e-9, atol=1e-15 * upper)
    assert t.max() <= upper


def test_same_seed_same_noise_and_different_seed_different_noise():
    sampler = noise_sampler(NoiseSpec("general-gaussian", 0.5, 20), 64, percentile=0.4)
    first = _draw(sampler, (1, 8, 8), 100, seed=11)
    again = _draw(sampler, (1, 8, 8), 100, seed=11)
    other = _draw(sampler, (1, 8, 8), 100, seed=12)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


def test_noise_in_reduced_precision_keeps_the_dtype():
    noise = _draw(GeneralGaussianSampler(1.0, 12.0), (64,), 10, dtype=torch.bfloat16)
    assert noise.dtype == torch.bfloat16 and torch.isfinite(noise.float()).all()


def test_q_sampler_for_sigma_and_threshold():
    p = build_p_noise(NoiseSpec("general-gaussian", 0.5, 20), 64)
    q = sampler_for(build_q_noise(p, QSpec(sigma=0.4), None))
    assert q == GeneralGaussianSampler(0.4 * math.sqrt(64 / 24), 12.0)
    q = sampler_for(build_q_noise(p, QSpec(threshold="x+"), 0.3))
    assert q == ThresholdedGeneralGaussianSampler(p.scale, 12.0, 0.3)
    with pytest.raises(InvalidParameterError):
        build_q_noise(p, QSpec(threshold="x+"), None)


def test_invalid_sampler_parameters_are_refused():
    with pytest.raises(InvalidParameterError):
        GeneralGaussianSampler(1.0, 0.3)
    with pytest.raises(InvalidParameterError):
        ThresholdedGeneralGaussianSampler(1.0, 2.0, 1.0)
