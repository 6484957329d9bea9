"""Sequential sampling is settable from the command line's flags and sweep files and visible
in ``jobs show``, ``jobs list``, ``jobs results --rows``, comparison labels and notes
(issue 21), against the embedded service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

INPUTS, N = 6, 2000


def submit(run_cli: Any, service: Any, model_id: str, *extra: str) -> dict[str, Any]:
    result = run_cli(
        service,
        "jobs",
        "submit",
        "--model",
        model_id[:6],
        "--dataset",
        "digits",
        "--stop",
        str(INPUTS),
        "--n",
        str(N),
        "--sigma",
        "0.25",
        "--q-sigma",
        "0.2",
        "--seed",
        "4",
        "--watch",
        *extra,
        json_output=True,
    )
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return dict(json.loads(result.stdout[result.stdout.index("{") :]))


@pytest.fixture(scope="module")
def jobs(embedded_service: Any, embedded_model_id: str, run_cli: Any) -> dict[str, Any]:
    sequential = submit(
        run_cli,
        embedded_service,
        embedded_model_id,
        "--target-radii",
        "0.2",
        "--first-look",
        "200",
        "--name",
        "seq",
        "--tag",
        "s21",
    )
    fixed = submit(run_cli, embedded_service, embedded_model_id, "--tag", "s21")
    return {"sequential": sequential, "fixed": fixed}


def test_flags_set_sequential_sampling_name_and_tags(jobs: dict[str, Any]) -> None:
    job = jobs["sequential"]
    assert job["status"] == "succeeded"
    assert job["parameters"]["sequential"]["target_radii"] == [0.2]
    assert job["parameters"]["sequential"]["first_look"] == 200
    assert job["name"] == "seq" and job["tags"] == ["s21"]
    assert jobs["fixed"]["parameters"]["sequential"] is None


def test_every_leaf_of_the_job_body_is_a_flag_and_a_sweep_key() -> None:
    from dsrs_cli.options.job_requests import FLAT_FIELDS, job_fields
    from dsrs_client.contract import JobCreate

    def leaves(model: Any, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
        from dsrs_cli.options.job_requests import _model_of

        found = set()
        for name, info in model.model_fields.items():
            nested = _model_of(info.annotation)
            found |= leaves(nested, (*path, name)) if nested else {(*path, name)}
        return found

    assert {f.path for f in job_fields().values()} == leaves(JobCreate)
    assert FLAT_FIELDS["tag"] == FLAT_FIELDS["tags"] == ("tags",)
    assert FLAT_FIELDS["first_look"] == ("sequential", "first_look")


def test_jobs_show_and_list_name_the_sampling(
    jobs: dict[str, Any], embedded_service: Any, run_cli: Any
) -> None:
    shown = run_cli(embedded_service, "jobs", "show", jobs["sequential"]["id"][:6])
    assert shown.exit_code == 0, shown.stderr
    assert "Q          sigma_Q=0.2" in shown.stdout and "{" not in shown.stdout
    assert "sampling   sequential (targets 0.2)" in shown.stdout
    listed = run_cli(embedded_service, "jobs", "list", "--tag", "s21")
    assert listed.exit_code == 0, listed.stderr
    assert "seq #s21" in listed.stdout and f"≤{N} seq" in listed.stdout
    rows = run_cli(embedded_service, "jobs", "results", jobs["sequential"]["id"][:6], "--rows")
    assert rows.exit_code == 0 and "draws" in rows.stdout


def test_compare_labels_the_share_of_passes_and_notes_the_target_form(
    jobs: dict[str, Any], embedded_service: Any
) -> None:
    from dsrs_client.sync_client import DsrsClient

    with DsrsClient(embedded_service.url) as dsrs:
        comparison = dsrs.compare([jobs["sequential"]["id"], jobs["fixed"]["id"]])
        rows = dsrs.all_results(jobs["sequential"]["id"])
    used = sum(row.draws_used for row in rows)
    share = f"{100 * used / (INPUTS * 2 * N):.1f} % of passes"
    sequential, fixed = comparison.jobs
    assert f"sequential (targets 0.2), {share}" in sequential.label
    assert "sequential" not in fixed.label
    assert len(comparison.notes) == 1 and "not comparable" in comparison.notes[0]


def test_a_sweep_file_takes_the_flags_keys(tmp_path: Path, run_cli: Any) -> None:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        "base: {model: ab12, dataset: digits, stop: 2, sigma: 0.25, tag: one, first_look: 100}\n"
        "grid: {target_radii: [[0.25], [0.5]]}\n"
    )
    from dsrs_cli.options.job_requests import load_document
    from dsrs_cli.options.sweep_grid import parse_sweep

    spec = parse_sweep(load_document(sweep))
    first = spec.configurations[0].body
    assert first["tags"] == ["one"] and first["sequential"] == {
        "first_look": 100,
        "target_radii": [0.25],
    }
    sweep.write_text("base: {model: ab12, dataset: digits, tagz: one}\ngrid: {sigma: [0.25]}\n")
    refused = run_cli(None, "sweep", str(sweep), "--dry-run")
    message = " ".join(refused.stderr.replace("│", " ").split())  # unwrap rich's box
    assert (
        refused.exit_code == 2 and "unknown key in 'base' 'tagz' (did you mean 'tag'?)" in message
    )
