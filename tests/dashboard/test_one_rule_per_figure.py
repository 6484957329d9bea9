"""One job's figures through every surface: the API summary, the dashboard overview, the
compare endpoint, the command line's results table and compare CSV, and tables computed on
the client from the CSV and JSONL exports all find the same numbers (issue #20: one home
for every job-level rule, :mod:`dsrs_core.evaluation.job_summary`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from tests.support.factories import seed_job

#: Just below 1.25 but within the counting tolerance (1e-5): the input counts at 1.25, so
#: every default table must end with a 1.25 column (one rule for the table radii).
LARGEST = 1.25 - 4e-6


def _rows() -> list[dict[str, Any]]:
    """Labelled inputs: certified, abstained, wrong, and with an equal-budget baseline that
    sometimes abstains on its own (its bound not above 1/2)."""
    rng = np.random.default_rng(20)
    rows = []
    for _ in range(80):
        label = int(rng.integers(0, 10))
        abstain, wrong = rng.random() < 0.15, rng.random() < 0.1
        np_radius = 0.0 if abstain else float(rng.uniform(0.0, 1.0))
        pooled_lower = float(rng.uniform(0.3, 1.0))
        rows.append(
            {
                "label": label,
                "counted_label": (label + 1) % 10 if wrong else label,
                "prediction": None if abstain else (label + 1) % 10 if wrong else label,
                "p_count": int(rng.integers(300, 1000)),
                "np_radius": np_radius,
                "dsrs_radius": None if abstain else np_radius + float(rng.exponential(0.1)),
                "baseline_p_lower": pooled_lower,
                "baseline_np_radius": float(rng.uniform(0, 1.1)) if pooled_lower > 0.5 else 0.0,
                "baseline_extra_count": 900,
                "baseline_extra_n": 1000,
            }
        )
    rows[7].update(
        prediction=rows[7]["label"],
        counted_label=rows[7]["label"],
        np_radius=1.0,
        dsrs_radius=LARGEST,
    )
    return rows


def _cli(base_url: str, *args: str) -> Result:
    from dsrs_cli.main import app

    result = CliRunner().invoke(app, ["--url", base_url, *args], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def job(embedded_api: Any) -> tuple[str, list[dict[str, Any]]]:
    rows = _rows()
    return seed_job(embedded_api.session_factory, embedded_api.model_id, rows), rows


@pytest.fixture(scope="module")
def summary(embedded_api: Any, job: tuple[str, list[dict[str, Any]]]) -> dict[str, Any]:
    response = embedded_api.client.get(f"/v1/jobs/{job[0]}/summary")
    assert response.status_code == 200, response.text
    return response.json()


def _column(summary: dict[str, Any], name: str) -> list[float]:
    return [row[name] for row in summary["certified_accuracy"]]


def test_the_summary_counts_by_hand(summary: dict[str, Any], job: tuple[str, list]) -> None:
    """The reference surface against the rows themselves: the other tests compare with it."""
    rows = job[1]
    radii = [row["radius"] for row in summary["certified_accuracy"]]
    assert radii == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25]
    correct = [row for row in rows if row["prediction"] == row["label"]]
    dsrs = [max(row["np_radius"], row["dsrs_radius"]) for row in correct]
    assert summary["samples"] == len(rows)
    assert _column(summary, "dsrs") == [
        sum(radius >= r - 1e-5 for radius in dsrs) / len(rows) for r in radii
    ]
    assert summary["acr_dsrs"] == pytest.approx(sum(dsrs) / len(rows), rel=1e-12)
    pooled = [
        row["baseline_np_radius"]
        for row in rows
        if row["baseline_p_lower"] > 0.5 and row["counted_label"] == row["label"]
    ]
    assert summary["acr_np_equal_budget"] == pytest.approx(sum(pooled) / len(rows), rel=1e-12)
    assert summary["abstain_rate"] == sum(row["prediction"] is None for row in rows) / len(rows)
    assert summary["forward_passes_baseline"] == 1000 * len(rows)


def test_dashboard_overview(embedded_api: Any, job: tuple[str, list], summary: dict) -> None:
    overview = embedded_api.client.get(f"/v1/dashboard/jobs/{job[0]}/overview").json()
    assert [row["radius"] for row in overview["table"]] == _column(summary, "radius")
    for name in ("np", "dsrs", "np_equal_budget"):
        assert [row[name] for row in overview["table"]] == _column(summary, name)
    for name in (
        "acr_np",
        "acr_dsrs",
        "acr_np_equal_budget",
        "abstain_rate",
        "baseline",
        "forward_passes",
        "forward_passes_budget",
        "samples",
        "labelled",
    ):
        assert overview[name] == summary[name], name
    assert overview["clean_accuracy"] == summary["benign_accuracy"]


def test_compare_endpoint(embedded_api: Any, job: tuple[str, list], summary: dict) -> None:
    comparison = embedded_api.client.get("/v1/compare", params={"job_id": job[0]}).json()
    assert comparison["radii"] == _column(summary, "radius")
    (compared,) = comparison["jobs"]
    figures = {
        certificate["kind"] + (certificate["baseline"] or ""): certificate
        for certificate in compared["certificates"]
    }
    assert sorted(figures) == ["dsrs", "npequal-budget", "npsame-run"]
    for key, name in (
        ("npsame-run", "np"),
        ("dsrs", "dsrs"),
        ("npequal-budget", "np_equal_budget"),
    ):
        certificate = figures[key]
        assert [e["value"] for e in certificate["accuracy"]] == _column(summary, name)
        intervals = [(e["lower"], e["upper"]) for e in certificate["accuracy"]]
        assert intervals == [
            (row[f"{name}_interval"]["lower"], row[f"{name}_interval"]["upper"])
            for row in summary["certified_accuracy"]
        ]
        acr = summary[f"acr_{name}"]
        interval = summary[f"acr_{name}_interval"]
        acr_figures = certificate["acr"]
        found = (acr_figures["value"], acr_figures["lower"], acr_figures["upper"])
        assert found == (acr, interval["lower"], interval["upper"])
    assert compared["benign"]["value"] == summary["benign_accuracy"]


def test_command_line_tables(embedded_api: Any, job: tuple[str, list], summary: dict) -> None:
    table = _cli(embedded_api.base_url, "jobs", "results", job[0]).stdout
    for row in summary["certified_accuracy"]:
        assert f"{row['radius']:.2f}" in table
        assert f"{100 * row['dsrs']:.1f}%" in table
    assert f"{summary['acr_dsrs']:.4f}" in table
    compared = _cli(embedded_api.base_url, "compare", job[0], "--format", "csv").stdout
    by_certificate = {row["certificate"]: row for row in csv.DictReader(io.StringIO(compared))}
    dsrs = next(row for name, row in by_certificate.items() if name.startswith("DSRS"))
    radii = _column(summary, "radius")
    assert [float(dsrs[f"acc@{r:g}"]) for r in radii] == _column(summary, "dsrs")
    assert float(dsrs["acr"]) == summary["acr_dsrs"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_tables_from_exports(
    embedded_api: Any, job: tuple[str, list], summary: dict, tmp_path: Path, fmt: str
) -> None:
    from dsrs_cli.tables.certified_accuracy import accuracy_table
    from dsrs_client.contract import SampleOut, read_result_csv

    path = tmp_path / f"rows.{fmt}"
    _cli(embedded_api.base_url, "export", job[0], "--format", fmt, "-o", str(path))
    with path.open(newline="", encoding="utf-8") as handle:
        samples = (
            read_result_csv(handle)
            if fmt == "csv"
            else [SampleOut.model_validate_json(line) for line in handle if line.strip()]
        )
    table = accuracy_table(samples)
    assert table.radii == _column(summary, "radius")
    assert table.np == _column(summary, "np") and table.dsrs == _column(summary, "dsrs")
    assert (table.acr_np, table.acr_dsrs) == (summary["acr_np"], summary["acr_dsrs"])
