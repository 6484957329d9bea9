"""The equal-budget NP baseline: pooled P counts, full alpha, the engine's NP radius."""

from __future__ import annotations

import pytest
from scipy.stats import beta, norm

from dsrs_core.errors import InvalidParameterError
from dsrs_core.evaluation.equal_budget import equal_budget_np_radius
from dsrs_core.noise.families import make_noise
from dsrs_core.radius.neyman_pearson import np_radius
from dsrs_core.sampling.confidence import clopper_pearson

MNIST = make_noise("general-gaussian", 784, 1.0, 380)


@pytest.mark.parametrize(
    ("p_count", "extra_count", "n"),
    [(49503, 49440, 50000), (41598, 41700, 50000), (50000, 50000, 50000), (900, 870, 1000)],
)
def test_equal_budget_radius_is_np_of_the_pooled_count_at_full_alpha(p_count, extra_count, n):
    result = equal_budget_np_radius(MNIST, p_count, n, extra_count, n, 0.001)
    p_lower = clopper_pearson(p_count + extra_count, 2 * n, 0.001)[0]
    assert (result.count, result.n) == (p_count + extra_count, 2 * n)
    assert result.p_lower == p_lower
    assert result.radius == np_radius(MNIST, p_lower).radius
    if extra_count >= p_count:  # the extra draws agree at least as often: the pool is stronger
        own = np_radius(MNIST, clopper_pearson(p_count, n, 0.0005)[0]).radius
        assert result.radius >= own


def test_equal_budget_radius_matches_the_published_np_baseline():
    # docs/math.md §8.1, index 0: NP baseline c = 98943 of 100000 at alpha 0.001,
    # published radius 2.2043879231885715 (the original errs ~3e-7 low, §3.3).
    result = equal_budget_np_radius(MNIST, 49503, 50000, 49440, 50000, 0.001)
    assert result.p_lower == pytest.approx(0.9883233492867308, abs=1e-13)
    assert result.radius == pytest.approx(2.2043879231885715, abs=2e-6)


def test_gaussian_equal_budget_radius_against_the_closed_form():
    noise = make_noise("gaussian", 64, 0.5, 0)
    result = equal_budget_np_radius(noise, 980, 1000, 990, 1000, 0.01)
    # independent: scipy's beta quantile and sigma * Phi^-1(pL) (Cohen et al. 2019)
    p_lower = beta.ppf(0.005, 1970, 2000 - 1970 + 1)
    assert result.radius == pytest.approx(0.5 * norm.ppf(p_lower), rel=1e-9)


def test_not_certified_when_the_pooled_bound_is_below_one_half():
    result = equal_budget_np_radius(MNIST, 400, 1000, 450, 1000, 0.001)
    assert result.radius == 0.0 and result.reason


@pytest.mark.parametrize(
    "arguments", [(-1, 10, 0, 10), (11, 10, 0, 10), (0, 10, 11, 10), (0, 10, 0, -1)]
)
def test_bad_counts_are_refused(arguments):
    with pytest.raises(InvalidParameterError):
        equal_budget_np_radius(MNIST, *arguments, 0.001)


def test_sequential_baseline_config_is_np_at_twice_the_budget_and_full_alpha():
    from dataclasses import replace

    from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec, SequentialSpec
    from dsrs_core.evaluation.equal_budget import sequential_baseline_config
    from dsrs_core.sampling.looks import run_schedules

    spec = SequentialSpec(tolerance=0.05, first_look=100)
    dsrs = CertificationConfig(
        p=NoiseSpec("gaussian", 0.25), q=QSpec(sigma=0.2), n=400, alpha=0.001, sequential=spec
    )
    baseline = sequential_baseline_config(dsrs)
    assert (baseline.q, baseline.n, baseline.alpha, baseline.sequential) == (None, 800, 0.001, spec)
    schedule, second = run_schedules(baseline)
    assert second is None and schedule.sizes[-1] == 800
    assert schedule.alpha == pytest.approx(0.001)  # all of alpha on its one run
    for not_sequential_dsrs in (replace(dsrs, sequential=None), replace(dsrs, q=None)):
        with pytest.raises(InvalidParameterError, match="sequential DSRS"):
            sequential_baseline_config(not_sequential_dsrs)
