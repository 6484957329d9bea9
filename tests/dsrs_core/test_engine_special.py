"""Special functions, quadrature and noise families of the radius engine."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import gammainc, lambertw

from dsrs_core.errors import InvalidParameterError
from dsrs_core.noise import (
    GaussianNoise,
    GeneralizedGaussianNoise,
    ThresholdedNoise,
    make_noise,
    with_sigma,
)
from dsrs_core.quadrature import gamma_rule, segment_rule, split_rule
from dsrs_core.special import log_lambert_w, signed_log_sum, symmetric_beta_cdf


def test_log_lambert_w_matches_scipy_and_solves_its_equation():
    z = np.concatenate([np.linspace(-700, 700, 2001), [1e3, 1e5, 1e6]])
    w = log_lambert_w(z)
    # The defining equation, relative to z's scale (scipy's lambertw overflows for e^z).
    assert np.max(np.abs(w + np.log(w) - z) / np.maximum(1.0, np.abs(z))) < 1e-14
    moderate = np.abs(z) < 500
    ref = lambertw(np.exp(z[moderate])).real
    assert np.allclose(w[moderate], ref, rtol=1e-13, atol=1e-300)
    assert log_lambert_w(np.array([np.inf]))[0] == np.inf
    assert log_lambert_w(np.array([-np.inf]))[0] == 0.0


def test_signed_log_sum_sign_patterns():
    assert signed_log_sum(np.log(3.0), 1, np.log(1.0), -1) == pytest.approx(np.log(2.0))
    assert signed_log_sum(np.log(1.0), 1, np.log(3.0), -1) == -np.inf
    assert signed_log_sum(0.0, -1, 0.0, -1) == -np.inf
    assert signed_log_sum(np.log(2.0), 1, 5.0, 0) == pytest.approx(np.log(2.0))
    # tiny difference: ln(1 − e^−1e-12) without cancellation
    assert signed_log_sum(0.0, 1, -1e-12, -1) == pytest.approx(np.log(1e-12), rel=1e-9)


def test_symmetric_beta_cdf_is_clipped():
    values = symmetric_beta_cdf(np.array([-1.0, 0.5, 2.0]), 391.5)
    assert values[0] == 0.0 and values[2] == 1.0 and values[1] == pytest.approx(0.5, abs=1e-15)


@pytest.mark.parametrize("a", [1.5, 4.0, 12.0, 392.0])
def test_gamma_rules_integrate_moments_and_segments(a):
    rule = gamma_rule(a, 64)
    assert rule.expect(np.ones_like(rule.nodes)) == pytest.approx(1.0, abs=1e-13)
    assert rule.expect(rule.nodes) == pytest.approx(a, rel=1e-12)
    assert rule.expect(rule.nodes**2) == pytest.approx(a * (a + 1), rel=1e-12)
    cut = a + 0.7 * np.sqrt(a)
    head = segment_rule(a, 0.0, cut, 64)
    assert head.expect(np.ones_like(head.nodes)) == pytest.approx(gammainc(a, cut), abs=1e-13)
    split = split_rule(a, (cut, 0.5 * a), 40)
    assert split.expect(split.nodes) == pytest.approx(a, rel=1e-12)


def test_scale_convention_factors_of_the_spec():
    # docs/math.md §1.2: MNIST 5.715476, CIFAR-10 16, ImageNet 137.171426
    assert make_noise("general-gaussian", 784, 1.0, 380).scale == pytest.approx(5.715476, abs=1e-6)
    assert make_noise("general-gaussian", 3072, 1.0, 1530).scale == pytest.approx(16.0)
    assert make_noise("general-gaussian", 150528, 1.0, 75260).scale == pytest.approx(
        137.171426, abs=1e-6
    )
    gg = make_noise("general-gaussian", 784, 0.5, 380)
    assert isinstance(gg, GeneralizedGaussianNoise) and gg.shape == 12 and gg.beta_param == 391.5
    assert with_sigma(gg, 0.4).scale == pytest.approx(0.4 * 5.715476, abs=1e-6)
    assert isinstance(make_noise("gaussian", 10, 0.5), GaussianNoise)


@pytest.mark.parametrize(
    ("d", "k"), [(784, 392), (784, -1), (784, 400), (1, 0), (784, 1.5), (784, True)]
)
def test_invalid_generalized_gaussian_parameters(d, k):
    with pytest.raises(InvalidParameterError):
        make_noise("general-gaussian", d, 1.0, k)


def test_unknown_family_and_bad_sigma():
    with pytest.raises(InvalidParameterError, match="known"):
        make_noise("laplace", 10, 1.0)
    with pytest.raises(InvalidParameterError):
        make_noise("gaussian", 10, 0.0)


def test_thresholded_noise_attributes_match_spec_example():
    # docs/math.md §8.2: π = 0.5569867 → b = 12.163659, ν = 1.795375
    p = make_noise("general-gaussian", 784, 1.0, 380)
    q = ThresholdedNoise(base=p, percentile=0.5569867)
    assert q.threshold_t == pytest.approx(12.163659, abs=1e-6)
    assert q.nu == pytest.approx(1.795375, abs=1e-6)
    assert q.threshold_sq == pytest.approx(2 * p.scale**2 * q.threshold_t)
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(InvalidParameterError):
            ThresholdedNoise(base=p, percentile=bad)


@pytest.mark.parametrize("k", [0, 1, 380])
def test_level_offset_agrees_with_direct_inversion(k):
    noise = make_noise("general-gaussian", 784, 1.0, k)
    t = np.array([0.3, 5.0, 12.0, 40.0, 300.0])
    v = noise.radius_sq(t)
    for c in (-300.0, -2.0, -1e-3, 1e-3, 5.0):
        direct = noise.level_inverse(noise.log_profile(v) - c) - v
        assert np.allclose(noise.level_offset(t, c), direct, rtol=1e-9, atol=1e-9 * v.max())
    # tiny offsets: first-order value 2σ² c·(t/k)/(t/k + 1) (k > 0) without cancellation
    tiny = noise.level_offset(t, 1e-12)
    w = t / k if k else np.inf
    expected = 2 * noise.scale**2 * 1e-12 * (w / (w + 1) if k else 1.0)
    assert np.allclose(tiny, expected, rtol=1e-6)
