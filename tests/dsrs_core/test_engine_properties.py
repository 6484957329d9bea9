"""Property tests of the radius engine over the noise families (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsrs_core.certification import dsrs_radius_from_intervals
from dsrs_core.config import RadiusSearch
from dsrs_core.dsrs_bound import Intervals
from dsrs_core.neyman_pearson import np_radius
from dsrs_core.noise import ThresholdedNoise, make_noise, with_sigma

FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
P_MNIST = make_noise("general-gaussian", 784, 0.5, 380)
FAMILIES = {
    "gaussian-784": make_noise("gaussian", 784, 0.5),
    "gg-784": P_MNIST,
    "gg-3072": make_noise("general-gaussian", 3072, 0.5, 1530),
    "gg-32": make_noise("general-gaussian", 32, 1.0, 12),
}


@FAST
@given(
    family=st.sampled_from(sorted(FAMILIES)), p1=st.floats(0.5, 0.9999), p2=st.floats(0.5, 0.9999)
)
def test_np_radius_monotone_in_p_lower(family, p1, p2):
    noise = FAMILIES[family]
    lo, hi = sorted((p1, p2))
    assert np_radius(noise, lo).radius <= np_radius(noise, hi).radius + 1e-12


@FAST
@given(family=st.sampled_from(sorted(FAMILIES)), p=st.floats(0.0, 0.5))
def test_np_radius_zero_when_p_lower_at_most_half(family, p):
    assert np_radius(FAMILIES[family], p).radius == 0.0


def _intervals(p_lower, width, q_lower, q_width):
    return Intervals(p_lower, min(p_lower + width, 1.0), q_lower, min(q_lower + q_width, 1.0))


@FAST
@given(
    p_lower=st.floats(0.55, 0.999),
    width=st.floats(0.0, 0.02),
    q_lower=st.floats(0.3, 0.9999),
    q_width=st.floats(0.0, 0.02),
    thresholded=st.booleans(),
    mode=st.sampled_from(["exact", "original"]),
)
def test_dsrs_at_least_np_and_exact_at_least_original(
    p_lower, width, q_lower, q_width, thresholded, mode
):
    iv = _intervals(p_lower, width, q_lower, q_width)
    q = ThresholdedNoise(base=P_MNIST, percentile=0.6) if thresholded else with_sigma(P_MNIST, 0.4)
    start = np_radius(P_MNIST, p_lower).radius
    search = RadiusSearch(unit=0.05, mode=mode)
    result = dsrs_radius_from_intervals(P_MNIST, q, iv, search, start)
    assert result.radius >= start
    if mode == "original":
        exact = dsrs_radius_from_intervals(P_MNIST, q, iv, RadiusSearch(unit=0.05), start)
        assert exact.radius >= result.radius


@FAST
@given(p_a=st.floats(0.55, 0.995), p_b=st.floats(0.55, 0.995), q_lower=st.floats(0.6, 0.999))
def test_dsrs_radius_monotone_in_p_lower(p_a, p_b, q_lower):
    lo, hi = sorted((p_a, p_b))
    q = with_sigma(P_MNIST, 0.4)
    search = RadiusSearch(method="precise", tolerance=1e-3)
    radii = []
    for p_lower in (lo, hi):
        iv = Intervals(p_lower, min(p_lower + 0.005, 1.0), q_lower, min(q_lower + 0.003, 1.0))
        start = np_radius(P_MNIST, p_lower).radius
        radii.append(dsrs_radius_from_intervals(P_MNIST, q, iv, search, start).radius)
    # precise search is within its tolerance of the boundary
    assert radii[0] <= radii[1] + 2e-3


@FAST
@given(p_lower=st.floats(0.0, 0.5), q_lower=st.floats(0.0, 1.0))
def test_dsrs_not_searched_when_p_lower_at_most_half(p_lower, q_lower):
    iv = Intervals(p_lower, min(p_lower + 0.01, 1.0), q_lower, 1.0)
    result = dsrs_radius_from_intervals(P_MNIST, with_sigma(P_MNIST, 0.4), iv, RadiusSearch(), 0.0)
    assert result.radius == 0.0 and not result.improved


def test_edge_intervals_never_raise():
    q = with_sigma(P_MNIST, 0.4)
    for iv in [
        Intervals(0.9998341327646891, 1.0, 0.9998341327646891, 1.0),  # count n
        Intervals(0.9, 0.92, 0.0, 0.0002),  # Q count 0
        Intervals(0.9, 1.0, 0.99, 1.0),
        Intervals(0.5000001, 0.51, 0.7, 0.71),
    ]:  # r → 0
        start = np_radius(P_MNIST, iv.p_lower).radius
        for method in ("grid", "precise"):
            result = dsrs_radius_from_intervals(P_MNIST, q, iv, RadiusSearch(method=method), start)
            assert result.radius >= start
