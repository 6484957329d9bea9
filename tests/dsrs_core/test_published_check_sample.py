"""A sample of the reference-folder check (benchmarks/published_check.py, issue 23).

Four instances of the published MNIST s = 1 / s_Q = 0.8 run, recomputed as ``dsrs
reproduce`` does in ``original`` mode. Indices 3160 (pL = 0.50327) and 4950 (pL = 0.52134)
are radii where ours lies above the original's: the original's NP bisection rounds a small
radius down (0.0079212 published, 0.0079386 ours; 0.0518519 and 0.0518630), so the check
must list them above and the independent reference's exact NP value must confirm them; a
radius inflated by 1 % must not be.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks import published_check
from tests.dsrs_core.reference_data import REFERENCE, needs_reference

MODEL = "cohen-mnist-380-1.00.pth"
P_NAME = "general-gaussian-380-1.0-50000-0.0005.txt"
Q_NAME = "general-gaussian-380-0.8-50000-0.0005.txt"
NEW_NAME = "new-rad-general-gaussian-380-1.0-0.8-50000-0.0005.txt"
ORIG_NAME = f"orig-rad-{P_NAME}"
INDICES = {"0", "100", "3160", "4950"}


def _keep(path: Path, indices: set[str]) -> str:
    lines = path.read_text().splitlines(keepends=True)
    return "".join(
        line for line in lines if not line.startswith("o ") or line.split()[1] in indices
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "sampling" / MODEL).mkdir(parents=True)
    for name in (P_NAME, Q_NAME):
        (root / "sampling" / MODEL / name).write_text(
            _keep(REFERENCE / "sampling" / MODEL / name, INDICES)
        )
    for kind, name in (("new-radius", NEW_NAME), ("orig-radius", ORIG_NAME)):
        (root / kind / MODEL).mkdir(parents=True)
        shutil.copy(REFERENCE / kind / MODEL / name, root / kind / MODEL / name)
    return root


@needs_reference
@pytest.mark.slow
def test_original_mode_sample_and_np_radius_above_published(data_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    published_check.recompute(data_dir, out, "original", 1)
    (row,) = published_check.compare(data_dir, out, "new-radius")
    assert (row.name, row.instances, row.missing) == (NEW_NAME, 4, False)
    assert row.identical == 2 and row.max_diff < 1e-4
    assert [i for i, _, _ in row.above] == [3160, 4950]
    _, ours, published = row.above[0]
    assert published == pytest.approx(0.007921171933056054, abs=1e-15)
    assert ours > published + published_check.TOLERANCE
    (np_row,) = published_check.compare(data_dir, out, "orig-radius")
    assert [i for i, _, _ in np_row.above] == [3160, 4950]
    assert not published_check.confirm_np(data_dir, [np_row])  # confirmed: no failure
    inflated = published_check.FileComparison(
        MODEL, ORIG_NAME, 1, 0, 0.0, [(3160, 1.01 * ours, published)]
    )
    assert published_check.confirm_np(data_dir, [inflated])  # refused: a failure
