"""Regression tests of issue 12: certificates above the truth in low dimension, NP radius
0 where the truth is large, and the pieces of the proof (docs/math.md §5.1, §7.4).

Witnesses are explicit classifiers: a half-plane whose P and Q masses lie in the
intervals is feasible, so no sound certificate may lie where its smoothed score is below
1/2. Their masses are checked by Monte Carlo (fixed seeds) as well as in closed form.
"""

from __future__ import annotations

from math import exp, sqrt

import numpy as np
import pytest
from scipy.stats import norm

from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec, RadiusSearch
from dsrs_core.counts_to_certificate import certificate_from_counts
from dsrs_core.noise.families import ThresholdedNoise, make_noise, with_sigma
from dsrs_core.numerics.adaptive_quadrature import radial_expectation
from dsrs_core.radius.certifying_check import multipliers_monotone, shift_lipschitz
from dsrs_core.radius.neyman_pearson import np_radius
from dsrs_core.radius.region_masses import SigmaPair
from dsrs_core.radius.threshold_region import ThresholdPair
from dsrs_core.results import SampleCounts
from tests.references.polar_quadpack import Setting, dual_value, halfspace_masses, np_value

N = 50_000

# (d, P count, percentile, witness threshold c of 1{z₁ ≤ c}, DSRS radius certified before)
COUNTEREXAMPLES = [
    (2, 45_000, 0.5, 1.254961538, 1.256856),
    (4, 49_000, 0.4, 2.008955, 2.009350),
]


def _certificate(d: int, p_count: int, percentile: float):
    config = CertificationConfig(
        p=NoiseSpec("gaussian", 1.0),
        q=QSpec(threshold=percentile),
        n=N,
        alpha=0.001,
        search=RadiusSearch(method="precise", tolerance=1e-4, mode="exact"),
    )
    counts = SampleCounts(
        label=0, p_count=p_count, p_n=N, q_count=N, q_n=N, q_percentile=percentile
    )
    return certificate_from_counts(counts, config, d)


@pytest.mark.parametrize(("d", "p_count", "percentile", "c", "old_radius"), COUNTEREXAMPLES)
def test_issue12_counterexamples_no_longer_certified(d, p_count, percentile, c, old_radius):
    cert = _certificate(d, p_count, percentile)
    # The witness half-plane is feasible: P mass in [pL, pU], and it contains Q's ball.
    ball = ThresholdedNoise(base=make_noise("gaussian", d, 1.0), percentile=percentile)
    assert sqrt(ball.threshold_sq) < c
    assert cert.p_lower <= norm.cdf(c) <= cert.p_upper
    # Monte Carlo of the witness (1e6 draws of P, seed fixed): its P mass is the closed form
    # to 4 standard errors, and every draw inside Q's ball is inside the half-plane.
    rng = np.random.default_rng(12)
    z = rng.standard_normal((1_000_000, d))
    inside = z[:, 0] <= c
    assert abs(inside.mean() - norm.cdf(c)) < 4 * sqrt(norm.cdf(c) * norm.sf(c) / z.shape[0])
    in_ball = (z**2).sum(axis=1) <= ball.threshold_sq
    assert inside[in_ball].all()
    # Its smoothed score at the old certified radius, Φ(c − r_old), is below 1/2 (the
    # issue's Monte-Carlo witness: 0.49924 for d = 2, 0.49984 for d = 4), so that radius
    # was unsound; Monte Carlo of the shifted law agrees with the closed form.
    exact = float(norm.cdf(c - old_radius))
    assert exact < 0.5
    z1 = rng.standard_normal(4_000_000)
    score = float((z1 + old_radius <= c).mean())
    assert abs(score - exact) < 4 * 0.5 / sqrt(z1.size)
    # Now: the true DSRS value equals NP (the NP half-plane already satisfies Q), and the
    # certificate stays at or below the witness radius c.
    assert cert.dsrs_radius == pytest.approx(cert.np_radius, abs=0.0)
    assert cert.dsrs_radius <= c
    assert cert.np_radius == pytest.approx(norm.ppf(cert.p_lower), abs=1e-9)


@pytest.mark.parametrize(
    ("d", "k", "p_lower"),
    [(8, 3, 0.99), (5, 2, 0.9), (3, 1, 0.9), (16, 7, 0.95), (64, 31, 0.99), (784, 391, 0.9)],
)
def test_np_radius_small_shapes_nonzero_and_confirmed_by_reference(d, k, p_lower):
    # a = d/2 − k ≤ 1.5: the NP radius used to be 0 ("quadrature not converged").
    noise = make_noise("general-gaussian", d, 1.0, k)
    result = np_radius(noise, p_lower)
    assert result.radius > 0.1, result
    # Independent 2-D reference: the dual bound at the engine's κ is above 1/2 at the
    # certified radius.
    setting = Setting(d, k, 1.0)
    lam = exp(-result.kappa)
    assert dual_value(setting, result.radius, lam, 0.0, p_lower, 0.0) > 0.5 + 1e-9


@pytest.mark.slow
@pytest.mark.parametrize(("d", "k", "p_lower"), [(8, 3, 0.99), (16, 7, 0.95)])
def test_np_radius_within_1e4_of_the_reference_truth(d, k, p_lower):
    # The reference's exact NP value (its own NP set with P mass pL) is below 1/2 at
    # r + 1e-4: the truth lies below r + 1e-4; the dual test above shows it lies above r.
    radius = np_radius(make_noise("general-gaussian", d, 1.0, k), p_lower).radius
    assert np_value(Setting(d, k, 1.0), radius + 1e-4, p_lower) < 0.5


def test_np_radius_small_shape_matches_audited_value():
    # Issue 12's audit: d = 8, k = 3, pL = 0.99 has true NP radius 2.1066 (4 decimals).
    radius = np_radius(make_noise("general-gaussian", 8, 1.0, 3), 0.99).radius
    assert radius == pytest.approx(2.1066, abs=1e-4)


def test_p_lower_one_is_refused_with_a_reason():
    result = np_radius(make_noise("general-gaussian", 784, 1.0, 380), 1.0)
    assert result.radius == 0.0 and "Clopper-Pearson" in result.reason


def test_inconsistent_intervals_flagged():
    # All P draws agree but no Q draw does: impossible when Q is P restricted to a ball of
    # P mass 1/2 (E_P f ≤ 1/2 + E_Q f / 2).
    config = CertificationConfig(
        p=NoiseSpec("general-gaussian", 1.0, 380), q=QSpec(threshold=0.5), n=N
    )
    counts = SampleCounts(label=0, p_count=N, p_n=N, q_count=0, q_n=N, q_percentile=0.5)
    cert = certificate_from_counts(counts, config, 784)
    assert cert.inconsistent_intervals
    assert cert.dsrs_radius == cert.np_radius
    assert "inconsistent intervals" in cert.reason


def test_shift_lipschitz_is_the_marginal_density_at_zero():
    # Gaussian: TV(P, P_u) ≈ ‖u‖/(σ√(2π)) for small shifts.
    for d in (2, 5, 784):
        noise = make_noise("gaussian", d, 0.7)
        assert shift_lipschitz(noise) == pytest.approx(1 / (0.7 * sqrt(2 * np.pi)), rel=1e-9)
    # Generalised Gaussian: against the reference's half-space masses (a difference
    # quotient of the marginal CDF at 0).
    for d, k in ((8, 3), (64, 20)):
        noise = make_noise("general-gaussian", d, 1.0, k)
        st = Setting(d, k, 1.0)
        eps = 1e-4
        density = (halfspace_masses(st, eps)[0] - halfspace_masses(st, -eps)[0]) / (2 * eps)
        assert shift_lipschitz(noise) == pytest.approx(density, rel=1e-5)
    assert shift_lipschitz(make_noise("general-gaussian", 5, 1.0, 2)) == float("inf")


def test_monotone_multipliers_by_sign_pattern():
    p = make_noise("general-gaussian", 784, 1.0, 380)
    narrow, wide = SigmaPair(p, with_sigma(p, 0.8)), SigmaPair(p, with_sigma(p, 1.25))
    assert multipliers_monotone(narrow, (2.0, 3.0))  # cases i–iii
    assert multipliers_monotone(wide, (2.0, -0.5))  # case iv, σ_Q > σ
    assert not multipliers_monotone(narrow, (2.0, -0.5))  # case iv, σ_Q < σ
    assert multipliers_monotone(narrow, (-0.5, 3.0))  # case v, σ_Q < σ
    assert not multipliers_monotone(wide, (-0.5, 3.0))  # case v, σ_Q > σ
    th = ThresholdPair(p, ThresholdedNoise(base=p, percentile=0.5))
    assert multipliers_monotone(th, (2.0, 1.0))
    assert not multipliers_monotone(th, (2.0, -0.5))  # thresholded case iv


def test_certifying_quadrature_isolates_kinks():
    # E_t[√max(t − 1, 0)] (square-root kink at t = 1, found by bisection, not given) and
    # E_t[1{t ≤ 2.5}] (a jump, given as a break) for t ~ Gamma(a), against scipy's
    # adaptive quadrature split at the kink and the closed form; the error estimate must
    # cover the true error.
    from math import lgamma

    from scipy.integrate import quad
    from scipy.special import gammainc

    for a in (0.5, 1.0, 1.5, 4.0, 12.0):
        est = radial_expectation(a, lambda t: np.sqrt(np.maximum(t - 1.0, 0.0)), 10.0, 1e-10)
        truth = quad(
            lambda t, a=a: np.sqrt(t - 1.0) * np.exp((a - 1) * np.log(t) - t - lgamma(a)),
            1.0,
            np.inf,
            epsabs=1e-14,
            epsrel=1e-13,
        )[0]
        assert abs(est.value - truth) <= max(est.error, 1e-12)
        assert est.error < 1e-8
        jump = radial_expectation(
            a, lambda t: np.where(t <= 2.5, 1.0, 0.0), 1.0, 1e-10, breaks_t=(2.5,)
        )
        assert abs(jump.value - gammainc(a, 2.5)) <= max(jump.error, 1e-12)


def _intervals(p_count: int, q_count: int):
    """Clopper–Pearson intervals of the counts out of N per run, α = 0.001 split over the
    two runs."""
    from dsrs_core.radius.dual_bound import Intervals
    from dsrs_core.sampling.confidence import clopper_pearson, split_alpha

    alpha_p, alpha_q = split_alpha(0.001, True)
    return Intervals(*clopper_pearson(p_count, N, alpha_p), *clopper_pearson(q_count, N, alpha_q))


def _case_v_wide(d: int, p_rate: float, q_rate: float):
    """Gaussian P (σ = 1), Q with σ_Q = 1.25; intervals of the rates; grid search (unit
    0.01)."""
    from dsrs_core.counts_to_certificate import dsrs_radius_from_intervals

    iv = _intervals(round(N * p_rate), round(N * q_rate))
    p = make_noise("gaussian", d, 1.0)
    search = RadiusSearch(method="grid", unit=0.01, mode="exact")
    return iv, dsrs_radius_from_intervals(
        p, with_sigma(p, 1.25), iv, search, np_radius(p, iv.p_lower).radius
    )


@pytest.mark.parametrize(
    ("d", "p_rate", "q_rate", "before", "now"),
    [(16, 0.9, 0.99, 3.28, 3.6), (64, 0.9, 0.9999, 3.04, 3.5)],
)
def test_case_v_with_wider_q_reaches_the_reference_optimum(d, p_rate, q_rate, before, now):
    # Issue 12: case v with σ_Q > σ was loose. The corner was solved on search rules that
    # do not split where Λ changes sign, and its residual line search stopped at its start.
    # The reference's own best multipliers (Nelder–Mead on its dual) certify 3.6 (d = 16) and
    # 3.51 (d = 64); the engine stopped at `before`.
    from tests.references.cartesian_mpmath import GaussianSetting
    from tests.references.cartesian_mpmath import dual_value as cartesian_dual

    iv, result = _case_v_wide(d, p_rate, q_rate)
    assert result.case == "v" and result.radius >= now > before
    lam1, lam2 = result.multipliers
    assert lam1 < 0.0 < lam2
    value, _ = cartesian_dual(
        GaussianSetting(d, 1.0, 1.25), result.radius, lam1, lam2, iv.p_upper, iv.q_lower
    )
    assert value > 0.5 + 1e-9


def test_case_v_intervals_no_classifier_meets_are_flagged():
    # d = 16, P rate 0.6, Q rate 0.999 (σ_Q = 1.25): was certified at 0.28 in case v. Every
    # classifier with Q mass ≥ qL has P mass ≥ that of the Neyman–Pearson set for P against
    # Q, the outside of a ball (p/q increases towards the origin): P(‖z‖² > 1.25² c) with
    # Pr[χ²₁₆ > c] = qL. That is above pU, so no classifier has both.
    from scipy.stats import chi2

    iv, result = _case_v_wide(16, 0.6, 0.999)
    least_p = chi2.sf(1.25**2 * chi2.isf(iv.q_lower, 16), 16)
    assert least_p > iv.p_upper
    assert result.inconsistent and "inconsistent intervals" in result.reason


def test_corner_start_does_not_overflow_in_high_dimension():
    # d = 150528, σ_Q = 1.25 σ: the start of case iv's corner used (β/σ)^d = 1.25^150528,
    # which overflowed, and every check failed as "numerical failure: OverflowError".
    from dsrs_core.radius.dual_bound import check_radius

    p = make_noise("gaussian", 150528, 1.0)
    out = check_radius(SigmaPair(p, with_sigma(p, 1.25)), 1.26, _intervals(45_000, 40_000), "exact")
    assert out.case == "iv" and "numerical failure" not in out.reason
    assert np.isfinite(out.bound)


def test_stalled_corner_is_replaced_by_the_maximum_of_the_dual():
    # d = 3072, k = 1524, σ_Q = 0.8 σ, counts of the ball classifier of P-mass 0.9 (a
    # configuration of benchmarks/soundness_scan.py). In case v the corner's Newton starts
    # far away, its residual grows before it falls, and it stalled: 2.40 and 2.41 were not
    # certified (only the Q-only fallback, 0.4976 at 2.40), 2.42 was, by luck of the path.
    # The concave ascent on (D) now certifies all three; the polar reference confirms.
    from scipy.special import gammaincinv

    from dsrs_core.radius.dual_bound import check_radius
    from tests.references.polar_quadpack import ball_masses

    setting = Setting(3072, 1524, 1.0, 0.8)
    ball = setting.sigma * sqrt(2.0 * float(gammaincinv(setting.a, 0.9)))
    p_mass, q_mass = ball_masses(setting, ball)
    iv = _intervals(round(N * p_mass), round(N * q_mass))
    p = make_noise("general-gaussian", 3072, 1.0, 1524)
    pair = SigmaPair(p, with_sigma(p, 0.8))
    for r in (2.40, 2.41, 2.42):
        out = check_radius(pair, r, iv, "exact")
        assert out.certified and out.case == "v", (r, out)
        lam1, lam2 = out.multipliers
        assert lam1 < 0.0 < lam2
        assert dual_value(setting, r, lam1, lam2, iv.p_upper, iv.q_lower) > 0.5 + 1e-6


# Issue 23: Gaussian P, precise search, where DSRS stopped far below the truth (d, σ_Q,
# P count, Q count, radius reported before). (a) case iv with σ_Q < σ: the chain of checks
# covering smaller radii ran into "boundary of the DSRS region did not converge" (24
# checks, 2.2122; truth above 2.362); (b) case v with σ_Q > σ: the same root failure ended
# the search at the NP radius (2.00905; truth above 2.159); (c) d = 3, σ_Q = 0.5σ: DSRS fell
# back to NP on the same failure.
LOW_D_CASES = [
    (2, 0.8, 49_000, 48_744, 2.2122),
    (2, 1.25, 49_000, 48_490, 2.00905),
    (3, 0.5, 49_000, 49_900, 2.00895),
]
GRID_UNIT = 0.05


@pytest.mark.slow
@pytest.mark.parametrize(("d", "sigma_q", "p_count", "q_count", "before"), LOW_D_CASES)
def test_low_dimension_reaches_the_reference_truth(d, sigma_q, p_count, q_count, before):
    # Sound: the Cartesian mpmath reference's dual at the engine's multipliers is above 1/2
    # at the reported radius. Tight: the reference's own best dual (Nelder–Mead over λ,
    # concave) is below 1/2 one grid unit (0.05σ) higher, so the truth lies within one unit.

    from dsrs_core.counts_to_certificate import dsrs_radius_from_intervals
    from tests.references.truth import reference_dual, truth_below

    iv = _intervals(p_count, q_count)
    p = make_noise("gaussian", d, 1.0)
    search = RadiusSearch(method="precise", tolerance=1e-4, mode="exact")
    start = np_radius(p, iv.p_lower).radius
    result = dsrs_radius_from_intervals(p, with_sigma(p, sigma_q), iv, search, start)
    assert result.radius > before + 0.003, result
    assert "did not converge" not in result.reason
    setting = Setting(d, 0, 1.0, s_q=sigma_q)
    bounds = (iv.p_lower, iv.p_upper, iv.q_lower, iv.q_upper)
    assert reference_dual(setting, result.radius, result.multipliers, bounds) > 0.5 + 1e-9
    below, value = truth_below(setting, result.radius + GRID_UNIT, result.multipliers, bounds)
    assert below, value


def test_boundary_roots_cannot_stall():
    # Issue 23 (b): at r = 2.00915 the increasing piece of φ (k = 0, φ(0) finite, bracket
    # from s = 1e-300) made Newton alternate between the two ends of a bracket that barely
    # shrank: 200 steps, "boundary of the DSRS region did not converge". The bracket now
    # halves at least every two steps; the check runs and certifies.
    from dsrs_core.radius.dual_bound import check_radius

    p = make_noise("gaussian", 2, 1.0)
    out = check_radius(SigmaPair(p, with_sigma(p, 1.25)), 2.00915, _intervals(49_000, 48_490))
    assert "numerical failure" not in out.reason
    assert out.certified and out.case == "v", out
