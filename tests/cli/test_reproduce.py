"""``dsrs reproduce`` on a small slice of the published MNIST data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dsrs_cli.main import app
from tests.dsrs_core.reference_data import REFERENCE

MODEL = "cohen-mnist-380-1.00.pth"
P_FILE = "general-gaussian-380-1.0-50000-0.0005.txt"
FILES = [
    P_FILE,
    "general-gaussian-380-0.8-50000-0.0005.txt",
    "general-gaussian-380-1.0-50000-0.0005-x+.txt",
]
N_INSTANCES = 30

pytestmark = pytest.mark.skipif(not REFERENCE.exists(), reason="published DSRS data absent")


def _slice(path: Path, keep: int) -> str:
    lines, seen = [], set()
    for line in path.read_text().splitlines(keepends=True):
        fields = line.split()
        if fields and fields[0] == "o":
            if len(seen) >= keep and fields[1] not in seen:
                continue
            seen.add(fields[1])
        lines.append(line)
    return "".join(lines)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "sampling" / MODEL).mkdir(parents=True)
    for name in FILES:
        text = _slice(REFERENCE / "sampling" / MODEL / name, N_INSTANCES)
        (root / "sampling" / MODEL / name).write_text(text)
    shutil.copytree(REFERENCE / "new-radius" / MODEL, root / "new-radius" / MODEL)
    return root


def _radii(path: Path) -> dict[int, float]:
    return {
        int(f[0]): float(f[1]) for f in (line.split() for line in path.read_text().splitlines())
    }


def test_explicit_configuration_matches_published(data_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "reproduce",
            "--data",
            str(data_dir),
            "--model",
            MODEL,
            "--dataset",
            "mnist",
            "--dist",
            "general-gaussian",
            "--k",
            "380",
            "--sigma",
            "1.0",
            "--q",
            "0.8",
            "--N",
            "50000",
            "--alpha",
            "0.0005",
            "--unit",
            "0.05",
            "--mode",
            "original",
            "--out",
            str(out),
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    orig = out / "orig-radius" / MODEL / f"orig-rad-{P_FILE}"
    new = out / "new-radius" / MODEL / "new-rad-general-gaussian-380-1.0-0.8-50000-0.0005.txt"
    assert orig.exists() and (orig.parent / f"time-{orig.name}").exists()
    assert new.exists() and (new.parent / f"time-{new.name}").exists()
    lines = new.read_text().splitlines()
    assert len(lines) == N_INSTANCES and all(len(line.split()) == 4 for line in lines)
    assert len((new.parent / f"time-{new.name}").read_text().split()) == N_INSTANCES
    published = _radii(REFERENCE / "new-radius" / MODEL / new.name)
    ours = _radii(new)
    same = sum(abs(ours[i] - published[i]) <= 1e-5 for i in ours)
    assert same >= N_INSTANCES - 1
    assert max(abs(ours[i] - published[i]) for i in ours) < 0.05
    assert "ACR" in result.output


def test_discovery_processes_every_configuration(data_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["reproduce", "--data", str(data_dir), "--out", str(out), "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (out / "new-radius" / MODEL).iterdir())
    assert "new-rad-general-gaussian-380-1.0-0.8-50000-0.0005.txt" in names
    assert "new-rad-general-gaussian-th-380-1.0-x+-50000-0.0005.txt" in names
    x_plus = _radii(
        out / "new-radius" / MODEL / "new-rad-general-gaussian-th-380-1.0-x+-50000-0.0005.txt"
    )
    published = _radii(
        REFERENCE / "new-radius" / MODEL / "new-rad-general-gaussian-th-380-1.0-x+-50000-0.0005.txt"
    )
    assert sum(abs(x_plus[i] - published[i]) <= 1e-5 for i in x_plus) >= N_INSTANCES - 1


@pytest.mark.parametrize(
    "args",
    [
        ["--mode", "fast"],
        ["--dataset", "svhn"],
        ["--dist", "general-gaussian", "--k", "380"],  # incomplete explicit configuration
        [
            "--model",
            MODEL,
            "--dataset",
            "mnist",
            "--dist",
            "general-gaussian-th",
            "--k",
            "380",
            "--sigma",
            "1.0",
            "--q",
            "1.5",
        ],  # percentile out of range
        [
            "--model",
            MODEL,
            "--dataset",
            "mnist",
            "--dist",
            "general-gaussian",
            "--k",
            "380",
            "--sigma",
            "1.0",
            "--q",
            "0.7",
        ],  # no such sampling file
        ["--unit", "0"],
    ],
)
def test_bad_input_exits_with_code_2(data_dir: Path, tmp_path: Path, args):
    result = CliRunner().invoke(
        app, ["reproduce", "--data", str(data_dir), "--out", str(tmp_path / "o"), *args]
    )
    assert result.exit_code == 2, result.output


def test_missing_data_folder(tmp_path: Path):
    result = CliRunner().invoke(
        app, ["reproduce", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
