"""Error bars of certified accuracy, benign accuracy and ACR against scipy and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from dsrs_core.errors import InvalidParameterError
from dsrs_core.evaluation.accuracy_intervals import (
    acr_interval,
    certified_accuracy_intervals,
    proportion_interval,
)
from dsrs_core.evaluation.benign_accuracy import smoothed_prediction_correct
from dsrs_core.evaluation.radius_counting import certified_accuracy


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
@pytest.mark.parametrize(
    ("count", "total"), [(0, 10), (1, 10), (5, 10), (10, 10), (806, 1000), (62, 1000), (99, 100)]
)
def test_proportion_interval_is_clopper_pearson(count, total, confidence):
    estimate = proportion_interval(count, total, confidence)
    sm_lower, sm_upper = proportion_confint(count, total, alpha=1 - confidence, method="beta")
    ci = stats.binomtest(count, total).proportion_ci(confidence_level=confidence, method="exact")
    assert estimate.value == count / total
    # statsmodels and scipy compute the beta quantiles independently; 1e-12 is rounding.
    assert estimate.lower == pytest.approx(sm_lower, abs=1e-12)
    assert estimate.upper == pytest.approx(sm_upper, abs=1e-12)
    assert estimate.lower == pytest.approx(ci.low, abs=1e-12)
    assert estimate.upper == pytest.approx(ci.high, abs=1e-12)
    assert estimate.lower <= estimate.value <= estimate.upper


def test_proportion_interval_of_an_empty_test_set_has_no_bounds():
    estimate = proportion_interval(0, 0)
    assert estimate.lower is None and estimate.upper is None


@pytest.mark.parametrize("confidence", [0.0, 1.0, -0.5, 1.5])
def test_confidence_out_of_range_is_refused(confidence):
    with pytest.raises(InvalidParameterError):
        proportion_interval(1, 2, confidence)
    with pytest.raises(InvalidParameterError):
        acr_interval([1.0, 2.0], confidence)


def test_certified_accuracy_intervals_count_like_certified_accuracy():
    rng = np.random.default_rng(0)
    radii = np.where(rng.random(500) < 0.2, -1.0, rng.gamma(2.0, 0.5, 500))
    radii[:5] = 0.5 - 5e-6  # within the matching tolerance of 0.5
    at = [0.0, 0.25, 0.5, 1.0, 2.0]
    estimates = certified_accuracy_intervals(radii, at)
    assert [e.value for e in estimates] == certified_accuracy(radii, at)
    for e in estimates:
        count = round(e.value * 500)
        low, high = proportion_confint(count, 500, alpha=0.05, method="beta")
        assert (e.lower, e.upper) == pytest.approx((low, high), abs=1e-12)


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
@pytest.mark.parametrize("size", [2, 7, 100, 1000])
def test_acr_interval_is_the_student_t_interval(size, confidence):
    rng = np.random.default_rng(size)
    radii = np.where(rng.random(size) < 0.3, 0.0, 1.0 + rng.random(size))
    radii[:2] = [0.0, 1.5]  # never a zero spread (scipy's interval is then undefined)
    estimate = acr_interval(radii, confidence)
    sm_lower, sm_upper = DescrStatsW(radii).tconfint_mean(alpha=1 - confidence)
    sp_lower, sp_upper = stats.t.interval(
        confidence, size - 1, loc=radii.mean(), scale=stats.sem(radii)
    )
    assert estimate.value == pytest.approx(radii.mean(), rel=1e-15)
    assert estimate.lower == pytest.approx(max(sm_lower, 0.0), abs=1e-12)
    assert estimate.upper == pytest.approx(sm_upper, abs=1e-12)
    assert estimate.upper == pytest.approx(sp_upper, abs=1e-12)
    assert estimate.lower == pytest.approx(max(sp_lower, 0.0), abs=1e-12)


def test_acr_interval_treats_negative_radii_as_zero_and_clips_at_zero():
    estimate = acr_interval([-1.0, -1.0, 0.0, 3.0])
    assert estimate.value == 0.75
    sm_lower, sm_upper = DescrStatsW(np.array([0.0, 0.0, 0.0, 3.0])).tconfint_mean(alpha=0.05)
    assert sm_lower < 0.0 and estimate.lower == 0.0
    assert estimate.upper == pytest.approx(sm_upper, abs=1e-12)


def test_acr_interval_needs_two_inputs():
    assert acr_interval([]).lower is None
    single = acr_interval([1.5])
    assert single.value == 1.5 and single.lower is None and single.upper is None


def test_interval_of_identical_radii_is_a_point():
    estimate = acr_interval([0.7] * 10)
    assert estimate.lower == pytest.approx(0.7) and estimate.upper == pytest.approx(0.7)


def test_benign_accuracy_rule_predict_mode_uses_the_selected_class():
    assert smoothed_prediction_correct("predict", 3, 3, 10, 100) is True
    assert smoothed_prediction_correct("predict", 1, 3, 99, 100) is False


def test_benign_accuracy_rule_evaluate_mode_needs_a_strict_majority():
    assert smoothed_prediction_correct("evaluate", 2, 2, 51, 100) is True
    assert smoothed_prediction_correct("evaluate", 2, 2, 50, 100) is False
    assert smoothed_prediction_correct("evaluate", 2, 2, 0, 100) is False


def test_benign_accuracy_rule_works_elementwise_on_arrays():
    correct = smoothed_prediction_correct(
        "evaluate",
        np.array([1, 2, 3]),
        np.array([1, 2, 3]),
        np.array([60, 50, 99]),
        np.array([100, 100, 100]),
    )
    assert correct.tolist() == [True, False, True]
    chosen = smoothed_prediction_correct(
        "predict", np.array([1, 2]), np.array([1, 0]), np.array([5, 90]), np.array([100, 100])
    )
    assert chosen.tolist() == [True, False]


def test_nan_radii_never_count_and_add_zero():
    # dsrs_core.evaluation.radius_counting.counted_radii marks inputs that never count with NaN
    radii = [np.nan, 0.5, np.nan, 1.5]
    assert acr_interval(radii).value == 0.5
    assert [e.value for e in certified_accuracy_intervals(radii, [0.0, 1.0])] == [0.5, 0.25]
    _sm_lower, sm_upper = DescrStatsW(np.array([0.0, 0.5, 0.0, 1.5])).tconfint_mean(alpha=0.05)
    assert acr_interval(radii).upper == pytest.approx(sm_upper, abs=1e-12)
