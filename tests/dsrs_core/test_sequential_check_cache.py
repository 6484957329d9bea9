"""The stopping rules' checks answered from earlier checks (dsrs_core/sampling/check_cache.py;
docs/sequential.md §4 "Cost per look"): every reused answer is the engine's own."""

from __future__ import annotations

import numpy as np
import pytest

from dsrs_core.config import NoiseSpec, QSpec
from dsrs_core.radius.dual_bound import CheckOutcome, Intervals, check_radius
from dsrs_core.radius.neyman_pearson import np_radius
from dsrs_core.radius.region_masses import SigmaPair
from dsrs_core.sampling import check_cache
from dsrs_core.sampling.check_cache import CheckCache, NPThresholds
from dsrs_core.sampling.confidence import clopper_pearson
from dsrs_core.sampling.draw_plan import build_p_noise, build_q_noise

P = build_p_noise(NoiseSpec("general-gaussian", 0.5, 20), 64)  # demo, sigma 0.5
PAIR = SigmaPair(P, build_q_noise(P, QSpec(sigma=0.4), None))


def _boxes(seed: int, count: int) -> list[Intervals]:
    """Intervals of inputs near the demo's decision boundaries: two-sided boxes of counts
    out of 4000 (level 1e-5) and their one-sided boxes, as the radius form asks."""
    rng = np.random.default_rng(seed)
    boxes = []
    for _ in range(count):
        p_count = int(rng.integers(3900, 4000))
        q_count = min(4000, p_count + int(rng.integers(-20, 60)))
        p_lo, p_hi = clopper_pearson(p_count, 4000, 1e-5)
        q_lo, q_hi = clopper_pearson(q_count, 4000, 1e-5)
        boxes.append(Intervals(p_lo, p_hi, q_lo, q_hi))
        boxes.append(Intervals(p_lo, 1.0, q_lo, 1.0))
    return boxes


@pytest.mark.parametrize("radius", [1.0, 1.1])
def test_check_cache_answers_as_the_engine(radius):
    cache = CheckCache(PAIR)
    boxes = _boxes(1, 40)
    answers = [cache.certifies(radius, box) for box in boxes]
    fresh = [check_radius(PAIR, radius, box).certified for box in boxes]
    # Both answers occur, most come from the cache, and every one is the engine's.
    assert 0 < sum(fresh) < len(fresh)
    assert cache.answered > cache.checks
    assert answers == fresh


def test_check_cache_errs_towards_not_certified_on_two_sided_boxes():
    """A two-sided box below a failed one-sided corner is answered "not certified" (its
    one-sided box fails): never "certified" where the engine would fail it."""
    cache = CheckCache(PAIR)
    low = Intervals(0.97, 1.0, 0.97, 1.0)
    assert not cache.certifies(1.2, low)
    inside = Intervals(0.96, 0.999, 0.965, 0.999)
    assert not cache.certifies(1.2, inside)
    assert cache.checks == 1 and cache.answered == 1
    assert not check_radius(PAIR, 1.2, inside).certified


def test_check_cache_keeps_no_corner_of_a_failed_solve(monkeypatch):
    """Only checks that evaluated the dual bound below 1/2 leave a corner: a check that
    failed numerically does not decide larger boxes."""
    failed = CheckOutcome(False, float("nan"), "iii", None, "numerical failure: stalled")
    monkeypatch.setattr(check_cache, "check_radius", lambda *args: failed)
    cache = CheckCache(PAIR)
    assert not cache.certifies(1.2, Intervals(0.99, 1.0, 0.99, 1.0))
    assert not cache.certifies(1.2, Intervals(0.98, 1.0, 0.98, 1.0))
    assert cache.checks == 2 and cache.answered == 0


@pytest.mark.parametrize("radius", [0.3, 0.8, 1.1])
def test_np_thresholds_agree_with_the_np_radius(radius):
    thresholds = NPThresholds(P)
    lowers = np.linspace(0.55, 0.9995, 60)
    for p_lower in lowers:
        solved = np_radius(P, float(p_lower)).radius
        if abs(solved - radius) < 1e-6 * radius:
            continue  # the NP radius's own back-off decides within 1e-6
        assert thresholds.certifies(float(p_lower), radius) == (solved >= radius)
    # One entry for the radius, whatever the number of bounds asked about.
    assert list(thresholds._entries) == [radius]


def test_np_thresholds_defer_for_gaussian_p():
    gauss = build_p_noise(NoiseSpec("gaussian", 0.5), 64)
    assert NPThresholds(gauss).certifies(0.9, 0.3) is None


@pytest.mark.parametrize("one_minus_p_lower", [1e-6, 1e-8, 3.5e-9])
def test_np_thresholds_decide_near_p_lower_one(one_minus_p_lower):
    """Near ``pL = 1`` (``e^(−κ)`` up to ~1e8, the N = 2³¹−1 regime) the threshold still
    decides, as the engine's NP radius does, 1 % either side of it."""
    p_lower = 1.0 - one_minus_p_lower
    solved = np_radius(P, p_lower).radius
    for radius in (0.99 * solved, 1.01 * solved):
        assert NPThresholds(P).certifies(p_lower, radius) == (radius < solved)
