"""A CI-sized sample of benchmarks/sequential_soundness_benchmark.py: a linear classifier
exported to ONNX, whose true robust radii are known, certified fixed-N and sequentially.

The full benchmark runs 2000 inputs; here 240 (NP), 24 (DSRS) and 200 (the sequential jobs'
same-cost NP baseline, docs/sequential.md §7). At alpha = 0.1 the fraction of certified
radii above the true distance must stay at most alpha.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():  # type: ignore[no-untyped-def]
    path = ROOT / "benchmarks" / "sequential_soundness_benchmark.py"
    spec = importlib.util.spec_from_file_location("sequential_soundness_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_linear_onnx_model_is_the_hyperplane(bench) -> None:  # type: ignore[no-untyped-def]
    import torch

    from dsrs_models.onnx_loading import load_onnx_classifier

    problem = bench.make_problem(50, seed=3)
    classifier = load_onnx_classifier(problem.onnx_bytes, input_shape=bench.SHAPE, num_classes=2)
    predicted = classifier(torch.from_numpy(problem.inputs)).numpy()
    assert np.array_equal(predicted, problem.labels)
    assert problem.distances.min() > 0


def test_np_violations_stay_below_alpha_fixed_and_sequential(bench) -> None:  # type: ignore[no-untyped-def]
    rows = bench.soundness_rows(240, ["NP"], seed=1)
    assert len(rows) == 4
    for row in rows:
        assert row.rate <= bench.ALPHA, row
    fixed = rows[0]
    # The Gaussian NP certificate is tight for a half-space: violations do occur (about
    # alpha/2), so this sample would notice a schedule that spent too much alpha.
    assert fixed.violations > 0
    assert all(row.forward_passes < row.budget_passes for row in rows[1:])


def test_dsrs_violations_stay_below_alpha_fixed_and_sequential(bench) -> None:  # type: ignore[no-untyped-def]
    rows = bench.soundness_rows(24, ["DSRS"], seed=2)
    assert len(rows) == 4
    for row in rows:
        assert row.rate <= bench.ALPHA, row


def test_sequential_np_baseline_violations_stay_below_alpha(bench) -> None:  # type: ignore[no-untyped-def]
    # The same-cost baseline of a sequential DSRS job: an independent sequential NP run,
    # budget 2N, all of alpha, its own looks (GG P of the DSRS job, and a Gaussian P where
    # NP is tight for a half-space).
    rows = bench.soundness_rows(200, ["baseline"], seed=4)
    assert len(rows) == 4
    for row in rows:
        assert row.rate <= bench.ALPHA, row
        assert row.budget_passes == 2 * bench.BUDGET * row.inputs  # budget 2N per input
        assert row.forward_passes < row.budget_passes
    assert sum(row.violations for row in rows if "Gaussian" in row.name) > 0  # it can fail
