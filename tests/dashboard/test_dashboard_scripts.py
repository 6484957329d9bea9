"""The dashboard's pure JavaScript functions, run with Node.js where it is installed: the
plot's axis ticks."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from dsrs_api.dashboard.routes import ASSETS_DIR

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
