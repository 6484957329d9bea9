"""A sample of the soundness scan (benchmarks/soundness_scan.py, docs/math.md §10).

Every 137th configuration of the full scan (9 of 1,120: every dimension class, family and
Q kind rotate through the sample): no certificate above its classifier's witness radius,
and every positive certificate confirmed by the independent reference's dual bound.
"""

from __future__ import annotations

import pytest

from benchmarks import soundness_scan

SAMPLE = soundness_scan.configurations()[::137]


@pytest.mark.slow
@pytest.mark.parametrize("config", SAMPLE, ids=str)
def test_scan_sample_sound_and_confirmed(config):
    result = soundness_scan.run(config)
    assert not result["violation"], result
    assert result["status"] in ("confirmed", "zero"), result
    assert result["dsrs"] >= result["np"] > 0.0 or result["status"] == "zero"


def test_stratified_sample_takes_every_regime_before_repeating_one():
    # --limit 40 picks every 40th configuration, and each (d, k, Q) block holds 8
    # classifiers, so it sampled only the half-space c = 0.25; --sample stratifies.
    configs = soundness_scan.configurations()
    regimes = sorted({c.regime() for c in configs})
    sample = soundness_scan.stratified(configs, 2 * len(regimes))
    assert sorted(c.regime() for c in sample[: len(regimes)]) == regimes
    assert sorted(c.regime() for c in sample[len(regimes) :]) == regimes
    assert len(set(sample)) == len(sample)
    assert {(c.classifier, c.parameter) for c in configs[::40]} == {("halfspace", 0.25)}
