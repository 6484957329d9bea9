"""``dsrs compare --published``: the DSRS paper's comparison from the published radius files,
with error bars, in the paper's table layout (terminal, Markdown, LaTeX, CSV)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from tests.dsrs_core.reference_data import REFERENCE, needs_reference, new_radii, orig_radii

MODEL = "cohen-mnist-380-1.00.pth"
CHECK_RADII = "1.0,1.5,2.0,2.5"
EQUAL_BUDGET = "NP, equal budget (N=100000, α=0.001)"
SAME_RUN = "NP, same run (N=50000, α=0.0005)"


def _csv_rows(run_cli, *args: str) -> dict[str, dict[str, str]]:
    result = run_cli(None, "compare", "--published", str(REFERENCE), *args, "--format", "csv")
    assert result.exit_code == 0, result.stdout + result.stderr
    return {row["certificate"]: row for row in csv.DictReader(io.StringIO(result.stdout))}


@needs_reference
def test_the_paper_check_values_are_reproduced(run_cli):
    # docs/math.md §6: the paper's MNIST sigma = 1.0 numbers recomputed from the files.
    rows = _csv_rows(run_cli, "--model", MODEL, "--q", "0.8", "--radii", CHECK_RADII)
    np_row = rows[EQUAL_BUDGET]
    dsrs_row = next(row for name, row in rows.items() if name.startswith("DSRS, Q σ=0.8"))
    assert round(float(np_row["acr"]), 4) == 1.5496
    assert [round(100 * float(np_row[f"acc@{r}"]), 1) for r in (1, 1.5, 2, 2.5)] == [
        80.6, 57.6, 25.5, 6.2]  # fmt: skip
    assert round(float(dsrs_row["acr"]), 4) == 1.6294
    assert [round(100 * float(dsrs_row[f"acc@{r}"]), 1) for r in (1, 1.5, 2, 2.5)] == [
        81.5, 61.6, 34.1, 10.6]  # fmt: skip
    assert {np_row["configuration"], dsrs_row["configuration"]} == {"σ=1.00"}
    assert np_row["inputs"] == dsrs_row["inputs"] == "1000"


@needs_reference
def test_intervals_are_clopper_pearson_and_student_t_of_the_files(run_cli):
    rows = _csv_rows(run_cli, "--model", MODEL, "--q", "0.8", "--radii", CHECK_RADII)
    same_run = orig_radii(MODEL, "orig-rad-general-gaussian-380-1.0-50000-0.0005.txt")
    new = new_radii(MODEL, "new-rad-general-gaussian-380-1.0-0.8-50000-0.0005.txt")
    dsrs = [max(same_run[i], new[i]) for i in sorted(same_run)]
    row = next(row for name, row in rows.items() if name.startswith("DSRS, Q σ=0.8"))
    for radius in (1, 1.5, 2, 2.5):
        count = sum(r >= radius - 1e-5 for r in dsrs)
        low, high = proportion_confint(count, len(dsrs), alpha=0.05, method="beta")
        assert float(row[f"acc@{radius}_lower"]) == pytest.approx(low, abs=1e-12)
        assert float(row[f"acc@{radius}_upper"]) == pytest.approx(high, abs=1e-12)
    low, high = DescrStatsW(dsrs).tconfint_mean(alpha=0.05)
    assert (float(row["acr_lower"]), float(row["acr_upper"])) == pytest.approx((low, high))
    # the same-run NP baseline is weaker than the equal-budget one (the overstated gain)
    assert float(rows[SAME_RUN]["acr"]) < float(rows[EQUAL_BUDGET]["acr"])


@needs_reference
def test_every_model_and_q_of_the_folder_by_default(run_cli):
    rows = _csv_rows(run_cli)
    configurations = {row["configuration"] for row in rows.values()}
    assert configurations == {"σ=0.25", "σ=0.50", "σ=1.00"}
    assert any("thresholded Q x+" in name for name in rows)


@needs_reference
def test_markdown_and_latex_layouts(run_cli):
    markdown = run_cli(None, "compare", "--published", str(REFERENCE), "--model", MODEL,
                       "--q", "0.8", "--radii", CHECK_RADII, "--format", "markdown")  # fmt: skip
    assert markdown.exit_code == 0, markdown.stderr
    lines = markdown.stdout.splitlines()
    header = next(line for line in lines if line.startswith("| configuration"))
    assert header.split("|")[3:-1] == [" 1.00 ", " 1.50 ", " 2.00 ", " 2.50 ", " ACR "]
    dsrs_line = next(line for line in lines if "DSRS, Q σ=0.8" in line)
    assert "**81.5** (" in dsrs_line and "**1.6294** (" in dsrs_line  # best of its group
    assert "Clopper-Pearson" in markdown.stdout and "Student t" in markdown.stdout

    latex = run_cli(None, "compare", "--published", str(REFERENCE), "--model", MODEL,
                    "--q", "0.8", "--radii", CHECK_RADII, "--format", "latex")  # fmt: skip
    assert latex.exit_code == 0, latex.stderr
    assert r"\begin{tabular}{llrrrrr}" in latex.stdout and r"\toprule" in latex.stdout
    assert r"\textbf{81.5}\,{\scriptsize[" in latex.stdout
    assert "%" not in latex.stdout.replace(r"\%", "")  # every percent sign escaped


@needs_reference
def test_text_table_and_output_file(run_cli, tmp_path):
    out = tmp_path / "table.md"
    result = run_cli(None, "compare", "--published", str(REFERENCE), "--model", MODEL,
                     "--q", "0.8", "--format", "markdown", "-o", str(out))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    header = next(line for line in out.read_text().splitlines() if line.startswith("| config"))
    assert "| 0.25 | 0.50 |" in header
    text = run_cli(None, "compare", "--published", str(REFERENCE), "--model", MODEL,
                   "--q", "0.8", "--radii", CHECK_RADII)  # fmt: skip
    assert text.exit_code == 0, text.stderr
    assert "80.6" in text.stdout and "1.5496" in text.stdout and "–" in text.stdout


@needs_reference
@pytest.mark.parametrize(
    "args",
    [
        [],
        ["somejob", "--published", str(REFERENCE)],
        ["--published", "/nonexistent/folder"],
        ["--published", str(REFERENCE), "--model", "nope.pth"],
        ["--published", str(REFERENCE), "--q", "7.7"],
        ["--published", str(REFERENCE), "--confidence", "1.5"],
        ["--published", str(REFERENCE), "--radii", "-1"],
    ],
)
def test_bad_arguments_are_clear_errors(run_cli, args):
    result = run_cli(None, "compare", *args)
    assert result.exit_code == 2
    assert "Error" in result.stderr or "Invalid" in result.stderr


def _submit(run_cli, service, model_id: str, *extra: str) -> dict:
    submitted = run_cli(service, "jobs", "submit", "--model", model_id, "--dataset", "digits",
                        "--stop", "6", "--family", "general-gaussian", "--sigma", "0.25",
                        "--k", "20", "--n", "300", "--n-selection", "20", "--seed", "3",
                        "--watch", *extra, json_output=True)  # fmt: skip
    assert submitted.exit_code == 0, submitted.stderr
    job = json.loads(submitted.stdout)
    assert job["status"] == "succeeded", job
    return job


def test_jobs_side_by_side_equal_their_summaries(
    embedded_service, embedded_model_id, run_cli, tmp_path
):
    dsrs_job = _submit(run_cli, embedded_service, embedded_model_id, "--q-sigma", "0.2",
                       "--baseline", "equal-budget")  # fmt: skip
    np_job = _submit(run_cli, embedded_service, embedded_model_id)
    result = run_cli(embedded_service, "compare", dsrs_job["id"], np_job["id"],
                     "--radii", "0.1,0.3", "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["certificate"].split(" (")[0] for row in rows] == [
        "NP, same run", "NP, equal budget", "DSRS", "NP, same run"]  # fmt: skip
    from dsrs_client.sync_client import DsrsClient

    with DsrsClient(embedded_service.url) as dsrs:
        summary = dsrs.summary(dsrs_job["id"], radii=[0.1, 0.3])
        plain = dsrs.summary(np_job["id"], radii=[0.1, 0.3])
    assert summary.baseline == "equal-budget" and plain.acr_dsrs is None
    expected = [
        (summary.acr_np, [r.np for r in summary.certified_accuracy]),
        (summary.acr_np_equal_budget, [r.np_equal_budget for r in summary.certified_accuracy]),
        (summary.acr_dsrs, [r.dsrs for r in summary.certified_accuracy]),
        (plain.acr_np, [r.np for r in plain.certified_accuracy]),
    ]
    for row, (acr, accuracy) in zip(rows, expected, strict=True):
        assert float(row["acr"]) == acr
        assert [float(row["acc@0.1"]), float(row["acc@0.3"])] == accuracy
        assert row["benign"] != ""  # labelled digits: benign accuracy is shown
    # the exported data tree holds the paper's NP baseline files (2N draws, full alpha), so
    # the paper's comparison runs on it and gives the summary's numbers
    tree = tmp_path / "tree"
    exported = run_cli(embedded_service, "export", dsrs_job["id"], "--format", "dsrs",
                       "-o", str(tree))  # fmt: skip
    assert exported.exit_code == 0, exported.stderr
    assert list(tree.glob("orig-radius/*/orig-rad-general-gaussian-20-0.25-600-0.001.txt"))
    published = run_cli(None, "compare", "--published", str(tree), "--radii", "0.1,0.3",
                        "--format", "csv")  # fmt: skip
    assert published.exit_code == 0, published.stderr
    from_files = {
        r["certificate"].split(" (")[0]: r for r in csv.DictReader(io.StringIO(published.stdout))
    }
    assert float(from_files["NP, equal budget"]["acr"]) == pytest.approx(
        summary.acr_np_equal_budget, abs=1e-12
    )
    assert float(from_files["NP, same run"]["acr"]) == pytest.approx(summary.acr_np, abs=1e-12)
    text = run_cli(embedded_service, "jobs", "results", dsrs_job["id"])
    assert text.exit_code == 0, text.stderr
    assert "NP (equal budget)" in text.stdout and "against the equal-budget NP" in text.stdout
    assert "union bound" in text.stdout and "benign accuracy" in text.stdout


def test_jobs_chosen_by_tag_or_name_compare_as_their_ids(
    embedded_service, embedded_model_id, run_cli
):
    chosen_by = ("--tag", "sigma-sweep", "--name", "sweep-a")
    tagged = [
        _submit(run_cli, embedded_service, embedded_model_id, *chosen_by, *extra)
        for extra in ((), ("--q-sigma", "0.2"))
    ]
    _submit(run_cli, embedded_service, embedded_model_id, "--tag", "other")
    newest_first = [job["id"] for job in reversed(tagged)]  # the job list's order
    by_ids = run_cli(embedded_service, "compare", *newest_first, "--radii", "0.1,0.3",
                     "--format", "csv")  # fmt: skip
    assert by_ids.exit_code == 0, by_ids.stderr
    for selection in (("--tag", "sigma-sweep"), ("--name", "sweep-a"),
                      ("--name", "sweep-a", "--tag", "sigma-sweep")):  # fmt: skip
        chosen = run_cli(embedded_service, "compare", *selection, "--radii", "0.1,0.3",
                         "--format", "csv")  # fmt: skip
        assert chosen.exit_code == 0, chosen.stderr
        assert chosen.stdout == by_ids.stdout
        assert len(list(csv.DictReader(io.StringIO(chosen.stdout)))) == 3  # NP; NP and DSRS
    # explicit ids come first, then the selection, each job once
    mixed = run_cli(embedded_service, "compare", tagged[0]["id"], "--tag", "sigma-sweep",
                    json_output=True)  # fmt: skip
    assert mixed.exit_code == 0, mixed.stderr
    assert [job["job_id"] for job in json.loads(mixed.stdout)["jobs"]] == [
        tagged[0]["id"], tagged[1]["id"]]  # fmt: skip
    none = run_cli(embedded_service, "compare", "--tag", "no-such-tag")
    assert none.exit_code != 0
    assert "no job has tag 'no-such-tag'" in none.stdout + none.stderr


def test_more_jobs_by_tag_than_the_compare_limit_is_a_clear_error(
    embedded_service, embedded_model_id, run_cli, monkeypatch
):
    from dsrs_api import job_comparison

    _submit(run_cli, embedded_service, embedded_model_id, "--tag", "crowd")
    _submit(run_cli, embedded_service, embedded_model_id, "--tag", "crowd")
    monkeypatch.setattr(job_comparison, "MAX_COMPARED_JOBS", 1)
    result = run_cli(embedded_service, "compare", "--tag", "crowd")
    assert result.exit_code != 0
    assert "more than 1 jobs have tag 'crowd'" in result.stdout + result.stderr
