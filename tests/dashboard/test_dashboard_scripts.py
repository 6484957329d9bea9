"""The dashboard's pure JavaScript functions, run with Node.js where it is installed: the
browser-side budget fallback against :mod:`dsrs_core.budget`, and the plot's axis ticks."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from dsrs_api.dashboard_routes import ASSETS_DIR

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


def run_module(source: str) -> object:
    """Evaluate ES-module ``source`` (imports relative to the scripts) and parse its output."""
    assert NODE is not None
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", source],
        cwd=ASSETS_DIR / "js",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "n,alpha,sigma", [(200, 0.001, 0.25), (100_000, 0.001, 0.5), (1000, 0.01, 1.0)]
)
@pytest.mark.parametrize("uses_q", [False, True])
def test_browser_budget_fallback_matches_the_engine(
    n: int, alpha: float, sigma: float, uses_q: bool
) -> None:
    from dsrs_core.budget import plan_budget
    from dsrs_core.config import NoiseSpec, QSpec

    plan = run_module(
        "import { localPlan } from './budget.js';"
        f"console.log(JSON.stringify(localPlan({{ family: 'gaussian', sigma: {sigma}, n: {n},"
        f" alpha: {alpha}, usesQ: {str(uses_q).lower()}, nSelection: 0 }})));"
    )
    expected = plan_budget(
        NoiseSpec("gaussian", sigma),
        64,
        n,
        alpha,
        QSpec(sigma=0.8 * sigma) if uses_q else None,
        n_selection=0,
    )
    assert isinstance(plan, dict)
    # Acklam's quantile has relative error below 1.2e-9; the engine's radius errs low by
    # design, by at most its own tolerance, so 1e-6 relative covers both.
    assert plan["np_max_radius"] == pytest.approx(expected.np_max_radius, rel=1e-6)
    assert plan["forward_passes_per_input"] == expected.forward_passes_per_input


def test_normal_quantile_tails() -> None:
    from scipy.stats import norm

    ps = [1e-12, 1e-6, 0.001, 0.02425, 0.3, 0.5, 0.9, 0.999, 1 - 1e-9]
    values = run_module(
        "import { normalQuantile } from './budget.js';"
        f"console.log(JSON.stringify({json.dumps(ps)}.map(normalQuantile)));"
    )
    assert values == pytest.approx([float(norm.ppf(p)) for p in ps], rel=1e-8, abs=1e-8)


def test_ticks_are_round_and_cover_the_range() -> None:
    cases = run_module(
        "import { ticks } from './plot.js';"
        "console.log(JSON.stringify([ticks(0, 0.83, 8), ticks(0, 1, 5), ticks(0, 2.6, 8),"
        " ticks(0, 0.0137, 8)]));"
    )
    # Steps of 1, 2, 2.5 or 5 times a power of ten, at most about ``count`` of them.
    assert cases == [
        [0, 0.2, 0.4, 0.6, 0.8],
        [0, 0.2, 0.4, 0.6, 0.8, 1],
        [0, 0.5, 1, 1.5, 2, 2.5],
        [0, 0.002, 0.004, 0.006, 0.008, 0.01, 0.012],
    ]
