"""Monte-Carlo falsification of the DSRS certificate in low dimension (numpy only).

For every certified check, the worst-case set ``R = {p_δ < λ1 p + λ2 q}`` is rebuilt from
the solved multipliers with the *densities* (not the engine's formulas), and its P, Q and
shifted-P masses are estimated by sampling. Weak duality makes ``P_δ(R) + λ1(p̂ − P(R)) +
λ2(q̂ − Q(R))`` the certified bound; the sampled version of that expression must be at least
1/2 up to Monte-Carlo error, and the sampled masses must agree with the engine's.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import gammaln

from dsrs_core.dsrs_bound import Intervals, _SigmaEngine, check_radius
from dsrs_core.noise import RadialNoise, ThresholdedNoise, make_noise, with_sigma
from dsrs_core.region_masses import SigmaPair
from dsrs_core.threshold_region import ThresholdPair

N_DRAWS = 200_000
#: 5 standard errors of a proportion (worst case 1/2) plus slack for the λ-weighted terms.
MC_SIGMA = 0.5 / np.sqrt(N_DRAWS)


def _sample(noise: RadialNoise, n: int, rng: np.random.Generator, upto_t: float | None = None):
    if upto_t is None:
        t = rng.gamma(noise.shape, size=n)
    else:  # conditioned on t ≤ b: inverse CDF on [0, F(b)]
        from scipy.special import gammainc, gammaincinv

        t = gammaincinv(noise.shape, rng.uniform(size=n) * gammainc(noise.shape, upto_t))
    g = rng.standard_normal((n, noise.d))
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    return noise.scale * np.sqrt(2.0 * t)[:, None] * g


def _log_density(noise: RadialNoise, z: np.ndarray) -> np.ndarray:
    d, a, s = noise.d, noise.shape, noise.scale
    v = np.sum(z * z, axis=1)
    log_c = gammaln(d / 2) - (d / 2) * np.log(np.pi) - a * np.log(2 * s * s) - gammaln(a)
    return log_c - noise.k * np.log(v) - v / (2 * s * s)


def _falsify(pair, iv: Intervals, r: float, q_sampler, q_log_density, seed: int) -> int:
    out = check_radius(pair, r, iv, "exact")
    if not out.certified:
        return 0
    lam1, lam2 = out.multipliers
    p = pair.p
    delta = np.zeros(p.d)
    delta[0] = r

    def in_region(z: np.ndarray) -> np.ndarray:
        lpd = _log_density(p, z - delta)
        with np.errstate(over="ignore"):
            total = lam1 * np.exp(_log_density(p, z) - lpd) + lam2 * np.exp(q_log_density(z) - lpd)
        return total > 1.0

    rng = np.random.default_rng(seed)
    p_mass = in_region(_sample(p, N_DRAWS, rng)).mean()
    q_mass = in_region(q_sampler(rng)).mean()
    shifted = in_region(_sample(p, N_DRAWS, rng) + delta).mean()
    p_hat = iv.p_lower if lam1 >= 0 else iv.p_upper
    q_hat = iv.q_lower if lam2 >= 0 else iv.q_upper
    sampled_bound = shifted + lam1 * (p_hat - p_mass) + lam2 * (q_hat - q_mass)
    error = MC_SIGMA * (1 + abs(lam1) + abs(lam2))
    assert sampled_bound >= 0.5 - 5 * error, (r, out, p_mass, q_mass, shifted)
    assert sampled_bound >= out.bound - 5 * error
    # the engine's masses of the same set agree with the sampled ones
    engine = _engine_masses(pair, r, lam1, lam2)
    assert abs(engine.p_mass - p_mass) < 5 * MC_SIGMA
    assert abs(engine.q_mass - q_mass) < 5 * MC_SIGMA
    assert abs(engine.shifted_mass - shifted) < 5 * MC_SIGMA
    return 1


def _engine_masses(pair, r: float, lam1: float, lam2: float):
    if isinstance(pair, ThresholdPair):
        return pair.masses(r, lam1, lam2, 128)
    # The engine's rules for this shape and these multipliers: Gauss–Laguerre, the dense
    # composite rule below SMALL_SHAPE (a fixed Gauss rule is off by ~1e-2 there; docs/
    # math.md §7.4), split where Λ changes sign (off by ~2e-2 otherwise: case v, σ_Q > σ).
    return _SigmaEngine(pair).masses(r, lam1, lam2, 128)


CASES = [
    # (d, k): a = d/2 − k ∈ {2, 4}
    (8, 2),
    (8, 0),
    (32, 14),
    (32, 12),
]


@pytest.mark.slow
@pytest.mark.parametrize(("d", "k"), CASES)
def test_sigma_q_certificates_survive_sampling(d, k):
    p = make_noise("general-gaussian", d, 1.0, k)
    q = with_sigma(p, 0.8)
    pair = SigmaPair(p, q)
    certified = 0
    for j, (iv, r) in enumerate(
        [
            (Intervals(0.9, 0.91, 0.95, 0.96), 0.6),
            (Intervals(0.9, 0.91, 0.95, 0.96), 1.2),
            (Intervals(0.97, 0.98, 0.97, 0.98), 1.0),  # Q mass above the NP set's: other corner
            (Intervals(0.8, 0.81, 0.99, 0.995), 0.5),
        ]
    ):
        certified += _falsify(
            pair, iv, r, lambda rng: _sample(q, N_DRAWS, rng), lambda z: _log_density(q, z), seed=j
        )
    assert certified >= 2  # the test is not vacuous


@pytest.mark.slow
@pytest.mark.parametrize(("d", "k"), [(8, 2), (32, 12)])
def test_thresholded_q_certificates_survive_sampling(d, k):
    p = make_noise("general-gaussian", d, 1.0, k)
    q = ThresholdedNoise(base=p, percentile=0.6)
    pair = ThresholdPair(p, q)

    def q_log_density(z: np.ndarray) -> np.ndarray:
        inside = np.sum(z * z, axis=1) <= q.threshold_sq
        return np.where(inside, _log_density(p, z) + np.log(q.nu), -np.inf)

    certified = 0
    for j, (iv, r) in enumerate(
        [
            (Intervals(0.9, 0.91, 0.97, 0.98), 0.8),
            (Intervals(0.95, 0.96, 0.99, 0.995), 1.2),
            (Intervals(0.9, 0.91, 0.5, 0.52), 0.5),
        ]
    ):
        certified += _falsify(
            pair,
            iv,
            r,
            lambda rng: _sample(p, N_DRAWS, rng, upto_t=q.threshold_t),
            q_log_density,
            seed=10 + j,
        )
    assert certified >= 2
