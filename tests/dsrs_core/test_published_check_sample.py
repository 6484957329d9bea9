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
from dsrs_cli.reproduce.compare import IDENTICAL_TOLERANCE
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
    assert ours > published + IDENTICAL_TOLERANCE
    (np_row,) = published_check.compare(data_dir, out, "orig-radius")
    assert [i for i, _, _ in np_row.above] == [3160, 4950]
    assert not published_check.confirm_np(data_dir, [np_row])  # confirmed: no failure
    inflated = published_check.FileComparison(
        MODEL, ORIG_NAME, 1, 0, 0.0, [(3160, 1.01 * ours, published)]
    )
    assert published_check.confirm_np(data_dir, [inflated])  # refused: a failure


@needs_reference
@pytest.mark.slow
def test_x_plus_fallback_radius_is_recomputed_and_confirmed(tmp_path: Path):
    # s = 0.5, index 30: pU = 1, so x+ falls back to NP at the pooled interval (§4.3(e));
    # its radius (1.84) is above the NP start (1.7177) and must be what the check confirms.
    model, p_name = "cohen-mnist-380-0.50.pth", "general-gaussian-380-0.5-50000-0.0005.txt"
    q_name = "general-gaussian-380-0.5-50000-0.0005-x+.txt"
    data = tmp_path / "data"
    (data / "sampling" / model).mkdir(parents=True)
    for name in (p_name, q_name):
        text = _keep(REFERENCE / "sampling" / model / name, {"30"})
        (data / "sampling" / model / name).write_text(text)
    out = tmp_path / "out"
    published_check.recompute(data, out, "exact", 1)
    (plan,) = published_check.plans(data)
    configs = published_check.configs_by_file(plan)
    name = "new-rad-general-gaussian-th-380-0.5-x+-50000-0.0005.txt"
    written = published_check.read_radius_file(out / "new-radius" / model / name)[30]
    result = published_check.confirm(plan, configs[name], data, out, 30, "exact")
    assert written == pytest.approx(1.84, abs=1e-12) and result["radius"] == written
    assert result["confirmed"] and result["how"] == "NP value"
