"""A malformed sampling file (a nan bound, an interval outside [0, 1]) is refused by
``dsrs reproduce`` with its file and line, exit 2, not a traceback; the engine refuses such an
interval too (``Intervals``), since one once crashed a check and ran another for minutes."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from dsrs_cli.main import app
from dsrs_core.errors import InvalidParameterError
from dsrs_core.radius.dual_bound import Intervals

HEADER = "x disttype general-gaussian\nx k 380\nx std 0.25\nx N 100000\nx alpha 0.001\n"


@pytest.mark.parametrize("line", ["o 0 nan 0.99", "o 0 0.9 1.5", "o 0 0.99 0.98", "o 0 x 1"])
def test_reproduce_refuses_a_malformed_sampling_line(tmp_path, line):
    folder = tmp_path / "data" / "sampling" / "cohen-mnist-380-0.25.pth"
    folder.mkdir(parents=True)
    body = f"{HEADER}o 1 0.99 1\n{line}\n"
    (folder / "general-gaussian-380-0.25-100000-0.001.txt").write_text(body)
    result = CliRunner().invoke(
        app, ["reproduce", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "general-gaussian-380-0.25-100000-0.001.txt:7" in text.replace(" ", "")
    assert "0 <= lower <= upper <=" in text


@pytest.mark.parametrize(
    "bounds", [(math.nan, 1.0, 0.9, 1.0), (0.9, 1.0, 0.9, math.nan), (0.9, 0.8, 0.5, 1.0)]
)
def test_engine_refuses_a_malformed_interval(bounds):
    with pytest.raises(InvalidParameterError, match="lower <= upper"):
        Intervals(*bounds)
