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
