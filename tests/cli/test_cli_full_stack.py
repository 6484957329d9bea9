"""The command line against the full stack: PostgreSQL, Redis and a Celery worker process.

upload → submit → watch → export in every format (each read back and compared with the
stored rows), and a 2 × 2 sweep that prints its comparison table and writes its plot.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from dsrs_cli.published.files import (
    read_new_radius,
    read_radius_file,
    read_sampling,
    read_sampling_header,
)
from tests.cli.export_readers import read_cohen_tsv, read_csv, read_jsonl

pytestmark = pytest.mark.integration

N = 200


@pytest.fixture(scope="module")
def finished_job(full_stack, full_stack_model_id: str, run_cli) -> str:
    submitted = run_cli(
        full_stack,
        "jobs",
        "submit",
        "--model",
        full_stack_model_id,
        "--dataset",
        "digits",
        "--stop",
        "5",
        "--family",
        "general-gaussian",
        "--sigma",
        "0.25",
        "--k",
        "20",
        "--q-sigma",
        "0.2",
        "--n",
        str(N),
        "--n-selection",
        "20",
        "--batch-size",
        "400",
        "--seed",
        "11",
    )
    assert submitted.exit_code == 0, submitted.stderr
    job_id = submitted.stdout.strip()
    watched = run_cli(full_stack, "jobs", "watch", job_id, "--timeout", "120", "--interval", "0.2")
    assert watched.exit_code == 0, watched.stdout + watched.stderr
    assert f"{job_id} succeeded" in watched.stdout
    return job_id


def stored_rows(service, job_id: str) -> list:
    from dsrs_client.sync_client import DsrsClient

    with DsrsClient(service.url) as dsrs:
        return dsrs.all_results(job_id)


def test_upload_twice_gives_the_same_model(
    full_stack, run_cli, demo_weights: bytes, full_stack_model_id: str, tmp_path: Path
) -> None:
    weights = tmp_path / "digits-demo.safetensors"
    weights.write_bytes(demo_weights)
    result = run_cli(full_stack, "models", "upload", str(weights), "--arch", "digits-mlp")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == full_stack_model_id
    listed = run_cli(full_stack, "models", "list", json_output=True)
    assert full_stack_model_id in [m["id"] for m in json.loads(listed.stdout)]


def test_job_ran_on_the_worker_and_shows(full_stack, run_cli, finished_job: str) -> None:
    shown = run_cli(full_stack, "jobs", "show", finished_job, json_output=True)
    job = json.loads(shown.stdout)
    assert job["status"] == "succeeded"
    assert job["progress"]["done"] == job["progress"]["total"] == 5
    results = run_cli(full_stack, "jobs", "results", finished_job, "--rows")
    assert results.exit_code == 0
    assert "ACR" in results.stdout and "DSRS" in results.stdout


def test_csv_and_jsonl_exports_read_back_equal_to_the_stored_rows(
    full_stack, run_cli, finished_job: str, tmp_path: Path
) -> None:
    stored = stored_rows(full_stack, finished_job)
    for fmt, reader in (("csv", read_csv), ("jsonl", read_jsonl)):
        path = tmp_path / f"out.{fmt}"
        result = run_cli(full_stack, "export", finished_job, "--format", fmt, "-o", str(path))
        assert result.exit_code == 0, result.stderr
        assert reader(path) == stored


def test_cohen_tsv_export_matches_the_stored_rows(
    full_stack, run_cli, finished_job: str, tmp_path: Path
) -> None:
    path = tmp_path / "certify.tsv"
    result = run_cli(full_stack, "export", finished_job, "--format", "cohen", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    assert path.read_text().splitlines()[0] == "idx\tlabel\tpredict\tradius\tcorrect\ttime"
    rows = read_cohen_tsv(path)
    stored = stored_rows(full_stack, finished_job)
    assert [r.idx for r in rows] == [s.dataset_index for s in stored]
    for row, sample in zip(rows, stored, strict=True):
        assert row.label == sample.label
        assert row.predict == (-1 if sample.prediction is None else sample.prediction)
        assert row.correct == int(sample.prediction == sample.label)
        expected = 0.0 if sample.prediction is None else max(sample.np_radius, sample.dsrs_radius)
        assert row.radius == expected
        assert math.isclose(row.time_seconds, sample.elapsed_s, abs_tol=1e-6)


def test_original_dsrs_txt_export_matches_the_stored_rows(
    full_stack, run_cli, finished_job: str, tmp_path: Path
) -> None:
    root = tmp_path / "data"
    result = run_cli(
        full_stack,
        "export",
        finished_job,
        "--format",
        "dsrs",
        "-o",
        str(root),
        "--model-name",
        "cohen-digits-20-0.25.pth",
    )
    assert result.exit_code == 0, result.stderr
    folder = "cohen-digits-20-0.25.pth"
    stem = f"general-gaussian-20-0.25-{N}-0.0005"
    stored = {s.dataset_index: s for s in stored_rows(full_stack, finished_job)}

    p_path = root / "sampling" / folder / f"{stem}.txt"
    header, p_bounds = read_sampling_header(p_path), read_sampling(p_path)
    assert header == {
        "disttype": "general-gaussian",
        "k": "20",
        "std": "0.25",
        "N": str(N),
        "alpha": "0.0005",
    }
    assert p_bounds == {i: (s.p_lower, s.p_upper) for i, s in stored.items()}
    q_path = root / "sampling" / folder / f"general-gaussian-20-0.2-{N}-0.0005.txt"
    q_bounds = read_sampling(q_path)
    assert q_bounds == {i: (s.q_lower, s.q_upper) for i, s in stored.items()}

    orig = read_radius_file(root / "orig-radius" / folder / f"orig-rad-{stem}.txt")
    assert orig == {
        i: (s.np_radius if s.prediction is not None else 0.0) for i, s in stored.items()
    }
    new = read_new_radius(
        root / "new-radius" / folder / f"new-rad-general-gaussian-20-0.25-0.2-{N}-0.0005.txt"
    )
    for i, (radius, gain, relative) in new.items():
        s = stored[i]
        expected = max(s.np_radius, s.dsrs_radius) if s.prediction is not None else 0.0
        assert radius == expected
        assert gain == expected - orig[i]
        assert relative == gain / max(orig[i], 1e-5)
    times = (
        root / "new-radius" / folder / f"time-new-rad-general-gaussian-20-0.25-0.2-{N}-0.0005.txt"
    )
    assert [float(v) for v in times.read_text().split()] == [
        stored[i].elapsed_s for i in sorted(stored)
    ]


def test_two_by_two_sweep_prints_its_table_and_writes_its_plot(
    full_stack, run_cli, full_stack_model_id: str, tmp_path: Path
) -> None:
    sweep = tmp_path / "grid.yaml"
    sweep.write_text(
        f"base:\n  model: {full_stack_model_id}\n  dataset: digits\n  stop: 3\n"
        "  family: general-gaussian\n  k: 20\n  n_selection: 20\n  batch_size: 400\n  seed: 5\n"
        "grid:\n  sigma: [0.25, 0.5]\n  q_sigma_ratio: [0.8]\n  n: [100, 200]\n"
        "radii: [0.0, 0.25, 0.5]\n"
    )
    plot = tmp_path / "sweep.png"
    result = run_cli(
        full_stack,
        "sweep",
        str(sweep),
        "--plot",
        str(plot),
        "--interval",
        "0.2",
        "--timeout",
        "150",
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    table = result.stdout
    for label in ("sigma=0.25 q_sigma_ratio=0.8 n=100", "sigma=0.5 q_sigma_ratio=0.8 n=200"):
        assert label in table
    assert table.count("NP") >= 4 and table.count("DSRS") >= 4 and "ACR" in table
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plot.stat().st_size > 10_000

    as_json = run_cli(
        full_stack,
        "sweep",
        str(sweep),
        "--plot",
        str(tmp_path / "again.png"),
        "--interval",
        "0.2",
        json_output=True,
    )
    report = json.loads(as_json.stdout)
    assert len(report["configurations"]) == 4 and report["failed"] == []
    for entry in report["configurations"]:
        assert [row["radius"] for row in entry["summary"]["certified_accuracy"]] == [0.0, 0.25, 0.5]
        assert entry["job"]["status"] == "succeeded"
