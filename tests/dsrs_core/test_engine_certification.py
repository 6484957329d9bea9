"""certificate_from_counts / plan_q_draws: the contract the worker and the API rely on."""

from __future__ import annotations

import pytest

from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec, RadiusSearch
from dsrs_core.counts_to_certificate import certificate_from_counts
from dsrs_core.noise.families import make_noise
from dsrs_core.radius.neyman_pearson import np_radius
from dsrs_core.results import SampleCounts
from dsrs_core.sampling.confidence import clopper_pearson
from dsrs_core.sampling.draw_plan import (
    MAX_HEURISTIC_PERCENTILE,
    heuristic_percentile,
    plan_q_draws,
)

GG = NoiseSpec("general-gaussian", 1.0, 380)


def _config(q=None, **search):
    return CertificationConfig(p=GG, q=q, n=50_000, alpha=0.001, search=RadiusSearch(**search))


def test_heuristic_values_of_the_spec():
    # §1.4: H(0.5)=0.2555, H(0.9)=0.3842, H(0.99)=0.5684, H(0.999)=0.7526
    for p, h in [(0.5, 0.2555), (0.9, 0.3842), (0.99, 0.5684), (0.999, 0.7526)]:
        assert heuristic_percentile(p) == pytest.approx(h, abs=1e-4)
    assert heuristic_percentile(0.49) == 0.5
    assert heuristic_percentile(0.999999) == MAX_HEURISTIC_PERCENTILE  # H ≥ 1 guarded


def test_plan_q_draws():
    assert plan_q_draws(None, 0.9, 0.95).percentile is None
    assert plan_q_draws(QSpec(sigma=0.8), 0.9, 0.95).fallback is False
    assert plan_q_draws(QSpec(threshold=0.6), 0.9, 0.95).percentile == 0.6
    x = plan_q_draws(QSpec(threshold="x"), 0.9, 1.0)
    assert x.percentile == pytest.approx(heuristic_percentile(0.9)) and not x.fallback
    plus = plan_q_draws(QSpec(threshold="x+"), 0.99, 0.995)
    assert plus.percentile == pytest.approx(heuristic_percentile(0.99)) and not plus.fallback
    fallback = plan_q_draws(QSpec(threshold="x+"), 0.9998, 1.0)
    assert fallback.percentile is None and fallback.fallback


def test_np_only_certificate_uses_all_alpha():
    counts = SampleCounts(label=7, p_count=98943, p_n=100000)
    cert = certificate_from_counts(counts, CertificationConfig(p=GG, n=100_000), 784)
    # §8.1: NP baseline index 0: pL = 0.9883233492867308, radius 2.2043879231885715
    assert cert.p_lower == pytest.approx(0.9883233492867308, abs=1e-12)
    assert cert.np_radius == pytest.approx(2.2043879231885715, abs=1e-5)
    assert cert.prediction == 7 and cert.dsrs_radius is None and not cert.abstained


def test_dsrs_certificate_index0():
    counts = SampleCounts(label=3, p_count=49503, p_n=50000, q_count=49940, q_n=50000)
    cert = certificate_from_counts(counts, _config(QSpec(sigma=0.8)), 784)
    assert cert.p_lower == pytest.approx(0.9884215189204483, abs=1e-12)
    assert cert.q_lower == pytest.approx(0.9981616966934683, abs=1e-12)
    assert cert.dsrs_radius == pytest.approx(2.35)  # grid 0.05, §8.1
    precise = certificate_from_counts(counts, _config(QSpec(sigma=0.8), method="precise"), 784)
    assert 2.35 <= precise.dsrs_radius < 2.40


@pytest.mark.parametrize("p_count", [0, 20000, 25000])
def test_abstain_gives_zero_radii(p_count):
    counts = SampleCounts(label=1, p_count=p_count, p_n=50000, q_count=50000, q_n=50000)
    cert = certificate_from_counts(counts, _config(QSpec(sigma=0.8)), 784)
    assert cert.abstained and cert.np_radius == 0.0 and cert.dsrs_radius == 0.0
    assert "abstain" in cert.reason


def test_all_correct_counts_and_q_count_zero():
    counts = SampleCounts(label=1, p_count=50000, p_n=50000, q_count=0, q_n=50000)
    cert = certificate_from_counts(counts, _config(QSpec(sigma=0.8)), 784)
    assert cert.p_upper == 1.0 and cert.q_lower == 0.0
    assert cert.dsrs_radius >= cert.np_radius > 3.0


def test_thresholded_uses_the_sampled_percentile():
    counts = SampleCounts(
        label=3, p_count=49505, p_n=50000, q_count=49888, q_n=50000, q_percentile=0.5569866870571815
    )
    cert = certificate_from_counts(counts, _config(QSpec(threshold="x+"), unit=0.01), 784)
    assert cert.dsrs_radius == pytest.approx(2.34)  # §8.2


def test_x_plus_fallback_is_sound_max_of_two_lower_bounds():
    # first P run all correct (50000/50000), fresh second P run 49990/50000
    counts = SampleCounts(
        label=2, p_count=50000, p_n=50000, q_count=49990, q_n=50000, q_fallback=True
    )
    cert = certificate_from_counts(counts, _config(QSpec(threshold="x+")), 784)
    first, _ = clopper_pearson(50000, 50000, 0.0005)
    second, _ = clopper_pearson(49990, 50000, 0.0005)
    assert cert.p_lower == pytest.approx(max(first, second))
    noise = make_noise("general-gaussian", 784, 1.0, 380)
    assert cert.np_radius == pytest.approx(np_radius(noise, max(first, second)).radius)
    assert cert.dsrs_radius == cert.np_radius
    assert "fall-back" in cert.reason
